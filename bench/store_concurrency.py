"""Concurrent annotators on one store: conflicts, lost updates, save latency under load.

    .venv/bin/python bench/store_concurrency.py --db /tmp/c.db                 # SQLite, defaults
    .venv/bin/python bench/store_concurrency.py --db postgresql://postgres@127.0.0.1:55432/bench1
    .venv/bin/python bench/store_concurrency.py --db /tmp/q.db --seconds 10 --import-mb 2
    .venv/bin/python bench/store_concurrency.py --db /tmp/q.db --no-import --no-preannotate

Set-up (not timed): ``layerkit init``, ``layerkit import`` of ``sample_corpus/`` plus generated
paragraphs up to ``--paragraphs``, ``layerkit preannotate`` (lexical layer), and a generated
``--import-mb`` text file of Russian paragraphs (sentences of the sample corpus, shuffled, each
paragraph numbered) in a temporary folder. ``--db`` should name a new SQLite file or an empty
PostgreSQL database (annotator names are new on every run, so a used store works too, but its
shared paragraphs then carry the earlier runs' edits).

Then, at once and for ``--seconds`` (longer if the import or the pre-annotation is still running;
``--timeout`` stops everything): ``--annotators`` processes (spawned), each with its own annotator
name, edit the same ``--shared`` paragraphs through layerkit's ``Store`` API as the annotator app
does: spans and relations created on the semantic and logical layers, labels and extents changed
with ``expected_version`` (from a view of the paragraph re-read every second or so, so versions
are often stale), deletions, layer statuses, undo and redo, ``store.batch`` gestures (two spans
and a relation, plus a relabel), lexical tokens corrected one by one and sentences accepted
(a batch turning the model's tokens into the annotator's). Half of the shared paragraphs are
from ``annotated.jsonl`` (human annotations on every layer), half are plain generated ones whose
lexical layer the model filled. Meanwhile ``layerkit import FILE`` and ``layerkit preannotate
--redo`` run as subprocesses on the same store; both must exit 0. The plain shared paragraphs are
the last ones of the store, so the pre-annotator redoes them in its last batch (with the default
300 paragraphs it has two), and the annotators edit their lexical tokens only from the moment its
first batch is committed: by then it has listed them, so their edits race its last batch (which
must skip a paragraph a person annotated meanwhile, and never replace a human token). The
annotators go on until both subprocesses are done, so that every save during the import counts.

``ConflictError`` is the store refusing an edit of stale data: counted as a conflict (expected).
Anything else an edit raises is an unexpected error (the first ones are printed with their
tracebacks). Every save (a write call of the store: an edit, a batch, undo, redo, a status) is
timed; p50/p95 are over all of them, committed or refused, and over those that started while the
import subprocess ran.

After everything stops, the event log is replayed against the final rows (the lost-update
check). The replay starts from the shared paragraphs' annotations and layer statuses as they
were before the run, and applies the run's events in id order: each edit's ``after`` (or its
deletion, with the rows its cascade recorded), each undo's inverse and each redo, batches as their
sub-edits, statuses as ``edits._check_and_apply_statuses`` does. Counted as lost updates:

- ``before``: an update, delete or status change whose recorded ``before`` is not what the log
  left there (content fields of ``edits.CONTENT_FIELDS`` and version; state for statuses): it
  was computed from data someone else had changed meanwhile, and overwrote their change;
- ``undo``/``redo``: an undo or redo that was applied although the data were no longer as its
  event left them (the store must refuse those with ``ConflictError``);
- ``cascade``: a delete (or the redo of one) that also deleted rows its event does not record,
  e.g. a relation someone linked to the span meanwhile: gone, and no undo brings it back;
- ``final``: an annotation (or layer status) whose final row differs from what the log implies,
  or a row in a shared paragraph that no event created (except the model's lexical tokens).

Pre-annotation events (``preannotate``) carry no rows: a batch may replace the lexical tokens of
any paragraph that has no human lexical annotation. So at each one, the lexical annotations that
the log says are the model's (not ``origin=human``) become unknown until an event shows them
again; human ones stay checked (pre-annotation must never touch a paragraph that has them).

``--self-test`` checks the check after the run: in a transaction that is rolled back, it changes
an annotation's label, deletes a relation and changes a status behind the log's back, and
rewrites one update event's ``before`` as a stale writer would have; the check must report
exactly these four. ``--state FILE`` saves what the check needs (the shared paragraphs as they
were before the run, the first event, the annotator names), and ``--check-only --state FILE``
runs only the check, on ``--db`` (e.g. a copy of the store changed by hand with SQL).

Measured on the 2-core CPU of the development machine, shared with test runs (so times vary
by 2x), the store as of this bench's writing: defaults (4 annotators, 20 MiB import, 300
paragraphs), SQLite 40 edits/s, save p50 12 ms, p95 66 ms (during the import 66 ms: 0.66x the
goal), import 92 s, no lost update, no error; PostgreSQL 26 edits/s, p50 30 ms, p95 88 ms, import
190 s, no lost update, one error (a relation to a span deleted meanwhile is refused with a plain
``StoreError``, not a ``ConflictError``). The store before the concurrency work (commit aa29fa1),
short runs (``--seconds 10 --import-mb 2``) on PostgreSQL: 5 lost updates (3 labels overwritten
from stale rows, 2 statuses) and 16 errors (13 ``UniqueViolation`` on ``layer_status_pkey``, 2
``AssertionError`` after an update of a row deleted meanwhile, 1 deadlock); defaults on SQLite:
4 saves failed with "database is locked" during the import (one 57 s write transaction), p95
during the import 639 ms (6.4x the goal), longest save 30.3 s.

Printed: set-up times, edits/s, save p50/p95 overall and during the import (as a ratio of the
100 ms goal), conflicts, lost updates, unexpected errors, the subprocesses' times. The last line
is ``backend=<sqlite|postgresql> lost_updates=<n> errors=<n> p95_save_ms=<f>``; the exit status
is 1 if there were lost updates or errors.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_corpus"
GOAL_MS = 100.0  # save p95 while a big import runs (the goal on SQLite)
SPAN_FIELDS = {"semantic": ("frame", "role"), "logical": ("unit", "discourse")}
MODEL_LAYER = "lexical"  # what `layerkit preannotate` fills
UPOS = ("NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "PART", "CCONJ", "SCONJ", "PROPN")
# Weights of the annotators' actions.
ACTIONS = {
    "span": 16,
    "relabel": 18,
    "move": 5,
    "delete": 8,
    "relation": 8,
    "status": 6,
    "undo": 10,
    "redo": 6,
    "batch": 8,
    "token": 8,
    "accept": 4,
}
KEEP_TRACEBACKS = 3  # per annotator process; the first 5 of all are printed
TRACEBACK_LINES = 24


# --- generated text -----------------------------------------------------------------------------


def _sample_sentences() -> list[str]:
    """Sentences of the sample corpus's plain texts (four words or more)."""
    found: list[str] = []
    for path in sorted(SAMPLE.glob("*.txt")):
        for par in path.read_text(encoding="utf-8").split("\n\n"):
            par = " ".join(par.split())
            parts = re.split(r"(?<=[.!?…])\s+(?=[А-ЯЁ«])", par)
            found.extend(s for s in parts if len(s.split()) >= 4)
    return found


