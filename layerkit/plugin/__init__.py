"""The plugin contract, in one place: everything a plugin imports is importable from here.

- ``hookimpl`` marks a plugin's hook functions; the hooks are :mod:`layerkit.plugin.specs`.
- What plugins provide: :class:`Importer` (reads files into :class:`DocumentDraft`),
  :class:`Exporter` (writes a :class:`StoreReader`'s content, told an :class:`ExportContext`,
  returns an :class:`ExportReport`, reports a user's problem with :class:`ExportError`),
  :class:`Preannotator` (gets :class:`ParagraphInput`, returns :class:`AnnotationDraft` or
  :class:`InvalidSuggestion`),
  :class:`CurriculumTask` (turns a :class:`Paragraph` into :class:`Example` and
  :class:`PreferencePair`).
- The domain model they read: :class:`Document`, :class:`Paragraph`, :class:`Annotation`.
- Helpers: :func:`reading_store` (the store a plugin's command reads), :func:`read_text` (a
  file decoded as layerkit's importers decode it), :func:`atomic_output` (one file) and :func:`atomic_folder` (a folder), written in
  full or not at all; :func:`iter_records` (the SFT curriculum's records, for exporters of other
  formats); :func:`parse_answer` and :func:`format_answer` (the curriculum's answer formats).

docs/plugins.md documents each of these; a test checks that it lists exactly this API.
Everything but ``hookimpl`` is imported on first use, so importing a plugin stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from layerkit.plugin.specs import hookimpl, hookspec

# public name → module that defines it
_WHERE = {
    "Importer": "layerkit.plugin.types",
    "Exporter": "layerkit.plugin.types",
    "Preannotator": "layerkit.plugin.types",
    "InvalidSuggestion": "layerkit.plugin.types",
    "ExportReport": "layerkit.plugin.types",
    "ExportContext": "layerkit.plugin.types",
    "ExportError": "layerkit.plugin.types",
    "ParagraphInput": "layerkit.plugin.types",
    "DocumentDraft": "layerkit.drafts",
    "ParagraphDraft": "layerkit.drafts",
    "AnnotationDraft": "layerkit.drafts",
    "LayerStatusDraft": "layerkit.drafts",
    "ImportOptions": "layerkit.drafts",
    "StoreReader": "layerkit.plugin.reader",
    "reading_store": "layerkit.plugin.reader",
    "Document": "layerkit.model",
    "Paragraph": "layerkit.model",
    "Annotation": "layerkit.model",
    "CurriculumTask": "layerkit.curriculum.tasks",
    "Example": "layerkit.curriculum.tasks",
    "PreferencePair": "layerkit.curriculum.tasks",
    "iter_records": "layerkit.curriculum.export",
    "parse_answer": "layerkit.curriculum.answers",
    "format_answer": "layerkit.curriculum.answers",
    "read_text": "layerkit.textio",
    "atomic_output": "layerkit.atomic",
    "atomic_folder": "layerkit.atomic",
}

__all__ = ["hookimpl", "hookspec", *_WHERE]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'layerkit.plugin' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
