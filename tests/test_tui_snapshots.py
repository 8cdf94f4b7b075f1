"""SVG snapshots of the annotation screen, as an annotator sees it (80×24 and wide).

Regenerate after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the SVGs in ``tests/snapshots/`` before committing them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import LAYERS, REPO
from layerkit_ru_morph.preannotator import LexicalPreannotator
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from layerkit.ingest import import_paths
from layerkit.preannotate import preannotate
from layerkit.project import Project
from layerkit.store import Store
from layerkit.tui import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Svg(SVGImageExtension):
    """Textual's SVG snapshots, kept in tests/snapshots/<test module>/."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        here = Path(test_location.filepath)
        return str(here.parent / "snapshots" / here.stem)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("snap") / "sample.db"
    project = Project.load(str(db))
    with project.open_store(create=True) as store:
        import_paths(project, store, [REPO / "sample_corpus"])
    return db


@pytest.fixture(scope="module")
def preannotated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with the rule tagger's suggestions on the lexical layer (deterministic)."""
    db = tmp_path_factory.mktemp("snap-pre") / "sample.db"
    project = Project.load(str(db))
    with project.open_store(create=True) as store:
        import_paths(project, store, [REPO / "sample_corpus"])
        preannotate(project, store, LexicalPreannotator(kind="rules"))
    return db


CHAT = 14  # «Привет! Короче, …»: no human work, lexical suggestions only


async def screenshot(
    sample: Path,
    tmp_path: Path,
    *,
    at: int,
    layer: str,
    press: tuple[str, ...] = (),
    size: tuple[int, int] = (80, 24),
) -> str:
    db = tmp_path / "store.db"
    src, dst = sqlite3.connect(sample), sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.close()
    with Store.open(db, layer_order=LAYERS) as store:
        store.save_position("snap", paragraph_id=at, layer=layer)
    app = create_app(str(db), "snap", poll_seconds=None)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        for key in press:
            await pilot.press(key)
        await pilot.pause()
        await app.workers.wait_for_complete()  # a dialog's suggestions, read in a thread
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        return app.export_screenshot()


async def test_semantic_spans_overlap_at_80x24(
    sample: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    svg = await screenshot(sample, tmp_path, at=1, layer="semantic", press=("right",) * 4)
    assert snapshot.use_extension(Svg) == svg


async def test_stress_marks_and_a_new_span_at_80x24(
    sample: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    keys = ("right", "shift+right", "l", "escape", "home")
    svg = await screenshot(sample, tmp_path, at=29, layer="semantic", press=keys)
    assert snapshot.use_extension(Svg) == svg


async def test_pragmatic_wide(sample: Path, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    svg = await screenshot(sample, tmp_path, at=5, layer="pragmatic", size=(140, 36))
    assert snapshot.use_extension(Svg) == svg


async def test_done_refused_modal(
    sample: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    svg = await screenshot(sample, tmp_path, at=29, layer="logical", press=("ctrl+d",))
    assert snapshot.use_extension(Svg) == svg


async def test_lexical_token_table_at_80x24(
    preannotated: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    keys = ("right", "right")
    svg = await screenshot(preannotated, tmp_path, at=CHAT, layer="lexical", press=keys)
    assert snapshot.use_extension(Svg) == svg


async def test_token_editor_at_80x24(
    preannotated: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    keys = ("right", "right", "enter")
    svg = await screenshot(preannotated, tmp_path, at=CHAT, layer="lexical", press=keys)
    assert snapshot.use_extension(Svg) == svg


async def test_lexical_wide(
    preannotated: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    svg = await screenshot(
        preannotated, tmp_path, at=CHAT, layer="lexical", press=("down",), size=(140, 36)
    )
    assert snapshot.use_extension(Svg) == svg


async def test_link_target_picker_at_80x24(
    sample: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    svg = await screenshot(sample, tmp_path, at=1, layer="semantic", press=("enter",))
    assert snapshot.use_extension(Svg) == svg


async def test_link_label_picker_at_80x24(
    sample: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    svg = await screenshot(sample, tmp_path, at=1, layer="semantic", press=("enter", "enter"))
    assert snapshot.use_extension(Svg) == svg


async def test_relations_in_the_side_panel_at_80x24(
    sample: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    keys = ("tab", "end", "up")
    svg = await screenshot(sample, tmp_path, at=1, layer="logical", press=keys)
    assert snapshot.use_extension(Svg) == svg


async def test_lower_layers_as_context_at_80x24(
    sample: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    keys = ("ctrl+l", "right", "right", "right", "right")
    svg = await screenshot(sample, tmp_path, at=1, layer="logical", press=keys)
    assert snapshot.use_extension(Svg) == svg
