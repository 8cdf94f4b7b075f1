"""Import CoNLL-U files (Universal Dependencies) as gold lexical annotation.

Why this importer looks the way it does:

* **Parsing vs. validating.** Columns are parsed by the ``conllu`` library, but that library is
  lenient (it reads a run of two spaces as a column separator, accepts lines with too few columns,
  stores any string as UPOS) and, when it does fail, cannot say on which line of the file. So the
  file is split into sentence blocks here, every token line is checked first (10 tab-separated
  columns, a valid ID, FORM, UPOS, FEATS and HEAD, word IDs in sequence) and only then is the
  block handed to :func:`conllu.parse_token_and_metadata`. Every problem becomes an
  :class:`~layerkit.errors.InputError` carrying the 1-based line number.
* **Streaming.** Files are read line by line, and a document is yielded as soon as its last
  sentence is read (at the next ``# newdoc`` or at the end of the file); only the current
  document is held in memory.
* **Text.** A sentence's text is ``# text`` when present: it keeps the original spacing (double
  spaces, line-break stand-ins in poetry) that ``SpaceAfter=No`` cannot express. The surface forms
  must spell it in order with nothing but whitespace between them; offsets come from that match.
  Without ``# text`` the text is rebuilt from the forms and ``SpaceAfter=No``. Everything is NFC;
  stress marks (U+0301) and ё are kept as they are. A paragraph's text is its sentences' texts
  joined by one space, or by what a sentence's last token's ``SpacesAfter`` says follows it
  (``\n``, ``\u00a0``: the CoNLL-U exporter writes it where the stored text has another gap).
* **Multiword tokens** (``1-2  во  ...`` followed by words ``1 в`` and ``2 о``): the surface form
  is one *token* (its span in the text), and each syntactic word gets its own lexical annotation
  with that same span, plus ``attrs["word"]`` (the word's FORM) and ``attrs["mwt"]`` (the range,
  e.g. ``"1-2"``). The words' forms are not part of the text.
* **Empty nodes** (``5.1``) have no surface form: they add no text, token or annotation, and are
  kept verbatim in the sentence's meta (``empty_nodes``) for an exporter.
* **Documents and paragraphs.** ``# newdoc`` (also ``# newdoc id = X`` and the non-standard
  ``# newdoc_id = X`` found in some Taiga releases) starts a document named after its id, else its
  ``# title``, else ``<file stem>-<n>`` (just ``<file stem>`` when the file holds one document).
  Paragraph breaks are decided per document, when it is complete: a document with ``# newpar``
  comments is split at them (a document start also starts a paragraph); a document without any
  (GSD has none; neither has a 357-sentence poetry document of Taiga) gets one paragraph per
  sentence, because one paragraph of hundreds of unrelated sentences is useless to annotate.
* **Round trip.** Per word, the XPOS, HEAD, DEPREL, DEPS and MISC columns that are not ``_`` are
  kept verbatim in ``attrs["conllu"]`` (with the word's ``id``), and per sentence its ``sent_id``
  and other comments in ``ParagraphDraft.meta["conllu"]``, so an exporter can write them back.
  A token with a word whose UPOS is ``_`` gets no annotation (the lexical schema requires a
  label): its words, with every column that is not ``_``, are kept in the sentence's meta
  (``untagged``, by the token's place in the sentence), which the exporter writes back, and
  whose XPOS, HEAD, DEPREL, DEPS and MISC it still writes once a person or a model gives the
  token an analysis (``layerkit preannotate`` on a treebank without morphology keeps its
  trees). Such a token, like a word with LEMMA ``_`` (except ``goeswith`` parts, which UD leaves
  without a lemma), leaves the paragraph's lexical layer ``in_progress`` instead of ``done``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import conllu
from conllu.exceptions import ParseException

from layerkit.conllu_format import (
    COLUMNS,
    UPOS_TAGS,
    WORD_IDS_HINT,
    Block,
    WordIds,
    blocks,
    check_columns,
    comment_key,
    is_comment,
    read_lines,
    read_spaces_after,
    resolve_encoding,
)
from layerkit.drafts import (
    AnnotationDraft,
    DocumentDraft,
    ImportOptions,
    LayerStatusDraft,
    ParagraphDraft,
    Span,
)
from layerkit.errors import InputError

__all__ = ["UPOS_TAGS", "ConlluImporter"]

# Comments that describe structure (rebuilt from the drafts' grouping) rather than a sentence.
_NEWDOC_KEYS = ("newdoc id", "newdoc_id", "newdoc")  # id-bearing forms first
_NEWPAR_KEYS = ("newpar id", "newpar_id", "newpar")
_STRUCTURAL_KEYS = frozenset({"sent_id", "text", *_NEWDOC_KEYS, *_NEWPAR_KEYS})


@dataclass
class _Sentence:
    """One parsed sentence, offsets relative to its own text, waiting for paragraph grouping."""

    text: str
    tokens: list[Span]
    annotations: list[AnnotationDraft]
    meta: dict[str, Any]
    line: int
    complete: bool
    newdoc_id: str | None = None
    #: the ``# newdoc`` comment as the file wrote it (``newdoc``, ``newdoc id = X``,
    #: ``newdoc = X``), None where the sentence has none
    newdoc_line: str | None = None
    title: str | None = None
    newpar: bool = False
    newpar_id: str | None = None
    #: what stands between this sentence and the next in the paragraph (its last token's
    #: ``SpacesAfter``; None: one space)
    gap_after: str | None = None


@dataclass
class _Unit:
    """A surface token: a plain word or a multiword token with the words it stands for."""

    form: str
    space_after: bool
    line: int
    words: list[dict[str, Any]] = field(default_factory=list)
    mwt: str | None = None
    spaces_after: str | None = None  # MISC SpacesAfter, as written


class ConlluImporter:
    """Reads ``.conllu`` files into drafts with gold lexical annotation (see module docstring)."""

    name = "conllu"
    extensions: tuple[str, ...] = (".conllu",)
    description = (
        "CoNLL-U (Universal Dependencies): texts with gold lemma, UPOS and FEATS; documents and "
        "paragraphs from # newdoc / # newpar"
    )

    def read(self, path: Path, options: ImportOptions | None = None) -> Iterator[DocumentDraft]:
        """Yield one draft per document, each as soon as its last sentence has been read."""
        path = Path(path)
        encoding = resolve_encoding(path, options.encoding if options else None)
        return self._documents(path, encoding)

    def _documents(self, path: Path, encoding: str) -> Iterator[DocumentDraft]:
        current: list[_Sentence] = []
        count = 0
        for block in blocks(read_lines(path, encoding), path):
            starts_document = not current or any(
                is_comment(line) and comment_key(line) in _NEWDOC_KEYS for _, line in block.lines
            )
            if starts_document and current:
                count += 1
                yield _document(current, path, encoding, count, only=False)
                current = []
            current.append(_parse_sentence(block, path, document_start=starts_document))
        if not current:
            raise InputError(
                "the file contains no sentences",
                path=path,
                hint="A CoNLL-U file needs at least one sentence: token lines (10 tab-separated "
                "columns) ending with a blank line.",
            )
        count += 1
        yield _document(current, path, encoding, count, only=count == 1)


def _parse_sentence(block: Block, path: Path, *, document_start: bool) -> _Sentence:
    """Validate one block, parse it with the conllu library and lay its tokens over its text."""
    comment_lines: dict[str, int] = {}
    token_lines: list[tuple[int, list[str], str]] = []
    for number, line in block.lines:
        if is_comment(line):
            comment_lines.setdefault(comment_key(line), number)
        else:
            cols = line.split("\t")
            token_lines.append((number, cols, check_columns(cols, number, path)))

    try:
        parsed = conllu.parse_token_and_metadata(
            "\n".join(line for _, line in block.lines),
            metadata_parsers={"__fallback__": lambda key, value: (key, value)},
        )
    except ParseException as exc:  # pragma: no cover - the checks above should catch it first
        raise InputError(
            f"the sentence cannot be parsed: {exc}", path=path, line=block.first_line
        ) from None
    if len(parsed) != len(token_lines):  # pragma: no cover - guaranteed by the column checks
        raise InputError(
            "the sentence's token lines could not be read consistently",
            path=path,
            line=block.first_line,
        )

    metadata = {k: v for k, v in parsed.metadata.items() if k}
    columns = metadata.get("global.columns")
    if columns is not None and [c.upper() for c in str(columns).split()] != list(COLUMNS):
        raise InputError(
            f"CoNLL-U Plus columns {columns!r} are not supported",
            path=path,
            line=comment_lines.get("global.columns"),
            hint="Only the 10 standard CoNLL-U columns can be imported.",
        )

    units, empty_nodes, mwt_misc = _units(parsed, token_lines, path)
    text_comment = metadata.get("text")
    if text_comment is not None:
        text, spans = _match_text(str(text_comment), units, comment_lines["text"], path)
    else:
        text, spans = _rebuild_text(units, path, block.first_line)
    text, spans = _inner_gaps(text, spans, units)

    tokens: list[Span] = []
    annotations: list[AnnotationDraft] = []
    complete = True
    # the words of each token (by its place in the sentence) that has a word without UPOS:
    # they get no annotation (the lexical schema requires a label), so what they hold is kept
    # here for the exporter, until an annotation (a person's, a model's) gives the token one
    untagged: dict[str, list[dict[str, Any]]] = {}
    for index, (unit, (start, end)) in enumerate(zip(units, spans, strict=True)):
        tokens.append((start, end))
        if any(word["upos"] == "_" for word in unit.words):
            complete = False
            untagged[str(index)] = [_kept_word(word, unit.mwt) for word in unit.words]
            continue
        for word in unit.words:
            if not _has_lemma(word):
                complete = False
            attrs: dict[str, Any] = {"lemma": word["lemma"], "feats": word["feats"]}
            if unit.mwt is not None:
                attrs["word"] = word["form"]
                attrs["mwt"] = unit.mwt
            attrs["conllu"] = word["conllu"]
            annotations.append(
                AnnotationDraft(
                    layer="lexical",
                    kind="token",
                    field="morph",
                    start=start,
                    end=end,
                    label=word["upos"],
                    attrs=attrs,
                    annotator="gold",
                    origin="human",
                )
            )

    newdoc_key = next((k for k in _NEWDOC_KEYS if k in metadata), None)
    newpar_key = next((k for k in _NEWPAR_KEYS if k in metadata), None)
    title = metadata.get("title") if document_start else None
    # (a document's title names it, and stays a comment: it came back as its newdoc id)
    comments = {k: v for k, v in metadata.items() if k not in _STRUCTURAL_KEYS}
    sent_meta: dict[str, Any] = {"sent_id": metadata.get("sent_id"), "comments": comments}
    order = [_COMMENT_SLOTS.get(k, k) for k in metadata]
    if order != sorted(order, key=_canonical_place):
        sent_meta["order"] = order  # (an export writes them in this order, not CoNLL-U's)
    if empty_nodes:
        sent_meta["empty_nodes"] = empty_nodes
    if mwt_misc:
        sent_meta["mwt_misc"] = mwt_misc
    if untagged:
        sent_meta["untagged"] = untagged
    return _Sentence(
        text=text,
        tokens=tokens,
        annotations=annotations,
        meta=sent_meta,
        line=block.first_line,
        complete=complete,
        newdoc_id=_id_value(metadata, newdoc_key),
        newdoc_line=_comment_line(metadata, newdoc_key),
        title=str(title) if title is not None else None,
        newpar=newpar_key is not None,
        newpar_id=_id_value(metadata, newpar_key),
        gap_after=read_spaces_after(units[-1].spaces_after) if units else None,
    )


#: where the structural comments stand among a sentence's comments (their kinds by slot)
_COMMENT_SLOTS = {
    **dict.fromkeys(_NEWDOC_KEYS, "newdoc"),
    **dict.fromkeys(_NEWPAR_KEYS, "newpar"),
}
_CANONICAL = ("newdoc", "newpar", "sent_id", "text")


def _canonical_place(slot: str) -> int:
    """A comment's place in the order an export writes them without other word."""
    return _CANONICAL.index(slot) if slot in _CANONICAL else len(_CANONICAL)


