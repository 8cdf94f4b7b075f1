"""Import through the real plugins into a real store: checks, flags, idempotence, offsets."""

from __future__ import annotations

import itertools
import json
import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerkit.errors import InputError
from layerkit.ingest import import_paths
from layerkit.project import Project
from layerkit.store import Store


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.load(str(tmp_path / "lk.db"))


@pytest.fixture
def store(project: Project):
    with project.open_store(create=True) as s:
        yield s


def _jsonl(path: Path, *records: dict) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def test_text_survives_byte_for_byte(project: Project, store: Store, tmp_path: Path) -> None:
    text = "Сло\u0301во «ёлка» — по\u00adлу\u00adчи\u00adлось 👍🏽 и 🇷🇺; e\u0301 и ё."
    src = tmp_path / "u.txt"
    src.write_text(text + "\n\n" + "Второй.", encoding="utf-8")
    import_paths(project, store, [src])
    stored = [p.text for p in store.iter_paragraphs()]
    assert stored[0] == unicodedata.normalize("NFC", text)
    assert stored[0].encode("utf-8") == unicodedata.normalize("NFC", text).encode("utf-8")
    par = next(store.iter_paragraphs())
    words = [par.text[s:e] for s, e in par.tokens]
    assert "Сло\u0301во" in words and "👍🏽" in "".join(words)


def test_decomposed_text_is_stored_nfc(project: Project, store: Store, tmp_path: Path) -> None:
    src = tmp_path / "nfd.txt"
    src.write_text("Е\u0308ж и е\u0308лка.", encoding="utf-8")
    import_paths(project, store, [src])
    assert next(store.iter_paragraphs()).text == "Ёж и ёлка."


def test_flags_are_stored_and_exported(project: Project, store: Store, tmp_path: Path) -> None:
    src = tmp_path / "ocr.txt"
    src.write_text(
        "Обычный абзац на русском языке без проблем.\n\n"
        "Kak Halitn cebst 8 Mupe, korga Bce Bokpyr MeHrenoTcr?\n\n"
        "В этом абзаце слово мoлоко написано с латинской буквой.",
        encoding="utf-8",
    )
    report = import_paths(project, store, [src])
    assert sum(report.files[0].flags.values()) == 2
    flags = {p.position: [f["code"] for f in p.flags] for p in store.iter_paragraphs()}
    assert flags[0] == []
    assert flags[1] == ["latin_lookalike"]
    assert flags[2] == ["mixed_script"]
    assert store.summary().flagged == 2
    out = tmp_path / "out.jsonl"
    project.export("jsonl", store, out)
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [f["code"] for f in exported[4]["flags"]] == ["mixed_script"]


