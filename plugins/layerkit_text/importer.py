"""The built-in importer of plain text (``.txt``) and Markdown (``.md``) files.

One file is one document. Plain text is split into paragraphs at blank lines; Markdown is
parsed with markdown-it-py (CommonMark) so that headings, lists, quotes and footnotes each
become one paragraph, while code, HTML, front matter and link reference definitions, which are
not prose to annotate, are skipped with a note. Paragraph text is taken from the source lines,
so what annotators see is what the file says (list markers and quote marks included), and
``line`` points back to it.

Quality flags and tokens are not computed here: the ingest step does that for every importer.
The exception is a paragraph far longer than anyone annotates (see :func:`split_long`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from layerkit.drafts import DocumentDraft, ImportOptions, ParagraphDraft
from layerkit.errors import InputError
from layerkit.textio import is_utf8_name, read_text, repair_mojibake

_MARKDOWN_SUFFIXES = (".md", ".markdown")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def split_plain(text: str) -> list[ParagraphDraft]:
    """Paragraphs of plain text: runs of lines separated by whitespace-only lines.

    Each paragraph keeps its internal text exactly; only the whitespace around it is stripped.
    """
    paragraphs: list[ParagraphDraft] = []
    block: list[str] = []
    start = 0
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            paragraphs.append(ParagraphDraft(text="\n".join(block).strip(), line=start))
            block = []
    return paragraphs


def _strip_front_matter(lines: list[str]) -> int:
    """Blank out a leading ``---`` YAML block in place; return how many lines it had.

    The lines are replaced by empty ones rather than removed, so that markdown-it's line
    numbers still match the file's.
    """
    if not lines or lines[0].rstrip() != "---":
        return 0
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            for i in range(end + 1):
                lines[i] = ""
            return end + 1
    return 0


def _source_paragraph(
    lines: list[str], begin: int, end: int, meta: dict[str, Any]
) -> ParagraphDraft | None:
    """Source lines ``begin:end`` as one paragraph, blank lines around it dropped."""
    while begin < end and not lines[begin].strip():
        begin += 1
    while end > begin and not lines[end - 1].strip():
        end -= 1
    if begin >= end:
        return None
    return ParagraphDraft(text="\n".join(lines[begin:end]).strip(), meta=meta, line=begin + 1)


def split_markdown(text: str) -> tuple[list[ParagraphDraft], list[str]]:
    """Paragraphs of a Markdown document, and notes about what was skipped.

    Top-level blocks only: a whole list or quote is one paragraph (nested blocks included), so
    it can be annotated as the unit the author wrote.
    """
    from markdown_it import MarkdownIt

    lines = text.split("\n")
    notes: list[str] = []
    front = _strip_front_matter(lines)
    if front:
        notes.append(f"skipped YAML front matter (lines 1-{front})")
    env: dict[str, Any] = {}
    tokens = MarkdownIt("commonmark").parse("\n".join(lines), env)

    paragraphs: list[ParagraphDraft] = []
    code = html = 0
    for i, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1 or token.map is None:
            continue
        begin, end = token.map
        paragraph: ParagraphDraft | None = None
        if token.type == "heading_open":
            inline = tokens[i + 1]
            content = inline.content.strip()
            if content:
                paragraph = ParagraphDraft(
                    text=content,
                    meta={"markdown": "heading", "level": int(token.tag[1:])},
                    line=begin + 1,
                )
        elif token.type == "paragraph_open":
            paragraph = _source_paragraph(lines, begin, end, {})
            if paragraph is not None:
                paragraph = _as_footnote(paragraph) or paragraph
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            paragraph = _source_paragraph(lines, begin, end, {"markdown": "list"})
        elif token.type == "blockquote_open":
            paragraph = _source_paragraph(lines, begin, end, {"markdown": "quote"})
        elif token.type in ("fence", "code_block"):
            code += 1
        elif token.type == "html_block":
            html += 1
        if paragraph is not None:
            paragraphs.append(paragraph)
    links = 0
    for reference in env.get("references", {}).values():
        # CommonMark reads ``[label]: target`` as a link reference definition and shows
        # nothing of it; ``[^label]: text`` is the footnote most Markdown writers mean, whose
        # text is prose: it becomes a paragraph where it stands, the other kind is reported.
        source = _source_paragraph(lines, *reference["map"], {})
        footnote = _as_footnote(source) if source is not None else None
        if footnote is not None:
            paragraphs.append(footnote)
        else:
            links += 1
    paragraphs.sort(key=lambda paragraph: paragraph.line or 0)
    if code:
        notes.append(f"skipped {_plural(code, 'code block')}")
    if html:
        notes.append(f"skipped {_plural(html, 'HTML block')}")
    if links:
        notes.append(f"skipped {_plural(links, 'link reference definition')}")
    return paragraphs, notes


# ``[^label]: text``: a footnote as most Markdown writers write one (not CommonMark's)
_FOOTNOTE = re.compile(r"\[\^(?P<label>[^\]\s]+)\]:\s*(?P<text>.*)", re.DOTALL)


def _as_footnote(source: ParagraphDraft) -> ParagraphDraft | None:
    """``source`` as a footnote paragraph, its text without the ``[^label]:`` that starts it;
    None if it is not a footnote with text. CommonMark reads a one-word footnote as a link
    reference definition and a longer one as a paragraph; both are the same footnote to the
    person who wrote it."""
    found = _FOOTNOTE.match(source.text)
    if found is None or not found["text"].strip():
        return None
    return ParagraphDraft(
        text=found["text"].strip(),
        meta={"markdown": "footnote", "label": found["label"]},
        line=source.line,
    )


def split_long(paragraphs: list[ParagraphDraft]) -> tuple[list[ParagraphDraft], list[str]]:
    """Paragraphs longer than ``LONG_PARAGRAPH`` (20,000) characters split into paragraphs of
    about ``PART_CHARS`` (2,000) characters at sentence boundaries, and a warning for each.

    A "paragraph" that long is text whose line breaks were lost (a whole book on one line, a
    transcript, a dump), not a unit that anyone annotates: kept whole it would be one screen
    an annotator cannot take in, too long for any training record, and slow for every layer.
    Split at sentence ends it reads like the paragraphs around it. A sentence longer than a
    part (text without punctuation) is cut between tokens. No character changes: each part
    is the text from its first token to its last, and only the whitespace between parts is
    left out. Parts keep the original paragraph's meta, plus ``part`` ("3/1400"), and the
    line they start on; their sentences and tokens are computed here, in bounded memory
    (``layerkit.nlp.segment``), so ingest does not segment them again.
    """
    from layerkit.nlp.segment import LONG_PARAGRAPH, PART_CHARS, segment, split_paragraph

    out: list[ParagraphDraft] = []
    warnings: list[str] = []
    for par in paragraphs:
        if len(par.text) <= LONG_PARAGRAPH:
            out.append(par)
            continue
        text = unicodedata.normalize("NFC", par.text)  # what ingest would store; offsets into it
        seg = segment(text)
        line = par.line or 1
        previous = 0
        parts: list[ParagraphDraft] = []
        for part in split_paragraph(seg, PART_CHARS):
            a, b = part.tokens[0][0], part.tokens[-1][1]
            line += text.count("\n", previous, a)
            previous = a
            parts.append(
                ParagraphDraft(
                    text=text[a:b],
                    meta=dict(par.meta),
                    line=line,
                    sentences=[(s - a, e - a) for s, e in part.sentences],
                    tokens=[(s - a, e - a) for s, e in part.tokens],
                )
            )
        for k, draft in enumerate(parts, 1):
            draft.meta["part"] = f"{k}/{len(parts)}"
        out.extend(parts)
        longest = max((e - s for s, e in seg.sentences), default=0)
        del seg
        detail = (
            f"; sentences longer than {PART_CHARS:,} characters (the longest has {longest:,}) "
            "were cut between words"
            if longest > PART_CHARS
            else ""
        )
        warnings.append(
            f"line {par.line or 1}: a paragraph of {len(text):,} characters (more than "
            f"{LONG_PARAGRAPH:,}, far longer than anyone annotates) was split at sentence "
            f"boundaries into {len(parts):,} paragraphs of up to about "
            f"{PART_CHARS:,} characters{detail}; no character was changed"
        )
    return out, warnings


class TextImporter:
    """Reads ``.txt`` and ``.md`` files, one document per file."""

    name = "text"
    extensions: tuple[str, ...] = (".txt", ".md", ".markdown")
    description = (
        "Plain text (.txt, paragraphs separated by blank lines) and Markdown (.md: headings, "
        "paragraphs, lists and quotes; code and HTML skipped)"
    )

    def read(self, path: Path, options: ImportOptions) -> Iterator[DocumentDraft]:
        """Yield the one document of ``path``.

        :raises InputError: the file cannot be read or decoded, or has no text in it.
        """
        path = Path(path)
        decoded = read_text(path, options.encoding)
        notes: list[str] = []
        if not is_utf8_name(decoded.encoding):
            notes.append(f"decoded as {decoded.encoding}")
        markdown = path.suffix.lower() in _MARKDOWN_SUFFIXES
        if markdown:
            paragraphs, skipped = split_markdown(decoded.text)
            notes.extend(skipped)
        else:
            paragraphs = split_plain(decoded.text)
        if not paragraphs:
            raise InputError(
                "no text found" + (" (only code, HTML or front matter)" if markdown else ""),
                path=path,
                hint="Check that you picked the right file.",
            )

        repaired = 0
        for paragraph in paragraphs:
            fixed = repair_mojibake(paragraph.text)
            if fixed is not None:
                paragraph.text = fixed
                paragraph.meta["repaired"] = "mojibake"
                repaired += 1
        if repaired:
            notes.append(
                f"repaired mojibake in {_plural(repaired, 'paragraph')} "
                "(UTF-8 text that had been decoded as another code page)"
            )

        paragraphs, warnings = split_long(paragraphs)
        yield DocumentDraft(
            name=path.stem,
            source=str(path),
            format="markdown" if markdown else "text",
            paragraphs=paragraphs,
            encoding=decoded.encoding,
            notes=notes,
            warnings=warnings,
        )