def _comment_line(metadata: dict[str, Any], key: str | None) -> str | None:
    """The comment ``key`` as the file wrote it, without its ``#``; None where it has none."""
    if key is None:
        return None
    value = metadata.get(key)
    return key if value is None else f"{key} = {value}"


def _id_value(metadata: dict[str, Any], key: str | None) -> str | None:
    """The id of ``# newdoc id = X`` / ``# newpar id = X``; None for a bare ``# newdoc``."""
    if key is None or key in ("newdoc", "newpar"):
        return None
    value = metadata.get(key)
    return str(value) if value else None


def _nfc(value: str) -> str:
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def _units(
    parsed: conllu.TokenList, token_lines: list[tuple[int, list[str], str]], path: Path
) -> tuple[list[_Unit], list[str], dict[str, str]]:
    """Surface units of a sentence, checking that word IDs run 1, 2, 3... and ranges fit them."""
    units: list[_Unit] = []
    empty_nodes: list[str] = []
    mwt_misc: dict[str, str] = {}
    ids = WordIds()
    open_mwt: tuple[int, _Unit] | None = None  # (last word ID of the range, its unit)

    def fail(number: int, message: str) -> InputError:
        return InputError(message, path=path, line=number, hint=WORD_IDS_HINT)

    for token, (number, cols, kind) in zip(parsed, token_lines, strict=True):
        problem = ids.check(cols[0])
        if problem is not None:
            raise fail(number, problem)
        ident = token["id"]
        misc = token["misc"] or {}
        if kind == "empty":
            empty_nodes.append("\t".join(cols))
            continue
        if kind == "mwt":
            unit = _Unit(
                form=_nfc(token["form"]),
                space_after=misc.get("SpaceAfter") != "No",
                line=number,
                mwt=cols[0],
                spaces_after=misc.get("SpacesAfter"),
            )
            units.append(unit)
            open_mwt = (ident[2], unit)
            if cols[9] != "_":
                mwt_misc[cols[0]] = cols[9]
            continue
        word = _word(token, cols)
        if open_mwt is not None:
            open_mwt[1].words.append(word)
            if ident == open_mwt[0]:
                open_mwt = None
        else:
            units.append(
                _Unit(
                    form=word["form"],
                    space_after=misc.get("SpaceAfter") != "No",
                    line=number,
                    words=[word],
                    spaces_after=misc.get("SpacesAfter"),
                )
            )
    problem = ids.end()
    if problem is not None and open_mwt is not None:
        raise fail(open_mwt[1].line, problem)
    return units, empty_nodes, mwt_misc