def test_one_transaction_for_the_whole_command(
    project: Project, store: Store, tmp_path: Path
) -> None:
    good = tmp_path / "a.txt"
    good.write_text("Хороший файл.", encoding="utf-8")
    bad = _jsonl(
        tmp_path / "b.jsonl",
        {"text": "Хороший абзац."},
        {
            "text": "Плохая разметка.",
            "annotations": [
                {
                    "layer": "semantic",
                    "kind": "span",
                    "field": "frame",
                    "label": "HERO",
                    "start": 0,
                    "end": 6,
                }
            ],
        },
    )
    with pytest.raises(InputError) as info:
        import_paths(project, store, [good, bad])
    assert "b.jsonl, line 2" in info.value.message and "HERO" in info.value.message
    assert store.summary().documents == 0
    assert store.events() == []


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"text": "Текст.", "tokens": [[0, 3], [2, 5]]}, "out of order"),
        ({"text": "Текст.", "tokens": [[0, 30]], "sentences": [[0, 6]]}, "outside the text"),
        ({"text": "Е\u0308ж.", "tokens": [[0, 3]], "sentences": [[0, 3]]}, "not in Unicode NFC"),
        ({"text": "   "}, "no text"),
        ({"text": "Абзац.", "status": {"semantic": {"state": "finished"}}}, "unknown status"),
        (
            {
                "text": "Абзац.",
                "annotations": [
                    {
                        "id": 1,
                        "layer": "semantic",
                        "kind": "span",
                        "field": "frame",
                        "label": "AGENT",
                        "start": 0,
                        "end": 2,
                    },
                    {
                        "id": 1,
                        "layer": "semantic",
                        "kind": "span",
                        "field": "frame",
                        "label": "AGENT",
                        "start": 0,
                        "end": 2,
                    },
                ],
            },
            "used twice",
        ),
        (
            {
                "text": "Абзац.",
                "annotations": [
                    {
                        "layer": "semantic",
                        "kind": "relation",
                        "field": "role",
                        "label": "AGENT",
                        "source": 5,
                        "target": 6,
                    },
                ],
            },
            "source",
        ),
        ({"text": "Абзац.", "colour": "red"}, "unknown paragraph keys"),
        ({"txt": "Абзац."}, "unknown paragraph keys"),
        ({"text": 5}, "needs a 'text' string"),
        ({"text": "Абзац.", "index": -5}, "'index' must be"),
        ({"text": "Абзац.", "annotations": [{"layer": "semantic"}]}, "annotation"),
    ],
)
def test_bad_jsonl_paragraphs(
    project: Project, store: Store, tmp_path: Path, record: dict, problem: str
) -> None:
    _assert_refused(project, store, tmp_path, record, problem)


def _assert_refused(
    project: Project, store: Store, tmp_path: Path, record: dict, problem: str
) -> None:
    """A JSONL file whose second paragraph is ``record``: refused, saying ``problem`` and the
    line, and nothing imported (the good first paragraph neither)."""
    path = _jsonl(tmp_path / "bad.jsonl", {"text": "Первый абзац."}, record)
    with pytest.raises(InputError) as info:
        import_paths(project, store, [path])
    assert problem in info.value.message, info.value.message
    assert "line 2" in info.value.message
    assert info.value.hint  # (several refusals had none: title, message and hint, always)
    assert store.summary().paragraphs == 0


def test_jsonl_header_from_the_future(project: Project, store: Store, tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "f.jsonl", {"type": "header", "format": "layerkit-jsonl", "version": 99}
    )
    with pytest.raises(InputError, match="newer"):
        import_paths(project, store, [path])


def test_folder_import_skips_readme_and_hidden(
    project: Project, store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "README.md").write_text("# О корпусе", encoding="utf-8")
    (folder / ".hidden.txt").write_text("Скрытый.", encoding="utf-8")
    (folder / "a.txt").write_text("Первый.", encoding="utf-8")
    (folder / "sub" / "b.md").write_text("# Заголовок\n\nВторой.", encoding="utf-8")
    (folder / "image.png").write_bytes(b"\x89PNG")
    report = import_paths(project, store, [folder])
    assert [f.path.name for f in report.files] == ["a.txt", "b.md"]
    assert {p.name for p in report.skipped_files} == {"README.md", "image.png"}
    assert store.summary().paragraphs == 3