def write_paragraphs(path: Path, *, count: int = 0, mb: float = 0.0, seed: int, tag: str) -> int:
    """Write Russian paragraphs (3-6 shuffled sample sentences, each numbered so that none is a
    duplicate) to ``path``: ``count`` of them, or as many as make ``mb`` MiB. Returns the count."""
    sentences = _sample_sentences()
    rng = random.Random(seed)
    target = int(mb * 2**20)
    written = size = 0
    with path.open("w", encoding="utf-8") as fh:
        while (count and written < count) or (target and size < target):
            written += 1
            text = " ".join(rng.sample(sentences, rng.randint(3, 6)))
            text += f" Запись {tag} № {written}."
            fh.write(text + "\n\n")
            size += len(text.encode("utf-8")) + 2
    return written


# --- the layerkit command line ------------------------------------------------------------------


def layerkit(db: str, *args: str) -> float:
    """Run ``layerkit --db DB ARGS`` as a subprocess; returns its seconds; fails on exit != 0."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", db, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if result.returncode != 0:
        sys.exit(
            f"set-up failed: layerkit {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return time.perf_counter() - started


class Child:
    """A ``layerkit`` subprocess that runs during the measurement."""

    def __init__(self, name: str, db: str, args: list[str], work: Path) -> None:
        self.name = name
        self.log = work / f"{name}.log"
        self._fh = self.log.open("w", encoding="utf-8")
        self.started = time.monotonic()
        self.ended: float | None = None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "layerkit", "--db", db, *args],
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )

    def poll(self) -> bool:
        """True once it has ended."""
        if self.ended is None and self.proc.poll() is not None:
            self.ended = time.monotonic()
            self._fh.close()
        return self.ended is not None

    def kill(self) -> None:
        if not self.poll():
            self.proc.kill()
            self.proc.wait()
            self.poll()

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


# --- the annotators ---------------------------------------------------------------------------


class Annotator:
    """One annotator process's loop: random edits of the shared paragraphs, every save timed."""

    def __init__(
        self,
        store: Any,
        schemas: Any,
        name: str,
        shared: tuple[list[int], list[int]],
        seed: int,
        lexical_go: Any,
    ) -> None:
        self.store = store
        self.plain = set(shared[1])
        self.lexical_go = lexical_go
        self.name = name
        self.rng = random.Random(seed)
        self.paragraphs = {p.id: p for p in store.paragraphs(shared[0])}
        self.views: dict[int, tuple[float, list[Any]]] = {}
        self.labels = {
            (layer, f): schemas.get(layer).field(f).label_names
            for layer, fields in SPAN_FIELDS.items()
            for f in fields
        }
        self.saves: list[tuple[float, float, str, str]] = []  # start, seconds, action, outcome
        self.errors: Counter[str] = Counter()
        self.tracebacks: list[str] = []
        self.actions = list(ACTIONS)
        self.weights = list(ACTIONS.values())

    # The annotator's view of a paragraph, as the app shows it: re-read every second or so.
    def view(self, pid: int) -> list[Any]:
        read_at, annotations = self.views.get(pid, (0.0, []))
        if time.monotonic() - read_at > self.rng.uniform(0.0, 1.2):
            annotations = self.store.annotations(pid)
            self.views[pid] = (time.monotonic(), annotations)
        return annotations

    def step(self) -> None:
        pid = self.rng.choice(list(self.paragraphs))
        action = self.rng.choices(self.actions, self.weights)[0]
        save = getattr(self, f"_{action}")(pid)
        if save is None:  # nothing to do it on (no span to relabel, say)
            return
        started = time.monotonic()
        outcome = "ok"
        try:
            if save() is False:
                outcome = "noop"
        except Exception as exc:
            from layerkit.errors import ConflictError

            if isinstance(exc, ConflictError):
                outcome = "conflict"
            else:
                outcome = "error"
                first = (str(exc).strip().splitlines() or [""])[0]
                self.errors[f"{type(exc).__module__}.{type(exc).__name__}: {first[:160]}"] += 1
                if len(self.tracebacks) < KEEP_TRACEBACKS:
                    # The end of it: where in layerkit it failed, and the exception.
                    lines = traceback.format_exc().rstrip().splitlines()[-TRACEBACK_LINES:]
                    self.tracebacks.append(f"[{self.name}, {action}] ...\n" + "\n".join(lines))
        finally:
            self.saves.append((started, time.monotonic() - started, action, outcome))
        if outcome != "noop":
            self.views.pop(pid, None)  # the app re-reads the paragraph after a save

    # --- what to pick ---

    def _tokens(self, pid: int) -> list[list[int]]:
        return self.paragraphs[pid].tokens

    def _extent(self, pid: int) -> tuple[int, int]:
        tokens = self._tokens(pid)
        i = self.rng.randrange(len(tokens))
        j = min(len(tokens) - 1, i + self.rng.randint(0, 3))
        return tokens[i][0], tokens[j][1]

    def _hot(self, found: list[Any]) -> list[Any]:
        """Mostly the newest few: annotators work on the same sentence, and contend."""
        return found[-8:] if self.rng.random() < 0.7 else found

    def _pick(self, pid: int, kinds: tuple[str, ...], layers: tuple[str, ...]) -> Any:
        found = [a for a in self.view(pid) if a.kind in kinds and a.layer in layers]
        return self.rng.choice(self._hot(found)) if found else None

    def _span_values(self, pid: int) -> dict[str, Any]:
        layer = self.rng.choice(list(SPAN_FIELDS))
        name = SPAN_FIELDS[layer][0]
        start, end = self._extent(pid)
        return dict(
            paragraph_id=pid,
            layer=layer,
            kind="span",
            field=name,
            start=start,
            end=end,
            label=self.rng.choice(self.labels[layer, name]),
        )

    def _other_label(self, a: Any) -> str | None:
        labels = [x for x in self.labels.get((a.layer, a.field), ()) if x != a.label]
        return self.rng.choice(labels) if labels else None

    # --- the actions: each returns the save to time, or None ---

    def _span(self, pid: int) -> Any:
        values = self._span_values(pid)
        return lambda: self.store.create_annotation(annotator=self.name, **values)

    def _relabel(self, pid: int) -> Any:
        a = self._pick(pid, ("span", "relation"), tuple(SPAN_FIELDS))
        label = self._other_label(a) if a is not None else None
        if label is None:
            return None
        return lambda: self.store.update_annotation(
            a.id, annotator=self.name, expected_version=a.version, label=label
        )

    def _move(self, pid: int) -> Any:
        a = self._pick(pid, ("span",), tuple(SPAN_FIELDS))
        if a is None:
            return None
        start, end = self._extent(pid)
        return lambda: self.store.update_annotation(
            a.id, annotator=self.name, expected_version=a.version, start=start, end=end
        )

    def _delete(self, pid: int) -> Any:
        a = self._pick(pid, ("span", "relation"), tuple(SPAN_FIELDS))
        if a is None:
            return None
        return lambda: self.store.delete_annotation(
            a.id, annotator=self.name, expected_version=a.version
        )

    def _relation(self, pid: int) -> Any:
        layer = self.rng.choice(list(SPAN_FIELDS))
        spans = self._hot([a for a in self.view(pid) if a.kind == "span" and a.layer == layer])
        if len(spans) < 2:
            return None
        source, target = self.rng.sample(spans, 2)
        name = SPAN_FIELDS[layer][1]
        label = self.rng.choice(self.labels[layer, name])
        return lambda: self.store.create_annotation(
            paragraph_id=pid,
            layer=layer,
            kind="relation",
            field=name,
            annotator=self.name,
            label=label,
            source_id=source.id,
            target_id=target.id,
        )

    def _status(self, pid: int) -> Any:
        """Set a layer's status to another state than the one the annotator sees."""
        layer = self.rng.choice([*SPAN_FIELDS, MODEL_LAYER])
        seen = self.store.statuses(pid)[layer].state
        state = self.rng.choice([s for s in ("in_progress", "done", "todo") if s != seen])
        return lambda: self.store.set_status(pid, layer, state, annotator=self.name)

    def _undo(self, pid: int) -> Any:
        return lambda: self.store.undo(self.name) is not None

    def _redo(self, pid: int) -> Any:
        return lambda: self.store.redo(self.name) is not None

    def _batch(self, pid: int) -> Any:
        """Two spans and a relation between them, and another span relabelled: one gesture."""
        first, second = self._span_values(pid), self._span_values(pid)
        second["layer"], second["field"] = first["layer"], first["field"]
        layer = first["layer"]
        relation_field = SPAN_FIELDS[layer][1]
        relation_label = self.rng.choice(self.labels[layer, relation_field])
        other = self._pick(pid, ("span",), (layer,))
        other_label = self._other_label(other) if other is not None else None

        def save() -> None:
            with self.store.batch(
                annotator=self.name, label="bench gesture", paragraph_id=pid, layer=layer
            ) as b:
                one = b.create_annotation(**first)
                two = b.create_annotation(**second)
                b.create_annotation(
                    paragraph_id=pid,
                    layer=layer,
                    kind="relation",
                    field=relation_field,
                    label=relation_label,
                    source_id=one.id,
                    target_id=two.id,
                )
                if other_label is not None:
                    b.update_annotation(other.id, expected_version=other.version, label=other_label)

        return save

    def _lexical_closed(self, pid: int) -> bool:
        """The model's paragraphs are edited on the lexical layer only once ``preannotate
        --redo`` has listed the paragraphs it will redo (its first batch is committed): so
        that they are on its list, and the annotators' edits race its last batch."""
        return pid in self.plain and not self.lexical_go.is_set()

    def _token(self, pid: int) -> Any:
        """Correct one token's UPOS and lemma (the token table's edit)."""
        a = None if self._lexical_closed(pid) else self._pick(pid, ("token",), (MODEL_LAYER,))
        if a is None:
            return None
        attrs = {**(a.attrs or {}), "lemma": f"{(a.attrs or {}).get('lemma', '')}-{self.name}"}
        label = self.rng.choice([u for u in UPOS if u != a.label])
        return lambda: self.store.update_annotation(
            a.id, annotator=self.name, expected_version=a.version, label=label, attrs=attrs
        )

    def _accept(self, pid: int) -> Any:
        """Accept the model's tokens of one sentence: one batch (ctrl+a in the app)."""
        sentences = self.paragraphs[pid].sentences
        if not sentences or self._lexical_closed(pid):
            return None
        start, end = self.rng.choice(sentences)
        pending = [
            a
            for a in self.view(pid)
            if a.layer == MODEL_LAYER
            and a.kind == "token"
            and a.origin != "human"
            and a.start is not None
            and start <= a.start < end
        ]
        if not pending:
            return None

        def save() -> None:
            with self.store.batch(
                annotator=self.name, label="accept sentence", paragraph_id=pid, layer=MODEL_LAYER
            ) as b:
                for a in pending:
                    b.update_annotation(a.id, expected_version=a.version, origin="human")

        return save


