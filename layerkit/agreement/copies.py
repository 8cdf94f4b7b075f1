"""The annotators' private copies in a store, as the versions :func:`compare.compare` measures.

``layerkit assign`` gives each assigned annotator a copy of a paragraph's layer (the layer key
``layer@annotator``, see ``store/copies.py``). Agreement reads those copies back as one version
of the paragraph per annotator: the copy's annotations under the layer's own name, the copy's
status as the layer's status. Paragraphs are read in batches, so memory holds one batch
whatever the size of the store.

:func:`iter_versions` is what ``layerkit agreement`` reads: each batch in a few queries, the
annotations as plain tuples with only what the measures use. :func:`iter_groups` gives the
same paragraphs as full drafts (every attribute of every annotation), for readers that need
them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from layerkit.agreement.compare import DOCUMENT, LayerVersion, Version
from layerkit.drafts import AnnotationDraft, LayerStatusDraft, ParagraphDraft
from layerkit.store import Store
from layerkit.store.copies import copy_key

BATCH = 500


def assigned_annotators(store: Store, layers: Sequence[str]) -> dict[str, list[str]]:
    """Per layer of ``layers``, the annotators assigned to it anywhere."""
    return store.assigned_annotators(layers)


def iter_versions(store: Store, layers: Sequence[str]) -> Iterator[dict[str, Version]]:
    """Each assigned paragraph as ``{annotator: their version}`` of ``layers``, in paragraph
    order (the layers each annotator is assigned there), read a batch at a time."""
    ids = store.assigned_paragraph_ids(layers)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        batch = store.read_copies(chunk, layers)
        assigned: dict[int, dict[str, list[str]]] = {}
        for pid, layer, annotator in batch.assigned:
            assigned.setdefault(pid, {}).setdefault(annotator, []).append(layer)
        where: dict[tuple[int, str], tuple[int, int]] = {}
        end = 0
        for pid, key, n in batch.counts:
            where[pid, key] = (end, end + n)
            end += n
        rows, states = batch.rows, batch.states
        for pid in chunk:
            found = batch.documents.get(pid)
            if found is None:  # gone, or its import is still running
                continue
            document, length = found
            group = {}
            for annotator, names in assigned.get(pid, {}).items():
                own = {}
                for layer in names:
                    key = copy_key(layer, annotator)
                    first, last = where.get((pid, key), (0, 0))
                    own[layer] = LayerVersion(states.get((pid, key)) == "done", rows[first:last])
                group[annotator] = Version(document, length, own)
            yield group
        del rows, states, batch  # before the next batch is read


def iter_groups(store: Store, layers: Sequence[str]) -> Iterator[dict[str, ParagraphDraft]]:
    """Each assigned paragraph as ``{annotator: their version}``, in paragraph order, read a
    batch at a time with its assignments (memory holds one batch)."""
    ids = store.assigned_paragraph_ids(layers)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        by_paragraph: dict[int, dict[str, list[str]]] = {}
        for row in store.assignments(paragraph_ids=chunk):
            if row.layer in layers:
                by_paragraph.setdefault(row.paragraph_id, {}).setdefault(row.annotator, []).append(
                    row.layer
                )
        keys = sorted(
            {
                copy_key(layer, annotator)
                for pid in chunk
                for annotator, names in by_paragraph[pid].items()
                for layer in names
            }
        )
        for bundle in store.read_paragraphs(chunk, layers=keys):
            group = {}
            for annotator, names in by_paragraph[bundle.id].items():
                annotations = []
                status = {}
                for layer in names:
                    key = copy_key(layer, annotator)
                    for a in bundle.annotations.get(key, []):
                        annotations.append(
                            AnnotationDraft(
                                layer=layer,
                                kind=a.kind,
                                field=a.field,
                                label=a.label,
                                start=a.start,
                                end=a.end,
                                value=a.value,
                                attrs=dict(a.attrs),
                                local_id=a.id,
                                source=a.source_id,
                                target=a.target_id,
                                annotator=a.annotator,
                                origin=a.origin,
                            )
                        )
                    state, by = bundle.states.get(key, ("todo", None))
                    status[layer] = LayerStatusDraft(state=state, annotator=by)
                group[annotator] = ParagraphDraft(
                    text=bundle.text,
                    annotations=annotations,
                    status=status,
                    meta={"paragraph_id": bundle.id, DOCUMENT: bundle.document},
                )
            yield group