def _has_lemma(word: dict[str, Any]) -> bool:
    """Whether the lemma is known. UD writes ``_`` for the trailing parts of a word split by
    ``goeswith`` (the lemma sits on the first part), and ``_`` is a real lemma of the form ``_``;
    neither makes gold data incomplete."""
    return word["lemma"] != "_" or word["form"] == "_" or word["conllu"].get("deprel") == "goeswith"


def _word(token: conllu.Token, cols: list[str]) -> dict[str, Any]:
    """The parts of one syntactic word that the lexical annotation keeps."""
    kept = {
        name: value
        for name, value in zip(
            ("xpos", "head", "deprel", "deps", "misc"), (cols[4], *cols[6:]), strict=True
        )
        if value != "_"
    }
    return {
        "form": _nfc(token["form"]),
        "lemma": _nfc(token["lemma"]),
        "upos": token["upos"],
        "feats": cols[5],
        "conllu": {"id": cols[0], **kept},
    }


def _kept_word(word: dict[str, Any], mwt: str | None) -> dict[str, Any]:
    """A word without an annotation as the sentence's meta keeps it (``untagged``): its
    columns that are not ``_``, and the range of its multiword token."""
    kept = {name: word[name] for name in ("lemma", "upos", "feats") if word[name] != "_"}
    if mwt is not None:
        kept.update(word=word["form"], mwt=mwt)
    return {**kept, "conllu": word["conllu"]}