def test_same_paragraph_in_two_documents(project: Project, store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Общий абзац.\n\nТолько в А.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Только в Б.\n\nОбщий абзац.", encoding="utf-8")
    report = import_paths(project, store, [tmp_path / "a.txt", tmp_path / "b.txt"])
    assert report.total("duplicates") == 1
    pars = list(store.iter_paragraphs())
    dup = [p for p in pars if p.duplicate_of_id]
    assert [p.text for p in dup] == ["Общий абзац."]
    assert dup[0].duplicate_of_id == pars[0].id


def test_same_content_other_encoding_is_idempotent(
    project: Project, store: Store, tmp_path: Path
) -> None:
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю.\n\nВторой абзац про чай."
    (tmp_path / "u8.txt").write_text(text, encoding="utf-8")
    (tmp_path / "w.txt").write_bytes(text.encode("cp1251"))
    import_paths(project, store, [tmp_path / "u8.txt"])
    report = import_paths(project, store, [tmp_path / "w.txt"])
    assert report.files[0].documents_skipped == 1
    assert store.summary().documents == 1


def _inside(text: str) -> list[int]:
    from layerkit.schema.registry import cuts_a_character

    return [i for i in range(len(text) + 1) if cuts_a_character(text, i)]


PIECES = st.sampled_from(
    list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЁЯ")
    + list(" .,!?«»—-")
    + ["\u0301", "\u00ad", "😀", "👍🏽", "e\u0301", "Z", "\u200d", "е\u0308"]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.lists(PIECES, min_size=1, max_size=60).map("".join),
    cuts=st.lists(st.integers(min_value=0, max_value=200), min_size=2, max_size=8),
)
def test_offsets_survive_the_round_trip(tmp_path_factory, body: str, cuts: list[int]) -> None:
    text = unicodedata.normalize("NFC", "Я" + body + ".")
    # (a cut inside what reads as one character, 👍 | 🏽, is refused: tested apart)
    points = sorted({c % (len(text) + 1) for c in cuts} - set(_inside(text)))
    spans = [(a, b) for a, b in itertools.pairwise(points) if b > a]
    annotations = [
        {
            "id": i + 1,
            "layer": "semantic",
            "kind": "span",
            "field": "frame",
            "label": "THEME",
            "start": a,
            "end": b,
        }
        for i, (a, b) in enumerate(spans)
    ]
    folder = tmp_path_factory.mktemp("rt")
    project = Project.load(str(folder / "lk.db"))
    src = _jsonl(folder / "in.jsonl", {"text": text, "annotations": annotations})
    with project.open_store(create=True) as store:
        import_paths(project, store, [src])
        out = folder / "out.jsonl"
        project.export("jsonl", store, out)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    par = records[-1]
    assert par["text"] == text
    got = sorted((a["start"], a["end"]) for a in par["annotations"])
    assert got == sorted(spans)
    for a in par["annotations"]:
        assert par["text"][a["start"] : a["end"]] == text[a["start"] : a["end"]]
    for s, e in par["tokens"]:
        assert 0 <= s < e <= len(text)


def _morph(start: int, end: int, **attrs: str) -> dict:
    return {
        "layer": "lexical",
        "kind": "token",
        "field": "morph",
        "label": "NOUN",
        "start": start,
        "end": end,
        "attrs": {"lemma": "кот", **attrs},
    }


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        # a sentence boundary through a word: "спит" was lost from the CoNLL-U export
        (
            {"text": "Кот спит. Пёс лает.", "sentences": [[0, 6], [6, 19]]},
            "not inside one sentence",
        ),
        # sentences that leave words out: "Пёс лает." vanished from the export
        ({"text": "Кот спит. Пёс лает.", "sentences": [[0, 9]]}, "not inside one sentence"),
        ({"text": "Кот спит.", "sentences": [], "tokens": []}, "has no tokens"),
        # a token holding a tab or a line break, or a space at its end
        (
            {"text": "Кот\tспит\nтут.", "sentences": [[0, 13]], "tokens": [[0, 8], [9, 12]]},
            "holds a tab or a line break",
        ),
        (
            {"text": "Кот спит.", "sentences": [[0, 9]], "tokens": [[0, 4], [4, 8], [8, 9]]},
            "starts or ends with a space",
        ),
        # a boundary between a letter and its stress mark: the CoNLL-U FORM began with U+0301
        (
            {"text": "за\u0301мок", "sentences": [[0, 6]], "tokens": [[0, 2], [2, 6]]},
            "cuts a letter from its combining mark",
        ),
        # offsets written as JSON booleans
        ({"text": "Кот спит.", "tokens": [[False, True]], "sentences": [[0, 9]]}, "pairs"),
        # analyses a CoNLL-U export cannot write
        ({"text": "Кот спит.", "annotations": [_morph(0, 3, lemma="к\nот")]}, "line break"),
        ({"text": "Кот спит.", "annotations": [_morph(0, 3, lemma="к\tот")]}, "a tab"),
        ({"text": "Кот спит.", "annotations": [_morph(0, 3, feats="Case")]}, "FEATS 'Case'"),
        # an analysis on no token: stored, but never exported
        ({"text": "Кот спит.", "annotations": [_morph(1, 3)]}, "not one of the paragraph's"),
        # who made it, and how sure: as docs/formats.md gives them
        ({"text": "Кот спит.", "annotations": [{**_morph(0, 3), "origin": "robot"}]}, "origin"),
        (
            {"text": "Кот спит.", "annotations": [{**_morph(0, 3), "confidence": 7}]},
            "confidence 7",
        ),
        (
            {"text": "Кот спит.", "annotations": [{**_morph(0, 3), "start": False}]},
            "integer 'start'",
        ),
        (
            {"text": "Кот.", "flags": [{"code": "ocr", "message": "?", "spans": [[0, 99]]}]},
            "inside the text",
        ),
        # a private copy nobody is assigned: stored, and shown or counted nowhere
        (
            {
                "text": "Кот спит.",
                "annotations": [
                    {
                        "layer": "semantic@anna",
                        "kind": "span",
                        "field": "frame",
                        "label": "AGENT",
                        "start": 0,
                        "end": 3,
                    }
                ],
            },
            "does not assign anna",
        ),
        ({"text": "Кот спит.", "index": -5}, "'index'"),
        ({"text": "Кот спит.", "index": "zero"}, "'index'"),
    ],
)
def test_segmentations_and_analyses_an_export_cannot_write_are_refused(
    project: Project, store: Store, tmp_path: Path, record: dict, problem: str
) -> None:
    """What the JSONL importer accepted and the CoNLL-U export then wrote broken, or lost."""
    _assert_refused(project, store, tmp_path, record, problem)


