"""What an importer's drafts must be before anything is written: checked against the schemas
and against what every exporter can write back (a token is a word inside one sentence, a
lemma fits a CoNLL-U column, an origin is one layerkit knows, ...). Each check raises an
:class:`InputError` naming the file, the line and what to fix; :mod:`.ingest` runs them all on a
document before the store sees any of it, so a refused file imports nothing.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from layerkit.conllu_format import FEATURE, LINE_BREAKING
from layerkit.drafts import AnnotationDraft, DocumentDraft, LayerStatusDraft, ParagraphDraft
from layerkit.errors import InputError, quoted
from layerkit.model import ADJUDICATED_ORIGIN as ADJUDICATED
from layerkit.model import MODEL_ORIGIN_PREFIX
from layerkit.project import Project
from layerkit.schema.registry import label_slot_problem
from layerkit.store.copies import SEPARATOR, split_key
from layerkit.store.engine import json_text
from layerkit.store.models import LAYER_STATES


def draft_shape_problem(draft: object) -> str | None:
    """What is wrong with the Python objects an importer yielded, where they are not the
    documented drafts (a dict instead of a ``DocumentDraft``, a string among the paragraphs,
    a status given as ``"done"``, meta no JSON column can hold), or None. The importer's code
    is at fault, not the file: the caller names the plugin. Checked before the file's content
    is (:func:`checked_text` and the rest), which would otherwise fail on a missing attribute
    with a traceback."""
    if not isinstance(draft, DocumentDraft):
        return f"a {type(draft).__name__} where a DocumentDraft belongs"
    if not isinstance(draft.name, str) or not draft.name.strip():
        return f"a document whose name is {draft.name!r} (a non-empty string belongs there)"
    for what in ("source", "format"):
        if not isinstance(getattr(draft, what), str):
            return f"document {draft.name!r} with {what}={getattr(draft, what)!r} (not a string)"
    for what in ("notes", "warnings"):
        items = getattr(draft, what)
        if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
            return f"document {draft.name!r} with {what}={quoted(repr(items))} (a list of strings)"
    problem = _json_problem(draft.meta, f"document {draft.name!r}'s meta")
    if problem or not isinstance(draft.paragraphs, list):
        return problem or f"document {draft.name!r} whose paragraphs are no list"
    for number, par in enumerate(draft.paragraphs, 1):
        where = f"paragraph {number} of document {draft.name!r}"
        if not isinstance(par, ParagraphDraft):
            return f"a {type(par).__name__} as {where}, where a ParagraphDraft belongs"
        problem = _json_problem(par.meta, f"{where}: its meta") or _json_problem(
            par.flags, f"{where}: its flags", list
        )
        if problem:
            return problem
        if not isinstance(par.annotations, list):
            return f"{where}: its annotations are no list"
        for ann in par.annotations:
            if not isinstance(ann, AnnotationDraft):
                return f"{where}: a {type(ann).__name__} among its annotations, where an AnnotationDraft belongs"
            problem = _json_problem(ann.attrs, f"{where}: an annotation's attrs")
            if problem:
                return problem
        if not isinstance(par.status, dict):
            return f"{where}: its status is no dict"
        for layer, status in par.status.items():
            if not isinstance(status, LayerStatusDraft):
                return (
                    f"{where}: status[{layer!r}] = {quoted(repr(status))}, where a "
                    "LayerStatusDraft belongs"
                )
    return None


def _json_problem(value: object, what: str, kind: type = dict) -> str | None:
    if not isinstance(value, kind):
        return f"{what} {quoted(repr(value))}, where a {kind.__name__} belongs"
    try:
        json.loads(json_text(value))
    except (TypeError, ValueError) as exc:
        return f"{what}, which is no JSON ({exc})"
    return None


def checked_text(par: ParagraphDraft, path: Path) -> str:
    text = par.text
    if not isinstance(text, str) or not text.strip():
        raise InputError(
            "a paragraph has no text.",
            path=path,
            line=par.line,
            hint="Give each paragraph a non-empty 'text', or leave the empty one out.",
        )
    if "\x00" in text:
        # a .txt file with one is refused as binary; from JSONL it reached a CoNLL-U FORM
        raise InputError(
            f"paragraph text holds a NUL character (U+0000) at {text.index(chr(0))}.",
            path=path,
            line=par.line,
            hint="A NUL is no part of a text: remove it (and shift the offsets after it).",
        )
    nfc = unicodedata.normalize("NFC", text)
    if nfc != text:
        if par.annotations or par.tokens is not None:
            raise InputError(
                "paragraph text is not in Unicode NFC, so its offsets are ambiguous.",
                path=path,
                line=par.line,
                hint="layerkit stores NFC text; normalize the text and recompute the offsets.",
            )
        return nfc
    return text


def checked_spans(
    spans: Sequence[Sequence[int]], text: str, what: str, path: Path, line: int | None
) -> list[list[int]]:
    out = []
    previous_end = 0
    for span in spans:
        if len(span) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in span):
            raise InputError(
                f"{what} must be [start, end] pairs, got {span!r}.", path=path, line=line
            )
        start, end = span
        if not previous_end <= start < end <= len(text):
            raise InputError(
                f"{what} span [{start}, {end}) is out of order or outside the text "
                f"(length {len(text)}).",
                path=path,
                line=line,
                hint=f"The {what} are [start, end) code-point offsets into the text, in text "
                "order, not overlapping; nothing was imported.",
            )
        cut = next(
            (at for at in (start, end) if 0 < at < len(text) and unicodedata.combining(text[at])),
            None,
        )
        if cut is not None:
            raise InputError(
                f"{what} span [{start}, {end}) cuts a letter from its combining mark (U+"
                f"{ord(text[cut]):04X} at {cut}: a stress mark, a diaeresis).",
                path=path,
                line=line,
                hint="A mark belongs to the letter before it: put the boundary after the "
                "mark; nothing was imported.",
            )
        previous_end = end
        out.append([start, end])
    return out


#: characters no token may hold: CoNLL-U (and every line-based format) ends a column at a tab
#: and a word at a line break
_LINE_BREAKS = frozenset(LINE_BREAKING)


def checked_flags(
    flags: Sequence[Any], text: str, path: Path, line: int | None
) -> list[dict[str, Any]]:
    """An importer's quality flags, as ``find_flags`` makes them: a ``code``, a ``message``
    and ``spans`` inside the text (a span past its end was stored, and shown nowhere)."""
    out = []
    for flag in flags:
        if not isinstance(flag, dict) or not isinstance(flag.get("code"), str):
            raise InputError(
                f"a flag must be an object with a 'code', not {flag!r}.", path=path, line=line
            )
        spans = flag.get("spans", [])
        if not isinstance(spans, list) or not all(
            isinstance(span, list | tuple)
            and len(span) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in span)
            and 0 <= span[0] < span[1] <= len(text)
            for span in spans
        ):
            raise InputError(
                f"flag {flag['code']!r} has spans {spans!r}: they must be [start, end] pairs "
                f"inside the text (length {len(text)}).",
                path=path,
                line=line,
                hint="Fix the flag's spans or leave the flag out; nothing was imported.",
            )
        out.append(dict(flag))
    return out


def check_segmentation(
    text: str, sentences: list[list[int]], tokens: list[list[int]], path: Path, line: int | None
) -> None:
    """Tokens and sentences an exporter can write: each token a word (no tab or line break in
    it, no space at its ends) inside one sentence; a text with words has tokens. A sentence
    boundary through a word, or a token outside every sentence, lost words in the CoNLL-U
    export; a paragraph without tokens, the whole paragraph."""
    if not tokens and any(not c.isspace() for c in text):
        raise InputError(
            "a paragraph with text has no tokens.",
            path=path,
            line=line,
            hint="Give its tokens, or leave 'tokens' and 'sentences' out to have them made.",
        )
    sentence = 0
    covered = 0  # where the last token ended: what lies between tokens must be spaces
    for start, end in [*tokens, [len(text), len(text)]]:
        left = text[covered:start].strip()
        if left:
            raise InputError(
                f"the text {quoted(left)} at [{covered}, {start}) is in no token (a CoNLL-U "
                "export would lose it, and a model never see it).",
                path=path,
                line=line,
                hint="Every word and mark of a paragraph with tokens is a token: add its "
                "offsets, or leave 'tokens' and 'sentences' out to have them made.",
            )
        covered = max(covered, end)
        if start == end == len(text):
            break
        form = text[start:end]
        if form != form.strip() or not _LINE_BREAKS.isdisjoint(form):
            raise InputError(
                f"token [{start}, {end}) {form!r} starts or ends with a space, or holds a tab "
                "or a line break.",
                path=path,
                line=line,
                hint="A token is a word: fix its offsets; nothing was imported.",
            )
        while sentence < len(sentences) and sentences[sentence][1] <= start:
            sentence += 1
        if sentence == len(sentences) or not (
            sentences[sentence][0] <= start and end <= sentences[sentence][1]
        ):
            raise InputError(
                f"token [{start}, {end}) {form!r} is not inside one sentence (a sentence "
                "boundary cuts it, or no sentence covers it).",
                path=path,
                line=line,
                hint="Every token lies within one sentence; fix the sentence offsets, or leave "
                "'sentences' out to have them made. Nothing was imported.",
            )


def check_origin(row: dict[str, Any]) -> str | None:
    """``origin`` and ``confidence`` as docs/formats.md gives them: who made an annotation
    decides how it is shown, exported and trained on (a model's suggestion is not gold)."""
    origin = row.get("origin")
    if not isinstance(origin, str) or not (
        origin in ("human", ADJUDICATED) or origin.startswith(MODEL_ORIGIN_PREFIX)
    ):
        return (
            f"origin {origin!r} is not 'human', '{ADJUDICATED}' or "
            f"'{MODEL_ORIGIN_PREFIX}<name>@<version>'"
        )
    confidence = row.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not 0 <= confidence <= 1
    ):
        return f"confidence {confidence!r} is not a number from 0 to 1"
    return None


