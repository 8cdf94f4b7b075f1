"""The domain model: documents, paragraphs and their annotations as plain data.

The store's bulk reads return it (:meth:`Store.iter_paragraph_bundles`), exporters get it from a
:class:`~layerkit.plugin.StoreReader`, curriculum tasks read it, and plugins import it from
:mod:`layerkit.plugin`. It depends on nothing else of layerkit, so every layer above can share
it. Nothing here queries anything.

Relations are annotations with ``kind == "relation"`` whose ``source_id`` and ``target_id`` are
the ids of the annotations they link (in layerkit's JSONL file format the same fields are named
``source`` and ``target``: docs/formats.md).
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple

MODEL_ORIGIN_PREFIX = "model:"
#: the origin of gold merged from two annotators' copies (``layerkit adjudicate``)
ADJUDICATED_ORIGIN = "adjudicated"
"""Origins of annotations a model suggested: ``model:<name>@<version>``."""


def is_suggestion(origin: str) -> bool:
    """Whether an annotation is a model's suggestion no person has confirmed yet. Everything
    else is a person's decision: an annotator's (``human``), an adjudicator's
    (``adjudicated``) or imported gold. Pre-annotation replaces only suggestions, and a layer
    is complete only when none is left."""
    return origin.startswith(MODEL_ORIGIN_PREFIX)


@dataclass(frozen=True)
class Document:
    """A document: its id, name, where it came from (``source``, ``format``) and its ``meta``
    (genre, license, ...)."""

    id: int
    name: str
    source: str | None
    format: str | None
    meta: dict[str, Any]


class Annotation(NamedTuple):
    """One stored annotation as readers see it: the columns a reader of annotations needs, as
    plain values (``attrs`` decoded). ``kind`` is ``token``, ``span``, ``relation``, ``label`` or
    ``text``; a relation's ``source_id`` and ``target_id`` are annotation ids.

    A named tuple rather than a model object: a bulk read makes one per stored annotation, and
    a row model (the store's ``Annotation`` table class) costs some twenty times as much.
    """

    id: int
    layer: str
    kind: str
    field: str
    start: int | None
    end: int | None
    label: str | None
    value: str | None
    attrs: dict[str, Any]
    source_id: int | None
    target_id: int | None
    annotator: str
    origin: str
    #: the model's confidence in a suggestion (0..1); None for a person's annotation
    confidence: float | None = None
    #: bumped by every change; an edit names the version it saw and is refused if it is stale
    version: int = 1


_ANNOTATOR = itemgetter(Annotation._fields.index("annotator"))
_ID = itemgetter(0)


@dataclass
class Paragraph:
    """A paragraph with its annotations and layer states.

    ``document`` is the document's name; ``position`` the paragraph's 0-based place in it;
    ``sha256`` the hash of its text (the same text has the same hash in any document);
    ``sentences`` and ``tokens`` are ``[start, end]`` code-point offsets into ``text``;
    ``annotations`` maps a layer to its annotations in the order they were stored (layers
    without annotations are absent); ``states`` maps a layer to ``(state, annotator)`` for the
    layers that have a status (``todo`` otherwise: see :meth:`state`); ``meta`` what the
    importer kept of the paragraph (``ParagraphDraft.meta``), ``flags`` the quality flags
    import raised on it (mojibake, broken OCR, mixed scripts: ``{"code", "message", "spans"}``).
    """

    id: int
    document_id: int
    document: str
    position: int
    text: str
    sha256: str
    sentences: list[list[int]]
    tokens: list[list[int]]
    annotations: dict[str, list[Annotation]] = field(default_factory=dict)
    states: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    flags: list[dict[str, Any]] = field(default_factory=list)
    _by_id: dict[int, Annotation] | None = field(default=None, repr=False)

    def layer(self, layer: str, field_name: str | None = None) -> list[Annotation]:
        """Annotations of ``layer`` (optionally of one field), in the order they were stored."""
        anns = self.annotations.get(layer, [])
        if field_name is None:
            return anns
        return [a for a in anns if a.field == field_name]

    def get(self, annotation_id: int | None) -> Annotation | None:
        if annotation_id is None:
            return None
        by_id = self._by_id
        if by_id is None:
            by_id = self._by_id = {}
            for anns in self.annotations.values():
                by_id.update(zip(map(_ID, anns), anns, strict=True))  # (in C)
        return by_id.get(annotation_id)

    def quote(self, ann: Annotation) -> str:
        """The text an annotation covers ('' for annotations without offsets)."""
        if ann.start is None or ann.end is None:
            return ""
        return self.text[ann.start : ann.end]

    def sentence_index(self, offset: int) -> int:
        """0-based index of the sentence that contains ``offset`` (the nearest one before it)."""
        starts = [s[0] for s in self.sentences]
        return max(0, bisect.bisect_right(starts, offset) - 1)

    @property
    def paragraph_id(self) -> int:
        """The same as ``id``: the name pre-annotators knew it by (``ParagraphInput``)."""
        return self.id

    def sentence_tokens(self) -> list[list[tuple[int, int]]]:
        """Token spans grouped by sentence (tokens outside every sentence form their own)."""
        groups: list[list[tuple[int, int]]] = []
        tokens = [(int(s), int(e)) for s, e in self.tokens]
        i = 0
        for start, end in self.sentences:
            group = []
            while i < len(tokens) and tokens[i][0] < end:
                if tokens[i][0] >= start:
                    group.append(tokens[i])
                else:
                    groups.append([tokens[i]])
                i += 1
            if group:
                groups.append(group)
        groups.extend([t] for t in tokens[i:])
        return groups

    def state(self, layer: str) -> str:
        return self.states.get(layer, ("todo", None))[0]

    def annotators(self, layer: str) -> list[str]:
        """Who annotated ``layer`` (annotators of its annotations and of its status), sorted."""
        names = set(map(_ANNOTATOR, self.layer(layer)))  # (C-level: an export asks per stage)
        status_by = self.states.get(layer, ("todo", None))[1]
        if status_by:
            names.add(status_by)
        return sorted(names)

    def replace(self, layer: str, annotations: list[Annotation]) -> Paragraph:
        """A copy with ``layer``'s annotations replaced (used to rebuild a model's suggestion)."""
        return dataclasses.replace(
            self, annotations={**self.annotations, layer: annotations}, _by_id=None
        )
