"""The built-in .txt / .md importer (plugins/layerkit_text)."""

from __future__ import annotations

from pathlib import Path

import layerkit_text
import pluggy
import pytest
from layerkit_text import TextImporter

import layerkit.plugin.specs
from layerkit.drafts import DocumentDraft, ImportOptions
from layerkit.errors import InputError
from layerkit.plugin.types import Importer


def read(path: Path, encoding: str | None = None) -> DocumentDraft:
    docs = list(TextImporter().read(path, ImportOptions(encoding=encoding)))
    assert len(docs) == 1
    return docs[0]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def texts(doc: DocumentDraft) -> list[str]:
    return [p.text for p in doc.paragraphs]


# --- plugin ------------------------------------------------------------------------------------


def test_registered_through_the_hook() -> None:
    pm = pluggy.PluginManager("layerkit")
    pm.add_hookspecs(layerkit.plugin.specs)
    pm.register(layerkit_text)
    found: list[Importer] = []
    pm.hook.register_importers(register=found.append)
    assert len(found) == 1
    importer = found[0]
    assert isinstance(importer, Importer)
    assert importer.name == "text"
    assert importer.extensions == (".txt", ".md", ".markdown")
    assert importer.description


# --- plain text --------------------------------------------------------------------------------

PLAIN = (
    "  Первый абзац, первая строка.\n"
    "Вторая строка   с  пробелами внутри.\n"
    "\n"
    " \t \n"
    "Второй абзац.\n"
    "\n"
    "\n"
    "Третий абзац: моло\u0301ко, бес\u00adпре\u00adцедент\u00adный, 🎉.  \n"
)


def test_txt_paragraphs_and_lines(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "essay-01.txt", PLAIN))
    assert doc.name == "essay-01"
    assert doc.source == str(tmp_path / "essay-01.txt")
    assert doc.format == "text"
    assert doc.encoding == "utf-8"
    assert doc.notes == []
    assert texts(doc) == [
        "Первый абзац, первая строка.\nВторая строка   с  пробелами внутри.",
        "Второй абзац.",
        "Третий абзац: моло\u0301ко, бес\u00adпре\u00adцедент\u00adный, 🎉.",
    ]
    assert [p.line for p in doc.paragraphs] == [1, 5, 8]
    assert all(p.meta == {} for p in doc.paragraphs)


def test_txt_crlf_and_no_trailing_newline(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "a.txt", "Раз.\r\nДва.\r\n\r\nТри."))
    assert texts(doc) == ["Раз.\nДва.", "Три."]
    assert [p.line for p in doc.paragraphs] == [1, 4]


def test_txt_in_cp1251_gets_a_note(tmp_path: Path) -> None:
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю.\n\nВторой абзац здесь."
    doc = read(write(tmp_path, "old.txt", text, "cp1251"))
    assert doc.encoding == "cp1251"
    assert "decoded as cp1251" in doc.notes
    assert texts(doc) == [
        "Съешь же ещё этих мягких французских булок, да выпей чаю.",
        "Второй абзац здесь.",
    ]


def test_explicit_encoding_option(tmp_path: Path) -> None:
    text = "Привет, мир! Как найти себя в этом мире?"
    path = write(tmp_path, "k.txt", text, "koi8_r")
    assert texts(read(path)) == [text]
    assert read(path, encoding="koi8-r").encoding == "koi8-r"
    # an encoding that turns the text into garbage is refused, naming the one that reads
    with pytest.raises(InputError, match="reads as Russian in koi8-r"):
        read(path, encoding="cp1251")


def test_mojibake_is_repaired_and_noted(tmp_path: Path) -> None:
    garbled = "Можно ли это исправить?".encode().decode("cp1251")
    garbled2 = "Ещё как.".encode().decode("cp1251")
    text = f"Нормальный абзац.\n\n{garbled}\n\n{garbled2}\n"
    doc = read(write(tmp_path, "moj.txt", text))
    assert texts(doc) == ["Нормальный абзац.", "Можно ли это исправить?", "Ещё как."]
    assert [p.meta.get("repaired") for p in doc.paragraphs] == [None, "mojibake", "mojibake"]
    notes = [n for n in doc.notes if "mojibake" in n]
    assert notes == [
        "repaired mojibake in 2 paragraphs (UTF-8 text that had been decoded as another code page)"
    ]


def test_no_quality_flags_or_tokens_here(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "f.txt", "Купи мoлоко.\n"))
    paragraph = doc.paragraphs[0]
    assert paragraph.flags == []
    assert paragraph.tokens is None
    assert paragraph.sentences is None


@pytest.mark.parametrize("name", ["empty.txt", "empty.md"])
def test_empty_file_is_an_error(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, "")
    with pytest.raises(InputError) as info:
        read(path)
    assert str(path) in str(info.value)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "missing.txt")


# --- markdown ----------------------------------------------------------------------------------