def annotator_main(
    index: int,
    db: str,
    name: str,
    shared: tuple[list[int], list[int]],
    seed: int,
    think_ms: float,
    events: tuple[Any, Any, Any, Any],
    out: str,
) -> None:
    """An annotator process: open the store as the app does, edit until told to stop, write the
    figures to ``out`` (JSON)."""
    from layerkit.project import Project

    ready, go, lexical_go, stop = events
    project = Project.load(db)
    store = project.open_store()
    annotator = Annotator(store, project.schemas, name, shared, seed, lexical_go)
    ready.put(index)
    go.wait()
    try:
        while not stop.is_set():
            annotator.step()
            if think_ms:
                time.sleep(annotator.rng.uniform(0, 2 * think_ms) / 1000)
    finally:
        store.close()
        data = {
            "name": name,
            "saves": annotator.saves,
            "errors": dict(annotator.errors),
            "tracebacks": annotator.tracebacks,
        }
        Path(out).write_text(json.dumps(data), encoding="utf-8")


# --- the lost-update check --------------------------------------------------------------------

UNKNOWN: Any = object()  # a row the log cannot tell (replaced by pre-annotation, maybe)


def _content(row: dict[str, Any]) -> tuple[str, ...]:
    from layerkit.store.edits import CONTENT_FIELDS

    return tuple(json.dumps(row.get(f), sort_keys=True, ensure_ascii=False) for f in CONTENT_FIELDS)