def _check_copy(row: dict[str, Any], par: ParagraphDraft) -> str | None:
    """An annotation of a private copy (``layer@annotator``) needs that annotator assigned to
    the layer in the same paragraph: a copy nobody is assigned was stored, and shown, counted
    and compared nowhere."""
    layer, owner = split_key(str(row.get("layer")))
    if owner is None or owner in (par.assignments.get(layer) or []):
        return None
    return (
        f"it is in {owner}'s private copy of {layer!r}, but the paragraph does not assign "
        f'{owner} to {layer!r} (add "assignments": {{"{layer}": ["{owner}", ...]}})'
    )


def _check_token_analysis(row: dict[str, Any], tokens: set[tuple[int, int]]) -> str | None:
    """What is wrong with a token annotation (a lexical analysis) beyond its schema: it must
    be on a token, and its lemma and FEATS must be writable as CoNLL-U columns."""
    if (row.get("start"), row.get("end")) not in tokens:
        return f"[{row.get('start')}, {row.get('end')}) is not one of the paragraph's tokens"
    attrs = row.get("attrs") or {}
    for name in ("lemma", "word"):
        value = attrs.get(name)
        if isinstance(value, str) and not _LINE_BREAKS.isdisjoint(value):
            return f"its {name} {value!r} holds a tab or a line break"
    feats = attrs.get("feats")
    if (
        isinstance(feats, str)
        and feats != "_"
        and not all(FEATURE.fullmatch(f) for f in feats.split("|"))
    ):
        return (
            f"FEATS {feats!r} is not '_' or Name=Value pairs separated by '|' "
            "(Case=Nom|Number=Sing)"
        )
    return None