def test_good_analyses_and_segmentations_still_import(
    project: Project, store: Store, tmp_path: Path
) -> None:
    path = _jsonl(
        tmp_path / "good.jsonl",
        {
            "text": "Кот спит. Пёс лает.",
            "sentences": [[0, 9], [10, 19]],
            "tokens": [[0, 3], [4, 8], [8, 9], [10, 13], [14, 18], [18, 19]],
            "annotations": [
                _morph(0, 3, feats="Animacy=Anim|Case=Nom"),
                {**_morph(10, 13), "origin": "model:tagger@1", "confidence": 0.5},
                {**_morph(4, 8), "origin": "adjudicated"},
            ],
            "flags": [{"code": "ocr", "message": "?", "spans": [[0, 3]]}],
            "index": 0,
        },
    )
    import_paths(project, store, [path])
    assert store.summary().paragraphs == 1


def test_the_same_content_twice_in_one_import_is_not_another_runs(
    project: Project, store: Store, tmp_path: Path
) -> None:
    """Two files alike in one import: the second is skipped as already in this import, not
    reported as "being imported by another run right now" (there was none)."""
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Кошка спит.\n", encoding="utf-8")
    report = import_paths(project, store, [tmp_path / "a.txt", tmp_path / "b.txt"])
    first, second = report.files
    assert first.documents_added == 1
    assert second.documents_skipped == second.documents_repeated == 1
    assert second.documents_importing_elsewhere == 0
    again = import_paths(project, store, [tmp_path / "a.txt"])
    assert again.files[0].documents_skipped == 1 and again.files[0].documents_repeated == 0