MARKDOWN = """\
---
title: Эссе
tags: [a, b]
---
# Заголовок первого уровня #

Обычный абзац,
в две строки с *выделением*.

Заголовок второго уровня
------------------------

- первый пункт
- второй пункт
  с продолжением
  1. вложенный

```python
print("код")
```

    отступ — тоже код

> Цитата
> в две строки.

<div>html</div>

### Третий уровень
1. раз
2. два
"""


def test_markdown_blocks(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "essay.md", MARKDOWN))
    assert doc.format == "markdown"
    assert doc.name == "essay"
    got = [(p.text, p.meta, p.line) for p in doc.paragraphs]
    assert got == [
        ("Заголовок первого уровня", {"markdown": "heading", "level": 1}, 5),
        ("Обычный абзац,\nв две строки с *выделением*.", {}, 7),
        ("Заголовок второго уровня", {"markdown": "heading", "level": 2}, 10),
        (
            "- первый пункт\n- второй пункт\n  с продолжением\n  1. вложенный",
            {"markdown": "list"},
            13,
        ),
        ("> Цитата\n> в две строки.", {"markdown": "quote"}, 24),
        ("Третий уровень", {"markdown": "heading", "level": 3}, 29),
        ("1. раз\n2. два", {"markdown": "list"}, 30),
    ]
    assert "skipped YAML front matter (lines 1-4)" in doc.notes
    assert "skipped 2 code blocks" in doc.notes
    assert "skipped 1 HTML block" in doc.notes
    assert not any("print" in t or "title" in t for t in texts(doc))


def test_markdown_extension_variants(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "README.markdown", "Просто абзац.\n"))
    assert doc.format == "markdown"
    assert texts(doc) == ["Просто абзац."]


def test_dashes_not_at_the_start_are_not_front_matter(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "hr.md", "Текст.\n\n---\n\nЕщё текст.\n"))
    assert texts(doc) == ["Текст.", "Ещё текст."]
    assert [p.line for p in doc.paragraphs] == [1, 5]
    assert doc.notes == []


def test_markdown_with_only_code_has_no_text(tmp_path: Path) -> None:
    path = write(tmp_path, "code.md", "```\nprint(1)\n```\n")
    with pytest.raises(InputError, match="no text found") as info:
        read(path)
    assert str(path) in str(info.value)


def test_txt_is_not_parsed_as_markdown(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "notes.txt", "# не заголовок\n- и не список\n"))
    assert texts(doc) == ["# не заголовок\n- и не список"]
    assert doc.paragraphs[0].meta == {}


# --- a paragraph far too long to annotate ------------------------------------------------------


def test_a_huge_paragraph_is_split_at_sentences_with_a_warning(tmp_path: Path) -> None:
    sentences = [f"Это предложение номер {i}, и в нём есть за\u0301мок." for i in range(1_500)]
    head = "Первый абзац обычный."
    body = " ".join(sentences)
    doc = read(write(tmp_path, "one-line.md", f"{head}\n\n{body}\n\nПоследний абзац.\n"))
    pars = doc.paragraphs
    assert pars[0].text == head and pars[-1].text == "Последний абзац."
    parts = pars[1:-1]
    assert len(parts) == len(body) // 2_000 + 1
    # nothing lost, nothing changed: the parts are the paragraph less the spaces between them
    assert " ".join(p.text for p in parts) == body
    for k, part in enumerate(parts, 1):
        assert part.meta["part"] == f"{k}/{len(parts)}" and part.line == 3
        assert len(part.text) <= 2_000
        assert part.sentences is not None and part.tokens is not None
        assert part.sentences[0][0] == 0 and part.sentences[-1][1] == len(part.text)
        assert part.text.endswith(".")  # ends where a sentence ends
        words = [part.text[a:b] for a, b in part.tokens]
        assert words == part.text.replace(",", " ,").replace(".", " .").split()
    assert len(doc.warnings) == 1
    assert doc.warnings[0].startswith(f"line 3: a paragraph of {len(body):,} characters")
    assert f"into {len(parts)} paragraphs" in doc.warnings[0]


def test_markdown_footnotes_are_paragraphs_and_link_definitions_are_reported(
    tmp_path: Path,
) -> None:
    """CommonMark shows nothing of ``[label]: target`` lines: a footnote's text (``[^1]:``) is
    prose and becomes a paragraph where it stands; a link target is reported as skipped."""
    source = (
        "Текст со ссылкой [сюда][site] и сноской[^1].\n\n"
        "[site]: http://example.com\n"
        "[^1]: Сноска.\n\n"  # one word: CommonMark's link reference definition
        "Последний абзац.\n\n"
        "[^длинная]: Сноска в несколько слов\nи строк.\n"  # more: CommonMark's paragraph
    )
    doc = read(write(tmp_path, "notes.md", source))
    assert [(p.text, p.meta, p.line) for p in doc.paragraphs] == [
        ("Текст со ссылкой [сюда][site] и сноской[^1].", {}, 1),
        ("Сноска.", {"markdown": "footnote", "label": "1"}, 4),
        ("Последний абзац.", {}, 6),
        ("Сноска в несколько слов\nи строк.", {"markdown": "footnote", "label": "длинная"}, 8),
    ]
    assert "skipped 1 link reference definition" in doc.notes
