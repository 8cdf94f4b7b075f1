"""CoNLL-U export of the lexical layer: lossless for imported treebanks, valid UD for any text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED

from layerkit.ingest import import_paths
from layerkit.plugin import ExportReport
from layerkit.project import Project

UD = SHARED / "data" / "ud"
UDVALIDATE = Path(sys.executable).parent / "udvalidate"


def _validate(path: Path, level: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(UDVALIDATE), "--lang", "ru", "--level", str(level), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _token_lines(path: Path) -> list[str]:
    return [
        line for line in path.read_text(encoding="utf-8").splitlines() if line and line[0].isdigit()
    ]


def _round_trip(project: Project, sources: list[Path], out: Path) -> ExportReport:
    """Import ``sources`` into a new store and export its lexical layer as CoNLL-U to ``out``."""
    with project.open_store(create=True) as store:
        import_paths(project, store, sources)
        return project.export("conllu", store, out)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.load(str(tmp_path / "lk.db"))


def test_treebank_round_trip_is_lossless_and_valid(project: Project, tmp_path: Path) -> None:
    source = UD / "ru_taiga-ud-dev.conllu"
    out = tmp_path / "out.conllu"
    report = _round_trip(project, [source], out)
    assert _token_lines(out) == _token_lines(source)
    assert report.counts["tokens"] == report.counts["analysed"] > 15_000
    result = _validate(out, 2)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_plain_text_exports_valid_conllu(project: Project, tmp_path: Path) -> None:
    src = tmp_path / "t.txt"
    src.write_text(
        "Сло\u0301во «ёлка» — по-видимому, 5,5 % 😀.\nВторая строка того же абзаца!\n\n"
        "Новый абзац. Два предложения?",
        encoding="utf-8",
    )
    out = tmp_path / "t.conllu"
    report = _round_trip(project, [src], out)
    text = out.read_text(encoding="utf-8")
    assert "# newpar" in text and "# text = Сло\u0301во «ёлка» — по-видимому, 5,5 % 😀." in text
    assert report.counts["analysed"] == 0 and report.notes  # says to run preannotate
    result = _validate(out, 1)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_failed_export_leaves_no_file(project: Project, tmp_path: Path) -> None:
    with project.open_store(create=True) as store:
        target = tmp_path / "missing-dir" / "x.conllu"
        with pytest.raises(Exception, match="does not exist"):
            project.export("conllu", store, target)
    assert not target.exists()
    assert list(tmp_path.glob("**/.x.conllu.*")) == []


def test_an_analysis_conllu_cannot_hold_stops_the_export_and_writes_nothing(
    project: Project, tmp_path: Path
) -> None:
    """A lemma with a line break (stored before the importers refused such values, or by a
    plugin through the store) made a file that no CoNLL-U reader parses: now the export says
    which paragraph and word, and writes nothing."""
    from layerkit.plugin import ExportError

    src = tmp_path / "t.txt"
    src.write_text("Кот спит.\n", encoding="utf-8")
    out = tmp_path / "t.conllu"
    with project.open_store(create=True) as store:
        import_paths(project, store, [src])
        paragraph = next(store.iter_paragraphs())
        assert paragraph.id is not None
        start, end = paragraph.tokens[0]
        store.create_annotation(
            paragraph_id=paragraph.id,
            layer="lexical",
            kind="token",
            field="morph",
            annotator="anna",
            label="NOUN",
            start=start,
            end=end,
            attrs={"lemma": "к\nот", "feats": "_"},
        )
        with pytest.raises(ExportError) as info:
            project.export("conllu", store, out)
    assert "LEMMA 'к\\nот'" in info.value.message and "paragraph 1" in info.value.message
    assert not out.exists()


def test_empty_nodes_and_paragraph_ids_survive_the_round_trip(
    project: Project, tmp_path: Path
) -> None:
    """Enhanced dependencies' empty nodes (2.1) and `# newpar id = ...` were dropped on the
    way out (the importer kept them): the file comes back byte for byte."""
    source = tmp_path / "en.conllu"
    source.write_text(
        "# newdoc id = d1\n# newpar id = p-1\n# sent_id = s1\n# text = Я иду домой.\n"
        "1\tЯ\tя\tPRON\t_\tCase=Nom\t2\tnsubj\t2:nsubj\t_\n"
        "2\tиду\tидти\tVERB\t_\t_\t0\troot\t0:root\t_\n"
        "2.1\tиду\tидти\tVERB\t_\t_\t_\t_\t0:root\t_\n"
        "3\tдомой\tдомой\tADV\t_\t_\t2\tadvmod\t2.1:advmod\tSpaceAfter=No\n"
        "4\t.\t.\tPUNCT\t_\t_\t2\tpunct\t2:punct\t_\n\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.conllu"
    _round_trip(project, [source], out)
    assert out.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")


def test_what_stands_between_sentences_survives_the_round_trip(
    project: Project, tmp_path: Path
) -> None:
    """A no-break space, a CR LF or a line separator between two sentences of a paragraph came
    back as one space (the importer joined sentences by one): every offset after a CR LF moved,
    and two paragraphs became one text. The last token of the sentence now says it with
    ``SpacesAfter`` (UD's escapes), which the importer reads; the file stays valid."""
    import json

    texts = [
        "Ёлка на холме.\xa0Ёлка стоит.",
        "Первая строка.\r\nВторая ёлка.",
        "Раз.\u2028Два.",
        # inside a sentence too: '# text' holds them as spaces, SpacesAfter as they are
        "Мама\xa0мыла\u2028раму.",
        "Папа\fспал\x85долго.",
    ]
    src = tmp_path / "p.jsonl"
    lines = [{"type": "document", "name": "d"}]
    lines += [{"type": "paragraph", "document": "d", "text": t} for t in texts]
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    out = tmp_path / "p.conllu"
    _round_trip(project, [src], out)
    written = out.read_text(encoding="utf-8")
    assert "SpacesAfter=\\u00A0" in written and "SpacesAfter=\\r\\n" in written
    assert _validate(out, 1).returncode == 0
    again = Project.load(str(tmp_path / "again.db"))
    with again.open_store(create=True) as store:
        import_paths(again, store, [out])
        back = [p.text for p in store.iter_paragraphs()]
    assert back == texts


UNTAGGED = (
    "# sent_id = s1\n# text = Дом стоит подо мной.\n"
    "1\tДом\t_\t_\tNN\t_\t2\tnsubj\t2:nsubj\tTranslit=dom\n"
    "2\tстоит\t_\t_\tVBC\t_\t0\troot\t0:root\t_\n"
    "3-4\tподо\t_\t_\t_\t_\t_\t_\t_\tTranslit=podo\n"
    "3\tпод\tпод\tADP\tIN\t_\t5\tcase\t5:case\t_\n"
    "4\tо\t_\t_\tXX\t_\t5\tfixed\t5:fixed\t_\n"
    "5\tмной\t_\t_\tPRP\t_\t2\tobl\t2:obl\tSpaceAfter=No\n"
    "6\t.\t_\t_\t.\t_\t2\tpunct\t2:punct\t_\n\n"
)


def test_a_treebank_without_morphology_keeps_its_trees(project: Project, tmp_path: Path) -> None:
    """Tokens without UPOS got no annotation, and with it their XPOS, HEAD, DEPREL, DEPS and
    MISC were dropped on import (a parsed treebank without morphology lost its trees, and a
    multiword token its words). They are written back as read, and kept once `preannotate`
    gives the tokens an analysis."""
    from layerkit_ru_morph.preannotator import LexicalPreannotator

    from layerkit.preannotate import preannotate

    source = tmp_path / "trees.conllu"
    source.write_text(UNTAGGED, encoding="utf-8")
    out = tmp_path / "out.conllu"
    with project.open_store(create=True) as store:
        import_paths(project, store, [source])
        project.export("conllu", store, out)
        assert _token_lines(out) == _token_lines(source)
        assert _validate(out, 1).returncode == 0
        preannotate(project, store, LexicalPreannotator(kind="rules"))
        tagged = tmp_path / "tagged.conllu"
        report = project.export("conllu", store, tagged)
    # (it said to run preannotate, which had just run and cannot fill them)
    assert report.notes == [
        "1 words of multiword tokens have no lexical analysis (written as '_'): pre-annotation "
        "analyses whole tokens, not their words; `layerkit tag` on the CoNLL-U file analyses "
        "them."
    ]
    rows = [line.split("\t") for line in _token_lines(tagged)]
    before = [line.split("\t") for line in _token_lines(source)]
    assert [r[0] for r in rows] == [b[0] for b in before]  # the multiword token stays
    for row, was in zip(rows, before, strict=True):
        assert row[4] == was[4] and row[6:] == was[6:]  # XPOS, HEAD, DEPREL, DEPS, MISC
    # the one-word tokens have their analysis now (the model's); the multiword token's two
    # words, given one analysis for the surface token, stay as read
    assert [r[3] for r in rows if "-" not in r[0]][:2] == ["NOUN", "VERB"]
    assert (rows[3][3], rows[4][3]) == ("ADP", "_") and rows[5][3] == "PRON"


def test_spacing_that_is_not_one_space_is_said_in_misc(project: Project, tmp_path: Path) -> None:
    """A no-break space or two spaces between words of a text were only in '# text': a reader
    that rebuilds the text from FORM and MISC (as UD allows) got one plain space."""
    import conllu

    src = tmp_path / "nb.txt"
    text = "Летит\xa0над городом  и 5\u202f000 рублей."
    src.write_text(text + "\n", encoding="utf-8")
    out = tmp_path / "nb.conllu"
    _round_trip(project, [src], out)
    written = out.read_text(encoding="utf-8")
    assert "SpacesAfter=\\u00A0" in written and "SpacesAfter=\\u202F" in written
    assert "SpacesAfter=\\s\\s" in written
    assert _validate(out, 1).returncode == 0
    # what FORM and MISC spell, '# text' left out
    from layerkit.conllu_format import read_spaces_after

    rebuilt = ""
    for token in conllu.parse(written)[0]:
        misc = token["misc"] or {}
        gap = read_spaces_after(misc.get("SpacesAfter"))
        rebuilt += token["form"] + (
            gap if gap is not None else "" if misc.get("SpaceAfter") == "No" else " "
        )
    assert rebuilt.rstrip(" ") == text


def test_a_multiword_tokens_own_misc_survives(project: Project, tmp_path: Path) -> None:
    """The range line's MISC (the importer keeps it) came back as '_'."""
    source = tmp_path / "mwt.conllu"
    source.write_text(
        "# sent_id = s1\n# text = Подо мной.\n"
        "1-2\tПодо\t_\t_\t_\t_\t_\t_\t_\tTranslit=podo\n"
        "1\tПод\tпод\tADP\t_\t_\t3\tcase\t_\t_\n"
        "2\tо\tо\tADP\t_\t_\t3\tfixed\t_\t_\n"
        "3\tмной\tя\tPRON\t_\t_\t0\troot\t_\tSpaceAfter=No\n"
        "4\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_\n\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.conllu"
    _round_trip(project, [source], out)
    assert _token_lines(out) == _token_lines(source)


def _row(i: int, form: str, lemma: str, upos: str, head: int, rel: str, misc: str = "_") -> str:
    return f"{i}\t{form}\t{lemma}\t{upos}\t_\t_\t{head}\t{rel}\t_\t{misc}"


def test_documents_and_paragraphs_are_marked_as_the_file_marked_them(
    project: Project, tmp_path: Path
) -> None:
    """A file without ``# newpar`` got one before every sentence, which the UD validator
    refuses after a sentence ending in SpaceAfter=No (89 times in Taiga-extra); a bare
    ``# newdoc`` became ``# newdoc id = <title>`` and the title was lost; comments came back in
    CoNLL-U's order, not the file's."""
    source = tmp_path / "social.conllu"
    source.write_text(
        "\n".join(
            [
                "# newdoc",
                "# title = instagram-2019",
                "# sent_id = s1",
                "# speaker = anna",
                "# text = Привет)",
                _row(1, "Привет", "привет", "INTJ", 0, "root", "SpaceAfter=No"),
                _row(2, ")", ")", "SYM", 1, "discourse", "SpaceAfter=No"),
                "",
                "# sent_id = s2",
                "# text = Как дела?",
                _row(1, "Как", "как", "ADV", 0, "root"),
                _row(2, "дела", "дело", "NOUN", 1, "nsubj", "SpaceAfter=No"),
                _row(3, "?", "?", "PUNCT", 1, "punct"),
                "",
                "",
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.conllu"
    _round_trip(project, [source], out)
    assert out.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")
    result = _validate(out, 2)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_a_file_without_paragraph_marks_exports_valid_and_a_second_document_is_marked(
    project: Project, tmp_path: Path
) -> None:
    lines = (UD / "ru_taiga-extra-train.conllu").read_text(encoding="utf-8").split("\n\n")
    first, second = tmp_path / "one.conllu", tmp_path / "two.conllu"
    first.write_text("\n\n".join(lines[:300]) + "\n\n", encoding="utf-8")
    second.write_text("\n\n".join(lines[300:320]) + "\n\n", encoding="utf-8")
    out = tmp_path / "out.conllu"
    _round_trip(project, [first, second], out)
    written = out.read_text(encoding="utf-8")
    assert "# newpar" not in written
    # the file had no '# newdoc'; the second document needs one to be read back as one
    assert written.count("# newdoc") == 1 and "# newdoc id = two" in written
    result = _validate(out, 2)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