def test_utf16_files_are_read_or_named(project: Project, store: Store, tmp_path: Path) -> None:
    """What Windows tools save as "Unicode": JSON Lines in UTF-16 or UTF-32 (with the byte
    order mark) are read; a UTF-16 or UTF-32 CoNLL-U file is named as such, with the command
    that converts it (it was "not valid utf-8 at byte 1")."""
    jsonl = tmp_path / "u16.jsonl"
    jsonl.write_bytes('{"text": "Кот спит."}\n'.encode("utf-16"))
    # UTF-32's mark starts with UTF-16's: a file of it was read as UTF-16 (and refused)
    (tmp_path / "u32.jsonl").write_bytes('{"text": "Пёс лает."}\n'.encode("utf-32"))
    import_paths(project, store, [jsonl, tmp_path / "u32.jsonl"])
    assert [p.text for p in store.iter_paragraphs()] == ["Кот спит.", "Пёс лает."]
    for codec in ("utf-16", "utf-32"):
        conllu = tmp_path / f"{codec}.conllu"
        conllu.write_bytes("# text = Кот.\n1\tКот\t_\t_\t_\t_\t0\troot\t_\t_\n\n".encode(codec))
        with pytest.raises(InputError) as info:
            import_paths(project, store, [conllu])
        name = codec.upper()
        assert f"is {name}" in info.value.message and f"iconv -f {name}" in info.value.hint
    assert store.summary().paragraphs == 2


def test_paragraphs_of_no_document_may_stand_between_documents(
    project: Project, store: Store, tmp_path: Path
) -> None:
    """docs/formats.md: a paragraph without ``document`` belongs to a document named after the
    file, and a bare ``{"text": ...}`` line is a paragraph. After a document line such a
    paragraph was refused ("paragraph of document None has no document line before it")."""
    path = _jsonl(
        tmp_path / "mixed.jsonl",
        {"type": "document", "key": "k1", "name": "first"},
        {"type": "paragraph", "document": "k1", "text": "Первый абзац."},
        {"text": "Без документа."},
        {"type": "document", "key": "k2", "name": "second"},
        {"type": "paragraph", "text": "Ещё без документа."},
        {"type": "paragraph", "document": "k2", "text": "Второй абзац."},
    )
    import_paths(project, store, [path])
    by_document = {
        document.name: [p.text for p in store.iter_paragraphs(document.id)]
        for document in store.documents()
    }
    assert by_document == {
        "first": ["Первый абзац."],
        "second": ["Второй абзац."],
        "mixed": ["Без документа.", "Ещё без документа."],
    }


def test_file_names_that_are_not_utf8_are_imported_under_a_readable_name(
    project: Project, store: Store, tmp_path: Path
) -> None:
    """A file name that is not UTF-8 (a zip made on Windows) failed the whole import:
    "UnicodeEncodeError: surrogates not allowed" (the store cannot keep the name Python gives).
    Read in a Russian code page where that gives letters, else with escapes; said in a note."""
    folder = tmp_path / "zip"
    folder.mkdir()
    cp1251 = os.fsdecode(folder).encode() + b"/" + "Мама.txt".encode("cp1251")
    odd = os.fsdecode(folder).encode() + b"/x\x98\xfey.txt"  # (no letters in either)
    for raw, text in ((cp1251, "Мама мыла раму."), (odd, "Папа читал газету.")):
        with open(raw, "wb") as handle:
            handle.write(text.encode("utf-8"))
    report = import_paths(project, store, [folder])
    names = sorted(d.name for d in store.documents())
    assert names == ["x\\x98\\xfey", "Мама"]
    notes = [n for f in report.files for n in f.notes]
    assert any("read as 'Мама'" in n for n in notes) and any("x\\\\x98\\\\xfey" in n for n in notes)


def test_a_pipe_or_device_named_to_import_is_refused(
    project: Project, store: Store, tmp_path: Path
) -> None:
    """A named pipe given by name waited for a writer for good, /dev/zero filled the memory."""
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    device = tmp_path / "zero.txt"
    device.symlink_to("/dev/zero")
    for path in (pipe, device):
        with pytest.raises(InputError, match="not a regular file"):
            import_paths(project, store, [path])
    assert list(store.documents()) == []
