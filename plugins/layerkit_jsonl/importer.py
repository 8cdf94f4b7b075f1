"""Reading layerkit JSON Lines (docs/formats.md), streaming one document at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from layerkit.drafts import (
    AnnotationDraft,
    DocumentDraft,
    ImportOptions,
    LayerStatusDraft,
    ParagraphDraft,
)
from layerkit.errors import InputError
from layerkit.textio import bom_encoding

FORMAT_NAME = "layerkit-jsonl"
FORMAT_VERSION = 1
_ANNOTATION_KEYS = {
    "id",
    "layer",
    "kind",
    "field",
    "label",
    "start",
    "end",
    "value",
    "attrs",
    "source",
    "target",
    "annotator",
    "origin",
    "confidence",
}
_PARAGRAPH_KEYS = {
    "type",
    "document",
    "index",
    "text",
    "meta",
    "flags",
    "sentences",
    "tokens",
    "annotations",
    "status",
    "id",
    "duplicate_of",
    "assignments",
}


class JsonlImporter:
    name = "jsonl"
    extensions = (".jsonl",)
    description = "layerkit JSON Lines: documents, paragraphs and all their annotations"

    def read(self, path: Path, options: ImportOptions) -> Iterator[DocumentDraft]:
        # UTF-8 (with a BOM or without), or UTF-16/32 where the file starts with its byte order
        # mark (what Windows tools write for "Unicode"): read, not refused
        encoding = options.encoding or bom_encoding(path) or "utf-8-sig"
        # what the import reports the file was in (a BOM is no different encoding)
        shown_encoding = "utf-8" if encoding in ("utf-8-sig", "utf-8") else encoding
        current: DocumentDraft | None = None
        current_key: object = None
        loose: DocumentDraft | None = None  # the paragraphs without a document (see below)
        finished: set[object] = set()
        seen_any = False
        try:
            handle = path.open(encoding=encoding, newline="")
        except OSError as exc:
            raise InputError(f"cannot open: {exc.strerror}.", path=path) from exc
        with handle:
            line_no = 0
            try:
                for line_no, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    record = _parse(line, path, line_no)
                    kind = record.get("type", "paragraph")
                    if kind == "header":
                        _check_header(record, path, line_no)
                        continue
                    if kind == "document":
                        key = record.get("key", record.get("name"))
                        if key in finished or key == current_key:
                            raise InputError(
                                f"document {key!r} appears twice.", path=path, line=line_no
                            )
                        if current is not None:
                            finished.add(current_key)
                            yield current
                        current, current_key = _document(record, path, line_no, shown_encoding), key
                        seen_any = True
                        continue
                    if kind != "paragraph":
                        raise InputError(
                            f"unknown record type {kind!r}.",
                            path=path,
                            line=line_no,
                            hint="Records are header, document or paragraph.",
                        )
                    key = record.get("document", None)
                    if key is None:
                        # a paragraph of no document, wherever it stands: the file's own
                        # document, read whole and handed on after the others
                        if loose is None:
                            loose = DocumentDraft(
                                name=path.stem, source=str(path), format="jsonl", paragraphs=[]
                            )
                        loose.paragraphs.append(_paragraph(record, path, line_no))
                        seen_any = True
                        continue
                    if key != current_key:
                        problem = (
                            "comes after paragraphs of another document"
                            if key in finished
                            else "has no document line before it"
                        )
                        raise InputError(
                            f"paragraph of document {key!r} {problem}.",
                            path=path,
                            line=line_no,
                            hint="Write each document line followed by its paragraphs.",
                        )
                    assert current is not None
                    current.paragraphs.append(_paragraph(record, path, line_no))
                    seen_any = True
            except InputError as exc:
                # every refusal of a record with a hint, also where its check gives none (an
                # array line, a paragraph without 'text', a bad 'index' said no more)
                if not exc.hint:
                    exc.hint = FORMAT_HINT
                raise
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not valid {encoding} text (byte {exc.start} after line {line_no}).",
                    path=path,
                    line=line_no + 1,
                    hint="JSON Lines files are UTF-8; convert the file or pass --encoding.",
                ) from exc
        if current is not None:
            yield current
        if loose is not None:
            yield loose
        if not seen_any:
            raise InputError("the file holds no documents or paragraphs.", path=path)


def _parse(line: str, path: Path, line_no: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} (column {exc.colno}).",
            path=path,
            line=line_no,
            hint="Each line must be one complete JSON object.",
        ) from exc
    if not isinstance(record, dict):
        raise InputError("each line must be a JSON object.", path=path, line=line_no)
    return record


#: the hint of a record's refusal that has none of its own
FORMAT_HINT = (
    "docs/formats.md gives every record of layerkit's JSONL and each key's shape; "
    "nothing was imported."
)


def _check_header(record: dict[str, Any], path: Path, line_no: int) -> None:
    if record.get("format") != FORMAT_NAME:
        raise InputError(f"header names format {record.get('format')!r}.", path=path, line=line_no)
    version = record.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InputError(
            f"format version {version!r} is newer than this layerkit reads ({FORMAT_VERSION}).",
            path=path,
            line=line_no,
            hint="Upgrade layerkit.",
        )


def _document(
    record: dict[str, Any], path: Path, line_no: int, encoding: str = "utf-8"
) -> DocumentDraft:
    name = record.get("name") or record.get("key")
    if not isinstance(name, str) or not name:
        raise InputError("a document needs a 'name'.", path=path, line=line_no)
    meta = record.get("meta") or {}
    if not isinstance(meta, dict):
        raise InputError("document 'meta' must be an object.", path=path, line=line_no)
    return DocumentDraft(
        name=name,
        source=str(record.get("source") or path),
        format=str(record.get("format") or "jsonl"),
        paragraphs=[],
        meta=meta,
        encoding=encoding,
    )


def _paragraph(record: dict[str, Any], path: Path, line_no: int) -> ParagraphDraft:
    unknown = set(record) - _PARAGRAPH_KEYS
    if unknown:
        raise InputError(
            f"unknown paragraph keys: {', '.join(sorted(unknown))}.", path=path, line=line_no
        )
    text = record.get("text")
    if not isinstance(text, str):
        raise InputError("a paragraph needs a 'text' string.", path=path, line=line_no)
    for key, kind in (
        ("meta", dict),
        ("flags", list),
        ("annotations", list),
        ("status", dict),
        ("assignments", dict),
    ):
        if key in record and not isinstance(record[key], kind):
            raise InputError(
                f"'{key}' must be a JSON {'object' if kind is dict else 'array'}.",
                path=path,
                line=line_no,
                hint="docs/formats.md gives each key's shape; nothing was imported.",
            )
    index = record.get("index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
        raise InputError(
            f"'index' must be the paragraph's place in its document (0, 1, ...), not {index!r}.",
            path=path,
            line=line_no,
        )
    status = {}
    for layer, value in (record.get("status") or {}).items():
        if not isinstance(value, dict) or not isinstance(value.get("state"), str):
            raise InputError(
                f'status of {layer!r} must be {{"state": ..., "annotator": ...}}.',
                path=path,
                line=line_no,
            )
        status[layer] = LayerStatusDraft(state=value["state"], annotator=value.get("annotator"))
    return ParagraphDraft(
        text=text,
        meta=record.get("meta") or {},
        flags=record.get("flags") or [],
        sentences=_spans(record, "sentences", path, line_no),
        tokens=_spans(record, "tokens", path, line_no),
        annotations=[_annotation(a, path, line_no) for a in record.get("annotations") or []],
        status=status,
        line=line_no,
        assignments=dict(record.get("assignments") or {}),
    )


def _spans(
    record: dict[str, Any], key: str, path: Path, line_no: int
) -> list[tuple[int, int]] | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(s, list) and len(s) == 2 and all(isinstance(x, int) for x in s) for s in value
    ):
        raise InputError(f"'{key}' must be a list of [start, end] pairs.", path=path, line=line_no)
    return [(s[0], s[1]) for s in value]


def _annotation(data: Any, path: Path, line_no: int) -> AnnotationDraft:
    if not isinstance(data, dict):
        raise InputError("each annotation must be a JSON object.", path=path, line=line_no)
    unknown = set(data) - _ANNOTATION_KEYS
    if unknown:
        raise InputError(
            f"unknown annotation keys: {', '.join(sorted(unknown))}.", path=path, line=line_no
        )
    for key in ("layer", "kind", "field"):
        if not isinstance(data.get(key), str):
            raise InputError(f"an annotation needs a '{key}' string.", path=path, line=line_no)
    attrs = data.get("attrs") or {}
    if not isinstance(attrs, dict):
        raise InputError("annotation 'attrs' must be an object.", path=path, line=line_no)
    return AnnotationDraft(
        layer=data["layer"],
        kind=data["kind"],
        field=data["field"],
        label=data.get("label"),
        start=data.get("start"),
        end=data.get("end"),
        value=data.get("value"),
        attrs=attrs,
        local_id=data.get("id"),
        source=data.get("source"),
        target=data.get("target"),
        annotator=data.get("annotator") or "import",
        origin=data.get("origin") or "human",
        confidence=data.get("confidence"),
    )