def _inner_gaps(text: str, spans: list[Span], units: list[_Unit]) -> tuple[str, list[Span]]:
    """The whitespace a word's ``SpacesAfter`` gives put back between it and the next word,
    where the text has other whitespace there: a line separator or form feed inside a
    sentence, which '# text' (one line) holds as a space (layerkit's export writes them so)."""
    if not any(u.spaces_after for u in units[:-1]):
        return text, spans
    parts: list[str] = []
    out: list[Span] = []
    shift = 0
    pos = 0
    for index, (start, end) in enumerate(spans):
        out.append((start + shift, end + shift))
        if index + 1 == len(spans):
            break
        gap = text[end : spans[index + 1][0]]
        wanted = read_spaces_after(units[index].spaces_after)
        if wanted is not None and gap and gap.isspace() and wanted != gap:
            parts.append(text[pos:end])
            parts.append(wanted)
            pos = spans[index + 1][0]
            shift += len(wanted) - len(gap)
    parts.append(text[pos:])
    return "".join(parts), out


def _match_text(raw: str, units: list[_Unit], text_line: int, path: Path) -> tuple[str, list[Span]]:
    """Offsets of the forms in ``# text``; only whitespace may lie between them."""
    text = _nfc(raw)
    spans: list[Span] = []
    pos = 0
    hint = (
        "The forms of a sentence, in order, must spell its '# text' (only the spacing may "
        "differ). Fix the FORM column or the '# text' comment."
    )
    for unit in units:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if not text.startswith(unit.form, pos):
            found = text[pos : pos + len(unit.form) + 10]
            raise InputError(
                f"'# text' does not match the tokens: FORM {unit.form!r} (line {unit.line}) "
                f"expected at character {pos}, but the text has {found!r} there",
                path=path,
                line=text_line,
                hint=hint,
            )
        spans.append((pos, pos + len(unit.form)))
        pos += len(unit.form)
    if text[pos:].strip():
        raise InputError(
            f"'# text' continues with {text[pos:].strip()!r} after the last token",
            path=path,
            line=text_line,
            hint=hint,
        )
    return text, spans


