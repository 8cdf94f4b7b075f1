"""Writing the whole store as layerkit JSON Lines, streaming paragraph by paragraph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import layerkit
from layerkit.atomic import atomic_output
from layerkit.plugin.reader import StoreReader, store_of
from layerkit.plugin.types import ExportContext, ExportReport
from layerkit_jsonl.importer import FORMAT_NAME, FORMAT_VERSION


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


class JsonlExporter:
    name = "jsonl"
    description = "every document, paragraph, annotation and status, re-importable"

    def export(self, reader: StoreReader, out: Path, context: ExportContext) -> ExportReport:
        # Lossless: every stored column, through the store's own reads (not the plugin model).
        store = store_of(reader)
        counts = {"documents": 0, "paragraphs": 0, "annotations": 0}
        versions = context.schema_versions
        with atomic_output(out) as handle:
            handle.write(
                _dump(
                    {
                        "type": "header",
                        "format": FORMAT_NAME,
                        "version": FORMAT_VERSION,
                        "layerkit": layerkit.__version__,
                        "schemas": versions,
                    }
                )
            )
            for document in store.documents():
                assert document.id is not None
                key = f"d{document.id}"
                handle.write(
                    _dump(
                        {
                            "type": "document",
                            "key": key,
                            "name": document.name,
                            "source": document.source,
                            "format": document.format,
                            "meta": document.meta,
                        }
                    )
                )
                counts["documents"] += 1
                for paragraph in store.iter_paragraphs(document.id):
                    assert paragraph.id is not None
                    annotations = [
                        _annotation_record(a.model_dump()) for a in store.annotations(paragraph.id)
                    ]
                    status = {
                        layer: {"state": s.state, "annotator": s.annotator}
                        for layer, s in store.statuses(paragraph.id).items()
                        if s.state != "todo"
                    }
                    assigned: dict[str, list[str]] = {}
                    for row in store.assignments(paragraph_ids=[paragraph.id]):
                        assigned.setdefault(row.layer, []).append(row.annotator)
                    handle.write(
                        _dump(
                            {
                                "type": "paragraph",
                                "document": key,
                                "index": paragraph.position,
                                "text": paragraph.text,
                                "meta": paragraph.meta,
                                "flags": paragraph.flags,
                                "sentences": paragraph.sentences,
                                "tokens": paragraph.tokens,
                                "annotations": annotations,
                                "status": status,
                                **({"assignments": assigned} if assigned else {}),
                            }
                        )
                    )
                    counts["paragraphs"] += 1
                    counts["annotations"] += len(annotations)
        return ExportReport(path=out, counts=counts)


def _annotation_record(row: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": row["id"],
        "layer": row["layer"],
        "kind": row["kind"],
        "field": row["field"],
    }
    for key in ("label", "start", "end", "value"):
        if row[key] is not None:
            record[key] = row[key]
    if row["attrs"]:
        record["attrs"] = row["attrs"]
    if row["source_id"] is not None:
        record["source"] = row["source_id"]
    if row["target_id"] is not None:
        record["target"] = row["target_id"]
    record["annotator"] = row["annotator"]
    record["origin"] = row["origin"]
    if row["confidence"] is not None:
        record["confidence"] = row["confidence"]
    return record