def _state(status: dict[str, Any] | None) -> str:
    return status["state"] if status else "todo"


class Replay:
    """The state the event log implies for the shared paragraphs, checked event by event."""

    def __init__(
        self,
        shared: list[int],
        rows: dict[int, dict[str, Any]],
        statuses: dict[tuple[int, str], str],
    ) -> None:
        self.shared = set(shared)
        self.rows: dict[int, Any] = dict(rows)  # id -> row dict, None (deleted) or UNKNOWN
        self.statuses = dict(statuses)  # (paragraph, layer) -> state; no row: todo
        self.events: dict[int, dict[str, Any]] = {}
        self.problems: list[dict[str, Any]] = []
        self.touched: set[int] = set()
        self.event: dict[str, Any] = {}

    def problem(self, kind: str, what: str, implied: Any = None, logged: Any = None) -> None:
        self.problems.append(
            {
                "kind": kind,
                "event": self.event.get("id"),
                "annotator": self.event.get("annotator"),
                "action": self.event.get("action"),
                "what": what,
                "implied": implied,
                "logged": logged,
            }
        )

    def expect(self, aid: int, row: dict[str, Any] | None, kind: str, version: bool) -> None:
        """The log says annotation ``aid`` is ``row`` (None: absent) right now; check it."""
        self.touched.add(aid)
        have = self.rows.get(aid, UNKNOWN)
        if have is UNKNOWN:
            return
        if have is None or row is None:
            if have is not row:
                self.problem(kind, f"annotation {aid}", _brief(have), _brief(row))
            return
        # A version is unknown (None) after an undo or redo of a row the log could not tell.
        known = version and have["version"] is not None
        if _content(have) != _content(row) or (known and have["version"] != row["version"]):
            self.problem(kind, f"annotation {aid}", _brief(have), _brief(row))

    def status(self, pid: int, layer: str) -> str | None:
        """The state the log implies (None: unknown, a paragraph that is not shared)."""
        return self.statuses.get((pid, layer), "todo" if pid in self.shared else None)

    def expect_status(self, pid: int, layer: str, state: str, kind: str) -> None:
        have = self.status(pid, layer)
        if have is not None and have != state:
            self.problem(kind, f"status {layer} of paragraph {pid}", have, state)

    def set_row(self, aid: int, row: dict[str, Any] | None, version: int | None = None) -> None:
        self.touched.add(aid)
        if row is not None:
            row = dict(row)
            if version is not None:
                row["version"] = version
        self.rows[aid] = row

    def bump(self, aid: int, content: dict[str, Any]) -> None:
        """An undo or redo restored ``content``'s fields, at the current version + 1."""
        have = self.rows.get(aid, UNKNOWN)
        version = have["version"] + 1 if isinstance(have, dict) else None
        row = dict(content)
        row["version"] = version
        self.set_row(aid, row)

    def cascade(self, deleted: set[int], recorded: set[int]) -> None:
        """Rows the database cascade deletes with ``deleted``: those not ``recorded`` in the
        event were deleted without a trace in the log."""
        frontier = set(deleted)
        while frontier:
            found = {
                aid
                for aid, row in self.rows.items()
                if isinstance(row, dict)
                and (row.get("source_id") in frontier or row.get("target_id") in frontier)
            }
            frontier = found - deleted
            for aid in sorted(frontier - recorded):
                self.problem("cascade", f"annotation {aid}", _brief(self.rows[aid]), None)
            for aid in frontier:
                self.rows[aid] = None
            deleted |= frontier

    # --- statuses, as edits._check_and_apply_statuses ---

    def apply_statuses(self, edit: dict[str, Any], *, forward: bool, undoing: bool) -> None:
        payload = edit["payload"]
        before = payload.get("status_before") or {}
        after = payload.get("status_after") or {}
        if not before and not after:
            return
        pid = edit["paragraph_id"]
        if not undoing:  # a new edit: its before must be what the log left
            for layer in set(before) | set(after):
                self.expect_status(pid, layer, _state(before.get(layer)), "before")
                self.statuses[pid, layer] = _state(after.get(layer))
            return
        expected, target = (before, after) if forward else (after, before)
        kind = "redo" if forward else "undo"
        if edit["action"] == "status":
            layer = edit["layer"]
            self.expect_status(pid, layer, _state(expected.get(layer)), kind)
        for layer in set(before) | set(after):
            have = self.status(pid, layer)
            if have is None or have == _state(expected.get(layer)):
                self.statuses[pid, layer] = _state(target.get(layer))

    # --- edits ---

    def forward(self, edit: dict[str, Any]) -> None:
        """A new edit (an event of its own or a batch's sub-edit)."""
        action, payload = edit["action"], edit["payload"]
        if action == "batch":
            for sub in payload["edits"]:
                self.forward(sub)
            return
        if action == "create":
            after = payload["after"]
            self.expect(after["id"], None, "before", version=False)
            self.set_row(after["id"], after)
        elif action == "update":
            before, after = payload["before"], payload["after"]
            self.expect(before["id"], before, "before", version=True)
            self.set_row(after["id"], after)
        elif action == "delete":
            rows = [payload["before"], *payload.get("cascade", [])]
            for row in rows:
                self.expect(row["id"], row, "before", version=True)
                self.set_row(row["id"], None)
            recorded = {r["id"] for r in rows}
            self.cascade(set(recorded), recorded)
        self.apply_statuses(edit, forward=True, undoing=False)

    def invert(self, edit: dict[str, Any]) -> None:
        action, payload = edit["action"], edit["payload"]
        if action == "batch":
            for sub in reversed(payload["edits"]):
                self.invert(sub)
            return
        if action == "create":
            after = payload["after"]
            self.expect(after["id"], after, "undo", version=False)
            self.set_row(after["id"], None)
        elif action == "update":
            before, after = payload["before"], payload["after"]
            self.expect(after["id"], after, "undo", version=False)
            self.bump(before["id"], before)
        elif action == "delete":
            for row in [payload["before"], *payload.get("cascade", [])]:
                self.expect(row["id"], None, "undo", version=False)
                self.set_row(row["id"], row, version=row["version"] + 1)
        self.apply_statuses(edit, forward=False, undoing=True)

    def reapply(self, edit: dict[str, Any]) -> None:
        action, payload = edit["action"], edit["payload"]
        if action == "batch":
            for sub in payload["edits"]:
                self.reapply(sub)
            return
        if action == "create":
            after = payload["after"]
            self.expect(after["id"], None, "redo", version=False)
            self.set_row(after["id"], after)
        elif action == "update":
            before, after = payload["before"], payload["after"]
            self.expect(before["id"], before, "redo", version=False)
            self.bump(after["id"], after)
        elif action == "delete":
            before = payload["before"]
            self.expect(before["id"], before, "redo", version=False)
            self.set_row(before["id"], None)
            # The redo deletes the row; the database cascade takes what points at it, which
            # the original delete recorded (and its undo restored): anything else is lost.
            recorded = {r["id"] for r in payload.get("cascade", [])}
            self.cascade({before["id"]}, recorded)
        self.apply_statuses(edit, forward=True, undoing=True)

    def apply(self, event: dict[str, Any]) -> None:
        self.events[event["id"]] = event
        self.event = event
        action = event["action"]
        if action in ("create", "update", "delete", "status", "batch"):
            self.forward(event)
        elif action == "undo":
            self.invert(self.events[event["payload"]["undoes"]])
        elif action == "redo":
            self.reapply(self.events[event["payload"]["redoes"]])
        elif action == "preannotate":
            for aid, row in self.rows.items():
                model = isinstance(row, dict) and row.get("origin") != "human"
                if model and row["layer"] == MODEL_LAYER:
                    self.rows[aid] = UNKNOWN

    def compare(
        self, final: dict[int, dict[str, Any]], statuses: dict[tuple[int, str], str]
    ) -> int:
        """Compare with the final rows; returns how many annotations could not be checked."""
        self.event = {}
        unknown = 0
        for aid, implied in sorted(self.rows.items()):
            actual = final.get(aid)
            if implied is UNKNOWN:
                unknown += 1
            elif implied is None or actual is None:
                if implied is not actual:
                    self.problem("final", f"annotation {aid}", _brief(implied), _brief(actual))
            elif _content(implied) != _content(actual) or (
                implied["version"] is not None and implied["version"] != actual["version"]
            ):
                self.problem("final", f"annotation {aid}", _brief(implied), _brief(actual))
        for aid, actual in sorted(final.items()):
            if aid not in self.rows:
                model = actual["layer"] == MODEL_LAYER and actual["origin"] != "human"
                if not model:
                    self.problem("final", f"annotation {aid} (no event)", None, _brief(actual))
        for key, implied_state in sorted(self.statuses.items()):
            actual_state = statuses.get(key, "todo")
            if implied_state != actual_state:
                self.problem(
                    "final", f"status {key[1]} of paragraph {key[0]}", implied_state, actual_state
                )
        return unknown


