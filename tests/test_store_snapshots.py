"""SQLite's per-paragraph snapshots of the shared layers (``snapshots.py``): whatever writes,
a snapshot that exists equals the rows, and the bulk reader gives what the rows give."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import LAYERS
from test_store_bundles import _fill

from layerkit.errors import ConflictError
from layerkit.store import Store, corpus, snapshots


def _driver(store: Store) -> sqlite3.Connection:
    return sqlite3.connect(store.url.removeprefix("sqlite:///"))


def _snapshots(store: Store) -> dict[int, bytes]:
    with _driver(store) as db:
        return dict(db.execute(f"SELECT paragraph_id, rows FROM {snapshots.TABLE}").fetchall())


def _rows_of_shared_layers(store: Store) -> dict[int, dict[str, list[Any]]]:
    """Every paragraph's shared annotations as the row reader gives them (SQLAlchemy's path,
    which never looks at snapshots)."""
    return {
        bundle.id: {k: v for k, v in bundle.annotations.items() if snapshots.is_shared(k)}
        for bundle in store.iter_paragraph_bundles(raw=False)
    }


def _assert_snapshots_true(store: Store, *, every: bool = True) -> None:
    """No paragraph is left noted stale; each snapshot there is decodes to the paragraph's
    rows; with ``every``, each paragraph has one."""
    with _driver(store) as db:
        assert db.execute(f"SELECT count(*) FROM {snapshots.STALE_TABLE}").fetchone() == (0,)
    rows = _rows_of_shared_layers(store)
    taken = _snapshots(store)
    if every:
        assert set(taken) == set(rows)
    for paragraph_id, blob in taken.items():
        assert snapshots.decode(blob, LAYERS) == rows[paragraph_id]
    # and the bulk reader (which reads snapshots) gives what the rows give
    read = store.iter_paragraph_bundles(layers=LAYERS)
    assert {b.id: b.annotations for b in read} == rows


@pytest.fixture
def sqlite_store(db_path: Path):
    with Store.open(db_path, layer_order=LAYERS) as store:
        yield store


def test_an_import_leaves_a_snapshot_of_every_paragraph(sqlite_store: Store) -> None:
    _fill(sqlite_store, documents=3, per_document=4)
    assert len(_snapshots(sqlite_store)) == 12
    _assert_snapshots_true(sqlite_store)


def test_the_bulk_reader_reads_the_snapshots(sqlite_store: Store) -> None:
    """Rows changed behind the triggers' back (only possible by dropping them) are not seen:
    the reader took the paragraph from its snapshot."""
    _fill(sqlite_store, documents=1, per_document=2)
    with _driver(sqlite_store) as db:
        db.execute(f"DROP TRIGGER {snapshots.TABLE}_au")
        db.execute("UPDATE annotations SET label = 'CHANGED' WHERE layer = 'semantic'")
    (first, _) = sqlite_store.iter_paragraph_bundles(layers=LAYERS)
    assert "CHANGED" not in {a.label for a in first.annotations["semantic"]}
    (raw_first, _) = sqlite_store.iter_paragraph_bundles(layers=LAYERS, raw=False)
    assert "CHANGED" in {a.label for a in raw_first.annotations["semantic"]}


def test_edits_undo_and_redo_keep_snapshots_true(sqlite_store: Store) -> None:
    store = sqlite_store
    _fill(store, documents=1, per_document=3)
    first, second, _ = (b.id for b in store.iter_paragraph_bundles())
    span = store.create_annotation(
        paragraph_id=first, layer="semantic", kind="span", field="frame", start=0, end=6,
        label="TIME", annotator="anna", attrs={"note": "ё и е, «кавычки», 🙂"},
    )  # fmt: skip
    _assert_snapshots_true(store)
    target = store.annotations(first, "semantic")[0]
    relation = store.create_annotation(
        paragraph_id=first, layer="semantic", kind="relation", field="role", label="AGENT",
        source_id=span.id, target_id=target.id, annotator="anna",
    )  # fmt: skip
    store.update_annotation(span.id, annotator="anna", label="PLACE")
    _assert_snapshots_true(store)
    # deleting the span takes the relation pointing at it with it (a cascade)
    store.delete_annotation(span.id, annotator="anna")
    assert relation.id not in {a.id for a in store.annotations(first)}
    _assert_snapshots_true(store)
    store.undo("anna")
    assert relation.id in {a.id for a in store.annotations(first)}
    _assert_snapshots_true(store)
    store.redo("anna")
    _assert_snapshots_true(store)
    # a batch over two paragraphs, one of its edits refused (a savepoint rolled back)
    lexical = store.annotations(second, "lexical")[0]
    with store.batch(annotator="anna", label="two paragraphs") as batch:
        batch.update_annotation(lexical.id, label="VERB")
        batch.create_annotation(
            paragraph_id=first, layer="pragmatic", kind="label", field="speech_act",
            label="ASSERTIVE",
        )  # fmt: skip
        with pytest.raises(ConflictError):
            batch.update_annotation(lexical.id, label="ADJ", expected_version=1)
    assert store.annotation(lexical.id).label == "VERB"
    _assert_snapshots_true(store)
    store.undo("anna")
    _assert_snapshots_true(store)


def test_model_suggestions_and_private_copies(sqlite_store: Store) -> None:
    store = sqlite_store
    _fill(store, documents=1, per_document=2)
    first, second = (b.id for b in store.iter_paragraph_bundles())
    with store.bulk(annotator="model", action="preannotate") as writer:
        writer.replace_model_layers(
            "logical",
            [(first, [{"layer": "logical", "kind": "span", "field": "claim", "start": 0,
                       "end": 6, "label": "CLAIM", "origin": "model:x", "annotator": "model"}])],
        )  # fmt: skip
    assert [a.label for a in store.annotations(first, "logical")] == ["CLAIM"]
    _assert_snapshots_true(store)
    before = _snapshots(store)[second]
    store.assign([second], ["semantic"], ["anna", "boris"], by="lead", copy_shared=True)
    store.create_annotation(
        paragraph_id=second, layer="semantic", kind="span", field="frame", start=0, end=3,
        label="TIME", annotator="anna",
    )  # fmt: skip
    assert any(a.layer == "semantic@anna" for a in store.annotations(second))
    # private copies are not in snapshots: making or editing them leaves the shared ones be
    assert _snapshots(store)[second] == before
    _assert_snapshots_true(store)


def test_an_unreadable_or_missing_snapshot_is_read_from_the_rows(sqlite_store: Store) -> None:
    """Missing, not JSON, or rows of another shape (a snapshot written for other fields than
    today's Annotation): each paragraph is read from its rows."""
    _fill(sqlite_store, documents=1, per_document=4)
    first, second, third, fourth = (b.id for b in sqlite_store.iter_paragraph_bundles())
    expected = _rows_of_shared_layers(sqlite_store)
    with _driver(sqlite_store) as db:
        db.execute(
            f"UPDATE {snapshots.TABLE} SET rows = '{{\"lexical\": [' WHERE paragraph_id = ?",
            (first,),
        )
        db.execute(f"DELETE FROM {snapshots.TABLE} WHERE paragraph_id = ?", (second,))
        (blob,) = db.execute(
            f"SELECT rows FROM {snapshots.TABLE} WHERE paragraph_id = ?", (third,)
        ).fetchone()
        shorter = {layer: [row[:-1] for row in rows] for layer, rows in orjson.loads(blob).items()}
        db.execute(
            f"UPDATE {snapshots.TABLE} SET rows = ? WHERE paragraph_id = ?",
            (orjson.dumps(shorter), third),
        )
    read = {b.id: b.annotations for b in sqlite_store.iter_paragraph_bundles(layers=LAYERS)}
    assert read == expected
    assert set(read[fourth]) == {"lexical", "semantic", "pragmatic"}


def test_rows_json_cannot_hold_get_no_snapshot(sqlite_store: Store) -> None:
    """Another program's write (no engine hook) leaves its paragraphs noted stale, and the
    next store write makes them again; one with an infinite confidence (JSON has no infinity)
    gets none and is read from its rows."""
    _fill(sqlite_store, documents=1, per_document=2)
    first, second = (b.id for b in sqlite_store.iter_paragraph_bundles())
    with _driver(sqlite_store) as db:
        db.execute(
            "UPDATE annotations SET confidence = 9e999 WHERE paragraph_id = ? AND layer = ?",
            (first, "pragmatic"),
        )
        db.execute("UPDATE annotations SET label = 'ADJ' WHERE paragraph_id = ?", (second,))
    assert set(_snapshots(sqlite_store)) == set()
    sqlite_store.set_status(second, "logical", "in_progress", annotator="anna")
    assert set(_snapshots(sqlite_store)) == {second}
    _assert_snapshots_true(sqlite_store, every=False)
    (bundle, _) = sqlite_store.iter_paragraph_bundles(layers=LAYERS)
    assert bundle.annotations["pragmatic"][0].confidence == float("inf")


def test_a_cell_sqlite_cannot_write_as_json_costs_its_paragraph_its_snapshot_only(
    sqlite_store: Store,
) -> None:
    """A BLOB (written by another program) makes SQLite's JSON functions fail: that paragraph
    gets no snapshot, the others in the same refresh do, and the edit is saved."""
    _fill(sqlite_store, documents=1, per_document=3)
    first, second, third = (b.id for b in sqlite_store.iter_paragraph_bundles())
    with _driver(sqlite_store) as db:
        db.execute(
            "UPDATE annotations SET value = X'00FF' WHERE paragraph_id = ? AND layer = ?",
            (second, "pragmatic"),
        )
        db.execute(
            "UPDATE annotations SET label = 'ADJ' WHERE paragraph_id IN (?, ?)", (first, third)
        )
    sqlite_store.set_status(first, "logical", "in_progress", annotator="anna")
    assert sqlite_store.statuses(first)["logical"].state == "in_progress"
    assert set(_snapshots(sqlite_store)) == {first, third}
    _assert_snapshots_true(sqlite_store, every=False)
    (_, bundle, _) = sqlite_store.iter_paragraph_bundles(layers=LAYERS)
    assert bundle.annotations["pragmatic"][0].value == b"\x00\xff"


def test_a_store_made_before_snapshots_gets_them_when_opened(db_path: Path) -> None:
    with Store.open(db_path, layer_order=LAYERS) as store:
        _fill(store, documents=2, per_document=3)
    # as the store was before migration 8: no snapshot tables, no record of the migration
    with sqlite3.connect(db_path) as db:
        for name in ("ai", "ad", "au"):
            db.execute(f"DROP TRIGGER {snapshots.TABLE}_{name}")
        db.execute(f"DROP TABLE {snapshots.TABLE}")
        db.execute(f"DROP TABLE {snapshots.STALE_TABLE}")
        db.execute("DELETE FROM layerkit_migrations WHERE version >= 8")
        # and without what the later migrations added (9: drafts' base versions)
        db.execute("ALTER TABLE text_drafts DROP COLUMN base_version")
    with Store.open(db_path, layer_order=LAYERS) as store:
        assert len(_snapshots(store)) == 6
        _assert_snapshots_true(store)
        store.create_annotation(
            paragraph_id=next(iter(_snapshots(store))), layer="logical", kind="span",
            field="claim", start=0, end=3, label="CLAIM", annotator="anna",
        )  # fmt: skip
        _assert_snapshots_true(store)


def test_what_an_annotator_sees_is_the_same_with_or_without_snapshots(
    sqlite_store: Store,
) -> None:
    """``seen_by`` takes the shared layers from the snapshot and an assigned annotator's
    copies from their rows; without a snapshot it reads every row. Both give the same."""
    store = sqlite_store
    _fill(store, documents=1, per_document=2)
    first, second = (b.id for b in store.iter_paragraph_bundles())
    store.assign([first], ["semantic"], ["anna", "boris"], by="lead", copy_shared=True)
    store.create_annotation(
        paragraph_id=first, layer="semantic", kind="span", field="frame", start=0, end=3,
        label="TIME", annotator="anna",
    )  # fmt: skip
    store.create_annotation(
        paragraph_id=first, layer="logical", kind="span", field="claim", start=0, end=3,
        label="CLAIM", annotator="boris",
    )  # fmt: skip
    cases = [(first, "anna"), (first, "boris"), (first, "carl"), (second, "anna")]
    with_snapshots = [store.seen_by(pid, who) for pid, who in cases]
    with _driver(store) as db:
        db.execute(f"DELETE FROM {snapshots.TABLE}")
    from_rows = [store.seen_by(pid, who) for pid, who in cases]
    assert [(s.annotations, s.assigned) for s in with_snapshots] == [
        (s.annotations, s.assigned) for s in from_rows
    ]
    anna = with_snapshots[0].annotations
    assert [a.id for a in anna] == sorted(a.id for a in anna)
    assert "TIME" in {a.label for a in anna if a.layer == "semantic"}  # her copy
    assert "TIME" not in {a.label for a in with_snapshots[2].annotations}  # not carl's
    assert "CLAIM" in {a.label for a in with_snapshots[2].annotations}  # shared


EDIT_LOOP = """
import sys
from layerkit.store import Store
store = Store.open(sys.argv[1], layer_order={layers!r})
first, second = int(sys.argv[2]), int(sys.argv[3])
while True:
    for pid in (first, second):
        a = store.create_annotation(paragraph_id=pid, layer="semantic", kind="span",
                                    field="frame", start=0, end=4, label="AGENT", annotator="anna")
        store.update_annotation(a.id, annotator="anna", label="THEME")
        with store.batch(annotator="anna") as batch:
            batch.update_annotation(a.id, label="TIME")
            batch.create_annotation(paragraph_id=pid, layer="logical", kind="span",
                                    field="claim", start=0, end=4, label="CLAIM")
        store.undo("anna")
        store.delete_annotation(a.id, annotator="anna")
        print(a.id, flush=True)
"""


@pytest.mark.parametrize("acknowledged", [3, 17])
def test_kill_9_while_editing_leaves_snapshots_true(sqlite_store: Store, acknowledged: int) -> None:
    """An editing process killed at any moment: what it committed has its snapshots, and no
    paragraph is left noted stale (the note, the snapshot's deletion and its remaking are all in
    the edit's own transaction, so a killed one leaves none of them)."""
    import random
    import signal
    import subprocess
    import sys
    import time

    _fill(sqlite_store, documents=1, per_document=2)
    first, second = (b.id for b in sqlite_store.iter_paragraph_bundles())
    proc = subprocess.Popen(
        [sys.executable, "-c", EDIT_LOOP.format(layers=LAYERS), sqlite_store.url.removeprefix(
            "sqlite:///"), str(first), str(second)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for _ in range(acknowledged):
        assert proc.stdout.readline()
    time.sleep(random.uniform(0, 0.02))  # somewhere inside an edit, most likely
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    with Store.open(sqlite_store.url.removeprefix("sqlite:///"), layer_order=LAYERS) as after:
        _assert_snapshots_true(after)
        created = [e for e in after.events("anna", limit=100_000) if e["action"] == "create"]
        assert len(created) >= acknowledged  # the edits it acknowledged are there


def test_the_store_fingerprint_changes_with_every_edit_and_only_then(store: Store) -> None:
    """``corpus.snapshot`` (the manifest's ``store_snapshot``) reads no annotation row: a
    relabel keeps every count the same and must still change it (through the event log)."""
    _fill(store, documents=2, per_document=2)
    first = corpus.snapshot(store)
    assert corpus.snapshot(store) == first  # nothing changed: the same hash
    paragraph = next(store.iter_paragraph_bundles(layers=["semantic"]))
    span = paragraph.annotations["semantic"][0]
    store.update_annotation(span.id, annotator="t", expected_version=span.version, label="X")
    relabelled = corpus.snapshot(store)
    assert relabelled["annotations"] == first["annotations"]
    assert relabelled["sha256"] != first["sha256"]
    store.undo("t")
    assert corpus.snapshot(store)["sha256"] not in {first["sha256"], relabelled["sha256"]}


def test_an_edit_made_outside_layerkit_changes_the_store_fingerprint(sqlite_store: Store) -> None:
    """A shared row changed by plain SQL, its version left as it was (what such an edit does),
    leaves its paragraph noted stale, and the count of those is in the fingerprint."""
    _fill(sqlite_store, documents=1, per_document=2)
    before = corpus.snapshot(sqlite_store)
    assert before["stale_paragraphs"] == 0
    with _driver(sqlite_store) as db:
        db.execute("UPDATE annotations SET label = 'CHANGED' WHERE id = (SELECT min(id) FROM "
                   "annotations WHERE layer = 'semantic')")  # fmt: skip
    after = corpus.snapshot(sqlite_store)
    assert after["stale_paragraphs"] == 1 and after["sha256"] != before["sha256"]