def _rebuild_text(units: list[_Unit], path: Path, line: int) -> tuple[str, list[Span]]:
    """The sentence text from the forms and SpaceAfter=No, for sentences without ``# text``."""
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    for index, unit in enumerate(units):
        if index and units[index - 1].space_after:
            parts.append(" ")
            pos += 1
        parts.append(unit.form)
        spans.append((pos, pos + len(unit.form)))
        pos += len(unit.form)
    text = "".join(parts)
    if not unicodedata.is_normalized("NFC", text):
        raise InputError(
            "the forms joined together are not in NFC: a form starts with a combining mark "
            "that would merge with the previous one",
            path=path,
            line=line,
            hint="Add a '# text' comment or fix the forms.",
        )
    return text, spans


def _document(
    sentences: list[_Sentence], path: Path, encoding: str, index: int, *, only: bool
) -> DocumentDraft:
    """Assemble a finished document: paragraphs grouped by ``# newpar`` or one per sentence."""
    first = sentences[0]
    if first.newdoc_id:
        name = first.newdoc_id
    elif first.title:
        name = first.title
    elif only:
        name = path.stem
    else:
        name = f"{path.stem}-{index}"
    meta: dict[str, Any] = {}
    if first.newdoc_id:
        meta["conllu_newdoc"] = first.newdoc_id
    if first.title:
        meta["title"] = first.title
    # How the file marked the document and its paragraphs, so that an export marks them alike:
    # a file without paragraph marks got '# newpar' before every sentence, which the UD
    # validator refuses after a sentence ending in SpaceAfter=No (89 times in Taiga-extra).
    meta["conllu_newdoc_line"] = first.newdoc_line
    meta["conllu_paragraphs"] = any(s.newpar for s in sentences)

    if any(s.newpar for s in sentences):
        groups: list[list[_Sentence]] = []
        for sentence in sentences:
            if sentence.newpar or not groups:
                groups.append([])
            groups[-1].append(sentence)
    else:
        groups = [[s] for s in sentences]

    return DocumentDraft(
        name=name,
        source=str(path),
        format="conllu",
        paragraphs=[_paragraph(group) for group in groups],
        meta=meta,
        encoding=encoding,
    )


def _paragraph(sentences: list[_Sentence]) -> ParagraphDraft:
    """Join sentences with one space (or the whitespace their SpacesAfter says), shifting
    their offsets into the paragraph text."""
    texts: list[str] = []
    sentence_spans: list[Span] = []
    tokens: list[Span] = []
    annotations: list[AnnotationDraft] = []
    offset = 0
    for index, sentence in enumerate(sentences):
        if index:
            before = sentences[index - 1].gap_after
            texts.append(" " if before is None else before)
            offset += len(texts[-1])
        texts.append(sentence.text)
        sentence_spans.append((offset, offset + len(sentence.text)))
        tokens.extend((start + offset, end + offset) for start, end in sentence.tokens)
        for annotation in sentence.annotations:
            assert annotation.start is not None and annotation.end is not None
            annotation.start += offset
            annotation.end += offset
            annotations.append(annotation)
        offset += len(sentence.text)
    meta: dict[str, Any] = {"conllu": [s.meta for s in sentences]}
    if sentences[0].newpar_id:
        meta["conllu_newpar"] = sentences[0].newpar_id
    state = "done" if all(s.complete for s in sentences) else "in_progress"
    return ParagraphDraft(
        text="".join(texts),
        meta=meta,
        sentences=sentence_spans,
        tokens=tokens,
        annotations=annotations,
        status={"lexical": LayerStatusDraft(state, "gold")},
        line=sentences[0].line,
    )