def _brief(row: Any) -> Any:
    if row is UNKNOWN:
        return "unknown"
    if not isinstance(row, dict):
        return row
    keys = ("layer", "kind", "start", "end", "label", "source_id", "target_id", "origin", "version")
    return {k: row.get(k) for k in keys}


def snapshot(conn: Any, shared: list[int], ids: set[int] | None = None) -> tuple[Any, Any]:
    """The annotations of the shared paragraphs (and ``ids``) and their layer statuses."""
    import sqlalchemy as sa

    from layerkit.store.edits import annotations_t, row_to_json, status_t

    a, s = annotations_t.c, status_t.c
    where: Any = a.paragraph_id.in_(shared)
    if ids:
        where = where | a.id.in_(sorted(ids))
    rows = {
        r["id"]: row_to_json(r)
        for r in conn.execute(sa.select(annotations_t).where(where)).mappings()
    }
    statuses = {
        (r.paragraph_id, r.layer): r.state
        for r in conn.execute(sa.select(status_t).where(s.paragraph_id.in_(shared)))
    }
    return rows, statuses


def events_after(conn: Any, first_id: int) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from layerkit.store.edits import events_t

    query = sa.select(events_t).where(events_t.c.id > first_id).order_by(events_t.c.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def last_event_id(conn: Any) -> int:
    import sqlalchemy as sa

    from layerkit.store.edits import events_t

    return conn.execute(sa.select(sa.func.max(events_t.c.id))).scalar() or 0


def preannotated_since(conn: Any, first_id: int) -> bool:
    import sqlalchemy as sa

    from layerkit.store.edits import events_t

    e = events_t.c
    query = sa.select(e.id).where((e.id > first_id) & (e.action == "preannotate")).limit(1)
    return conn.execute(query).first() is not None


def check_log(
    conn: Any, shared: list[int], baseline: tuple[Any, Any], first_event: int, names: set[str]
) -> tuple[Replay, int, int]:
    """Replay the run's events over the baseline and compare with the final rows."""
    replay = Replay(shared, *baseline)
    events = [
        e
        for e in events_after(conn, first_event)
        if e["annotator"] in names or e["action"] == "preannotate"
    ]
    for event in events:
        replay.apply(event)
    final = snapshot(conn, shared, replay.touched)
    unknown = replay.compare(*final)
    return replay, unknown, len(events)


def self_test(
    store: Any,
    shared: list[int],
    baseline: tuple[Any, Any],
    first_event: int,
    names: set[str],
    found: list[dict[str, Any]],
) -> str:
    """Check the check: in a transaction that is rolled back, change the final rows behind the
    log's back (a label, a relation deleted, a status) and rewrite one update event's ``before``
    as if it had been computed from stale data; the replay must report exactly those four."""
    import sqlalchemy as sa

    from layerkit.store.edits import annotations_t, events_t, status_t

    conn = store.engine.connect()
    transaction = conn.begin()
    try:
        events = [e for e in events_after(conn, first_event) if e["annotator"] in names]
        undone = {e["payload"]["undoes"] for e in events if e["action"] == "undo"}
        updates = [
            e
            for e in events
            if e["action"] == "update" and e["layer"] != MODEL_LAYER and e["id"] not in undone
        ]
        rows, statuses = snapshot(conn, shared)
        mine = [r for r in rows.values() if r["annotator"] in names and r["layer"] != MODEL_LAYER]
        relations = [r for r in mine if r["kind"] == "relation"]
        spans = [r for r in mine if r["kind"] == "span"]
        if not (updates and relations and spans):
            return "skipped (the run left no update, relation and span to corrupt)"
        stale = updates[-1]
        label_of = spans[0] if spans[0]["id"] != stale["annotation_id"] else spans[-1]
        relation = next(r for r in relations if r["id"] != stale["annotation_id"])
        pid = shared[0]
        state = statuses.get((pid, "pragmatic"), "todo")
        expected = {
            ("final", f"annotation {label_of['id']}"),
            ("final", f"annotation {relation['id']}"),
            ("final", f"status pragmatic of paragraph {pid}"),
            ("before", f"annotation {stale['annotation_id']}"),
        }
        a = annotations_t.c
        conn.execute(annotations_t.update().where(a.id == label_of["id"]).values(label="CORRUPTED"))
        conn.execute(annotations_t.delete().where(a.id == relation["id"]))
        s = status_t.c
        where = (s.paragraph_id == pid) & (s.layer == "pragmatic")
        conn.execute(status_t.delete().where(where))
        conn.execute(
            status_t.insert().values(
                paragraph_id=pid,
                layer="pragmatic",
                state="done" if state != "done" else "stale",
                annotator="corrupter",
                updated_at=sa.func.now(),
            )
        )
        payload = json.loads(json.dumps(stale["payload"]))
        payload["before"]["label"] = "STALE-" + str(payload["before"]["label"])
        conn.execute(events_t.update().where(events_t.c.id == stale["id"]).values(payload=payload))
        replay, _, _ = check_log(conn, shared, baseline, first_event, names)
    finally:
        transaction.rollback()
        conn.close()
    before = {(p["kind"], p["what"]) for p in found}
    after = {(p["kind"], p["what"]) for p in replay.problems}
    new = after - before
    if new == expected and len(replay.problems) == len(found) + len(expected):
        return f"OK, the {len(expected)} corruptions injected were all reported, nothing else"
    missed = expected - new
    extra = new - expected
    return f"FAILED: missed {sorted(missed)}, reported besides {sorted(extra)}"


# --- the run ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def choose_shared(store: Any, count: int, base: str) -> tuple[list[int], list[int]]:
    """The shared paragraphs: half annotated sample paragraphs (human lexical tokens), half
    plain ones with the model's tokens, the last paragraphs of the generated base document, so
    that ``preannotate --redo`` reaches them in its last batch. Returns (all, plain ones)."""
    docs = store.documents()
    annotated = [d.id for d in docs if d.format == "jsonl"]
    generated = [d.id for d in docs if d.source.endswith(base)]
    pick_annotated = [p.id for d in annotated for p in store.iter_paragraphs(d)][: count // 2]
    candidates = [p.id for d in generated for p in store.iter_paragraphs(d) if len(p.tokens) >= 20]
    plain = candidates[max(0, len(candidates) - (count - len(pick_annotated))) :]
    return sorted(pick_annotated + plain), plain


def setup(args: argparse.Namespace, work: Path, base: Path) -> dict[str, float]:
    times = {"init": layerkit(args.db, "init")}
    base.parent.mkdir()
    sample_paragraphs = 57  # sample_corpus/: 44 plain paragraphs and 13 annotated ones
    write_paragraphs(
        base, count=max(1, args.paragraphs - sample_paragraphs), seed=args.seed, tag=base.stem
    )
    times["import"] = layerkit(args.db, "import", str(SAMPLE), str(base))
    if args.preannotate:
        times["preannotate"] = layerkit(args.db, "preannotate")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="SQLite file path or SQLAlchemy URL")
    parser.add_argument("--annotators", type=int, default=4, help="annotator processes")
    parser.add_argument("--seconds", type=float, default=30.0, help="editing time (at least)")
    parser.add_argument(
        "--paragraphs", type=int, default=300, help="paragraphs of the store before the run"
    )
    parser.add_argument("--shared", type=int, default=4, help="paragraphs all annotators edit")
    parser.add_argument("--import-mb", type=float, default=20.0, help="size of the text imported")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--think-ms", type=float, default=25.0, help="mean pause between edits")
    parser.add_argument("--timeout", type=float, default=900.0, help="stop everything after this")
    parser.add_argument("--no-import", dest="do_import", action="store_false")
    parser.add_argument("--no-preannotate", dest="preannotate", action="store_false")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--state",
        help="write what the lost-update check needs to this JSON file (see --check-only)",
    )
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="only run the lost-update check of an earlier run's --state on --db (a copy, say)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="also check the lost-update check on corrupted final rows (rolled back)",
    )
    args = parser.parse_args()
    if "://" not in args.db:  # the layerkit subprocesses run in the repository
        args.db = str(Path(args.db).expanduser().resolve())
    backend = "sqlite" if "://" not in args.db or args.db.startswith("sqlite") else "postgresql"
    if args.check_only:
        if not args.state:
            parser.error("--check-only needs --state FILE")
        sys.exit(check_only(args, backend))
    tag = f"{args.seed}-{os.getpid()}-{int(time.time())}"
    work = Path(tempfile.mkdtemp(prefix="layerkit-concurrency-"))
    try:
        code = run(args, backend, tag, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(code)


def run(args: argparse.Namespace, backend: str, tag: str, work: Path) -> int:
    from layerkit.project import Project

    print(f"store: {args.db} ({backend}); set-up ...", flush=True)
    base = work / "base" / f"bench-base-{tag}.txt"
    times = setup(args, work, base)
    big = work / f"bench-import-{tag}.txt"
    if args.do_import:
        started = time.perf_counter()
        n = write_paragraphs(big, mb=args.import_mb, seed=args.seed + 1, tag=f"{tag}-import")
        times["generate"] = time.perf_counter() - started
        print(f"generated {big.stat().st_size / 2**20:.1f} MiB, {n} paragraphs to import")
    print("set-up seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()), flush=True)

    project = Project.load(args.db)
    store = project.open_store()
    shared, plain = choose_shared(store, args.shared, base.name)
    with store.engine.connect() as conn:
        baseline = snapshot(conn, shared)
        first_event = last_event_id(conn)
    summary = store.summary()
    print(
        f"store: {summary.paragraphs} paragraphs; shared paragraphs {shared} "
        f"({len(baseline[0])} annotations; {plain} with the model's lexical tokens)"
    )

    names = [f"bench{tag}-{i}" for i in range(args.annotators)]
    ctx = mp.get_context("spawn")
    ready, go, lexical_go, stop = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Event()
    outs = [work / f"annotator-{i}.json" for i in range(args.annotators)]
    procs = [
        ctx.Process(
            target=annotator_main,
            args=(
                i,
                args.db,
                name,
                (shared, plain),
                args.seed * 1000 + i,
                args.think_ms,
                (ready, go, lexical_go, stop),
                str(out),
            ),
        )
        for i, (name, out) in enumerate(zip(names, outs, strict=True))
    ]
    for proc in procs:
        proc.start()
    try:
        for _ in procs:
            ready.get(timeout=300)
    except Exception:
        for proc in procs:
            proc.terminate()
        sys.exit("an annotator process did not start (see its error above)")

    go.set()
    t0 = time.monotonic()
    children: list[Child] = []
    if args.preannotate:
        children.append(Child("preannotate", args.db, ["preannotate", "--redo"], work))
    if args.do_import:
        children.append(Child("import", args.db, ["import", str(big)], work))
    if not args.preannotate:
        lexical_go.set()
    timed_out = False
    while True:
        time.sleep(0.1)
        running = [c for c in children if not c.poll()]
        if not lexical_go.is_set():
            with store.engine.connect() as conn:
                if preannotated_since(conn, first_event) or children[0].poll():
                    lexical_go.set()
                    print(
                        f"lexical edits of the model's paragraphs open at {time.monotonic() - t0:.1f} s"
                    )
        elapsed = time.monotonic() - t0
        if elapsed >= args.seconds and not running:
            break
        if elapsed >= args.timeout:
            timed_out = True
            for child in running:
                child.kill()
            break
    stop.set()
    edit_seconds = time.monotonic() - t0
    for proc in procs:
        proc.join(timeout=120)
        if proc.is_alive():
            proc.terminate()
            proc.join()
    print(f"ran {edit_seconds:.1f} s{' (stopped by --timeout)' if timed_out else ''}", flush=True)

    # --- figures ---
    saves: list[tuple[float, float, str, str]] = []
    errors: Counter[str] = Counter()
    tracebacks: list[str] = []
    for proc, out in zip(procs, outs, strict=True):
        if not out.exists():
            errors[f"annotator process exited {proc.exitcode} without its figures"] += 1
            continue
        data = json.loads(out.read_text(encoding="utf-8"))
        saves.extend(tuple(s) for s in data["saves"])
        errors.update(data["errors"])
        tracebacks.extend(data["tracebacks"])
    for child in children:
        if child.proc.returncode != 0:
            tail = child.output().strip().splitlines()[-12:]
            errors[f"layerkit {child.name} exited {child.proc.returncode}"] += 1
            tracebacks.append(f"[layerkit {child.name}] ...\n" + "\n".join(tail))

    outcomes = Counter(s[3] for s in saves)
    ms = [s[1] * 1000 for s in saves]
    committed = [s[1] * 1000 for s in saves if s[3] == "ok"]
    importer = next((c for c in children if c.name == "import"), None)
    during: list[float] = []
    if importer is not None:
        end = importer.ended or time.monotonic()
        during = [s[1] * 1000 for s in saves if importer.started <= s[0] < end]
    p95 = percentile(ms, 95)
    print(
        f"saves: {len(saves)} ({outcomes['ok']} committed, {outcomes['conflict']} conflicts, "
        f"{outcomes['noop']} undo/redo with nothing to do, {outcomes['error']} errors); "
        f"{outcomes['ok'] / edit_seconds:.1f} edits/s by {args.annotators} annotators"
    )
    per_action = Counter(s[2] for s in saves if s[3] == "ok")
    print("committed per action: " + ", ".join(f"{k} {v}" for k, v in per_action.most_common()))
    print(
        f"save latency: p50 {percentile(ms, 50):.1f} ms, p95 {p95:.1f} ms, max {max(ms, default=0):.0f} ms"
        f" (committed only: p50 {percentile(committed, 50):.1f}, p95 {percentile(committed, 95):.1f})"
    )
    if importer is not None:
        p95_import = percentile(during, 95)
        print(
            f"during the import ({len(during)} saves): p50 {percentile(during, 50):.1f} ms, "
            f"p95 {p95_import:.1f} ms = {p95_import / GOAL_MS:.2f}x the {GOAL_MS:.0f} ms goal"
        )
    for child in children:
        last = (child.output().strip().splitlines() or [""])[-1]
        print(f"layerkit {child.name}: exit {child.proc.returncode}, {child.seconds:.1f} s: {last}")
    print(f"conflicts reported: {outcomes['conflict']}")

    state = {
        "shared": shared,
        "first_event": first_event,
        "names": names,
        "rows": list(baseline[0].values()),
        "statuses": [[pid, layer, st] for (pid, layer), st in baseline[1].items()],
    }
    if args.state:
        Path(args.state).write_text(json.dumps(state), encoding="utf-8")
    lost = report_check(store, state, self_check=args.self_test)
    store.close()
    n_errors = sum(errors.values())
    print(f"unexpected errors: {n_errors}")
    for what, n in errors.most_common(8):
        print(f"  {n} x {what}")
    for text in tracebacks[:5]:
        print("  " + text.rstrip().replace("\n", "\n  "))
    print(f"backend={backend} lost_updates={lost} errors={n_errors} p95_save_ms={p95:.1f}")
    return 1 if lost or n_errors else 0


def report_check(store: Any, state: dict[str, Any], *, self_check: bool) -> int:
    """Run the lost-update check (and its self-test), print it; returns the lost updates."""
    shared, first_event, names = state["shared"], state["first_event"], set(state["names"])
    baseline = (
        {r["id"]: r for r in state["rows"]},
        {(pid, layer): st for pid, layer, st in state["statuses"]},
    )
    with store.engine.connect() as conn:
        replay, unknown, n_events = check_log(conn, shared, baseline, first_event, names)
    kinds = Counter(p["kind"] for p in replay.problems)
    statuses = sum(1 for p in replay.problems if p["what"].startswith("status"))
    print(
        f"lost-update check: {n_events} events replayed, {len(replay.touched)} annotations touched, "
        f"{unknown} left unknown by pre-annotation; lost updates: {len(replay.problems)}"
        + (
            f" ({', '.join(f'{k} {v}' for k, v in kinds.most_common())}; {statuses} of them statuses)"
            if replay.problems
            else ""
        )
    )
    for p in replay.problems[:8]:
        where = f" at event {p['event']} ({p['annotator']} {p['action']})" if p["event"] else ""
        found = "found in the event" if p["event"] else "found in the store"
        print(
            f"  {p['kind']}: {p['what']}{where}: log implies {p['implied']}, {found} {p['logged']}"
        )
    if self_check:
        verdict = self_test(store, shared, baseline, first_event, names, replay.problems)
        print(f"self-test of the lost-update check: {verdict}")
    return len(replay.problems)


def check_only(args: argparse.Namespace, backend: str) -> int:
    """``--check-only``: the lost-update check of an earlier run (its ``--state``) on ``--db``."""
    from layerkit.project import Project

    state = json.loads(Path(args.state).read_text(encoding="utf-8"))
    with Project.load(args.db).open_store() as store:
        lost = report_check(store, state, self_check=args.self_test)
    print(f"backend={backend} lost_updates={lost} errors=0 p95_save_ms=nan")
    return 1 if lost else 0


if __name__ == "__main__":
    main()
