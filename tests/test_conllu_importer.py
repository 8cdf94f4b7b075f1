"""The built-in CoNLL-U importer: real UD files, document/paragraph grouping, and bad input.

The real files live in ``shared/data/ud`` beside the repository (the same layout in CI). The tests
fail rather than skip when it is missing: the importer's claim to read real UD data is only worth
something if it is checked every time.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import layerkit_conllu
import pluggy
import pytest
from layerkit_conllu.importer import ConlluImporter

import layerkit.plugin.specs
from layerkit.drafts import DocumentDraft, ImportOptions
from layerkit.errors import InputError
from layerkit.plugin.types import Importer

UD_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "ud"
UD_FILES = ("ru_gsd-ud-dev.conllu", "ru_taiga-ud-dev.conllu", "ru_taiga-extra-train.conllu")


def read(path: Path, encoding: str | None = None) -> list[DocumentDraft]:
    return list(ConlluImporter().read(path, ImportOptions(encoding=encoding)))


def write(tmp_path: Path, content: str, name: str = "sample.conllu") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def row(ident: str, form: str, lemma: str = "_", upos: str = "X", **cols: str) -> str:
    """One token line; keyword args override xpos, feats, head, deprel, deps, misc."""
    values = {"xpos": "_", "feats": "_", "head": "0", "deprel": "root", "deps": "_", "misc": "_"}
    values.update(cols)
    return "\t".join([ident, form, lemma, upos, *values.values()])


def word_lines(path: Path) -> Iterator[list[str]]:
    """Columns of every word line (integer ID) of a file, read without the importer."""
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        cols = line.split("\t")
        if len(cols) == 10 and cols[0].isdigit():
            yield cols


@pytest.fixture(scope="module")
def ud_docs() -> dict[str, tuple[list[DocumentDraft], float]]:
    """Each real file imported once (with its import time) and shared by the tests below."""
    assert UD_DIR.is_dir(), f"UD data missing: expected {UD_DIR} (shared/ beside the repository)"
    result = {}
    for name in UD_FILES:
        path = UD_DIR / name
        assert path.is_file(), f"missing {path}"
        started = time.perf_counter()
        docs = read(path)
        result[name] = (docs, time.perf_counter() - started)
    return result


# --- real UD files ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", UD_FILES)
def test_real_file_annotations_match_word_lines(
    ud_docs: dict[str, tuple[list[DocumentDraft], float]], name: str
) -> None:
    docs, seconds = ud_docs[name]
    assert seconds < 5, f"importing {name} took {seconds:.1f}s"
    words = [cols for cols in word_lines(UD_DIR / name) if cols[3] != "_"]
    annotations = [a for d in docs for p in d.paragraphs for a in p.annotations]
    assert len(annotations) == len(words)
    for annotation, cols in zip(annotations, words, strict=True):
        assert annotation.layer == "lexical" and annotation.kind == "token"
        assert annotation.field == "morph" and annotation.annotator == "gold"
        assert annotation.label == cols[3]
        assert annotation.attrs["lemma"] == unicodedata.normalize("NFC", cols[2])
        assert annotation.attrs["feats"] == cols[5]
        assert annotation.attrs["conllu"]["deprel"] == cols[7]
    for doc in docs:
        assert doc.format == "conllu" and doc.encoding == "utf-8"
        assert doc.source == str(UD_DIR / name)
        for paragraph in doc.paragraphs:
            text = paragraph.text
            assert unicodedata.is_normalized("NFC", text)
            assert paragraph.tokens is not None and paragraph.sentences is not None
            assert " ".join(text[s:e] for s, e in paragraph.sentences) == text
            assert paragraph.tokens == sorted(paragraph.tokens)
            for start, end in paragraph.tokens:
                assert any(s <= start and end <= e for s, e in paragraph.sentences)


@pytest.mark.parametrize("name", UD_FILES)
def test_real_file_offsets_spell_the_forms(
    ud_docs: dict[str, tuple[list[DocumentDraft], float]], name: str
) -> None:
    docs, _ = ud_docs[name]
    forms = [unicodedata.normalize("NFC", cols[1]) for cols in word_lines(UD_DIR / name)]
    spelled = [p.text[s:e] for d in docs for p in d.paragraphs for s, e in p.tokens or []]
    assert spelled == forms  # no multiword tokens in these files: one token per word line


def test_gsd_is_one_document_with_one_sentence_per_paragraph(
    ud_docs: dict[str, tuple[list[DocumentDraft], float]],
) -> None:
    docs, _ = ud_docs["ru_gsd-ud-dev.conllu"]
    assert [d.name for d in docs] == ["ru_gsd-ud-dev"]
    paragraphs = docs[0].paragraphs
    assert len(paragraphs) == 579
    assert all(p.sentences == [(0, len(p.text))] for p in paragraphs)
    assert paragraphs[0].line == 1
    assert paragraphs[0].meta["conllu"][0]["sent_id"]
    # Two sentences contain goeswith parts (LEMMA "_" by UD convention): still gold and done.
    assert all(p.status["lexical"].state == "done" for p in paragraphs)


def test_taiga_documents_and_paragraphs_follow_newdoc_and_newpar(
    ud_docs: dict[str, tuple[list[DocumentDraft], float]],
) -> None:
    docs, _ = ud_docs["ru_taiga-ud-dev.conllu"]
    assert [d.name for d in docs] == [
        "instagram-2019",  # bare "# newdoc" + "# title"
        "ru_taiga-ud-dev-2",  # bare "# newdoc", no title
        "uch-nauch--encicl_hudozh--kompozicija",  # "# newdoc_id = ..."
        "uch-nauch--encicl_hudozh--slovar_hudozhnika_051",
        "uch-nauch--encicl_litved--slovar-liter1988_014",
        "uch-nauch--encicl_phil--encicl99",
        "uch-nauch--encicl_phil--encicl154",
        "xud--ignatova05",
        "xud--mahotin_04",
    ]
    assert docs[0].meta == {
        "title": "instagram-2019",
        "conllu_newdoc_line": "newdoc",
        "conllu_paragraphs": True,
    }
    assert docs[2].meta == {
        "conllu_newdoc": "uch-nauch--encicl_hudozh--kompozicija",
        "conllu_newdoc_line": "newdoc_id = uch-nauch--encicl_hudozh--kompozicija",
        "conllu_paragraphs": True,
    }
    # Document 2 has no "# newpar": one paragraph per sentence; the others are split at newpar.
    assert [len(d.paragraphs) for d in docs] == [49, 357, 1, 1, 1, 1, 1, 1, 1]
    assert sum(len(p.sentences or []) for d in docs for p in d.paragraphs) == 1260
    first = docs[0].paragraphs[0]
    assert first.text.startswith("🤘Хей! Ставь ❤️ Мы Алиса")
    assert first.sentences is not None and first.sentences[:2] == [
        (0, 5),
        (6, 14),
    ]  # ❤️ is two code points
    assert first.line == 1
    assert first.meta["conllu"][0] == {
        "sent_id": "instagram-1",
        "comments": {"title": "instagram-2019", "speaker": "screened-18", "genre": "social"},
        # the file's order of the comments, which is not CoNLL-U's (# text comes last)
        "order": ["newdoc", "title", "newpar", "sent_id", "speaker", "genre", "text"],
    }
    # "# text" keeps spacing that SpaceAfter cannot express (three spaces between verse lines).
    poem = next(p for d in docs for p in d.paragraphs if "время,   Не то" in p.text)
    assert poem.status["lexical"].state == "done"


# --- grouping, multiword tokens, empty nodes, spacing ---------------------------------------


def test_newdoc_and_newpar_grouping(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                "# newdoc id = first",
                "# sent_id = 1",
                "# text = Раз.",
                row("1", "Раз", "раз", "NUM", misc="SpaceAfter=No"),
                row("2", ".", ".", "PUNCT", head="1", deprel="punct"),
                "",
                "# newpar id = p2",
                "# text = Два.",
                row("1", "Два", "два", "NUM", misc="SpaceAfter=No"),
                row("2", ".", ".", "PUNCT", head="1", deprel="punct"),
                "",
                "# text = Три.",
                row("1", "Три", "три", "NUM", misc="SpaceAfter=No"),
                row("2", ".", ".", "PUNCT", head="1", deprel="punct"),
                "",
                "# newdoc",
                "# text = Четыре",
                row("1", "Четыре", "четыре", "NUM"),
                "",
                "# newdoc",
                "# title = Заголовок",
                "# text = Пять",
                row("1", "Пять", "пять", "NUM"),
                "",
            ]
        ),
    )
    docs = read(path)
    assert [d.name for d in docs] == ["first", "sample-2", "Заголовок"]
    assert docs[0].meta == {
        "conllu_newdoc": "first",
        "conllu_newdoc_line": "newdoc id = first",
        "conllu_paragraphs": True,
    }
    first, second = docs[0].paragraphs
    assert first.text == "Раз." and first.line == 1
    assert second.text == "Два. Три." and second.line == 7
    assert second.sentences == [(0, 4), (5, 9)]
    assert second.tokens == [(0, 3), (3, 4), (5, 8), (8, 9)]
    assert second.meta["conllu_newpar"] == "p2"
    assert [a.start for a in second.annotations] == [0, 3, 5, 8]
    assert docs[2].meta == {
        "title": "Заголовок",
        "conllu_newdoc_line": "newdoc",
        "conllu_paragraphs": False,
    }
    # the title names the document and stays a comment of its sentence (written back)
    assert docs[2].paragraphs[0].meta["conllu"][0]["comments"] == {"title": "Заголовок"}


def test_sentences_before_first_newpar_form_a_paragraph(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                row("1", "А", "а", "CCONJ"),
                "",
                row("1", "Б", "б", "NOUN"),
                "",
                "# newpar",
                row("1", "В", "в", "ADP"),
                "",
                row("1", "Г", "г", "NOUN"),
                "",
            ]
        ),
    )
    (doc,) = read(path)
    assert doc.name == "sample"
    assert [p.text for p in doc.paragraphs] == ["А Б", "В Г"]
    assert [p.line for p in doc.paragraphs] == [1, 5]


def test_multiword_token_is_one_token_with_one_annotation_per_word(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                "# text = Оттого ушёл.",
                "1-2\tОттого\t_\t_\t_\t_\t_\t_\t_\t_",
                row("1", "От", "от", "ADP", head="2", deprel="case"),
                row("2", "того", "то", "PRON", feats="Case=Gen|Number=Sing", head="3"),
                row("3", "ушёл", "уйти", "VERB", misc="SpaceAfter=No"),
                row("4", ".", ".", "PUNCT", head="3", deprel="punct"),
                "",
            ]
        ),
    )
    (doc,) = read(path)
    (paragraph,) = doc.paragraphs
    assert paragraph.text == "Оттого ушёл."
    assert paragraph.tokens == [(0, 6), (7, 11), (11, 12)]
    first, second, third, _ = paragraph.annotations
    assert (first.start, first.end, second.start, second.end) == (0, 6, 0, 6)
    assert first.label == "ADP" and second.label == "PRON"
    assert first.attrs["word"] == "От" and second.attrs["word"] == "того"
    assert first.attrs["mwt"] == second.attrs["mwt"] == "1-2"
    assert second.attrs["feats"] == "Case=Gen|Number=Sing"
    assert "mwt" not in third.attrs and paragraph.text[third.start : third.end] == "ушёл"


def test_multiword_token_without_text_comment_uses_range_spacing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                "1-2\tОттого\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No",
                row("1", "От", "от", "ADP", misc="SpaceAfter=No"),
                row("2", "того", "то", "PRON"),
                row("3", "!", "!", "PUNCT"),
                "",
            ]
        ),
    )
    (paragraph,) = read(path)[0].paragraphs
    assert paragraph.text == "Оттого!"
    assert paragraph.meta["conllu"][0]["mwt_misc"] == {"1-2": "SpaceAfter=No"}


def test_empty_nodes_add_nothing_to_the_text(tmp_path: Path) -> None:
    empty = "2.1\tлюблю\tлюбить\tVERB\t_\t_\t_\t_\t0:root\tCopyOf=2"
    path = write(
        tmp_path,
        "\n".join(
            [
                "# text = Я люблю чай, ты кофе.",
                row("1", "Я", "я", "PRON", head="2", deprel="nsubj"),
                row("2", "люблю", "любить", "VERB"),
                empty,
                row("3", "чай", "чай", "NOUN", head="2", deprel="obj", misc="SpaceAfter=No"),
                row("4", ",", ",", "PUNCT", head="5", deprel="punct"),
                row("5", "ты", "ты", "PRON", head="2", deprel="conj"),
                row("6", "кофе", "кофе", "NOUN", head="5", deprel="orphan", misc="SpaceAfter=No"),
                row("7", ".", ".", "PUNCT", head="2", deprel="punct"),
                "",
            ]
        ),
    )
    (paragraph,) = read(path)[0].paragraphs
    assert paragraph.text == "Я люблю чай, ты кофе."
    assert len(paragraph.annotations) == 7 and len(paragraph.tokens or []) == 7
    assert [a.label for a in paragraph.annotations].count("VERB") == 1
    assert paragraph.meta["conllu"][0]["empty_nodes"] == [empty]


def test_space_after_no_rebuilds_text_without_text_comment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                "# sent_id = s1",
                row("1", "«", "«", "PUNCT", misc="SpaceAfter=No"),
                row("2", "Привет", "привет", "INTJ", misc="SpaceAfter=No"),
                row("3", "»", "»", "PUNCT"),
                row("4", "—", "—", "PUNCT"),
                row("5", "сказал", "сказать", "VERB", misc="SpaceAfter=No|Foo=Bar"),
                row("6", ".", ".", "PUNCT", misc="SpaceAfter=No"),
                "",
            ]
        ),
    )
    (paragraph,) = read(path)[0].paragraphs
    assert paragraph.text == "«Привет» — сказал."
    assert [paragraph.text[s:e] for s, e in paragraph.tokens or []] == [
        "«",
        "Привет",
        "»",
        "—",
        "сказал",
        ".",
    ]
    assert paragraph.annotations[4].attrs["conllu"]["misc"] == "SpaceAfter=No|Foo=Bar"
    assert paragraph.meta["conllu"] == [{"sent_id": "s1", "comments": {}}]


def test_text_comment_spacing_is_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                "# text = Да,  были   люди",
                row("1", "Да", "да", "PART", misc="SpaceAfter=No"),
                row("2", ",", ",", "PUNCT"),
                row("3", "были", "быть", "AUX"),
                row("4", "люди", "человек", "NOUN"),
                "",
            ]
        ),
    )
    (paragraph,) = read(path)[0].paragraphs
    assert paragraph.text == "Да,  были   люди"
    assert paragraph.tokens == [(0, 2), (2, 3), (5, 9), (12, 16)]


def test_stress_marks_and_yo_are_kept_and_text_is_nfc(tmp_path: Path) -> None:
    decomposed_yo = "е\u0308"  # е + combining diaeresis: NFC makes it ё
    stressed = "мо\u0301ре"  # no precomposed Cyrillic о with acute: NFC keeps U+0301
    path = write(
        tmp_path,
        "\n".join(
            [
                f"# text = {decomposed_yo}лка у {stressed}",
                row("1", f"{decomposed_yo}лка", "ёлка", "NOUN"),
                row("2", "у", "у", "ADP"),
                row("3", stressed, "море", "NOUN"),
                "",
                row("1", f"{decomposed_yo}ж", "ёж", "NOUN"),
                "",
            ]
        ),
    )
    first, second = read(path)[0].paragraphs
    assert first.text == "ёлка у мо\u0301ре"
    assert unicodedata.is_normalized("NFC", first.text) and "\u0301" in first.text
    assert [first.text[s:e] for s, e in first.tokens or []] == ["ёлка", "у", "мо\u0301ре"]
    assert first.tokens == [(0, 4), (5, 6), (7, 12)]
    assert second.text == "ёж"  # rebuilt (no "# text"), NFC too


def test_unknown_upos_gets_no_annotation_and_leaves_layer_in_progress(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                row("1", "Что", "что", "PRON"),
                row("2", "это", "_", "_"),
                "",
                row("1", "Всё", "_", "DET"),
                "",
                row("1", "Да", "да", "PART"),
                "",
            ]
        ),
    )
    first, second, third = read(path)[0].paragraphs
    assert [a.label for a in first.annotations] == ["PRON"]
    assert first.tokens == [(0, 3), (4, 7)]
    assert first.status["lexical"].state == "in_progress"
    assert second.status["lexical"].state == "in_progress"  # LEMMA "_"
    assert third.status["lexical"].state == "done"
    assert third.status["lexical"].annotator == "gold"


def test_bom_and_explicit_encoding(tmp_path: Path) -> None:
    body = "# text = Привет\n" + row("1", "Привет", "привет", "INTJ") + "\n\n"
    bom = tmp_path / "bom.conllu"
    bom.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    assert read(bom)[0].paragraphs[0].text == "Привет"
    legacy = tmp_path / "legacy.conllu"
    legacy.write_bytes(body.encode("cp1251"))
    (doc,) = read(legacy, encoding="cp1251")
    assert doc.paragraphs[0].text == "Привет" and doc.encoding == "cp1251"


def test_documents_are_streamed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                "# newdoc id = good",
                row("1", "Раз", "раз", "NUM"),
                "",
                "# newdoc id = bad",
                row("1", "Два", "два", "NOPE"),
                "",
            ]
        ),
    )
    documents = ConlluImporter().read(path, ImportOptions())
    assert next(documents).name == "good"  # yielded before the bad line is read
    with pytest.raises(InputError) as excinfo:
        next(documents)
    assert excinfo.value.line == 5


def test_plugin_registers_the_importer() -> None:
    manager = pluggy.PluginManager("layerkit")
    manager.add_hookspecs(layerkit.plugin.specs)
    manager.register(layerkit_conllu)
    found: list[Importer] = []
    manager.hook.register_importers(register=found.append)
    (importer,) = found
    assert isinstance(importer, Importer) and isinstance(importer, ConlluImporter)
    assert importer.name == "conllu" and importer.extensions == (".conllu",)
    assert importer.description


# --- malformed input ----------------------------------------------------------------------

GOOD = row("1", "Слово", "слово", "NOUN")


@pytest.mark.parametrize(
    ("lines", "line", "words"),
    [
        pytest.param(
            [GOOD, "", "# text = x", "1\tx\tx\tX\t_\t_\t0\troot\t_"], 4, "9", id="nine-columns"
        ),
        pytest.param([GOOD, "2    Два    два    NUM    _"], 2, "found 1", id="spaces-not-tabs"),
        pytest.param([GOOD, "", row("1", "Раз") + "\textra"], 3, "found 11", id="eleven-columns"),
        pytest.param([row("one", "Раз")], 1, "invalid ID 'one'", id="bad-id"),
        pytest.param([row("0", "Раз")], 1, "invalid ID '0'", id="zero-id"),
        pytest.param([row("1.", "Раз")], 1, "invalid ID", id="bad-decimal-id"),
        pytest.param([GOOD, row("3", "Три")], 2, "expected 2", id="id-gap"),
        pytest.param([GOOD, row("2", "")], 2, "FORM is empty", id="empty-form"),
        pytest.param([GOOD, row("2", "Два", "два", "NOPE")], 2, "UPOS 'NOPE'", id="bad-upos"),
        pytest.param([row("1", "Раз", "раз", "noun")], 1, "UPOS 'noun'", id="lowercase-upos"),
        pytest.param(
            [GOOD, row("2", "Два", "два", "NUM", feats="Case:Nom")],
            2,
            "FEATS 'Case:Nom'",
            id="bad-feats",
        ),
        pytest.param(
            [row("1", "Раз", "раз", "NUM", feats="Case=Nom||Number=Sing")],
            1,
            "FEATS",
            id="empty-feature",
        ),
        pytest.param([row("1", "Раз", head="x")], 1, "HEAD 'x'", id="bad-head"),
        pytest.param(
            ["1-3\tОттого\t_\t_\t_\t_\t_\t_\t_\t_", row("1", "От"), row("2", "того")],
            1,
            "runs past",
            id="range-past-end",
        ),
        pytest.param(
            ["# text = Кошка спит", row("1", "Собака"), row("2", "спит")],
            1,
            "'Собака'",
            id="text-mismatch",
        ),
        pytest.param([GOOD, "", "# text = Слово лишнее", GOOD], 3, "'лишнее'", id="text-longer"),
        pytest.param([GOOD, "", "# sent_id = orphan"], 3, "no token lines", id="comment-only"),
    ],
)
def test_malformed_input_names_the_line(
    tmp_path: Path, lines: list[str], line: int, words: str
) -> None:
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(InputError) as excinfo:
        read(path)
    error = excinfo.value
    assert error.line == line
    assert f"line {line}:" in str(error) and str(path) in str(error)
    assert words in str(error)
    assert error.hint


@pytest.mark.parametrize("content", ["", "\n\n  \n"], ids=["empty", "blank-lines"])
def test_file_without_sentences_is_an_error(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(InputError, match="no sentences") as excinfo:
        read(path)
    assert excinfo.value.hint


def test_non_utf8_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cp1251.conllu"
    utf8_part = "\n".join([GOOD, "", "# sent_id = s2", ""])
    cp1251_part = "\n".join(["# text = Привет", row("1", "Привет", "привет", "INTJ"), ""])
    path.write_bytes(utf8_part.encode("utf-8") + cp1251_part.encode("cp1251"))
    with pytest.raises(InputError) as excinfo:
        read(path)
    assert excinfo.value.line == 4  # the first cp1251-encoded line
    assert "line 4:" in str(excinfo.value) and "UTF-8" in excinfo.value.hint


def test_missing_file_and_unknown_encoding(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        read(tmp_path / "nope.conllu")
    with pytest.raises(InputError, match="unknown encoding"):
        read(write(tmp_path, GOOD + "\n"), encoding="no-such-codec")


def test_importing_segmented_files_does_not_load_spacy(tmp_path: Path) -> None:
    """A CoNLL-U file brings its sentences and tokens: `layerkit import` must not load spaCy
    (and with it thinc, and torch where installed: 2 s of the import of a 1 MB treebank file)
    just to segment nothing. A text file still is segmented."""
    import subprocess
    import sys

    from conftest import SHARED

    probe = (
        "import sys\n"
        "from layerkit.cli import main\n"
        "code = main(['--db', sys.argv[1], 'import', sys.argv[2]])\n"
        "print('CODE', code, 'SPACY', 'spacy' in sys.modules)\n"
    )
    src = SHARED / "data" / "ud" / "ru_taiga-ud-dev.conllu"
    text = tmp_path / "t.txt"
    text.write_text("Мама мыла раму. Папа читал газету.\n", encoding="utf-8")
    seen = []
    for path in (src, text):
        db = tmp_path / f"{path.stem}.db"
        result = subprocess.run(
            [sys.executable, "-c", probe, str(db), str(path)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        seen.append(result.stdout.strip().splitlines()[-1])
    assert seen == ["CODE 0 SPACY False", "CODE 0 SPACY True"]


def test_a_second_document_with_the_same_text_is_said_with_the_one_kept(tmp_path: Path) -> None:
    """Two CoNLL-U documents of one sentence: the second was skipped as a count ("1 already in
    this import"), its gold analyses gone without a word."""
    import os
    import subprocess
    import sys

    sentence = ["# text = Мама спит.", row("1", "Мама", "мама", "NOUN"), row("2", "спит", "спать", "VERB"), row("3", ".", ".", "PUNCT"), ""]  # fmt: skip
    path = write(tmp_path, "\n".join(["# newdoc id = X", *sentence, "# newdoc id = Y", *sentence]))
    env = dict(os.environ, COLUMNS="300")

    def lk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "layerkit", "--db", str(tmp_path / "lk.db"), *args],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip

    assert lk("init").returncode == 0
    done = lk("import", str(path))
    assert done.returncode == 0, done.stderr
    assert "'Y' has the same text as 'X', which is already in this import; its 3 annotation(s)" in (
        " ".join(done.stderr.split())
    )