def checked_annotations(
    project: Project, par: ParagraphDraft, text: str, path: Path, tokens: list[list[int]]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    local_ids: dict[int, dict[str, Any]] = {}
    for ann in par.annotations:
        row = ann.to_row()
        if ann.local_id is not None:
            if ann.local_id in local_ids:
                raise InputError(
                    f"annotation id {ann.local_id} is used twice in one paragraph.",
                    path=path,
                    line=par.line,
                    hint="Give each annotation of a paragraph its own id: relations and "
                    "texts name the annotation they point at by it.",
                )
            local_ids[ann.local_id] = row
        rows.append(row)
    token_spans = {(start, end) for start, end in tokens}
    for number, row in enumerate(rows, start=1):
        problem = project.schemas.check_annotation(
            row, text_length=len(text), local_ids=local_ids, text=text
        )
        if problem is None:
            problem = check_origin(row)
        if problem is None:
            problem = _check_copy(row, par)
        if problem is None and row.get("kind") == "token":
            problem = _check_token_analysis(row, token_spans)
        if problem:
            local = row.get("local_id")
            # (by its id where it has one, else by its place: "annotation 1" and "annotation
            # #3" read as two numberings of one kind)
            which = (
                f"the annotation with id {local}"
                if local is not None
                else f"annotation #{number} of the paragraph"
            )
            raise InputError(
                f"{which} ({row['layer']}.{row['field']}): {problem}.",
                path=path,
                line=par.line,
                hint="Fix the annotation or the layer schema; nothing was imported.",
            )
    problem = label_slot_problem(rows, project.schemas)
    if problem:
        raise InputError(
            f"{problem}.",
            path=path,
            line=par.line,
            hint="Keep one label per field; nothing was imported.",
        )
    return rows


def checked_status(project: Project, par: ParagraphDraft, path: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for layer, status in par.status.items():
        base, owner = split_key(layer)
        if base not in project.schemas.order or owner == "":
            raise InputError(f"status of unknown layer {layer!r}.", path=path, line=par.line)
        if status.state not in LAYER_STATES:
            raise InputError(
                f"unknown status {status.state!r} for layer {layer}.",
                path=path,
                line=par.line,
                hint=f"Use one of {', '.join(LAYER_STATES)}.",
            )
        out[layer] = {"state": status.state, "annotator": status.annotator}
    return out


def checked_assignments(project: Project, par: ParagraphDraft, path: Path) -> dict[str, list[str]]:
    out = {}
    for layer, annotators in par.assignments.items():
        if layer not in project.schemas.order:
            raise InputError(f"assignment of unknown layer {layer!r}.", path=path, line=par.line)
        if not isinstance(annotators, list) or not all(
            isinstance(a, str) and a and SEPARATOR not in a for a in annotators
        ):
            raise InputError(
                f"the assignments of {layer!r} must be a list of annotator names.",
                path=path,
                line=par.line,
            )
        out[layer] = list(annotators)
    return out
