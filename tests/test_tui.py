"""The annotation TUI, driven key by key with Textual's pilot on a real SQLite store.

The store is the sample corpus imported and pre-annotated once per session (13 paragraphs
with all five layers done, 44 with model suggestions on the lexical layer); each test works on
its own copy. Every assertion about an edit reads the database through a separate Store, so
"saved" means committed, not "shown".
"""

from __future__ import annotations

import io
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import LAYERS, REPO, make_document, the_token_editor_holds
from layerkit_ru_morph.preannotator import LexicalPreannotator
from rich.cells import cell_len
from rich.console import Console
from textual import events
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from layerkit.ingest import import_paths
from layerkit.preannotate import preannotate
from layerkit.project import Project
from layerkit.store import Annotation, Store, queries
from layerkit.tui import LayerkitApp, create_app
from layerkit.tui.app import POSITION_SAVE_DELAY
from layerkit.tui.model import Selection
from layerkit.tui.rendering import ANCHOR
from layerkit.tui.screens import annotate as annotate_module
from layerkit.tui.screens.adjudicate import AdjudicationModal
from layerkit.tui.screens.annotate import AnnotateScreen
from layerkit.tui.screens.error import ErrorModal
from layerkit.tui.screens.help import HelpScreen
from layerkit.tui.screens.texts import TextsModal
from layerkit.tui.screens.token import TokenEditor
from layerkit.tui.widgets.annotation_list import AnnotationList
from layerkit.tui.widgets.bars import KeyBar, LayerTabs
from layerkit.tui.widgets.navigator import Navigator
from layerkit.tui.widgets.paragraph_view import ParagraphView
from layerkit.tui.widgets.relation_picker import RelationPicker

SAMPLE = REPO / "sample_corpus"
ME = "tester"
# Async tests run on anyio's pytest plugin (a dependency of Textual's), on asyncio.
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sample") / "sample.db"
    project = Project.load(str(db))
    with project.open_store(create=True) as store:
        import_paths(project, store, [SAMPLE])
        preannotate(project, store, LexicalPreannotator(kind="rules"))
    return db


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    """A private copy (sqlite3 backup: consistent even if a WAL were left behind)."""
    copy = tmp_path / "store.db"
    src, dst = sqlite3.connect(sample_db), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    return copy


def open_store(db: Path) -> Store:
    return Store.open(db, layer_order=LAYERS, create=False)


def paragraph_starting(db: Path, prefix: str) -> int:
    with open_store(db) as store:
        for paragraph in store.iter_paragraphs():
            if paragraph.text.startswith(prefix):
                assert paragraph.id is not None
                return paragraph.id
    raise AssertionError(prefix)


def rows(db: Path, paragraph_id: int, layer: str) -> list[Annotation]:
    with open_store(db) as store:
        return store.annotations(paragraph_id, layer)


def chat_text(db: Path, paragraph_id: int) -> str:
    with open_store(db) as store:
        return store.paragraph(paragraph_id).text


def last_notice(app: LayerkitApp) -> str:
    """The newest notice's text."""
    shown = list(app._notifications)
    return shown[-1].message if shown else ""


def state(db: Path, paragraph_id: int, layer: str) -> str:
    with open_store(db) as store:
        return store.statuses(paragraph_id)[layer].state


async def settle(pilot: Pilot[None]) -> None:
    """Wait for the navigator's worker threads and the messages they post."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@asynccontextmanager
async def running(
    db: Path,
    *,
    at: int | None = None,
    layer: str = "lexical",
    annotator: str = ME,
    size: tuple[int, int] = (80, 24),
) -> AsyncIterator[tuple[LayerkitApp, Pilot[None]]]:
    """The app on ``db``, opened at paragraph ``at`` on ``layer`` (the position saved in the
    store, as a previous session leaves it)."""
    if at is not None:
        with open_store(db) as store:
            store.save_position(annotator, paragraph_id=at, layer=layer)
    app = create_app(str(db), annotator, poll_seconds=None)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield app, pilot


def rendered_text(statics: Iterable[Static]) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    for static in statics:
        console.print(static.content)
    return console.export_text()


def screen(app: LayerkitApp) -> AnnotateScreen:
    found = app.screen_stack[1]
    assert isinstance(found, AnnotateScreen)
    return found


def view(app: LayerkitApp) -> ParagraphView:
    return screen(app).query_one(ParagraphView)


def side(app: LayerkitApp) -> AnnotationList:
    return screen(app).query_one(AnnotationList)


def footer(app: LayerkitApp) -> str:
    return screen(app).query_one(KeyBar).text.plain


def picker(app: LayerkitApp) -> RelationPicker:
    """The relation dialog, which must be open (it is drawn over the annotator's screen)."""
    found = screen(app).picker
    assert found.is_open and found.display, "the relation dialog is not open"
    return found


def no_dialog(app: LayerkitApp) -> bool:
    """Whether the annotator's screen is on top with no dialog open over it."""
    return isinstance(app.screen, AnnotateScreen) and not screen(app).picker.is_open


def editor(app: LayerkitApp) -> TokenEditor:
    assert isinstance(app.screen, TokenEditor), app.screen
    return app.screen


def count_calls(obj: object, name: str) -> list[int]:
    """A one-item list counting the calls of ``obj``'s method ``name`` from now on."""
    counted = [0]
    method = getattr(obj, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        counted[0] += 1
        return method(*args, **kwargs)

    setattr(obj, name, counting)
    return counted


def anchor_styled(app: LayerkitApp) -> list[tuple[int, int]]:
    """Where the paragraph on screen shows the relation anchor's style."""
    return [(s.start, s.end) for s in view(app)._styled.spans if s.style == ANCHOR]


def by_label(annotations: Iterable[Annotation]) -> dict[str, Annotation]:
    return {a.label or "": a for a in annotations}


def tokens_of(app: LayerkitApp) -> list[tuple[int, int]]:
    data = view(app).data
    assert data is not None
    return data.tokens


def selected_text(app: LayerkitApp) -> str:
    v = view(app)
    assert v.offsets is not None and v.data is not None
    return v.data.text[slice(*v.offsets)]


@pytest.fixture
def chat(db: Path) -> int:
    """A paragraph with no human work yet: 5 sentences, lexical pre-annotated."""
    return paragraph_starting(db, "Привет! Короче")


# --- opening and moving around -----------------------------------------------------------


async def test_opens_at_first_paragraph_with_every_layer_state(db: Path) -> None:
    async with running(db) as (app, _pilot):
        nav = screen(app).query_one(Navigator)
        assert nav.total == 57
        assert view(app).data is not None and view(app).data.id == 1
        assert app.layer == "lexical"
        row = nav.row(0)
        assert row is not None and row.states == dict.fromkeys(LAYERS, "done")


async def test_layer_keys_switch_layer_and_label_keys(db: Path) -> None:
    async with running(db) as (app, pilot):
        for number, layer in enumerate(LAYERS, start=1):
            await pilot.press(str(number))
            assert app.layer == layer
            assert view(app).keymap is app.keymaps[layer]
        await pilot.press("9")  # no ninth layer: nothing happens
        assert app.layer == "pragmatic"


async def test_token_cursor_selection_and_sentence_jumps(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        assert selected_text(app) == "Привет"
        await pilot.press("right", "right")
        assert selected_text(app) == "Короче"
        await pilot.press("shift+right", "shift+right")
        assert selected_text(app) == "Короче, я"
        await pilot.press("shift+left")
        assert selected_text(app) == "Короче,"
        await pilot.press("escape")
        assert selected_text(app) == ","
        await pilot.press("left")
        assert selected_text(app) == "Короче"
        await pilot.press("down")
        assert selected_text(app) == "Ну"  # first token of the third sentence
        await pilot.press("up")
        assert selected_text(app) == "Короче"
        await pilot.press("shift+down")
        assert selected_text(app).endswith("рассказывала.")
        await pilot.press("escape", "shift+up")
        assert selected_text(app).startswith("Короче")
        await pilot.press("end")
        assert selected_text(app) == "?"
        await pilot.press("home")
        assert selected_text(app) == "Привет"


async def test_next_and_previous_paragraph(db: Path) -> None:
    async with running(db) as (app, pilot):
        for key, expected in [("ctrl+n", 2), ("ctrl+n", 3), ("ctrl+p", 2), ("pagedown", 3)]:
            await pilot.press(key)
            assert screen(app).data is not None and screen(app).data.id == expected
        await pilot.press("pageup", "pageup", "pageup")
        assert screen(app).data is not None and screen(app).data.id == 1
        assert screen(app).query_one(Navigator).cursor == 0


async def test_the_next_paragraph_is_read_ahead_and_read_again_if_it_changed(db: Path) -> None:
    """A moment after a paragraph is opened the next one in the list is read (so ctrl+n costs
    no read of it); if someone changes it meanwhile, ctrl+n still shows it as it is now."""
    async with running(db) as (app, pilot):
        assert screen(app).data is not None and screen(app).data.id == 1
        await pilot.pause(annotate_module.PREFETCH_DELAY * 4)
        assert 2 in screen(app)._loaded  # read ahead, nothing pressed
        with open_store(db) as store:
            store.create_annotation(
                paragraph_id=2, layer="semantic", kind="span", field="frame", start=0, end=3,
                label="AGENT", annotator="bob",
            )  # fmt: skip
        await pilot.press("ctrl+n")
        data = screen(app).data
        assert data is not None and data.id == 2
        assert "bob" in {a.annotator for a in data.of_layer("semantic")}  # not as read ahead
        await pilot.pause(annotate_module.PREFETCH_DELAY * 4)
        assert 3 in screen(app)._loaded


async def test_the_next_paragraph_is_drawn_ahead_and_shown_as_drawn_afresh(db: Path) -> None:
    """While the annotator reads, the paragraph ctrl+n opens is drawn ahead (text and side
    panel, their titles too): opening it renders none of their lines in the key's time, and
    what they show is
    what drawing them afresh gives. A drawing made before someone changed that paragraph is
    not the one shown: their change is on screen, drawn afresh."""
    from textual.widget import Widget

    from layerkit.tui.widgets.drawn_lines import DrawnLines

    made = {"text": 0, "panel": 0, "edges": 0}
    pieces = ParagraphView._line_pieces
    draw = DrawnLines.draw
    textuals = Widget.render_lines

    def counted_textuals(self: Widget, crop: Region) -> list[object]:
        # the lean path draws border rows (titles) through Textual's, content rows itself
        made["edges"] += isinstance(self, ParagraphView | AnnotationList)
        return textuals(self, crop)

    def counted_pieces(self: ParagraphView) -> list[object]:
        made["text"] += 1
        return pieces(self)  # type: ignore[return-value]

    def counted_draw(self: DrawnLines, key: object, *args: object) -> object:
        made["panel"] += key not in self._strips
        return draw(self, key, *args)  # type: ignore[arg-type]

    async def opened_next(pilot: Pilot[None]) -> dict[str, int]:
        """ctrl+n, once the next paragraph is drawn ahead: the lines made in its time (the
        paragraph after it is drawn ahead only later, out of the count)."""
        await pilot.pause(annotate_module.PREFETCH_DELAY * 4)  # read and drawn ahead
        await settle(pilot)
        prefetcher = screen(pilot.app)._prefetcher  # type: ignore[arg-type]
        prefetcher._delay = 60.0
        made.update(text=0, panel=0, edges=0)
        await pilot.press("ctrl+n")
        await settle(pilot)
        counts = dict(made)
        prefetcher._delay = annotate_module.PREFETCH_DELAY
        prefetcher.stop()  # its timer was set for the long delay
        prefetcher.poke()
        return counts

    ParagraphView._line_pieces = counted_pieces  # type: ignore[assignment,method-assign]
    DrawnLines.draw = counted_draw  # type: ignore[assignment,method-assign]
    Widget.render_lines = counted_textuals  # type: ignore[method-assign]
    try:
        async with running(db, layer="lexical", size=(100, 30)) as (app, pilot):
            assert await opened_next(pilot) == {"text": 0, "panel": 0, "edges": 0}
            assert screen(app).data is not None and screen(app).data.id == 2
            for widget in (view(app), side(app)):
                cached, fresh = cached_and_fresh(widget)
                assert cached == fresh, type(widget).__name__
            # drawn ahead on the layer switched to, too
            await pilot.press("2")
            assert await opened_next(pilot) == {"text": 0, "panel": 0, "edges": 0}
            assert screen(app).data is not None and screen(app).data.id == 3
            # someone labels the next paragraph after it was drawn ahead: shown as it is now
            await pilot.pause(annotate_module.PREFETCH_DELAY * 4)
            await settle(pilot)
            with open_store(db) as store:
                store.create_annotation(
                    paragraph_id=4, layer="semantic", kind="span", field="frame", start=0,
                    end=3, label="AGENT", annotator="bob",
                )  # fmt: skip
            counts = await opened_next(pilot)
            assert counts["text"] > 0 and counts["panel"] > 0  # drawn again, in the key
            assert screen(app).data is not None and screen(app).data.id == 4
            shown = [row.annotation for row in side(app)._rows if row.annotation is not None]
            assert "bob" in {a.annotator for a in shown}  # in the panel, as it is now
            for widget in (view(app), side(app)):
                cached, fresh = cached_and_fresh(widget)
                assert cached == fresh, type(widget).__name__
    finally:
        ParagraphView._line_pieces = pieces  # type: ignore[method-assign]
        DrawnLines.draw = draw  # type: ignore[method-assign]
        Widget.render_lines = textuals  # type: ignore[method-assign]


async def test_navigator_keys_open_paragraphs(db: Path) -> None:
    async with running(db) as (app, pilot):
        await pilot.press("shift+tab")
        nav = screen(app).query_one(Navigator)
        assert nav.has_focus
        await pilot.press("down", "down")
        await pilot.pause()
        assert screen(app).data is not None and screen(app).data.id == 3
        await pilot.press("up")
        await pilot.pause()
        assert screen(app).data is not None and screen(app).data.id == 2
        await pilot.press("end")
        await pilot.pause()
        assert screen(app).data is not None and screen(app).data.id == 57
        await pilot.press("home", "pagedown")
        await pilot.pause()
        assert nav.cursor > 5
        await pilot.press("pageup")
        await pilot.pause()
        assert nav.cursor == 0
        await pilot.press("enter")
        assert view(app).has_focus


async def test_the_end_of_a_long_list_is_read_ahead(tmp_path: Path) -> None:
    """The navigator reads the page of its last rows in a thread as it opens, so the first
    jump to the end of a long list (End) is a repaint, not a query over the whole list."""
    from layerkit.tui.widgets.navigator import PAGE

    db = tmp_path / "long.db"
    texts = [f"Абзац номер {i}." for i in range(2 * PAGE + 50)]
    with Store.open(db, layer_order=LAYERS) as store, store.bulk() as writer:
        writer.add_document(make_document("long", *texts))
    async with running(db) as (app, pilot):
        nav = screen(app).query_one(Navigator)
        assert nav.total == len(texts)
        last_page = (len(texts) - 1) // PAGE
        assert set(nav._pages) == {0, last_page}  # the first page on screen, the last ahead
        await pilot.press("shift+tab", "end")
        await pilot.pause()
        data = screen(app).data
        assert data is not None and data.text == texts[-1]
        assert set(nav._pages) == {0, last_page}  # nothing else was read for it


async def test_state_filter_and_search(db: Path, chat: int) -> None:
    async with running(db, layer="semantic") as (app, pilot):
        nav = screen(app).query_one(Navigator)
        await pilot.press("shift+tab", "f")  # filter: semantic todo
        await settle(pilot)
        assert nav.total == 44
        assert screen(app).data is not None and screen(app).data.id == 14
        await pilot.press("f", "f", "f")  # in progress, stale, done
        await settle(pilot)
        assert nav.total == 13
        await pilot.press("f", "f")  # not done, then everything again
        await settle(pilot)
        assert nav.total == 57
        await pilot.press("slash")
        await pilot.press(*"ЗАМОК", "enter")  # folds case, stress marks and ё
        await settle(pilot)
        assert nav.total == 2
        assert screen(app).data is not None
        assert screen(app).data.text.startswith("Старый за\u0301мок")
        await pilot.press("ctrl+f", *["backspace"] * 5, "enter")
        await settle(pilot)
        assert nav.total == 57
        search = app.screen.query_one("#search", Input)
        assert not search.display  # an empty search takes its line away (it stayed for good)
        # escape ends a search: every paragraph again, the box empty and gone
        await pilot.press("ctrl+f", *"замок", "enter")
        await settle(pilot)
        assert nav.total == 2 and search.display
        await pilot.press("ctrl+f", "escape")
        await settle(pilot)
        assert nav.total == 57 and not search.display and search.value == ""


async def test_marking_done_under_a_todo_filter_moves_on(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        nav = screen(app).query_one(Navigator)
        await pilot.press("shift+tab", "f", "tab")  # lexical: todo
        await settle(pilot)
        assert nav.total == 44 and screen(app).data is not None
        first = screen(app).data.id
        await pilot.press("A", "ctrl+d")  # the pre-annotated lexical layer, accepted: complete
        await settle(pilot)
        assert state(db, first, "lexical") == "done"
        assert nav.total == 43
        # marking done moved on to the next paragraph to do, on the same layer (breadth-first)
        assert screen(app).data is not None and screen(app).data.id == first + 1
        assert app.layer == "lexical"
        await pilot.press("ctrl+z")  # and undoing it comes back
        await settle(pilot)
        assert screen(app).data is not None and screen(app).data.id == first
        assert state(db, first, "lexical") != "done"


async def test_toggle_navigator(db: Path) -> None:
    async with running(db) as (app, pilot):
        pane = screen(app).query_one("#nav-pane")
        await pilot.press("ctrl+b")
        assert not pane.display
        await pilot.press("ctrl+b")
        assert pane.display


# --- editing -------------------------------------------------------------------------------


async def test_label_keys_create_relabel_and_nest_spans(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("right", "right", "p")  # «Короче» PREDICATE
        spans = rows(db, chat, "semantic")
        assert [(a.start, a.end, a.label, a.annotator) for a in spans] == [(8, 14, "PREDICATE", ME)]
        await pilot.press("a")  # same extent, other key: relabel, not a second span
        spans = rows(db, chat, "semantic")
        assert [(a.label, a.version) for a in spans] == [("AGENT", 2)]
        await pilot.press("shift+right", "shift+right", "h")  # a longer span around it
        await pilot.press("escape", "m")  # and a one-token span inside it
        spans = sorted(rows(db, chat, "semantic"), key=lambda a: (a.start, a.end))
        assert [(a.start, a.end, a.label) for a in spans] == [
            (8, 14, "AGENT"),
            (8, 17, "THEME"),
            (16, 17, "MANNER"),
        ]
        assert state(db, chat, "semantic") == "in_progress"
        side = screen(app).query_one(AnnotationList)
        assert side.option_count == 3


async def test_an_assigned_annotator_labels_a_private_copy_the_others_cannot_see(
    db: Path, chat: int
) -> None:
    with open_store(db) as store:
        store.assign([chat], ["semantic"], [ME, "boris"], by="lead", copy_shared=False)
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        assert "your own copy" in str(view(app).border_subtitle)
        await pilot.press("right", "right", "p")  # «Короче» PREDICATE
        assert rows(db, chat, "semantic") == []  # not the shared layer
        mine = rows(db, chat, f"semantic@{ME}")
        assert [(a.start, a.end, a.label) for a in mine] == [(8, 14, "PREDICATE")]
        assert side(app).option_count == 1
    async with running(db, at=chat, layer="semantic", annotator="boris") as (app, _pilot):
        assert view(app).data is not None and view(app).data.of_layer("semantic") == []
        assert side(app).option_count == 0
        assert "your own copy" in str(view(app).border_subtitle)
    async with running(db, at=chat, layer="semantic", annotator="carl") as (app, _pilot):
        assert "your own copy" not in str(view(app).border_subtitle)
        assert view(app).data is not None and view(app).data.of_layer("semantic") == []


async def _adjudicating(app: LayerkitApp, pilot: Pilot[None]) -> AdjudicationModal:
    """ctrl+g, and the adjudication dialog it opens."""
    await pilot.press("ctrl+g")
    await settle(pilot)
    modal = app.screen
    assert isinstance(modal, AdjudicationModal), getattr(modal, "error", modal)
    return modal


def _two_done_copies(db: Path, chat: int) -> None:
    """anna (PREDICATE) and boris (AGENT) disagree on «Короче», their copies done."""
    with open_store(db) as store:
        store.assign([chat], ["semantic"], ["anna", "boris"], by="lead", copy_shared=False)
        for who, label in (("anna", "PREDICATE"), ("boris", "AGENT")):
            store.create_annotation(
                paragraph_id=chat, layer="semantic", kind="span", field="frame", label=label,
                start=8, end=14, annotator=who,
            )  # fmt: skip
            store.set_status(chat, "semantic", "done", annotator=who)


async def test_adjudication_shows_the_copies_side_by_side_and_takes_a_version(
    db: Path, chat: int
) -> None:
    """ctrl+g on a paragraph whose copies are done (``--adjudicate`` opens at the first)."""
    _two_done_copies(db, chat)
    async with running(db, at=chat, layer="semantic", annotator="vera") as (app, pilot):
        modal = await _adjudicating(app, pilot)
        shown = rendered_text(modal.query(Static))
        assert "anna, boris: 1 disagreement(s), 1 open" in shown
        line = str(modal.query_one(OptionList).get_option_at_index(0).prompt)
        assert "frame: «Короче»" in line and "1 anna: PREDICATE" in line
        assert "2 boris: AGENT" in line and "gold: —" in line
        await pilot.press("2")  # take boris's version
        await settle(pilot)
        assert [(a.label, a.origin, a.annotator) for a in rows(db, chat, "semantic")] == [
            ("AGENT", "adjudicated", "vera")
        ]
        assert "0 open" in rendered_text(modal.query(Static))
        await pilot.press("ctrl+z")  # the dialog's keys do not undo; close it first
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AnnotateScreen)
        assert view(app).data is not None and view(app).data.id == chat
        assert [a.label for a in view(app).data.of_layer("semantic")] == ["AGENT"]
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert rows(db, chat, "semantic") == []


async def test_the_adjudication_dialog_shows_what_another_adjudicator_decided(
    db: Path, chat: int
) -> None:
    """Two adjudicators on one paragraph: the dialog went on showing a unit open that the
    other had decided (deciding it again was refused as a conflict); its poll now lists the
    units as they are."""
    from layerkit import adjudication

    _two_done_copies(db, chat)
    async with running(db, at=chat, layer="semantic", annotator="vera") as (app, pilot):
        modal = await _adjudicating(app, pilot)
        assert "1 open" in rendered_text(modal.query(Static))
        with open_store(db) as store:  # wanda, elsewhere, takes anna's version
            comparison = adjudication.compare_copies(store, chat, "semantic")
            (unit,) = comparison.disagreements()
            adjudication.take(store, comparison, unit, "anna", adjudicator="wanda")
        modal._poll()  # (its timer's call, every 2 s)
        await settle(pilot)
        assert "0 open" in rendered_text(modal.query(Static))
        line = str(modal.query_one(OptionList).get_option_at_index(0).prompt)
        assert "gold: PREDICATE" in line


async def test_the_adjudication_list_stops_at_its_ends(db: Path, chat: int) -> None:
    """↓ on the last unit stays there, ↑ on the first too (Textual's OptionList went round to
    the other end: a list read from the top seemed to start over)."""
    _two_done_copies(db, chat)
    with open_store(db) as store:  # a second unit: anna's «Привет» alone
        store.create_annotation(
            paragraph_id=chat, layer="semantic", kind="span", field="frame", label="PREDICATE",
            start=0, end=6, annotator="anna",
        )  # fmt: skip
        store.set_status(chat, "semantic", "done", annotator="anna")
    async with running(db, at=chat, layer="semantic", annotator="vera") as (app, pilot):
        modal = await _adjudicating(app, pilot)
        listing = modal.query_one(OptionList)
        assert listing.option_count == 2 and listing.highlighted == 0
        await pilot.press("up")
        assert listing.highlighted == 0
        await pilot.press("down", "down", "down")
        assert listing.highlighted == 1


def undecided(store: Store, paragraph_id: int | None) -> bool:
    """Whether a paragraph's semantic gold is not done (not adjudicated, if assigned)."""
    assert paragraph_id is not None
    status = store.statuses(paragraph_id).get("semantic")
    return status is None or status.state != "done"


async def test_annotate_adjudicate_opens_at_the_first_paragraph_whose_copies_are_done(
    db: Path, chat: int
) -> None:
    from layerkit import adjudication

    with open_store(db) as store:
        other = next(
            p.id for p in store.iter_paragraphs() if p.id != chat and undecided(store, p.id)
        )
        assert other is not None
        for pid in (chat, other):
            store.assign([pid], ["semantic"], ["anna", "boris"], by="lead", copy_shared=False)
            for who in ("anna", "boris"):
                store.set_status(pid, "semantic", "done", annotator=who)
        first = adjudication.to_decide(store, adjudication.ready_to_adjudicate(store))[0]
    app = create_app(str(db), "vera", poll_seconds=None, adjudicating=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AdjudicationModal), getattr(modal, "error", modal)
        assert (modal.paragraph_id, modal.layer_name) == first
        assert view(app).data is not None and view(app).data.id == first[0]
        await pilot.press("n")  # the next paragraph and layer whose copies are done
        await settle(pilot)
        assert isinstance(app.screen, AdjudicationModal)
        assert (app.screen.paragraph_id, app.screen.layer_name) > first


async def test_adjudicating_skips_what_is_adjudicated_already(db: Path, chat: int) -> None:
    """``--adjudicate`` opened at the first paragraph whose copies were done, and ``n`` went
    through paragraphs whose gold was done too (an adjudicator pressed n 24 times to reach the
    one left): it opens at, and ``n`` goes to, those not adjudicated yet."""
    from layerkit import adjudication

    with open_store(db) as store:
        pids = [p.id for p in store.iter_paragraphs() if p.id != chat and undecided(store, p.id)]
        pids = pids[:3]
        for pid in pids:
            store.assign([pid], ["semantic"], ["anna", "boris"], by="lead", copy_shared=False)
            for who in ("anna", "boris"):
                store.set_status(pid, "semantic", "done", annotator=who)
        ready = adjudication.ready_to_adjudicate(store)
        # the sample's double annotation, adjudicated already (its gold done), comes first
        decided = [(p, layer) for p, layer in ready if store.statuses(p)[layer].state == "done"]
        assert decided and ready[0] in decided
        left = adjudication.to_decide(store, ready)
        assert left and not set(left) & set(decided)
        assert {(pid, "semantic") for pid in pids} <= set(left)
        for pid, layer in left[:-1]:  # all adjudicated but the last
            store.set_status(pid, layer, "done", annotator="vera")
    app = create_app(str(db), "vera", poll_seconds=None, adjudicating=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AdjudicationModal), getattr(modal, "error", modal)
        assert (modal.paragraph_id, modal.layer_name) == left[-1]
        # centred: the screen's first row, with the adjudicator's name, stays in sight (the
        # dialog sat at the top left, over it)
        assert modal.query_one("#adjudicate-box").region.y >= 1
        await pilot.press("n")  # nothing else is left: said, not gone back to a decided one
        await settle(pilot)
        assert not isinstance(app.screen, AdjudicationModal)
        assert "No other paragraph" in last_notice(app)


async def test_model_suggestions_are_accepted_one_by_one_or_all_at_once(
    db: Path, chat: int
) -> None:
    """Issue 17: on a higher layer, ctrl+a accepts the suggestion under the cursor (with the
    relations between accepted ends), A every suggestion of the layer here; each an undo step;
    Delete on a suggestion rejects it."""
    origin = "model:run@abc"
    rows_in = [
        {"layer": "semantic", "kind": "span", "field": "frame", "label": "PREDICATE",
         "start": 8, "end": 14, "local_id": 1},
        {"layer": "semantic", "kind": "span", "field": "frame", "label": "AGENT",
         "start": 0, "end": 6, "local_id": 2},
        {"layer": "semantic", "kind": "relation", "field": "role", "label": "AGENT",
         "source": 2, "target": 1, "local_id": 3},
        {"layer": "semantic", "kind": "span", "field": "frame", "label": "THEME",
         "start": 16, "end": 17, "local_id": 4},
        {"layer": "semantic", "kind": "span", "field": "frame", "label": "PLACE",
         "start": 8, "end": 14, "local_id": 5},
    ]  # fmt: skip
    text = chat_text(db, chat)
    assert (text[0:6], text[8:14], text[16:17]) == ("Привет", "Короче", "я")
    with open_store(db) as store, store.bulk(annotator=origin, action="preannotate") as writer:
        filled = writer.replace_model_annotations(
            chat, "semantic",
            [{**r, "annotator": origin, "origin": origin, "confidence": 0.4} for r in rows_in],
        )  # fmt: skip
        assert filled

    def origins() -> dict[str | None, str]:
        return {f"{a.kind}:{a.label}": a.origin for a in rows(db, chat, "semantic")}

    def confidence(label: str) -> float | None:
        return next(a.confidence for a in rows(db, chat, "semantic") if a.label == label)

    async with running(db, at=chat, layer="semantic") as (app, pilot):
        assert "^a Accept" in footer(app)  # shown while there are suggestions here
        shown = [row.text.plain for row in side(app)._rows]
        assert sum("40%" in line for line in shown) == 5  # each suggestion's confidence
        await pilot.press("ctrl+a")  # cursor on «Привет»: the AGENT span alone
        assert origins()["span:AGENT"] == "human"
        assert confidence("AGENT") is None  # a person's annotation has none (formats.md)
        assert origins()["relation:AGENT"] == origin  # its predicate is still a suggestion
        await pilot.press("right", "right", "ctrl+a")  # «Короче»: the predicate, now the role
        assert origins()["span:PREDICATE"] == origins()["relation:AGENT"] == "human"
        assert origins()["span:THEME"] == origins()["span:PLACE"] == origin
        await pilot.press("ctrl+a")  # the second suggestion over «Короче» (it was unreachable)
        assert origins()["span:PLACE"] == "human" and confidence("PLACE") is None
        await pilot.press("ctrl+z")
        assert origins()["span:PLACE"] == origin and confidence("PLACE") == 0.4
        await pilot.press("ctrl+z")
        assert origins()["span:PREDICATE"] == origins()["relation:AGENT"] == origin
        await pilot.press("A")
        assert set(origins().values()) == {"human"}
        await pilot.press("ctrl+z", "right", "right", "delete")  # reject the THEME suggestion
        await settle(pilot)
        assert "span:THEME" not in origins()
        assert origins()["span:PREDICATE"] == origin  # still a suggestion to decide on
        await pilot.press("ctrl+k")  # the same as A, on every layer
        await settle(pilot)
        assert set(origins().values()) == {"human"}
        assert "Accept" not in footer(app)  # nothing left to accept


async def test_annotate_adjudicate_with_a_majority_merges_what_most_agree_on(
    db: Path, chat: int
) -> None:
    """`layerkit annotate --majority 2`, ctrl+g: anna and boris say AGENT, carol PATIENT; the
    AGENT span goes into the gold on opening, nothing is left to decide."""
    with open_store(db) as store:
        people = ["anna", "boris", "carol"]
        store.assign([chat], ["semantic"], people, by="lead", copy_shared=False)
        for who, label in zip(people, ["AGENT", "AGENT", "PATIENT"], strict=True):
            store.create_annotation(
                paragraph_id=chat, layer="semantic", kind="span", field="frame", label=label,
                start=0, end=6, annotator=who,
            )  # fmt: skip
            store.set_status(chat, "semantic", "done", annotator=who)
        store.save_position("vera", paragraph_id=chat, layer="semantic")
    app = create_app(str(db), "vera", poll_seconds=None, majority=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        modal = await _adjudicating(app, pilot)
        assert modal.units == []  # the one unit was decided by the majority
    assert [(a.label, a.origin) for a in rows(db, chat, "semantic")] == [("AGENT", "adjudicated")]


async def test_copies_stay_private_until_every_one_is_done(db: Path, chat: int) -> None:
    """anna finished her copy, boris not yet: ctrl+g must not show anna boris's copy (nor
    merge anything into the gold)."""
    with open_store(db) as store:
        store.assign([chat], ["semantic"], ["anna", "boris"], by="lead", copy_shared=False)
        store.create_annotation(
            paragraph_id=chat, layer="semantic", kind="span", field="frame", label="AGENT",
            start=0, end=6, annotator="boris",
        )  # fmt: skip
        store.set_status(chat, "semantic", "done", annotator="anna")
    async with running(db, at=chat, layer="semantic", annotator="anna") as (app, pilot):
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, ErrorModal)
        assert "not every copy" in app.screen.error.message
    assert rows(db, chat, "semantic") == []  # nothing merged into the gold


async def test_space_goes_to_the_next_content_word_no_span_covers(db: Path, chat: int) -> None:
    """«Привет! Короче, я вчера всё-таки дошла до ...»: from «Привет», space skips «!» and the
    span already over «Короче», and lands on «я»; then «вчера»."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("right", "right", "p", "escape", "home")  # a span over «Короче»
        text = view(app).data.text
        await pilot.press("space")
        start, end = view(app).data.tokens[view(app).selection.cursor]
        assert text[start:end] == "я"
        await pilot.press("space")
        start, end = view(app).data.tokens[view(app).selection.cursor]
        assert text[start:end] == "вчера"


async def test_space_selects_the_next_free_phrase_where_spans_are_phrases(
    db: Path, chat: int
) -> None:
    """The semantic layer's spans are noun phrases (``extent = "phrase"``): from «дошла»,
    space skips «до» and «той» (function words) to «новой» and selects its phrase with the
    preposition, «до той новой кофейни»; the label key finishes the span (2 keys, not 3)."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        text = view(app).data.text
        tokens = view(app).data.tokens
        verb = next(i for i, (s, e) in enumerate(tokens) if text[s:e] == "дошла")
        await pilot.press(*["right"] * verb)
        await pilot.press("space")
        assert text[slice(*view(app).offsets)] == "до той новой кофейни"
        await pilot.press("l")
    spans = [a for a in rows(db, chat, "semantic") if a.kind == "span"]
    assert [(a.label, text[a.start : a.end]) for a in spans] == [("PLACE", "до той новой кофейни")]


async def test_space_selects_the_next_free_clause_where_spans_are_clauses(
    db: Path, chat: int
) -> None:
    """Logical units are clauses (``extent = "clause"``): in «Ну что сказать: кофе
    нормальный, но не вау, а вот пирожные ...» space selects the clauses one after another,
    without their opening «а», skipping what a unit covers already."""
    async with running(db, at=chat, layer="logical") as (app, pilot):
        text = view(app).data.text
        await pilot.press("down", "down")  # «Привет!», «Короче, ...», «Ну что сказать: ...»
        await pilot.press("space")
        assert text[slice(*view(app).offsets)].endswith("сказать")
        await pilot.press("space")
        assert text[slice(*view(app).offsets)] == "кофе нормальный"
        await pilot.press("c", "home", "down", "down", "space", "space")
        # past the unit over «кофе нормальный» and «но не вау» (no content word in it)
        assert text[slice(*view(app).offsets)] == "вот пирожные у них просто огонь"
    (claim,) = rows(db, chat, "logical")
    assert (claim.label, text[claim.start : claim.end]) == ("CLAIM", "кофе нормальный")


async def test_keys_typed_in_a_burst_apply_in_order(db: Path, chat: int) -> None:
    """A fast typist's keys arrive before the previous ones are handled: the label must still
    go to the selection and the paragraph the earlier keys made."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        burst = [("right", None), ("shift+right", None), ("p", "p"), ("ctrl+n", None), ("a", "a")]
        for key, character in burst:
            app.post_message(events.Key(key, character))
        await settle(pilot)
    assert [(a.start, a.end, a.label) for a in rows(db, chat, "semantic")] == [(6, 14, "PREDICATE")]
    assert [(a.start, a.label) for a in rows(db, chat + 1, "semantic")] == [(0, "AGENT")]


async def test_delete_and_backspace_remove_the_span_under_the_cursor(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (_app, pilot):
        await pilot.press("right", "right", "p", "shift+right", "shift+right", "t")
        await pilot.press("escape", "left", "left")  # cursor on «Короче», covered by both
        await pilot.press("delete")  # innermost first
        assert [a.label for a in rows(db, chat, "semantic")] == ["PATIENT"]
        await pilot.press("backspace")
        assert rows(db, chat, "semantic") == []
        await pilot.press("delete")  # nothing left: a warning, no error
        assert rows(db, chat, "semantic") == []


async def test_fast_delete_presses_delete_once_without_an_error(db: Path, chat: int) -> None:
    """Bug: a second Delete, pressed before the first was handled, said "there is no
    annotation"; fast presses stacked several error dialogs."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("right", "right", "p", "shift+right", "shift+right", "t")
        await pilot.press("escape", "left", "left")  # cursor on «Короче», covered by both
        # the PATIENT was linked to the PREDICATE as it was labelled
        assert sorted(a.kind for a in rows(db, chat, "semantic")) == ["relation", "span", "span"]
        driver = app._driver
        assert driver is not None
        for _ in range(3):  # all queued before the first is handled: all name the inner span
            driver.send_message(events.Key("delete", None))
        await settle(pilot)
        assert isinstance(app.screen, AnnotateScreen)
        assert [a.label for a in rows(db, chat, "semantic")] == ["PATIENT"]
        assert len(app.screen_stack) == 2  # the default screen and the annotator, no modal
        from layerkit.errors import ConflictError

        for _ in range(3):  # refusals in a row: one dialog
            app.show_error(ConflictError("refused"))
            await pilot.pause()
        assert len(app.screen_stack) == 3
        await pilot.press("enter")
        assert isinstance(app.screen, AnnotateScreen)


async def test_deleting_another_annotators_span_asks_first(db: Path, chat: int) -> None:
    start, end = _tokens_of(chat, db)[2]
    with open_store(db) as store:
        store.create_annotation(
            paragraph_id=chat, layer="semantic", kind="span", field="frame",
            start=start, end=end, label="AGENT", annotator="bob",
        )  # fmt: skip
    from layerkit.tui.screens.confirm import ConfirmModal

    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("right", "right", "delete")
        assert isinstance(app.screen, ConfirmModal)
        assert "annotated by bob" in app.screen.question
        await pilot.press("n")  # kept
        assert isinstance(app.screen, AnnotateScreen)
        assert [a.label for a in rows(db, chat, "semantic")] == ["AGENT"]
        await pilot.press("delete", "y")
        assert rows(db, chat, "semantic") == []
        await pilot.press("p", "delete")  # my own: no question
        assert isinstance(app.screen, AnnotateScreen)
        assert rows(db, chat, "semantic") == []


async def test_jump_hints_reach_any_token_in_three_keys(db: Path, chat: int) -> None:
    from layerkit.tui.widgets.paragraph_view import hint_labels

    tokens = _tokens_of(chat, db)
    labels = hint_labels(len(tokens), 0)
    assert len(set(labels)) == len(tokens) and max(map(len, labels)) <= 2
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        target = len(tokens) - 3  # far from the cursor
        await pilot.press("semicolon")
        await settle(pilot)
        # the key bar says what to type and how to get out (it said neither)
        bar = screen(app).query_one(KeyBar).text.plain
        assert "esc Cancel · type a token's letters to jump" in bar
        shown = view(app)._styled.plain
        start = tokens[target][0]
        assert shown[start : start + len(labels[target])] == labels[target]  # drawn on the token
        await pilot.press(*labels[target])
        assert view(app).selection == Selection(target, target)
        assert view(app)._styled.plain == app_text(app)  # hints gone
        # "," selects from the cursor to a token: then one label key labels the span
        near = hint_labels(len(tokens), target)  # the easiest letters go near the cursor
        assert len(near[target - 2]) <= len(labels[target - 2])
        await pilot.press("comma", *near[target - 2], "p")
        (span,) = rows(db, chat, "semantic")
        assert (span.start, span.end) == (tokens[target - 2][0], tokens[target][1])
        # escape cancels; letters are label keys again afterwards
        await pilot.press("semicolon", "escape", "home", "a")
        assert sorted(a.label for a in rows(db, chat, "semantic")) == ["AGENT", "PREDICATE"]


def app_text(app: LayerkitApp) -> str:
    data = screen(app).data
    assert data is not None
    return data.text


async def test_a_discourse_relation_gets_its_connective(db: Path, chat: int) -> None:
    """The logical relation's connective: guessed when linked, edited with `a` in the side
    panel (it could not be entered anywhere)."""
    async with running(db, at=chat, layer="logical") as (app, pilot):
        await pilot.press("down", "down", "shift+down", "c")  # a claim (sentence 3)
        await pilot.press("escape", "down", "shift+down", "p", "enter", "1", "s")  # supported
        (relation,) = [a for a in rows(db, chat, "logical") if a.kind == "relation"]
        assert "connective" in relation.attrs  # guessed ("" where no marker is found)
        await pilot.press("tab")
        for _ in range(10):
            row = side(app).current_row
            if row is not None and row.annotation is not None and row.annotation.id == relation.id:
                break
            await pilot.press("down")
        await pilot.press("a", "ctrl+u", *"потому что", "enter")
        (relation,) = [a for a in rows(db, chat, "logical") if a.kind == "relation"]
        assert relation.attrs["connective"] == "потому что"
        await pilot.press("ctrl+z")  # one edit, one undo
        (relation,) = [a for a in rows(db, chat, "logical") if a.kind == "relation"]
        assert relation.attrs["connective"] != "потому что"


async def test_shift_and_the_label_key_link_then_open_the_connective(db: Path, chat: int) -> None:
    """In the relation picker, ``S`` (shift + the label key) saves the SUPPORT relation and
    opens its attributes at once: the connective is typed there, not through the side panel
    (tab, finding the line, ``a``, shift+tab: four keys or more saved)."""
    from layerkit.tui.screens.attributes import AttributesModal

    async with running(db, at=chat, layer="logical") as (app, pilot):
        await pilot.press("down", "down", "shift+down", "c")  # a claim (sentence 3)
        await pilot.press("escape", "down", "shift+down", "p", "enter", "1", "S")
        await settle(pilot)
        assert isinstance(app.screen, AttributesModal)
        # the attribute's name whole, apart from its value (it was cut to "connect" and run
        # into the value: "connectи")
        label = app.screen.query_one(".token-label")
        assert str(label.render()) == "connective" and label.size.width > len("connective")
        (relation,) = [a for a in rows(db, chat, "logical") if a.kind == "relation"]
        assert relation.label == "SUPPORT"  # saved before the attributes are asked
        await pilot.press(*"ведь", "enter")  # the guess is selected: typing replaces it
        await settle(pilot)
        assert no_dialog(app)
        assert view(app).has_focus
    (relation,) = [a for a in rows(db, chat, "logical") if a.kind == "relation"]
    assert (relation.label, relation.attrs["connective"]) == ("SUPPORT", "ведь")
    # a plain label key still saves without asking
    async with running(db, at=chat, layer="logical") as (app, pilot):
        await pilot.press("down", "down", "shift+down", "enter", "1", "a")
        await settle(pilot)
        assert no_dialog(app)


async def test_choice_and_yes_no_attributes_are_written_in_the_side_panel(
    db: Path, chat: int
) -> None:
    """Factuality's evidential (a choice) and negated (yes/no) had no command at all."""
    async with running(db, at=chat, layer="epistemic") as (app, pilot):
        await pilot.press("down", "down", "down", "shift+down", "f")  # sentence 4: FACT
        (fact,) = [a for a in rows(db, chat, "epistemic") if a.field == "factuality"]
        await pilot.press("tab")
        for _ in range(10):
            row = side(app).current_row
            if row is not None and row.annotation is not None and row.annotation.id == fact.id:
                break
            await pilot.press("down")
        await pilot.press("a", "ctrl+u", "y", "down", "ctrl+u", *"rep", "enter")
        assert "REPORTED" not in str(rows(db, chat, "epistemic"))  # «rep» is no choice: refused
        await pilot.press("ctrl+u", *"rep", "right", "enter")  # → completes it
        (fact,) = [a for a in rows(db, chat, "epistemic") if a.field == "factuality"]
        assert (fact.attrs["negated"], fact.attrs["evidential"]) == (True, "REPORTED")


async def test_undo_redo_through_the_store(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (_app, pilot):
        await pilot.press("p", "right", "a")  # the AGENT and its link: one step
        assert len(rows(db, chat, "semantic")) == 3
        await pilot.press("ctrl+z")
        assert [a.label for a in rows(db, chat, "semantic")] == ["PREDICATE"]
        await pilot.press("ctrl+z")
        assert rows(db, chat, "semantic") == []
        assert state(db, chat, "semantic") == "todo"
        await pilot.press("ctrl+y")
        assert [a.label for a in rows(db, chat, "semantic")] == ["PREDICATE"]
        await pilot.press("ctrl+y", "ctrl+y")  # the second has nothing left to redo
        assert len(rows(db, chat, "semantic")) == 3


async def test_undo_and_redo_survive_a_restart(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (_app, pilot):
        await pilot.press("p", "right", "a")
    assert len(rows(db, chat, "semantic")) == 3
    async with running(db) as (app, pilot):
        # Reopens where this annotator was, and undoes their last edit from the event log.
        assert screen(app).data is not None and screen(app).data.id == chat
        assert app.layer == "semantic"
        await pilot.press("ctrl+z")
    assert [a.label for a in rows(db, chat, "semantic")] == ["PREDICATE"]
    async with running(db) as (app, pilot):
        await pilot.press("ctrl+y")
    assert len(rows(db, chat, "semantic")) == 3


async def test_undo_goes_to_the_paragraph_and_layer_it_changed(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="logical") as (app, pilot):
        await pilot.press("c", "1", "ctrl+n", "ctrl+n")
        assert app.layer == "lexical" and screen(app).data is not None
        assert screen(app).data.id != chat
        await pilot.press("ctrl+z")
        assert app.layer == "logical"
        assert screen(app).data is not None and screen(app).data.id == chat
    assert rows(db, chat, "logical") == []


async def test_lexical_keys_change_or_confirm_a_tokens_part_of_speech(db: Path, chat: int) -> None:
    before = {(a.start, a.end): a for a in rows(db, chat, "lexical")}
    assert all(a.origin.startswith("model:") for a in before.values())
    tokens = sorted(before)
    third = before[tokens[2]]  # «Короче», left as the model tagged it
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        key_of = {e.label.name: k for k, e in app.keymaps["lexical"].keys.items()}
        await pilot.press("i")  # «Привет» becomes INTJ
        await pilot.press("right", "right", key_of[third.label or ""])
    after = {(a.start, a.end): a for a in rows(db, chat, "lexical")}
    assert (after[tokens[0]].label, after[tokens[0]].origin) == ("INTJ", "human")
    assert after[tokens[0]].attrs["lemma"] == before[tokens[0]].attrs["lemma"]
    # The same label as the model's: confirmed, so pre-annotation never replaces it.
    assert (after[tokens[2]].label, after[tokens[2]].origin) == (third.label, "human")
    assert after[tokens[1]].origin == before[tokens[1]].origin
    assert len(after) == len(before)


async def test_pragmatic_keys_label_sentences_and_the_paragraph(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="pragmatic") as (app, pilot):
        # a sentence's label moves the cursor on to the next sentence: one key per sentence
        await pilot.press("e")
        assert view(app).offsets == (8, 14)  # «Короче», the second sentence's first word
        await pilot.press("a", "i", "x", "0", "C")
        assert view(app).offsets[0] == 98  # the third sentence; paragraph labels do not move
    labels = {(a.field, a.start, a.end): a.label for a in rows(db, chat, "pragmatic")}
    assert labels == {
        ("speech_act", 0, 7): "EXPRESS",
        ("speech_act", 8, 97): "ASSERT",
        ("intent", None, None): "EXPLAIN",  # «i» then «x»: relabelled, still one
        ("tone", None, None): "NEUTRAL",
        ("register", None, None): "CONVERSATIONAL",
    }


async def test_a_paragraph_label_or_text_another_annotator_set_meanwhile_is_a_conflict(
    db: Path, chat: int
) -> None:
    """anna pressed «i» (INFORM) and boris «x» (EXPLAIN) within a second: the paragraph had
    two intents, and two implicature texts, one of them out of reach of the text editor."""
    from layerkit.tui.screens.error import ErrorModal
    from layerkit.tui.screens.texts import TextsModal

    async with running(db, at=chat, layer="pragmatic") as (app, pilot):
        with open_store(db) as store:  # boris, elsewhere, after this screen was read
            store.create_annotation(
                paragraph_id=chat, layer="pragmatic", kind="label", field="intent",
                label="EXPLAIN", annotator="boris",
            )  # fmt: skip
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal) and app.screen.error.title == "Edit conflict"
        # the annotator's hint (the store's says "refresh": the screen has, ctrl+r again)
        assert "ctrl+r" in app.screen.error.hint and "Refresh to see" not in app.screen.error.hint
        assert "boris" in app.screen.error.message and "EXPLAIN" in app.screen.error.message
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+e")  # no implicature yet: the editor opens empty
        await pilot.pause()
        assert isinstance(app.screen, TextsModal)
        with open_store(db) as store:  # boris writes his, meanwhile
            store.create_annotation(
                paragraph_id=chat, layer="pragmatic", kind="text", field="implicature",
                value="Зовёт гулять (Б)", annotator="boris",
            )  # fmt: skip
        await pilot.press(*"Зовёт", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal) and app.screen.error.title == "Edit conflict"
    found = sorted((a.field, a.label, a.value, a.annotator) for a in rows(db, chat, "pragmatic"))
    assert found == [
        ("implicature", None, "Зовёт гулять (Б)", "boris"),
        ("intent", "EXPLAIN", None, "boris"),
    ]


async def test_side_panel_selects_and_deletes(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("p", "end", "a")
        side = screen(app).query_one(AnnotationList)
        await pilot.press("tab")
        assert side.has_focus
        side.highlighted = 0
        await pilot.press("enter")
        assert view(app).has_focus and selected_text(app) == "Привет"
        await pilot.press("tab")
        side.highlighted = 1
        await pilot.press("delete")
        assert [a.label for a in rows(db, chat, "semantic")] == ["PREDICATE"]
        side.highlighted = 0
        await pilot.press("backspace")
        assert rows(db, chat, "semantic") == []


async def test_texts_editor_writes_paragraph_and_anchored_texts(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="pragmatic") as (app, pilot):
        await pilot.press("ctrl+e")
        assert isinstance(app.screen, TextsModal)
        await pilot.press(*"Зовёт гулять.", "ctrl+s")
        assert isinstance(app.screen, AnnotateScreen)
        (text,) = rows(db, chat, "pragmatic")
        assert (text.field, text.value, text.annotator) == ("implicature", "Зовёт гулять.", ME)
        await pilot.press("ctrl+e", "end", *" Вежливо.", "escape")  # escape saves too
        (text,) = rows(db, chat, "pragmatic")
        assert text.value == "Зовёт гулять. Вежливо." and text.version == 2
        await pilot.press("ctrl+e", "end", *["backspace"] * 25, "escape")  # emptied: deleted
        assert rows(db, chat, "pragmatic") == []
        await pilot.press("3", "ctrl+e")  # logical: no unit under the cursor yet
        assert isinstance(app.screen, AnnotateScreen)
        await pilot.press("c", "ctrl+e")
        assert isinstance(app.screen, TextsModal)
        assert [slot.label for slot in app.screen.slots] == [
            "EXAMPLE",
            "COUNTEREXAMPLE",
            "ANALOGY",
            "APPLICATION",
        ]
        await pilot.press(*"Пример.", "escape")
    unit, example = sorted(rows(db, chat, "logical"), key=lambda a: a.id or 0)
    assert (unit.label, example.kind, example.label) == ("CLAIM", "text", "EXAMPLE")
    assert (example.source_id, example.value) == (unit.id, "Пример.")


TYPE_THEN_HANG = """
import asyncio, sys
from layerkit.tui import create_app

async def main(db, text):
    app = create_app(db, "tester", poll_seconds=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+e", *text)
        await pilot.pause(1.0)  # the draft is written a moment after typing stops
        print("TYPED", flush=True)
        await asyncio.sleep(600)  # killed here, the dialog still open, nothing saved

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def killed_after_typing(script: str, db: Path, typed: str) -> None:
    """Run ``script`` (an annotator typing ``typed`` into a dialog it leaves open) in a process
    of its own, and kill it with SIGKILL once it says TYPED."""
    import signal
    import subprocess
    import sys

    child = subprocess.Popen(
        [sys.executable, "-c", script, str(db), typed],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "TYPED", (
            child.stderr.read() if child.stderr else ""
        )
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)


async def test_a_free_text_draft_survives_a_killed_annotator(db: Path, chat: int) -> None:
    """Bug: text typed in an open free-text dialog was lost when the process died."""

    with open_store(db) as store:
        store.save_position(ME, paragraph_id=chat, layer="pragmatic")
    killed_after_typing(TYPE_THEN_HANG, db, "Зовёт гулять")
    assert rows(db, chat, "pragmatic") == []  # never saved
    async with running(db, at=chat, layer="pragmatic") as (app, pilot):
        await pilot.press("ctrl+e")
        assert isinstance(app.screen, TextsModal)
        assert app.screen.texts()[0] == "Зовёт гулять"  # restored as it was typed
        await pilot.press("end", ".", "ctrl+s")
    (text,) = rows(db, chat, "pragmatic")
    assert text.value == "Зовёт гулять."
    with open_store(db) as store:  # saved: the draft is gone
        assert store.drafts(ME, [f"{chat}/pragmatic/implicature//"]) == {}


TYPE_A_LEMMA_THEN_HANG = """
import asyncio, sys
from layerkit.tui import create_app

async def main(db, lemma):
    app = create_app(db, "tester", poll_seconds=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the first token's editor, the lemma field focused
        await pilot.pause()
        await pilot.press("ctrl+u", *lemma)
        await pilot.pause(1.0)  # the draft is written a moment after a change
        print("TYPED", flush=True)
        await asyncio.sleep(600)  # killed here, the editor still open, nothing saved

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_a_token_analysis_typed_survives_a_killed_annotator(db: Path, chat: int) -> None:
    """What was typed into a token's editor was lost when the process died (the free-text
    editor's drafts were kept, the token editor's not): it comes back when the token's editor
    is opened again, said in a notice; escape throws it away, enter saves it."""

    from layerkit.tui.screens.token import TokenEditor

    with open_store(db) as store:
        store.save_position(ME, paragraph_id=chat, layer="lexical")
        first = min(store.annotations(chat, "lexical"), key=lambda a: a.start or 0)
    before = (first.attrs or {})["lemma"]
    assert before != "гулять"
    key = f"{chat}/lexical/morph/token/{first.start}:{first.end}"

    def killed_while_typing() -> None:
        killed_after_typing(TYPE_A_LEMMA_THEN_HANG, db, "гулять")

    def lemma_now() -> str:
        (now,) = [a for a in rows(db, chat, "lexical") if a.id == first.id]
        return str((now.attrs or {})["lemma"])

    killed_while_typing()
    assert lemma_now() == before  # never saved
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        await pilot.press("enter")
        await pilot.pause()
        the_token_editor_holds(app, "гулять", first.label or "")
        assert "Restored the unsaved analysis" in last_notice(app)
        await pilot.press("escape")  # thrown away
        await pilot.press("enter")
        await pilot.pause()
        the_token_editor_holds(app, before, first.label or "")
        await pilot.pause(0.6)
        with open_store(db) as store:  # nothing typed: no draft (a write per editor opened)
            assert store.drafts_typed_over(ME, [key]) == {}
        await pilot.press("escape")
    assert lemma_now() == before

    killed_while_typing()
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TokenEditor)
        await pilot.press("enter")  # saved as restored
        await pilot.pause()
        assert not isinstance(app.screen, TokenEditor)
    assert lemma_now() == "гулять"
    with open_store(db) as store:  # saved: the draft is gone
        assert (
            store.drafts_typed_over(ME, [f"{chat}/lexical/morph/token/{first.start}:{first.end}"])
            == {}
        )


async def test_a_draft_is_written_while_typing_goes_on_without_a_pause(db: Path, chat: int) -> None:
    """The draft was written only once typing paused for 0.25 s: a steady typist (a key every
    0.1-0.2 s) lost everything typed to a kill, seconds of it (the kill -9 audit)."""
    with open_store(db) as store:
        store.save_position(ME, paragraph_id=chat, layer="pragmatic")
    typed = "Намекает на кофе"
    async with running(db, at=chat, layer="pragmatic") as (app, pilot):
        await pilot.press("ctrl+e")
        assert isinstance(app.screen, TextsModal)
        for key in typed:
            await pilot.press(key)
            await pilot.pause(0.1)  # never the 0.25 s pause the draft waited for
        with open_store(db) as store:
            (kept,) = store.drafts(ME, [f"{chat}/pragmatic/implicature//"]).values()
        # what was typed up to a moment ago is kept, not nothing
        assert typed.startswith(kept) and len(kept) >= len(typed) - 4, kept
        await pilot.press("ctrl+s")


async def test_a_draft_refused_by_a_conflict_is_kept_whole_and_comes_back_beside_theirs(
    db: Path, chat: int
) -> None:
    """Bugs: boris saved the implicature while anna typed hers. (1) Her ctrl+s, pressed right
    after her last keys, was refused, and those keys were lost (drafts were written only a
    moment after typing stopped). (2) Reopened, her restored draft was saved over boris's text
    with no conflict and nothing shown. Now exactly what she submitted is kept, and reopened
    it comes back with boris's text shown above it; saving it then is her informed choice."""
    from layerkit.tui.screens.texts import TextsModal

    with open_store(db) as store:
        first = store.create_annotation(
            paragraph_id=chat,
            layer="pragmatic",
            kind="text",
            field="implicature",
            value="Зовёт",
            annotator=ME,
        )
    async with running(db, at=chat, layer="pragmatic") as (app, pilot):
        await pilot.press("ctrl+e")
        assert isinstance(app.screen, TextsModal)
        with open_store(db) as store:  # boris, meanwhile
            store.update_annotation(
                first.id, annotator="boris", expected_version=first.version, value="Зовёт (Б)"
            )
        await pilot.press("end", *" гулять", "ctrl+s")  # at once: no timed draft yet
        await pilot.pause()
        from layerkit.tui.screens.error import ErrorModal

        assert isinstance(app.screen, ErrorModal) and app.screen.error.title == "Edit conflict"
        (text,) = rows(db, chat, "pragmatic")
        assert text.value == "Зовёт (Б)"  # theirs stands
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, TextsModal)
        assert app.screen.texts()[0] == "Зовёт гулять"  # every key she typed
        notes = [str(label.render()) for label in app.screen.query(".text-note")]
        assert len(notes) == 1 and "boris" in notes[0] and "Зовёт (Б)" in notes[0], notes
        await pilot.press("ctrl+s")
    (text,) = rows(db, chat, "pragmatic")
    assert text.value == "Зовёт гулять"


def _tokens_of(paragraph_id: int, db: Path) -> list[list[int]]:
    with open_store(db) as store:
        return store.paragraph(paragraph_id).tokens


async def test_one_paragraph_on_all_five_layers(db: Path, chat: int) -> None:
    """One paragraph annotated on every layer from the keyboard, relations included, and
    every layer marked done; checked row by row in the database."""
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        await pilot.press("ctrl+o")  # depth-first: marking a layer done opens the next one here
        await pilot.press("i", "A", "ctrl+d")  # lexical: «Привет» INTJ, the rest accepted, done
        assert app.layer == "semantic" and screen(app).data.id == chat  # «2» is pressed anyway
        # semantic: «Привет» PREDICATE, «Короче» AGENT, linked by enter (the only predicate,
        # then the role named like the span), then done
        await pilot.press("2", "p", "right", "right", "a", "enter", "enter", "enter", "ctrl+d")
        await pilot.press("3", "down", "shift+down", "c")  # logical: a claim (sentence 3)
        await pilot.press("ctrl+e", *"Кофейня хорошая.", "escape")  # its EXAMPLE
        # a premise (sentence 4) that supports the claim, then done
        await pilot.press("escape", "down", "shift+down", "p", "enter")
        assert "saved as" not in str(screen(app).query_one(RelationPicker).border_title)
        await pilot.press("1", "s", "ctrl+d")
        # epistemic: sentence 4 FACT, a HEDGE in it, «Привет» SOURCE, FACT → SOURCE, done
        await pilot.press("4", "f", "escape", "left", "h", "home", "s")
        # (one relation label there, SOURCE: picking the target is enough; the title says so)
        await pilot.press("down", "down", "down", "shift+down", "enter")
        picker = screen(app).query_one(RelationPicker)
        assert "(saved as SOURCE at once)" in str(picker.border_title)
        await pilot.press("1", "ctrl+d")
        await pilot.press("5", "home")  # pragmatic: every sentence (each key moves on), the ¶
        await pilot.press(*["e"] * 6)  # (six: «… фисташковое 😍» ends one, as in UD Taiga)
        await pilot.press("i", "0", "C", "ctrl+e", *"Зовёт гулять.", "escape", "ctrl+d")
        assert isinstance(app.screen, AnnotateScreen)
    with open_store(db) as store:
        statuses = {layer: s.state for layer, s in store.statuses(chat).items()}
        mine = {
            layer: [a for a in store.annotations(chat, layer) if a.annotator == ME]
            for layer in LAYERS
        }
    by_layer = {layer: sorted((a.field, a.label) for a in rows) for layer, rows in mine.items()}
    assert statuses == dict.fromkeys(LAYERS, "done")
    # «Привет» relabelled INTJ, every other token the model's analysis, accepted as mine
    assert ("morph", "INTJ") in by_layer["lexical"]
    assert len(mine["lexical"]) == len(screen_tokens := _tokens_of(chat, db))
    assert screen_tokens
    assert by_layer["semantic"] == [("frame", "AGENT"), ("frame", "PREDICATE"), ("role", "AGENT")]
    assert by_layer["logical"] == [
        ("discourse", "SUPPORT"),
        ("unfolding", "EXAMPLE"),
        ("unit", "CLAIM"),
        ("unit", "PREMISE"),
    ]
    assert by_layer["epistemic"] == [
        ("cue", "HEDGE"),
        ("factuality", "FACT"),
        ("source", "SOURCE"),
        ("source_mention", "SOURCE"),
    ]
    assert by_layer["pragmatic"] == sorted(
        [("speech_act", "EXPRESS")] * 6
        + [("intent", "INFORM"), ("tone", "NEUTRAL"), ("register", "CONVERSATIONAL")]
        + [("implicature", None)]
    )
    # Each relation joins the spans it was drawn between.
    links = {
        layer: [
            (a.label, ids[a.source_id], ids[a.target_id])
            for a in rows
            if a.kind == "relation"
            for ids in [{b.id: (b.label, b.start, b.end) for b in rows}]
        ]
        for layer, rows in mine.items()
    }
    assert links["semantic"] == [("AGENT", ("AGENT", 8, 14), ("PREDICATE", 0, 6))]
    assert links["logical"] == [("SUPPORT", ("PREMISE", 200, 275), ("CLAIM", 98, 199))]
    assert links["epistemic"] == [("SOURCE", ("FACT", 200, 275), ("SOURCE", 0, 6))]


# --- relations -----------------------------------------------------------------------------


async def test_enter_links_an_argument_to_a_predicate(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("p")  # «Привет» PREDICATE
        await pilot.press(*["right"] * 5, "p")  # «вчера» PREDICATE
        await pilot.press("left", "a")  # «я» AGENT: linked at once to «вчера», labelled last
        spans = by_label(a for a in rows(db, chat, "semantic") if a.kind == "span")
        (auto,) = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert (auto.label, auto.source_id, auto.target_id) == (
            "AGENT",
            spans["AGENT"].id,
            next(s.id for s in spans.values() if (s.start, s.end) == (18, 23)),
        )
        await pilot.press("enter")  # link it by hand
        choose = picker(app)
        # Both predicates are offered, in text order; the nearest one is highlighted.
        assert choose.phase == "target"
        assert [t.label for t in choose.targets] == ["PREDICATE", "PREDICATE"]
        assert choose.options.highlighted == 1
        await pilot.press("1")  # «Привет», by its hint
        assert choose.phase == "label"
        # The role named like the argument's span is highlighted: enter alone takes it.
        assert choose.choices[choose.options.highlighted or 0].label.name == "AGENT"
        await pilot.press("escape")  # back to the spans, the chosen one highlighted
        assert choose.phase == "target" and choose.options.highlighted == 0
        await pilot.press("down", "enter", "t")  # «вчера», then PATIENT by its key
        assert no_dialog(app)
        # Linking the same two spans again relabels the link instead of doubling it.
        (relation,) = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert (relation.field, relation.label, relation.annotator) == ("role", "PATIENT", ME)
        assert (relation.id, relation.version) == (auto.id, 2)
        assert relation.source_id == spans["AGENT"].id
        target = next(a for a in rows(db, chat, "semantic") if a.id == relation.target_id)
        assert (target.label, target.start, target.end) == ("PREDICATE", 18, 23)
        assert (relation.start, relation.end) == (None, None)
        lines = [line.text.plain for line in side(app)._rows]
        assert any("«я» —PATIENT→ «вчера»" in line for line in lines)
        await pilot.press("enter", "2", "a")
        (relation,) = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert (relation.label, relation.version) == ("AGENT", 3)
        # The dialog is kept between uses (it opens in one frame) and asked anew each time.
        await pilot.press("enter")
        again = picker(app)
        assert again is choose and again.phase == "target" and again.target is None
        assert [t.label for t in again.targets] == ["PREDICATE", "PREDICATE"]
        assert again.linked == {relation.target_id: "AGENT"}
        await pilot.press("escape")
        assert no_dialog(app)


async def test_relation_dialog_lines_are_picked_by_click_and_its_second_question_lays_out_nothing(
    db: Path, chat: int
) -> None:
    """A click on a line of the dialog picks it, as its key would. Answering the first
    question shows the second in the same box, as high as before: the screen is repainted
    there, not laid out again (a layout of the annotator's screen costs 1-2 ms a key)."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("p", *["right"] * 5, "p", "left", "a")  # two PREDICATEs, an AGENT
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        choose = picker(app)
        assert choose.phase == "target" and len(choose.targets) == 2
        box = choose.region
        layouts = []
        real_layout = app.screen._refresh_layout

        def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            layouts.append(args)
            return real_layout(*args, **kwargs)

        app.screen._refresh_layout = counted  # type: ignore[method-assign]
        await pilot.click("#picker-list", offset=(4, 0))  # the first line: «Привет»
        await settle(pilot)
        assert choose.phase == "label" and choose.target is choose.targets[0]
        assert layouts == [] and choose.region == box
        names = [c.label.name for c in choose.choices]
        await pilot.click("#picker-list", offset=(4, names.index("PATIENT")))
        await settle(pilot)
        assert no_dialog(app)
        relations = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert ("PATIENT", (0, 6)) in [
            (
                r.label,
                next((a.start, a.end) for a in rows(db, chat, "semantic") if a.id == r.target_id),
            )
            for r in relations
        ]


async def test_relation_dialog_repaints_its_box_and_what_it_covered_nothing_else(
    db: Path, chat: int
) -> None:
    """Opening the dialog repaints the box (and the key bar, showing its keys); closing it
    repaints what the box covered. Neither repaints the whole screen (Textual does when a shown
    or hidden widget shifts the painting order of the others: annotate.py puts the dialog
    first), and the widgets the box hides are not asked for their lines while it is open
    (compositor.py)."""
    async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
        await pilot.press("p", *["right"] * 5, "p", "left", "a")  # two PREDICATEs, an AGENT
        await settle(pilot)
        compositor = app.screen._compositor
        dirty: list[Region] = []
        asked: list[str] = []
        real_update, real_renders = compositor.render_partial_update, compositor._get_renders

        def update():  # type: ignore[no-untyped-def]
            dirty.extend(compositor._dirty_regions)
            return real_update()

        def renders(crop=None):  # type: ignore[no-untyped-def]
            for region, clip, strips in real_renders(crop):
                widget = next(w for w, (r, _) in compositor.visible_widgets.items() if r == region)
                asked.append(widget.id or type(widget).__name__)
                yield region, clip, strips

        compositor.render_partial_update = update  # type: ignore[method-assign]
        compositor._get_renders = renders  # type: ignore[method-assign]
        await pilot.press("enter")
        await settle(pilot)
        box, keys = picker(app).region, app.screen.query_one("#keys").region
        assert picker(app).phase == "target" and dirty
        assert all(box.union(keys).contains_region(region) for region in dirty), dirty
        assert set(asked) <= {"picker", "picker-list", "keys"}, asked
        dirty.clear()
        await pilot.press("escape")
        await settle(pilot)
        assert no_dialog(app) and dirty
        screen_area = app.screen.region.area
        assert all(region.area < screen_area for region in dirty)
        assert all(box.union(keys).contains_region(region) for region in dirty), dirty


async def test_bound_keys_run_at_once_and_keys_a_widget_reads_take_textuals_road(
    db: Path, chat: int
) -> None:
    """A key bound where no widget on the way reads keys itself runs its binding as it arrives,
    without its trip through the widget tree (key_routing.py): the text view is never handed
    it, and the label is saved. Where a widget reads keys (the search box takes typed
    characters, the screen reads escape itself), the key takes Textual's road, unchanged."""
    from layerkit.tui.widgets.paragraph_view import ParagraphView

    async with running(db, at=chat, layer="semantic") as (app, pilot):
        view = app.screen.query_one(ParagraphView)
        handed: list[str] = []
        real_forward = view._forward_event

        def forward(event):  # type: ignore[no-untyped-def]
            handed.append(getattr(event, "key", type(event).__name__))
            return real_forward(event)

        view._forward_event = forward  # type: ignore[method-assign]
        passed_on: list[str] = []  # what the view's container was handed (messages.py)
        container = app.screen.query_one("#main")
        real_post = container.post_message

        def post(message):  # type: ignore[no-untyped-def]
            passed_on.append(type(message).__name__)
            return real_post(message)

        container.post_message = post  # type: ignore[method-assign]
        await pilot.press("right", "p")
        await settle(pilot)
        assert "right" not in handed and "p" not in handed
        assert not {"SelectionChanged", "LabelRequested"} & set(passed_on), passed_on
        assert [a.label for a in rows(db, chat, "semantic") if a.kind == "span"] == ["PREDICATE"]
        await pilot.press("escape")  # the screen's own key_escape: handed on, as before
        await settle(pilot)
        assert "escape" in handed
        await pilot.press("ctrl+f", "1", "2")
        await settle(pilot)
        search = app.screen.query_one("#search", Input)
        assert search.has_focus and search.value == "12" and app.layer == "semantic"


async def test_link_is_refused_where_the_schema_allows_none(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("enter")  # no span under the cursor
        assert no_dialog(app)
        await pilot.press("a", "enter")  # an AGENT, but no PREDICATE to link it to
        assert no_dialog(app)
        await pilot.press("right", "right", "p", "enter")  # a role never starts at a PREDICATE
        assert no_dialog(app)
        await pilot.press("home", "enter")
        assert picker(app).phase == "target"
        await pilot.press("escape")  # cancels: nothing saved
        assert no_dialog(app)
        await pilot.press("enter", "enter", "escape", "escape")  # label, back, cancel
        assert no_dialog(app)
        assert not [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        await pilot.press("1", "enter")  # the lexical layer has no relations: enter edits
        assert isinstance(app.screen, TokenEditor)


async def test_side_panel_relabels_and_deletes_a_relation(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("p", "right", "right", "a", "enter", "enter", "enter")
        (relation,) = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert relation.label == "AGENT" and relation.id is not None
        panel = side(app)
        await pilot.press("tab")
        assert panel.has_focus
        panel.set_highlighted(panel.row_of(relation.id))
        await pilot.press("e")
        choose = picker(app)
        assert choose.phase == "label" and not choose.targets
        await pilot.press("w")  # TIME
        (relation,) = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert (relation.label, relation.version) == ("TIME", 2)
        assert relation.id is not None
        panel.set_highlighted(panel.row_of(relation.id))
        await pilot.press("e", "escape")  # cancelled: unchanged
        assert no_dialog(app)
        (relation,) = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert (relation.label, relation.version) == ("TIME", 2) and relation.id is not None
        panel.set_highlighted(panel.row_of(relation.id))
        await pilot.press("delete")
        left = rows(db, chat, "semantic")
        assert sorted(a.label or "" for a in left) == ["AGENT", "PREDICATE"]  # spans stay
        await pilot.press("ctrl+z")
        assert [a.label for a in rows(db, chat, "semantic") if a.kind == "relation"] == ["TIME"]
        # A span's label can be changed from the panel too.
        spans = by_label(rows(db, chat, "semantic"))
        predicate = spans["PREDICATE"].id
        assert predicate is not None
        panel.set_highlighted(panel.row_of(predicate))
        await pilot.press("e", "c")
        assert by_label(rows(db, chat, "semantic"))["CAUSE"].id == predicate


async def test_semantic_layer_is_done_once_every_argument_has_a_role(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press(*["right"] * 7, "p")  # «дошла»
        await pilot.press(*["left"] * 3, "a")  # «я», linked to «дошла» as it is labelled
        await pilot.press("right", "w")  # «вчера», too
        await pilot.press("home", "a", "ctrl+d")  # «Привет»: its sentence has no predicate
        assert isinstance(app.screen, ErrorModal)
        assert "1 span(s) not linked by any relation («Привет»)" in app.screen.error.message
        await pilot.press("escape", "delete", "ctrl+d")
        assert isinstance(app.screen, AnnotateScreen)
    assert state(db, chat, "semantic") == "done"
    roles = sorted(a.label or "" for a in rows(db, chat, "semantic") if a.kind == "relation")
    assert roles == ["AGENT", "TIME"]


# --- the lexical token table -----------------------------------------------------------------


async def test_token_table_follows_and_moves_the_text_cursor(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        panel = side(app)
        tokens = tokens_of(app)
        assert panel.option_count == len(tokens)
        assert "to check" in str(panel.border_title)
        header = panel.render_line(0)
        assert "form" in header.text and "UPOS" in header.text and "FEATS" in header.text
        await pilot.press("right", "right")
        assert panel.highlighted == 2
        assert "Короче" in panel.render_line(3).text  # the header takes the first line
        await pilot.press("tab", "down", "down")
        assert panel.has_focus and view(app).cursor_token == 4
        assert selected_text(app) == "я"
        await pilot.press("e")
        assert editor(app).token.form == "я"
        await pilot.press("escape", "end", "enter")
        assert view(app).has_focus and view(app).cursor_token == len(tokens) - 1


async def test_token_editor_saves_lemma_upos_and_feats_as_one_undoable_edit(
    db: Path, chat: int
) -> None:
    before = {(a.start, a.end): a for a in rows(db, chat, "lexical")}[(8, 14)]  # «Короче»
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        await pilot.press("right", "right", "enter")
        edit = editor(app)
        assert edit.token.form == "Короче" and edit.query_one("#token-lemma").has_focus
        await settle(pilot)  # pymorphy3's readings
        assert "коротко ADV Degree=Cmp" in rendered_text(edit.query("#token-readings"))
        await pilot.press("ctrl+u", *"коро\u0301ч")  # a stress mark typed in is dropped
        await settle(pilot)
        await pilot.press("right")  # takes the completion from pymorphy3's lemmas
        await pilot.press("down", "ctrl+u", "a", "d", "v")
        await settle(pilot)
        await pilot.press("right")  # adv → ADV, from the schema's labels
        await pilot.press("tab", "ctrl+u", *"Degree=P")
        await settle(pilot)
        await pilot.press("right", *"|Ty")  # a reading's FEATS, then Typo=Yes from UD's list
        await settle(pilot)
        await pilot.press("right", "enter")
        assert isinstance(app.screen, AnnotateScreen)
        after = {(a.start, a.end): a for a in rows(db, chat, "lexical")}[(8, 14)]
        assert (after.label, after.attrs["lemma"], after.attrs["feats"]) == (
            "ADV",
            "короче",
            "Degree=Pos|Typo=Yes",
        )
        assert (after.origin, after.annotator, after.version) == ("human", ME, before.version + 1)
        await pilot.press("ctrl+z")
    undone = {(a.start, a.end): a for a in rows(db, chat, "lexical")}[(8, 14)]
    assert (undone.label, undone.attrs, undone.origin) == (
        before.label,
        before.attrs,
        before.origin,
    )


async def test_token_editor_refuses_what_cannot_be_stored(db: Path, chat: int) -> None:
    before = rows(db, chat, "lexical")
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        await pilot.press("enter", "down", "ctrl+u", *"XYZ", "enter")
        edit = editor(app)  # still open, saying why
        assert "XYZ is not a part of speech" in rendered_text(edit.query("#token-error"))
        await pilot.press("ctrl+u", *"INTJ", "down", "ctrl+u", *"Case", "enter")
        assert "«Case» is not a feature" in rendered_text(edit.query("#token-error"))
        await pilot.press("ctrl+u", *"Case=Nom|Case=Gen", "enter")
        assert "Case is given twice" in rendered_text(edit.query("#token-error"))
        await pilot.press("ctrl+u", *"Degree=Pos|Case=Xyz", "enter")  # was saved
        assert "«Xyz» is not a value of Case" in rendered_text(edit.query("#token-error"))
        await pilot.press("ctrl+u", *"Degree=Pos", "enter")  # UD has no Degree on an INTJ
        shown = rendered_text(edit.query("#token-error"))
        assert "no Degree=Pos with the UPOS INTJ" in shown and "goes with ADJ, ADV, NUM" in shown
        await pilot.press("up", "up", "ctrl+u", "enter")
        assert "The lemma is empty" in rendered_text(edit.query("#token-error"))
        await pilot.press("escape")  # closes without saving
        assert isinstance(app.screen, AnnotateScreen)
    assert rows(db, chat, "lexical") == before


async def test_token_editor_takes_a_reading_with_one_digit(db: Path, chat: int) -> None:
    from layerkit.tui.lexical import suggestions

    readings = suggestions("Привет").readings
    assert len(readings) >= 2
    lemma, upos, feats = readings[1].split(" ", 2)
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        await pilot.press("enter")
        edit = editor(app)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert edit.readings, "the readings are listed, numbered"
        await pilot.press("2")  # reading 2, saved: two keys in all
        assert isinstance(app.screen, AnnotateScreen)
        first = {(a.start, a.end): a for a in rows(db, chat, "lexical")}[(0, 6)]
        assert (first.attrs["lemma"], first.label, first.attrs["feats"], first.origin) == (
            lemma, upos, feats, "human",
        )  # fmt: skip
        # once something is typed, digits are text again
        await pilot.press("enter", "down", "down", "end", *"|Person=1")
        assert editor(app).values()[2].endswith("|Person=1")
        await pilot.press("escape")


async def test_next_doubtful_then_unconfirmed_token(db: Path, chat: int) -> None:
    tokens = [tuple(t) for t in _tokens_of(chat, db)]
    by_offsets = {(a.start, a.end): a for a in rows(db, chat, "lexical")}
    order = [by_offsets[t] for t in tokens]
    doubtful = [i for i, a in enumerate(order) if a.confidence is not None and a.confidence < 0.9]
    assert doubtful, "the sample's chat paragraph has doubtful analyses"
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        ahead = [i for i in doubtful if i > 0]  # the cursor starts on token 0
        for expected in [*ahead, doubtful[0]]:  # each in turn, then around again
            await pilot.press("apostrophe")
            assert view(app).cursor_token == expected
        await pilot.press("A", "home", "apostrophe")  # all accepted: nothing left to check
        assert view(app).cursor_token == 0


async def test_review_key_opens_the_next_token_to_check_in_the_editor(db: Path, chat: int) -> None:
    """`"`: the move of `'` and the enter of the editor in one key, so a correction by a
    numbered reading is `"` and a digit; with nothing left to check it opens nothing."""
    tokens = [tuple(t) for t in _tokens_of(chat, db)]
    by_offsets = {(a.start, a.end): a for a in rows(db, chat, "lexical")}
    order = [by_offsets[t] for t in tokens]
    doubtful = [i for i, a in enumerate(order) if a.confidence is not None and a.confidence < 0.9]
    first = next(i for i in doubtful if i > 0)
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        await pilot.press("quotation_mark")
        await settle(pilot)
        assert view(app).cursor_token == first
        assert editor(app).readings, "the editor is open on it, with its readings numbered"
        await pilot.press("1")  # reading 1, saved
        await settle(pilot)
        assert isinstance(app.screen, AnnotateScreen)
        saved = {(a.start, a.end): a for a in rows(db, chat, "lexical")}[tokens[first]]
        assert saved.origin == "human"
        await pilot.press("A")  # accept the rest: nothing left to check
        await settle(pilot)
        await pilot.press("quotation_mark")
        await settle(pilot)
        assert isinstance(app.screen, AnnotateScreen)


async def test_token_editor_adds_a_missing_analysis(db: Path, chat: int) -> None:
    with open_store(db) as store:
        first = {(a.start, a.end): a for a in store.annotations(chat, "lexical")}[(0, 6)]
        assert first.id is not None
        store.delete_annotation(first.id, annotator="bob")
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        assert "✗" in side(app)._rows[0].text.plain
        await pilot.press("enter", *"привет", "down", *"INTJ", "enter")
    added = {(a.start, a.end): a for a in rows(db, chat, "lexical")}[(0, 6)]
    assert (added.label, added.attrs, added.origin) == (
        "INTJ",
        {"lemma": "привет", "feats": "_"},
        "human",
    )


async def test_saving_a_suggestion_unchanged_confirms_it(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="lexical") as (_app, pilot):
        await pilot.press("enter", "enter")
        first = {(a.start, a.end): a for a in rows(db, chat, "lexical")}[(0, 6)]
        assert (first.origin, first.version) == ("human", 2)
        await pilot.press("enter", "enter")  # already the annotator's: nothing to do
        first = {(a.start, a.end): a for a in rows(db, chat, "lexical")}[(0, 6)]
        assert first.version == 2


async def test_accept_confirms_the_model_analyses_of_the_cursor_sentence(
    db: Path, chat: int
) -> None:
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        await pilot.press("down", "ctrl+a")  # sentence 2
        by_sentence: dict[int, list[Annotation]] = {1: [], 2: [], 3: []}
        for a in rows(db, chat, "lexical"):
            start = a.start or 0
            by_sentence[1 if start < 8 else 2 if start < 98 else 3].append(a)
        assert {a.origin for a in by_sentence[2]} == {"human"}
        assert {a.annotator for a in by_sentence[2]} == {ME}
        assert all(a.origin.startswith("model:") for a in by_sentence[1] + by_sentence[3])
        # The token table shows them as the annotator's now (✓), the others still as the model's.
        marks = [line.text.plain[:3] for line in side(app)._rows]
        tokens = tokens_of(app)
        assert {m for m, (s, _e) in zip(marks, tokens, strict=True) if 8 <= s < 98} == {" ✓ "}
        assert {m for m, (s, _e) in zip(marks, tokens, strict=True) if s < 8} == {" · "}
        await pilot.press("ctrl+a")  # nothing left to accept there: no edit
        assert {a.version for a in rows(db, chat, "lexical") if 8 <= (a.start or 0) < 98} == {2}
        # Accepting a sentence is one store batch: one ctrl+z takes the whole sentence back,
        # one ctrl+y accepts it again.
        await pilot.press("ctrl+z")
        sentence2 = [a for a in rows(db, chat, "lexical") if 8 <= (a.start or 0) < 98]
        assert {a.origin.startswith("model:") for a in sentence2} == {True}
        await pilot.press("ctrl+y")
        sentence2 = [a for a in rows(db, chat, "lexical") if 8 <= (a.start or 0) < 98]
        assert {a.origin for a in sentence2} == {"human"}


# --- lower layers as context -----------------------------------------------------------------


async def test_context_shows_the_lower_layers_under_the_cursor(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        assert "Context" not in footer(app)  # nothing below the lexical layer
        await pilot.press("ctrl+l")
        assert not side(app).context
        await pilot.press("2", "right", "right", "p")  # semantic: «Короче» PREDICATE
        assert "Context" in footer(app)
        await pilot.press("ctrl+l")
        panel = side(app)
        assert panel.context and "Lexical" in str(panel.border_title)
        tokens = tokens_of(app)
        assert panel.option_count == len(tokens)  # the lexical rows, nothing of this layer
        (marked,) = panel._marked
        lemma = {(a.start, a.end): a for a in rows(db, chat, "lexical")}[(8, 14)].attrs["lemma"]
        assert panel._rows[marked].text.plain.split()[1:3] == ["Короче", lemma]
        await pilot.press("right", "right")
        (marked,) = panel._marked
        assert panel._rows[marked].text.plain.split()[1] == "я"
        await pilot.press("tab", "delete", "e")  # read-only: nothing deleted or opened
        assert isinstance(app.screen, AnnotateScreen)
        assert len(rows(db, chat, "semantic")) == 1
        await pilot.press("shift+tab", "3")  # logical: semantic and lexical, interleaved
        assert panel.context and "Semantic, Lexical" in str(panel.border_title)
        assert panel.option_count == len(tokens) + 1
        semantic = [r for r in panel._rows if r.text.plain.startswith("sem")]
        assert len(semantic) == 1 and "PREDICATE «Короче»" in semantic[0].text.plain
        await pilot.press("ctrl+l")  # back to the layer's own annotations
        assert not panel.context and panel.option_count == 0


async def test_the_key_bar_is_worked_out_once_a_key(db: Path) -> None:
    """A layer switch changes the bindings twice (the layer's label keys, then the end of the
    action) and a focus change once more: the key bar's line is worked out once a key, as the
    frame is painted, and shows the bindings of the end."""
    async with running(db, layer="lexical") as (app, pilot):
        bar = screen(app).query_one(KeyBar)
        built = count_calls(bar, "_show_bindings")
        await pilot.press("2")
        await settle(pilot)
        assert built == [1]
        assert "⏎ Link" in footer(app) and "Accept" not in footer(app)
        await pilot.press("tab")  # the side panel: its own keys
        await settle(pilot)
        assert built == [2]
        assert "e Edit" in footer(app) and "del Delete" in footer(app)
        await pilot.press("shift+tab", "1")
        await settle(pilot)
        assert built == [4]
        assert "^a Accept" in footer(app) and "Link" not in footer(app)


async def test_narrow_terminals_keep_every_layer_tab_and_whole_keys(db: Path) -> None:
    """At 60 columns the fifth layer's tab was cut off whole, and the key bar was cut inside a
    key (``^n`` without its name, and no mark that more keys exist): the tabs shorten their
    titles so every digit and state stays, and the key bar shows whole keys and then ``…``."""
    async with running(db, layer="lexical", size=(60, 24)) as (app, pilot):
        tabs = screen(app).query_one(LayerTabs).text.plain
        assert cell_len(tabs) <= 60
        for number in range(1, 6):
            assert f" {number} " in tabs
        keys = footer(app)
        assert cell_len(keys) <= 60 and keys.lstrip().startswith("? Help")
        assert keys.endswith(" …")
        shown = keys.removesuffix(" …")
        described = {b.binding.description for b in screen(app).active_bindings.values()}
        assert any(shown.endswith(f" {description}") for description in described)
        await pilot.resize_terminal(140, 30)  # room again: whole titles, every key
        await settle(pilot)
        assert "5 Pragmatic" in screen(app).query_one(LayerTabs).text.plain
        assert not footer(app).endswith("…") and "^n Next ¶" in footer(app)


async def test_a_change_to_a_done_layer_reopens_it_and_says_so(db: Path, chat: int) -> None:
    with open_store(db) as store:
        store.set_status(chat, "semantic", "done", annotator=ME)
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("right", "right", "p")  # «Короче» PREDICATE
        assert [a.label for a in rows(db, chat, "semantic")] == ["PREDICATE"]
        assert state(db, chat, "semantic") == "in_progress"
        assert "Semantic reopened: it was done" in last_notice(app)
        await pilot.press("ctrl+z")
        assert state(db, chat, "semantic") == "done" and rows(db, chat, "semantic") == []


async def test_footer_and_help_show_the_keys_of_each_layer(db: Path) -> None:
    async with running(db, layer="lexical") as (app, pilot):
        keys = footer(app)
        assert "⏎ Edit" in keys and "^a Accept" in keys
        assert "Link" not in keys and "Context" not in keys and "Texts" not in keys
        await pilot.press("2")
        keys = footer(app)
        assert "⏎ Link" in keys and "^l Context" in keys and "Accept" not in keys
        await pilot.press("3")
        assert "^e Texts" in footer(app) and "? Help" in footer(app)
        await pilot.press("question_mark")
        text = rendered_text(app.screen.query(Static))
        for does in (
            "Link the span under the cursor",
            "Edit the token's lemma, UPOS and FEATS",
            "Accept the model's analyses",
            "Show the lower layers",
            "Pick the target span",
            "Take the greyed completion",
            "Edit the highlighted line",
        ):
            assert does in text, does


async def test_side_panel_moves_through_the_list(db: Path) -> None:
    async with running(db, at=1, layer="semantic", size=(80, 24)) as (app, pilot):
        side = screen(app).query_one(AnnotationList)
        await pilot.press("tab")
        assert side.has_focus and side.option_count > 20
        side.set_highlighted(0)
        await pilot.press("down", "down")
        assert side.highlighted == 2
        await pilot.press("up")
        assert side.highlighted == 1
        await pilot.press("end")
        assert side.highlighted == side.option_count - 1
        await pilot.press("home", "pagedown")
        assert side.highlighted is not None and side.highlighted > 2
        await pilot.press("pageup")
        assert side.highlighted == 0


# --- done, errors, conflicts --------------------------------------------------------------


async def test_done_is_refused_while_required_fields_are_missing(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("right", "right", "p")
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.title == "Layer not complete"
        assert "role: no relation yet" in app.screen.error.message
        await pilot.press("escape")
        assert isinstance(app.screen, AnnotateScreen)
        await pilot.press("ctrl+d", "space")  # space closes it too
        assert isinstance(app.screen, AnnotateScreen)
    assert state(db, chat, "semantic") == "in_progress"


async def test_done_and_reopen_a_complete_layer(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        await pilot.press("ctrl+d")  # the model's analyses are not gold until confirmed
        assert isinstance(app.screen, ErrorModal)
        assert "model analysis(es) not confirmed" in app.screen.error.message
        await pilot.press("escape", "A")  # accept the whole paragraph: one step
        assert {a.origin for a in rows(db, chat, "lexical")} == {"human"}
        await pilot.press("ctrl+d")
        assert state(db, chat, "lexical") == "done"
        # on to the next paragraph to do (breadth-first: this layer); undo comes back, redo
        # marks it done again and shows it
        assert screen(app).data is not None and screen(app).data.id != chat
        assert app.layer == "lexical"
        await pilot.press("ctrl+z")
        assert screen(app).data.id == chat and state(db, chat, "lexical") != "done"
        await pilot.press("ctrl+y")
        assert screen(app).data.id == chat and state(db, chat, "lexical") == "done"
        await pilot.press("ctrl+d")  # a done layer: reopened, and the cursor stays
        assert state(db, chat, "lexical") == "in_progress"
        assert screen(app).data.id == chat
        await pilot.press("ctrl+z", "ctrl+z", "ctrl+z")
        assert state(db, chat, "lexical") == "todo"
        assert {a.origin for a in rows(db, chat, "lexical")} != {"human"}


async def test_someone_elses_change_is_shown_not_overwritten(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("p")
        (mine,) = rows(db, chat, "semantic")
        assert mine.id is not None
        with open_store(db) as other:
            other.update_annotation(mine.id, annotator="bob", expected_version=1, label="TIME")
        await pilot.press("a")  # based on version 1: refused
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.title == "Edit conflict"
        await pilot.press("enter")
        (now,) = rows(db, chat, "semantic")
        assert (now.label, now.annotator) == ("TIME", "bob")
        # The screen re-read the paragraph, so the next key works on bob's version.
        await pilot.press("a")
        assert [a.label for a in rows(db, chat, "semantic")] == ["AGENT"]


async def test_undo_skips_a_step_someone_else_changed_and_goes_on(db: Path, chat: int) -> None:
    """Bug: after a conflict, every ctrl+z showed the same conflict again, for good."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("p", "right", "right", "p")
        _first, second = sorted(rows(db, chat, "semantic"), key=lambda a: a.id or 0)
        assert second.id is not None
        with open_store(db) as other:
            other.update_annotation(second.id, annotator="bob", expected_version=1, label="TIME")
        await pilot.press("ctrl+z")
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.title == "Edit conflict"
        assert "taken off your undo list" in app.screen.error.message
        # the store's own advice stays; its "refresh to see" is the annotator's ctrl+r
        assert "Undo again for the step before it" in app.screen.error.hint
        assert "ctrl+r" in app.screen.error.hint
        await pilot.press("enter")
        await pilot.press("ctrl+z")  # the step before it: the first span
        assert isinstance(app.screen, AnnotateScreen)
        assert [(a.id, a.label) for a in rows(db, chat, "semantic")] == [(second.id, "TIME")]


async def test_refresh_shows_other_annotators_work(db: Path, chat: int) -> None:
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        side = screen(app).query_one(AnnotationList)
        assert side.option_count == 0
        with open_store(db) as other:
            other.create_annotation(
                paragraph_id=chat,
                layer="semantic",
                kind="span",
                field="frame",
                annotator="bob",
                label="PREDICATE",
                start=0,
                end=6,
            )
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert side.option_count == 1


async def test_going_back_to_a_paragraph_reads_it_again_only_if_it_changed(
    db: Path, chat: int
) -> None:
    """ctrl+n then ctrl+p shows the paragraph as it was read (no store reads but one query),
    also after an edit of the other paragraph, unless someone saved something in it
    meanwhile: then it is read again and shows their work."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        first = screen(app).data
        assert first is not None
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert screen(app).data is first  # nothing changed: the same data, not read again
        await pilot.press("ctrl+n", "p", "ctrl+z", "ctrl+y")  # an edit of the next paragraph
        await settle(pilot)
        edited = screen(app).data
        assert edited is not None and [a.label for a in edited.of_layer("semantic")] == [
            "PREDICATE"
        ]
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert screen(app).data is first  # no event touched it: still not read again
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert screen(app).data is edited
        with open_store(db) as other:
            other.create_annotation(
                paragraph_id=chat, layer="semantic", kind="span", field="frame",
                annotator="bob", label="PREDICATE", start=0, end=6,
            )  # fmt: skip
        await pilot.press("ctrl+p")
        await settle(pilot)
        again = screen(app).data
        assert again is not None and again is not first and again.id == chat
        assert [a.label for a in again.of_layer("semantic")] == ["PREDICATE"]
        assert screen(app).query_one(AnnotationList).option_count == 1


async def test_polling_picks_up_changes_by_itself(db: Path, chat: int) -> None:
    with open_store(db) as store:
        store.save_position(ME, paragraph_id=chat, layer="semantic")
    app = create_app(str(db), ME, poll_seconds=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        with open_store(db) as other:
            other.set_status(chat, "semantic", "stale", annotator="bob")
        await pilot.pause(0.3)
        assert screen(app).data is not None and screen(app).data.state("semantic") == "stale"


async def test_polling_counts_paragraphs_a_teammate_imports(db: Path) -> None:
    """The list's count follows an import made meanwhile by someone else (it stayed at the
    old count until ctrl+r), and the cursor stays on the paragraph open."""
    app = create_app(str(db), ME, poll_seconds=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        nav = screen(app).query_one(Navigator)
        before, shown = nav.total, screen(app).data
        assert shown is not None
        with open_store(db) as other, other.bulk() as writer:
            writer.add_document(make_document("teammate", "Новый абзац.", "Ещё один абзац."))
        await pilot.pause(0.4)
        await settle(pilot)
        assert nav.total == before + 2
        assert f"{before + 2} ¶" in str(nav.border_title)
        row = nav.row(nav.cursor)
        assert row is not None and row.id == shown.id
        assert screen(app).data is not None and screen(app).data.id == shown.id


async def test_help_lists_bindings_and_schema_labels(db: Path) -> None:
    async with running(db, layer="semantic") as (app, pilot):
        for key in ("question_mark", "f1"):
            await pilot.press("2", key)
            assert isinstance(app.screen, HelpScreen)
            text = rendered_text(app.screen.query(Static))
            assert "PREDICATE" in text and "Учёные [открыли] новый вид." in text
            assert "Undo" in text and "Extend" in text
            # keys as typed, not as Textual names them
            assert "right_square_bracket" not in text and "semicolon" not in text
            assert "Next verb" in text and "noun phrase" in text
            # the layer's link-on-label rule is explained
            assert "is linked when labelled" in text
            assert "DIRECT / REPORTED / INFERRED (new: DIRECT)" in text  # attributes, keys
            await pilot.press("escape")
            assert isinstance(app.screen, AnnotateScreen)
        for close in ("q", "question_mark", "f1"):
            await pilot.press("question_mark", close)
            assert isinstance(app.screen, AnnotateScreen), close


async def test_quit_saves_position(db: Path) -> None:
    async with running(db) as (_app, pilot):
        await pilot.press("ctrl+n", "ctrl+n", "3", "ctrl+q")
    with open_store(db) as store:
        remembered = store.position(ME)
    assert remembered is not None
    assert (remembered.paragraph_id, remembered.layer) == (3, "logical")


async def test_next_work_follows_the_annotators_order_and_the_order_is_kept(
    db: Path, chat: int
) -> None:
    """ctrl+t goes to the next unfinished layer: breadth-first along one layer, or (after
    ctrl+o) depth-first through the layers of one paragraph; the order survives a restart."""
    first = paragraph_starting(db, "Учёные до сих пор")  # annotated and done on every layer
    size = (120, 30)  # (at 80 columns the tabs leave the order out for the layers' titles)
    async with running(db, at=first, layer="semantic", annotator="kim", size=size) as (
        app,
        pilot,
    ):
        assert app.order == "breadth"
        assert screen(app).query_one(LayerTabs).text.plain.endswith("breadth")
        await pilot.press("ctrl+t")
        assert (app.position, app.layer) == ((chat, "semantic"), "semantic")
        await pilot.press("ctrl+o", "ctrl+t")
        assert app.order == "depth"
        assert screen(app).query_one(LayerTabs).text.plain.endswith("depth")
        assert app.position == (chat, "lexical")  # the rest of this paragraph, lowest first
        await pilot.press("ctrl+q")
    with open_store(db) as store:
        saved = store.position("kim")
    assert saved is not None and (saved.paragraph_id, saved.layer, saved.mode) == (
        chat,
        "lexical",
        "depth",
    )
    async with running(db, annotator="kim") as (app, _pilot):
        assert (app.order, app.position) == ("depth", (chat, "lexical"))


async def test_the_app_holds_full_collections_while_it_runs_and_gives_them_back(db: Path) -> None:
    import gc

    from layerkit.tui.idle_gc import NO_AUTOMATIC_FULL

    before = gc.get_threshold()
    async with running(db) as (app, pilot):
        await pilot.pause(0.1)
        assert gc.get_threshold()[2] == NO_AUTOMATIC_FULL
        assert app.collector.collections == 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


async def test_young_collections_wait_until_a_keys_frame_is_painted(db: Path) -> None:
    """A key that shows another paragraph or layer makes thousands of objects; CPython's
    collector would run inside its handling. It runs after the key's frame instead."""
    import gc

    during_keys: list[int] = []

    async with running(db) as (app, pilot):
        await pilot.pause(0.1)

        def note(phase: str, info: dict[str, int]) -> None:
            if phase == "start" and app.key_frames.holding:
                during_keys.append(info["generation"])

        gc.callbacks.append(note)
        try:
            for _ in range(4):
                await pilot.press("ctrl+n", "2", "3", "1", "ctrl+p", "5", "1")
            await pilot.pause(0.05)
        finally:
            gc.callbacks.remove(note)
        assert app.collector.young_collections > 0
    assert during_keys == []


async def test_after_quiet_runs_once_the_pokes_stop_and_not_after_a_stop() -> None:
    """``AfterQuiet``: pokes closer together than its delay put the callback off; it runs
    once, a delay after the last; a stop forgets the pokes. One timer, not one per poke."""
    from textual.app import App

    from layerkit.tui.after_quiet import AfterQuiet

    ran: list[float] = []
    app = App[None]()
    async with app.run_test() as pilot:
        quiet = AfterQuiet(app, 0.2, lambda: ran.append(time.monotonic()))
        timers = count_calls(app, "set_timer")
        for _ in range(5):
            quiet.poke()
            await pilot.pause(0.06)
        last = time.monotonic()
        assert ran == [] and quiet.pending
        await pilot.pause(0.4)
        assert len(ran) == 1 and ran[0] - last >= 0.13  # (0.2 after the last poke, 0.06 ago)
        assert not quiet.pending
        assert timers[0] <= 3  # the first poke's, and the waits after it, not one per poke
        quiet.poke()
        quiet.stop()
        await pilot.pause(0.35)
        assert len(ran) == 1


async def test_position_is_in_the_store_while_the_app_runs(db: Path) -> None:
    """Killing the terminal keeps the position: it is written after a short pause, not at exit."""
    async with running(db, annotator="kim") as (app, pilot):
        await pilot.press("ctrl+n", "ctrl+n", "2")
        await pilot.pause(POSITION_SAVE_DELAY + 0.3)
        with open_store(db) as other:
            remembered = other.position("kim")
            assert remembered is not None
            assert (remembered.paragraph_id, remembered.layer) == (3, "semantic")
            assert other.position(ME) is None or other.position(ME) != remembered
        assert app.position == (3, "semantic")


# --- rendering -----------------------------------------------------------------------------


async def test_stress_marks_do_not_shift_highlights(db: Path) -> None:
    castle = paragraph_starting(db, "Старый за\u0301мок")
    with open_store(db) as store:
        store.create_annotation(
            paragraph_id=castle,
            layer="semantic",
            kind="span",
            field="frame",
            annotator="bob",
            label="PLACE",
            start=14,
            end=22,
        )
    async with running(db, at=castle, layer="semantic") as (app, _pilot):
        strip = view(app).render_line(0)
        cells = 0
        found = None
        for segment in strip:
            if segment.text.startswith("на") and segment.style and segment.style.bgcolor:
                found = cells
            cells += segment.cell_length
        # «Старый за́мок » is 14 code points but 13 cells: the span starts at cell 13.
        assert found == 13


async def test_fits_80_by_24_and_uses_width(db: Path) -> None:
    async with running(db, size=(80, 24)) as (app, _pilot):
        assert screen(app).has_class("-narrow")
        side = screen(app).query_one(AnnotationList)
        assert side.region.y > view(app).region.y  # under the text
    async with running(db, size=(140, 40)) as (app, pilot):
        assert screen(app).has_class("-wide") and app.layer == "lexical"
        side = screen(app).query_one(AnnotationList)
        # the token table needs the width (beside the text, UPOS was cut and FEATS hidden)
        assert side.region.y > view(app).region.y and side.region.width > 100
        await pilot.press("2")
        await settle(pilot)
        assert side.region.x > view(app).region.x  # beside the text
    async with running(db, size=(170, 40)) as (app, pilot):
        await pilot.press("1")  # (it reopens where it was left: semantic)
        await settle(pilot)
        assert screen(app).has_class("-wider") and app.layer == "lexical"
        side = screen(app).query_one(AnnotationList)
        assert side.region.x > view(app).region.x  # wide enough beside it


async def test_empty_store_opens(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    Store.open(path, layer_order=LAYERS).close()
    app = create_app(str(path), ME, poll_seconds=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert view(app).data is None
        await pilot.press("ctrl+n", "ctrl+d", "p", "delete", "ctrl+z")
        assert isinstance(app.screen, AnnotateScreen)


def test_missing_store_is_an_error_before_any_screen(tmp_path: Path) -> None:
    from layerkit.errors import StoreError

    with pytest.raises(StoreError, match="no layerkit database"):
        create_app(str(tmp_path / "nothing.db"), ME)


def test_cli_annotate_is_registered() -> None:
    from click.testing import CliRunner

    from layerkit.cli import cli

    result = CliRunner().invoke(cli, ["annotate", "--help"])
    assert result.exit_code == 0 and "--annotator" in result.output


def test_queries_agree_with_the_app_counts(db: Path) -> None:
    with open_store(db) as store:
        assert queries.count(store) == 57


async def test_paragraph_changes_repaint_without_laying_out_the_screen(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Next/previous paragraph and navigator moves change the text's and the side panel's
    virtual size without a screen layout (which would add a second frame), and the scrollbars
    still follow: their sizes match the new content."""
    from textual.screen import Screen

    layouts = []
    original = Screen._refresh_layout

    def counting(self: Screen, *args: object, **kwargs: object) -> None:
        layouts.append(type(self).__name__)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    async with running(db, at=1, layer="lexical", size=(80, 24)) as (app, pilot):
        view = screen(app).query_one(ParagraphView)
        side = screen(app).query_one(AnnotationList)
        monkeypatch.setattr(Screen, "_refresh_layout", counting)
        heights = set()
        for key in ("ctrl+n", "ctrl+n", "ctrl+n", "ctrl+p"):
            before = screen(app).data.id
            await pilot.press(key)
            await settle(pilot)
            assert screen(app).data.id != before
            heights.add(side.virtual_size.height)
            assert side.vertical_scrollbar.window_virtual_size == side.virtual_size.height
            assert view.vertical_scrollbar.window_virtual_size == view.virtual_size.height
        assert len(heights) > 1  # the token tables differ in length, so sizes did change
        assert layouts == []
        # The navigator opens the paragraph under its cursor in the same turn as it moves.
        await pilot.press("shift+tab")
        nav = screen(app).query_one(Navigator)
        assert nav.has_focus
        layouts.clear()
        await pilot.press("end")
        row = nav.row(nav.cursor)
        assert row is not None and screen(app).data.id == row.id
        await pilot.press("home")
        row = nav.row(nav.cursor)
        assert row is not None and screen(app).data.id == row.id
        assert layouts == []


async def test_moving_focus_repaints_the_panels_not_the_whole_screen(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tab and shift+tab restyle the panels that gain and lose focus; Textual's Screen would
    also repaint itself whole on every focus change (its ``focused`` reactive), a full-screen
    render that nothing on screen needs. The focused panel's border still changes."""
    from textual._compositor import Compositor

    full: list[int] = []
    original = Compositor.render_full_update

    def counting(self: Compositor, *args: Any, **kwargs: Any) -> Any:
        full.append(1)
        return original(self, *args, **kwargs)

    async with running(db, at=1, layer="semantic", size=(100, 30)) as (app, pilot):
        nav = screen(app).query_one(Navigator)
        text = view(app)
        monkeypatch.setattr(Compositor, "render_full_update", counting)
        for key, focused in (("shift+tab", nav), ("tab", text), ("shift+tab", nav)):
            colour = focused.styles.border_top[1]
            await pilot.press(key)
            await settle(pilot)
            assert focused.has_focus
            assert focused.styles.border_top[1] != colour  # restyled: its border shows focus
        assert full == []


async def test_a_panel_getting_the_focus_back_finds_its_lines_drawn(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Focus moves change only the panels' borders and the side panel's cursor row: the first
    one lays nothing out (every panel's scrollbar is styled from the start, not at its view's
    first focus change), and once a panel has been drawn with and without the focus, moving
    the focus back and forth frames no content row afresh, draws no border row and no side
    panel row but the cursor's (widgets/lean_lines.py keeps each look's drawings), and restyles
    no scrollbar (no rule that may style one names the focus: its styles stay what Textual's
    own restyle gives). What is shown is Textual's own drawing
    (test_lean_lines_are_textuals_own_drawing)."""
    from textual.css.stylesheet import Stylesheet
    from textual.screen import Screen
    from textual.scrollbar import ScrollBar

    from layerkit.tui.widgets.drawn_lines import DrawnLines
    from layerkit.tui.widgets.lean_lines import LeanLines

    counts = {"layouts": 0, "framed": 0, "edges": 0, "side rows": 0}
    layout, framed_line, draw = Screen._refresh_layout, LeanLines._lean_framed_line, DrawnLines.draw
    edge = Widget.render_lines

    def laying_out(self: Screen, *args: Any, **kwargs: Any) -> None:
        counts["layouts"] += 1
        layout(self, *args, **kwargs)

    def framing(self: LeanLines, frame: Any, content: Any) -> Any:
        counts["framed"] += id(content) not in self._lean_framed
        return framed_line(self, frame, content)

    def edging(self: Widget, crop: Any) -> Any:
        counts["edges"] += isinstance(self, LeanLines)  # (only its border rows come here)
        return edge(self, crop)

    def drawing(self: DrawnLines, key: Any, *args: Any) -> Any:
        counts["side rows"] += key not in self._strips
        return draw(self, key, *args)

    restyled: list[str] = []
    apply = Stylesheet.apply

    def applying(self: Stylesheet, node: Any, **kwargs: Any) -> None:
        restyled.append(type(node).__name__)
        apply(self, node, **kwargs)

    async with running(db, at=1, layer="lexical", size=(100, 30)) as (app, pilot):
        nav, text, panel = screen(app).query_one(Navigator), view(app), side(app)
        monkeypatch.setattr(Screen, "_refresh_layout", laying_out)
        monkeypatch.setattr(DrawnLines, "draw", drawing)
        await pilot.press("shift+tab")
        await settle(pilot)
        assert nav.has_focus and counts["layouts"] == 0
        await pilot.press("tab", "tab", "shift+tab", "shift+tab")  # each panel in each look
        await settle(pilot)
        assert nav.has_focus
        monkeypatch.setattr(LeanLines, "_lean_framed_line", framing)
        monkeypatch.setattr(Widget, "render_lines", edging)
        monkeypatch.setattr(Stylesheet, "apply", applying)
        cycle = (("tab", text), ("tab", panel), ("shift+tab", text), ("shift+tab", nav))
        for key, focused in cycle * 2:
            before = focused.styles.border_top[1]
            await pilot.press(key)
            await settle(pilot)
            assert focused.has_focus and focused.styles.border_top[1] != before
        assert counts["layouts"] == 0
        assert counts["framed"] <= 4  # the side panel's cursor row, in and out of focus
        assert counts["edges"] == 0
        # from the first focus change on: only the cursor's row looks different with focus
        assert counts["side rows"] <= 2
        assert "ParagraphView" in restyled and not any("ScrollBar" in n for n in restyled)
        for panel_ in (nav, text, panel):
            bar = panel_.vertical_scrollbar
            kept = dict(bar.styles.base._rules)
            apply(app.stylesheet, bar, animate=False)  # Textual's own, afresh
            assert isinstance(bar, ScrollBar) and dict(bar.styles.base._rules) == kept


async def test_relation_dialog_is_drawn_over_the_screen_and_keeps_the_panel_focused(
    db: Path, chat: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The relation dialog is a box over the annotator's screen: opening, answering and
    closing it never repaint the screen whole, and the text view it was opened from keeps its
    focused look without being restyled (widgets/focus_look.py). Keys typed in a burst right
    after the one that opened it go to the dialog, never to the screen below (``1`` would
    switch layer there, ``t`` label the text)."""
    from textual._compositor import Compositor

    full: list[int] = []
    original = Compositor.render_full_update

    def counting(self: Compositor, *args: Any, **kwargs: Any) -> Any:
        full.append(1)
        return original(self, *args, **kwargs)

    async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
        await pilot.press("p", "right", "right", "a")  # a PREDICATE, an AGENT linked to it
        await settle(pilot)
        text = view(app)
        focused_border = text.styles.border_top[1]
        restyled: list[int] = []
        restyle = type(text).update_node_styles

        def counting_restyle(self: Any, *args: Any, **kwargs: Any) -> Any:
            restyled.append(1)
            return restyle(self, *args, **kwargs)

        monkeypatch.setattr(Compositor, "render_full_update", counting)
        monkeypatch.setattr(type(text), "update_node_styles", counting_restyle)
        await pilot.press("enter")
        await settle(pilot)
        choose = picker(app)
        assert app.focused is choose and not text.has_focus
        assert text.looks_focused and text.styles.border_top[1] == focused_border
        assert "Back, or cancel" in footer(app)  # the key bar shows the dialog's keys
        await pilot.press("1")  # the PREDICATE, by its hint
        assert choose.phase == "label"
        await pilot.press("escape", "escape")  # back a question, then cancel
        await settle(pilot)
        assert no_dialog(app) and text.has_focus
        assert text.styles.border_top[1] == focused_border
        assert full == [] and restyled == []
        assert not [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        for key, character in (("enter", None), ("1", "1"), ("t", "t")):
            app.post_message(events.Key(key, character))
        await settle(pilot)
        assert no_dialog(app) and text.has_focus and app.layer == "semantic"
    semantic = rows(db, chat, "semantic")
    assert sorted(a.label or "" for a in semantic if a.kind == "span") == ["AGENT", "PREDICATE"]
    (relation,) = [a for a in semantic if a.kind == "relation"]  # made by the burst
    assert (relation.label, relation.version) == ("PATIENT", 1)


async def test_a_click_elsewhere_drops_the_relation_dialog(db: Path, chat: int) -> None:
    """The dialog is drawn over the screen, so a click can land on a panel below it: the
    focus goes there and the question is dropped (nothing saved), as escape would."""
    async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
        await pilot.press("p", "right", "right", "a", "enter")
        await settle(pilot)
        assert picker(app).phase == "target"
        await pilot.click("#nav")
        await settle(pilot)
        assert no_dialog(app) and screen(app).query_one(Navigator).has_focus
        assert not view(app).looks_focused  # the text view no longer held focused-looking
    assert not [a for a in rows(db, chat, "semantic") if a.kind == "relation"]


async def test_repaints_wait_for_what_a_key_set_off_then_resume(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key holds repaints (one frame for its whole result) and the hold always ends: when the
    queues are quiet, or after MAX_HOLD when something keeps them busy."""
    import asyncio

    from layerkit.tui import frames

    async with running(db, at=1, layer="semantic") as (app, pilot):
        gate = app.key_frames
        gate.key_arrived()
        assert gate.holding and app._batch_count == 1
        gate.key_arrived()  # a second key joins the hold under way
        assert app._batch_count == 1
        await pilot.pause()
        assert not gate.holding and app._batch_count == 0
        # A dialog opened by a key is on screen once the hold is over.
        await pilot.press("right", "shift+right", "p", "enter")
        await settle(pilot)
        assert not gate.holding and app._batch_count == 0
        monkeypatch.setattr(frames, "_busy", lambda _app: True)
        gate.key_arrived()
        await asyncio.sleep(frames.MAX_HOLD * 3)
        assert not gate.holding and app._batch_count == 0


async def test_work_put_off_to_the_paint_runs_once_and_a_failure_ends_the_hold(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``before_paint``: asked for twice in a hold, a callback runs once, as the hold ends;
    with no hold it is refused (the caller works at once); one that raises is handed to
    Textual's error handling and the hold still ends (a hold left on freezes the screen)."""
    async with running(db, at=1, layer="semantic") as (app, pilot):
        gate = app.key_frames
        ran: list[str] = []
        errors: list[BaseException] = []
        monkeypatch.setattr(app, "_handle_exception", errors.append)

        def note() -> None:
            ran.append("note")

        def fail() -> None:
            raise RuntimeError("a bar that cannot draw")

        assert not gate.before_paint(note)  # no key held
        gate.key_arrived()
        assert gate.before_paint(note) and gate.before_paint(fail) and gate.before_paint(note)
        assert ran == []
        await pilot.pause()
        assert ran == ["note"] and [str(e) for e in errors] == ["a bar that cannot draw"]
        assert not gate.holding and app._batch_count == 0


async def test_what_a_key_changed_is_painted_without_another_event(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen goes idle while repaints are held; ending the hold must wake it, or nothing
    is painted in a real terminal until the next key (whose own hold puts it off again)."""
    import asyncio

    from textual.screen import Screen

    async with running(db, at=1, layer="semantic") as (app, _pilot):
        paints = []
        original = Screen._compositor_refresh

        def counting(self: Screen) -> None:
            paints.append(type(self).__name__)
            original(self)

        monkeypatch.setattr(Screen, "_compositor_refresh", counting)
        app.key_frames.key_arrived()
        screen(app).query_one(ParagraphView).refresh()
        await asyncio.sleep(0.3)  # no pilot: nothing else wakes the screen
        assert not app.key_frames.holding
        assert paints, "the held repaint was never painted"


class _Terminal:
    """What a terminal shows: the app's output (cursor moves, colours, text) applied cell by
    cell, as a real one applies it."""

    _CODES = re.compile(
        r"\x1b\[(\d+);(\d+)H|\x1b\[([0-9;]*)m|\x1b\[[^a-zA-Z]*[a-zA-Z]|\n|[^\x1b\n]"
    )

    def __init__(self, width: int, height: int) -> None:
        self.cells = [[(" ", "")] * width for _ in range(height)]

    def write(self, data: str) -> None:
        from rich.cells import cell_len

        x = y = 0
        colour = ""
        for match in self._CODES.finditer(data):
            row, column, sgr = match.groups()
            if row is not None:
                y, x = int(row) - 1, int(column) - 1
            elif sgr is not None:
                colour = "" if sgr in ("", "0") else sgr
            elif match.group() == "\n":
                y, x = y + 1, 0
            elif not match.group().startswith("\x1b"):
                width = cell_len(match.group())
                self.cells[y][x] = (match.group(), colour)
                for covered in range(x + 1, x + width):  # the right half of a wide character
                    self.cells[y][covered] = ("", colour)
                x += width

    def lines(self) -> list[str]:
        return ["".join(ch for ch, _ in row) for row in self.cells]


async def test_what_the_terminal_shows_after_each_key_is_the_apps_drawing(
    db: Path, chat: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Widgets hand their idle pass to the key's frames while a key is held
    (widgets/frame_idle.py: no ``Prompt`` to each widget between the key and its paint), and
    nothing they changed may be left unpainted: after every key (labels, a relation dialog,
    undo, layers, paragraphs, focus moves, jumps in the navigator), the screen a terminal shows,
    built from the partial updates the app wrote, equals a full drawing of the app, cell by
    cell and colour by colour."""
    from textual.message import Message
    from textual.message_pump import MessagePump
    from textual.messages import Prompt

    from layerkit.tui.widgets.bars import LabelBar, TextBar
    from layerkit.tui.widgets.choice_list import ChoiceList

    ours = (ParagraphView, AnnotationList, Navigator, TextBar, LabelBar, ChoiceList, RelationPicker)
    prompted_in_hold: list[str] = []
    real_post = MessagePump.post_message
    apps: list[LayerkitApp] = []

    def post(self: MessagePump, message: Message) -> bool:
        if (
            apps
            and apps[0].key_frames.holding
            and isinstance(message, Prompt)
            and isinstance(self, ours)
            and not self._next_callbacks  # (a callback waiting for its idle pass needs one)
        ):
            prompted_in_hold.append(type(self).__name__)
        return real_post(self, message)

    monkeypatch.setattr(MessagePump, "post_message", post)
    size = (100, 30)
    async with running(db, at=chat, layer="semantic", size=size) as (app, pilot):
        apps.append(app)
        terminal = _Terminal(*size)
        real_display = app._display

        def display(screen: Any, update: Any) -> None:
            if update is not None and not app._batch_count:  # (Textual drops held updates)
                terminal.write(update.render_segments(app.console))
            real_display(screen, update)

        monkeypatch.setattr(app, "_display", display)
        terminal.write(app.screen._compositor.render_full_update().render_segments(app.console))
        steps = (
            ("right", "shift+right", "p"), ("right", "right", "a"), ("enter",), ("enter",),
            ("enter",), ("ctrl+z",), ("ctrl+z",), ("3",), ("4",), ("2",), ("ctrl+n",),
            ("ctrl+p",), ("down",), ("shift+tab",), ("end",), ("home",), ("tab",), ("1",),
        )  # fmt: skip
        for keys in steps:
            await pilot.press(*keys)
            await settle(pilot)
            await pilot.pause(0.05)
            drawn = _Terminal(*size)
            full = app.screen._compositor.render_full_update()
            drawn.write(full.render_segments(app.console))
            assert terminal.lines() == drawn.lines(), keys
            differ = [
                (y, x, terminal.cells[y][x], drawn.cells[y][x])
                for y in range(size[1])
                for x in range(size[0])
                if terminal.cells[y][x] != drawn.cells[y][x]
            ]
            assert differ == [], keys
    assert prompted_in_hold == []


async def test_notices_show_in_the_notice_line_and_go_when_their_time_is_up(
    db: Path, chat: int
) -> None:
    """A notice is a line at the foot of the screen (widgets/bars.py, ``NoticeBar``): no toast
    widget is mounted over the text (a toast cost 4-6 ms of each label or undo key, and hid
    the text under it), newer notices come first, a warning is drawn in its colour, and each
    goes when its time is up."""
    from textual.widgets._toast import Toast

    from layerkit.tui.widgets.bars import NoticeBar

    async with running(db, at=chat, layer="semantic") as (app, pilot):
        bar = screen(app).query_one(NoticeBar)
        assert bar.text.plain == ""
        await pilot.press("right", "shift+right", "p")
        await settle(pilot)
        said = last_notice(app)
        assert "PREDICATE" in said and bar.text.plain == said
        assert not list(app.screen.query(Toast))
        assert bar.region.y == app.size.height - 1  # the last line, under the key hints
        assert screen(app).query_one(KeyBar).region.y < bar.region.y
        app.notify("Careful [here]", severity="warning", timeout=0.3, markup=False)
        await pilot.pause(0.05)
        assert bar.text.plain.startswith("Careful [here]  ·  " + said)
        warning = bar.text.spans[0]
        assert warning.end == len("Careful [here]") and "yellow" in str(warning.style)
        await pilot.pause(0.5)  # the warning's time is up; the label's (3 s) is not
        assert bar.text.plain == said
        app.clear_notifications()
        await pilot.pause(0.05)
        assert bar.text.plain == ""
        # notices quote annotated text: brackets in it are text, not markup
        screen(app).notify("THEME added: «[Москва] [/]»")
        await pilot.pause(0.05)
        assert bar.text.plain == "THEME added: «[Москва] [/]»"
        # a notice of several lines (the label keys a schema could not have) is one line: it
        # made the bar two high and pushed the screen's top line out of sight
        top = screen(app).query_one(LayerTabs).region.y
        screen(app).notify("key '1' is an app key\nkey '?' is an app key", title="Label keys")
        await pilot.pause(0.05)
        assert bar.text.plain.startswith(
            "Label keys: key '1' is an app key  ·  key '?' is an app key  ·  THEME added"
        )
        assert bar.region.height == 1 and bar.region.y == app.size.height - 1
        assert screen(app).query_one(LayerTabs).region.y == top == 0


async def test_a_label_key_that_changes_nothing_says_so(db: Path, chat: int) -> None:
    """`x` on a paragraph whose intent is EXPLAIN already said nothing at all."""
    async with running(db, at=chat, layer="pragmatic") as (app, pilot):
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert last_notice(app) == "already EXPLAIN: nothing changed"
    assert [a.label for a in rows(db, chat, "pragmatic")] == ["EXPLAIN"]


async def test_the_notice_line_is_drawn_as_textual_draws_it(db: Path, chat: int) -> None:
    """The notice line draws its text itself (``NoticeBar._render_content``: Textual's path
    took 0.7 ms of each label or undo key). What reaches the terminal, cell by cell and colour
    by colour, must be Textual's own drawing of the same text, with its padding and colours:
    for an empty line, notices of every severity with their separators, Russian text and
    emoji; a line too long for the width is cut there with an ellipsis."""
    from rich.cells import cell_len
    from rich.color import ColorSystem
    from textual.geometry import Region
    from textual.visual import Visual, visualize
    from textual.widget import _RenderCache

    from layerkit.tui.widgets.bars import NoticeBar

    def cells(strips: list[Any]) -> list[list[tuple[str, str]]]:
        """(character, its ANSI codes) of each cell: what the terminal is sent."""
        return [
            [
                (
                    char,
                    segment.style._make_ansi_codes(ColorSystem.TRUECOLOR) if segment.style else "",
                )
                for segment in strip
                for char in segment.text
            ]
            for strip in strips
        ]

    def textuals(bar: NoticeBar) -> list[Any]:
        width, height = bar.size
        visual = visualize(bar, bar.text, markup=False)
        strips = Visual.to_strips(bar, visual, width, height, bar.visual_style)
        bar._render_cache = _RenderCache(bar.size, strips)  # (as Widget._render_content)
        bar._styles_cache.clear()
        return bar._styles_cache.render_widget(bar, Region(0, 0, *bar.outer_size))

    async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
        bar = screen(app).query_one(NoticeBar)
        whole = Region(0, 0, *bar.outer_size)
        for notices in ([], [("information", "THEME added: «Мама мыла раму» 🙂")],
                        [("warning", "Проверьте «ёлку»"), ("error", "Не сохранено"),
                         ("information", "AGENT added")]):  # fmt: skip
            app.clear_notifications()
            for severity, message in notices:
                app.notify(message, severity=severity, timeout=30, markup=False)  # type: ignore[arg-type]
            await pilot.pause(0.05)
            assert bar.text.plain == "  ·  ".join(m for _, m in reversed(notices))
            bar._dirty_regions.add(whole)
            ours = cells(bar.render_lines(whole))
            assert ours == cells(textuals(bar)), notices
        long = "«" + "очень длинное сообщение 🙂 " * 10 + "»"
        app.notify(long, timeout=30, markup=False)
        await pilot.pause(0.05)
        bar._dirty_regions.add(whole)
        (line,) = cells(bar.render_lines(whole))
        shown = "".join(char for char, _ in line)
        assert cell_len(shown) == bar.outer_size.width  # (an emoji: one character, two cells)
        assert shown.strip().endswith("…") and len(shown.strip()) > 50
        assert bar.text.plain.startswith(shown.strip()[:-1])
        # a burst of notices: the line holds the newest, as many as can be seen, not all
        for n in range(40):
            app.notify(f"Заметка {n}", timeout=30, markup=False)
        await pilot.pause(0.05)
        assert bar.text.plain.startswith("Заметка 39  ·  Заметка 38  ·  ")
        assert cell_len(bar.text.plain) < 2 * bar.size.width and "Заметка 0 " not in bar.text.plain


async def test_the_navigator_keeps_its_cursor_in_view_across_filters(db: Path) -> None:
    """Reloads (a filter, a search) set the navigator's size from a worker thread and scroll
    to the cursor; with repaints held for a key, that scroll must still see the new size."""

    def in_view(nav: Navigator) -> bool:
        top = round(nav.scroll_y)
        return top <= nav.cursor < top + nav.scrollable_content_region.height

    async with running(db, at=50, layer="semantic", size=(80, 24)) as (app, pilot):
        nav = screen(app).query_one(Navigator)
        await settle(pilot)
        assert nav.row(nav.cursor) is not None and nav.row(nav.cursor).id == 50
        # (the count arrives before the first layouts: the scroll must not wait for the bar)
        assert in_view(nav) and nav.scroll_y > 0, (nav.scroll_y, nav.cursor, nav.max_scroll_y)
        assert nav.vertical_scrollbar.position == nav.scroll_y  # the thumb where the list is
        await pilot.press("shift+tab", "f")  # semantic todo: paragraph 50 is among them
        await settle(pilot)
        assert nav.total == 44 and in_view(nav)
        for _ in range(5):  # round the filters back to everything
            await pilot.press("f")
            await settle(pilot)
            assert in_view(nav)
        assert nav.total == 57
        await pilot.press("end")
        await settle(pilot)
        assert nav.cursor == 56 and in_view(nav)


# --- keys that save keys: links made on labelling, attribute keys, a second span -------------


async def test_an_argument_is_linked_to_the_predicate_labelled_last(db: Path, chat: int) -> None:
    """``link_on_label``: an argument labelled after a predicate of its sentence is linked to
    it with the role of the same name, in one step of undo; pressing a predicate's key on
    another predicate makes that one the anchor."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        # «Короче, я вчера всё-таки дошла …»: «вчера» and «дошла» as predicates (for the test)
        await pilot.press(*["right"] * 7, "p")  # «дошла», the anchor now
        await pilot.press(*["left"] * 2, "p")  # «вчера», the anchor now
        assert view(app).anchor_id == by_label(rows(db, chat, "semantic"))["PREDICATE"].id
        # and it is shown as the anchor on the key that made it: styled with the label, once
        anchored = view(app).data.by_id(view(app).anchor_id)
        assert anchored is not None and anchor_styled(app) == [(anchored.start, anchored.end)]
        await pilot.press(*["right"] * 2)
        restyles = count_calls(view(app), "_restyle")
        await pilot.press("p")  # «дошла» again: the anchor moves back
        text = chat_text(db, chat)
        (went,) = [a for a in rows(db, chat, "semantic") if text[a.start : a.end] == "дошла"]
        assert anchor_styled(app) == [(went.start, went.end)]
        assert restyles == [1]  # (not once for the label and again for the anchor)
        await pilot.press(*["left"] * 2, "p")
        await pilot.press("left", "a")  # «я» → «вчера», the predicate labelled last
        anchor_text = lambda a: a and chat_text(db, chat)[a.start : a.end]  # noqa: E731
        spans = {a.id: a for a in rows(db, chat, "semantic") if a.kind == "span"}
        (link,) = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert (link.label, anchor_text(spans[link.target_id])) == ("AGENT", "вчера")
        assert "AGENT added" in last_notice(app) and "вчера" in last_notice(app)
        # «p» on «дошла» (already a PREDICATE) changes nothing but the anchor
        await pilot.press(*["right"] * 3, "p")
        assert "Arguments now link to PREDICATE «дошла»" in last_notice(app)
        await pilot.press("left", "m")  # «всё-таки» MANNER → «дошла»
        links = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert sorted((a.label, anchor_text(spans.get(a.target_id))) for a in links) == [
            ("AGENT", "вчера"),
            ("MANNER", "дошла"),
        ]
        # relabelling an argument relabels the link named after it
        await pilot.press("t")
        links = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert sorted(a.label for a in links) == ["AGENT", "PATIENT"]
        await pilot.press("ctrl+z")  # one step: the span and its link
        links = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert sorted(a.label for a in links) == ["AGENT", "MANNER"]
        await pilot.press("ctrl+z")
        assert [a.label for a in rows(db, chat, "semantic") if a.kind == "relation"] == ["AGENT"]
        assert len([a for a in rows(db, chat, "semantic") if a.kind == "span"]) == 3


async def test_plus_adds_a_second_span_over_the_same_words(db: Path, chat: int) -> None:
    """The same words can be THEME of one predicate and PATIENT of another: ``+`` before the
    label key adds a span where one is, instead of relabelling it."""
    async with running(db, at=chat, layer="semantic") as (_app, pilot):
        await pilot.press(*["right"] * 4, "a")  # «я» AGENT
        await pilot.press("t")  # relabels it
        assert [a.label for a in rows(db, chat, "semantic")] == ["PATIENT"]
        await pilot.press("+", "h")  # a second span over «я»
        assert sorted(a.label or "" for a in rows(db, chat, "semantic")) == ["PATIENT", "THEME"]
        await pilot.press("+", "escape", "a")  # escape drops the prefix: «a» relabels the newest
        labels = sorted(a.label or "" for a in rows(db, chat, "semantic"))
        assert len(labels) == 2 and "AGENT" in labels


async def test_clause_key_selects_a_clause_without_its_marker_and_grows(
    db: Path, chat: int
) -> None:
    """``.`` selects the words between two punctuation marks around the cursor, leaving out an
    opening discourse marker; pressed again, the next clause of the sentence is added."""
    async with running(db, at=chat, layer="logical") as (app, pilot):
        text = chat_text(db, chat)
        await pilot.press("down", "down")  # «Ну что сказать: кофе нормальный, но не вау, а …»
        start = view(app).offsets[0]
        assert text[start:].startswith("Ну что сказать")
        await pilot.press(*["right"] * 5, ".")  # on «нормальный»
        assert text[slice(*view(app).offsets)] == "кофе нормальный"
        await pilot.press(".")  # and the next clause, «но» inside it now
        assert text[slice(*view(app).offsets)] == "кофе нормальный, но не вау"
        await pilot.press("right", ".")  # on the comma after «вау»: the nearest clause, no «но»
        assert text[slice(*view(app).offsets)] == "не вау"
        await pilot.press("c")
    (unit,) = rows(db, chat, "logical")
    assert (unit.label, text[unit.start : unit.end]) == ("CLAIM", "не вау")


async def test_attribute_keys_step_a_factuality_and_defaults_are_written(
    db: Path, chat: int
) -> None:
    """A new factuality gets the schema's defaults (evidential DIRECT, negated no); ``e`` steps
    evidential to the next choice and ``!`` flips negated, on the span just labelled, even when
    typed before the screen has shown it."""
    async with running(db, at=chat, layer="epistemic") as (app, pilot):
        await pilot.press("right", "right", "shift+down", "f")
        (fact,) = rows(db, chat, "epistemic")
        assert fact.attrs == {"negated": False, "evidential": "DIRECT"}
        driver = app._driver
        assert driver is not None
        for key, character in (("down", None), ("f", "f"), ("e", "e"), ("e", "e")):
            driver.send_message(events.Key(key, character))
        driver.send_message(events.Key("exclamation_mark", "!"))
        await settle(pilot)
        second = max(rows(db, chat, "epistemic"), key=lambda a: a.id or 0)
        assert second.id != fact.id
        assert second.attrs == {"negated": True, "evidential": "INFERRED"}
        lines = [line.text.plain for line in side(app)._rows]
        assert any("FACT" in line and "negated, INFERRED" in line for line in lines), lines
        await pilot.press("e")  # wraps around to the first choice
        second = max(rows(db, chat, "epistemic"), key=lambda a: a.id or 0)
        assert second.attrs["evidential"] == "DIRECT"
        bar = screen(app).query_one("#labels").render()
        assert "e evidential" in str(bar) and "! negated" in str(bar)
        await pilot.press("ctrl+z")  # each key is one step
        second = max(rows(db, chat, "epistemic"), key=lambda a: a.id or 0)
        assert second.attrs["evidential"] == "INFERRED"


async def test_bracket_keys_go_to_the_next_and_previous_verb(db: Path, chat: int) -> None:
    """``]`` / ``[``: the next / previous token the lexical layer calls a VERB, where the next
    predicate most likely is."""
    verbs = sorted(
        a.start or 0 for a in rows(db, chat, "lexical") if a.label == "VERB" and a.kind == "token"
    )
    assert len(verbs) >= 2
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press("]")
        assert view(app).offsets[0] == verbs[0]
        await pilot.press("]")
        assert view(app).offsets[0] == verbs[1]
        await pilot.press("[")
        assert view(app).offsets[0] == verbs[0]
        await pilot.press("[")  # none before it: the cursor stays
        assert view(app).offsets[0] == verbs[0]
        await pilot.press("p")
    assert [(a.label, a.start) for a in rows(db, chat, "semantic")] == [("PREDICATE", verbs[0])]


async def test_an_argument_relabelled_predicate_loses_its_link(db: Path, chat: int) -> None:
    """A link the schema would no longer allow (from a PREDICATE, or to an argument) goes with
    the relabelling, in the same undo step."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        await pilot.press(*["right"] * 7, "p", *["left"] * 3, "a")  # «я» AGENT → «дошла»
        assert [a.label for a in rows(db, chat, "semantic") if a.kind == "relation"] == ["AGENT"]
        await pilot.press("p")  # «я» is a PREDICATE now: its AGENT link cannot stay
        assert [a.kind for a in rows(db, chat, "semantic")] == ["span", "span"]
        assert "link(s) it can no longer have removed" in last_notice(app)
        # «дошла» becomes a PATIENT: an argument now, linked like a new one, to «я»
        await pilot.press(*["right"] * 3, "t")
        spans = {a.id: a for a in rows(db, chat, "semantic") if a.kind == "span"}
        (link,) = [a for a in rows(db, chat, "semantic") if a.kind == "relation"]
        assert link.label == "PATIENT"
        assert chat_text(db, chat)[spans[link.source_id].start : spans[link.source_id].end] == (
            "дошла"
        )
        assert spans[link.target_id].label == "PREDICATE"
        await pilot.press("ctrl+z", "ctrl+z")  # both relabellings undone, the link back
        assert sorted(a.label or "" for a in rows(db, chat, "semantic")) == [
            "AGENT",
            "AGENT",
            "PREDICATE",
        ]


async def test_angle_keys_walk_the_units_of_the_layer_below(db: Path, chat: int) -> None:
    """``>`` / ``<`` on the epistemic layer select the next / previous logical unit: most
    factualities are the units, so a factuality is then one key more."""
    async with running(db, at=chat, layer="logical") as (app, pilot):
        await pilot.press("down", ".", "c")  # a claim: the second sentence's first clause
        await pilot.press("down", ".", "p")  # a premise in the third
        units = sorted(
            (a.start or 0, a.end or 0) for a in rows(db, chat, "logical") if a.kind == "span"
        )
        assert len(units) == 2
        await pilot.press("4", "home", ">")
        assert view(app).offsets == units[0]
        await pilot.press(">")
        assert view(app).offsets == units[1]
        await pilot.press(">")  # none after it: the selection stays
        assert view(app).offsets == units[1]
        await pilot.press("<", "f")
    (fact,) = rows(db, chat, "epistemic")
    assert (fact.label, fact.start, fact.end) == ("FACT", *units[0])


async def test_minus_selects_the_noun_phrase_under_the_cursor(db: Path, chat: int) -> None:
    """``-`` selects the noun phrase at the cursor by the lexical layer's analyses (the logic
    is tested in test_tui_units): here «до той новой кофейни», from the preposition."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        text = chat_text(db, chat)
        await pilot.press(*["right"] * 8)
        assert text[slice(*view(app).offsets)] == "до"
        await pilot.press("-")
        selected = text[slice(*view(app).offsets)]
        assert selected.startswith("до ") and selected.endswith("кофейни"), selected
        await pilot.press("l")
    (place,) = [a for a in rows(db, chat, "semantic") if a.kind == "span"]
    assert (place.label, text[place.start : place.end]) == ("PLACE", selected)


async def test_keys_typed_with_the_russian_layout_work_as_on_the_keyboard(
    db: Path, chat: int
) -> None:
    """With the keyboard on the Russian layout, the key marked P sends «з»: it is read as
    ``p`` (PREDICATE), «ж» as ``;`` (jump) and «ф» as ``a``; typed text stays Russian."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        driver = app._driver
        assert driver is not None
        for character in ("в", "в", "з"):  # → → p  (в is the key marked D: not an arrow!)
            driver.send_message(events.Key(character, character))
        await settle(pilot)
        # «в» is d: no binding; the cursor stays, «з» labels the first word a PREDICATE
        assert [(a.label, a.start) for a in rows(db, chat, "semantic")] == [("PREDICATE", 0)]
        await pilot.press("right", "right")
        driver.send_message(events.Key("ф", "ф"))  # a: AGENT on «Короче»
        await settle(pilot)
        assert sorted(a.label or "" for a in rows(db, chat, "semantic") if a.kind == "span") == [
            "AGENT",
            "PREDICATE",
        ]
        await pilot.press("5", "ctrl+e")  # a text field (pragmatic): Russian stays Russian
        assert isinstance(app.screen, TextsModal)
        for character in "зж":
            driver.send_message(events.Key(character, character))
        await settle(pilot)
        assert "зж" in app.screen.texts()[0]


def cached_and_fresh(widget: Widget) -> tuple[list[object], list[object]]:
    """A widget's lines as the screen is given them (Textual's cache), and drawn afresh."""
    crop = Region(0, 0, *widget.region.size)
    cached = [list(s) for s in widget.render_lines(crop)]  # what the screen is given
    widget._styles_cache.clear()
    fresh = [list(s) for s in widget._styles_cache.render_widget(widget, crop)]
    return cached, fresh


async def test_lines_kept_after_an_edit_are_those_drawn_afresh(db: Path, chat: int) -> None:
    """After an edit of the open paragraph only the changed lines of the text and the side
    panel are repainted (and of a border only the line with a changed title): every line on
    screen (Textual's cache of the widgets' lines) must be what drawing the widget afresh
    gives, styles included."""
    async with running(db, at=chat, layer="semantic") as (app, pilot):
        # a label, a relabel (same count, same titles: only the changed lines repaint), ...
        # moving in the side panel (the highlight moves: two lines), back to the text
        steps = (
            ("right", "p"), ("t",), ("space", "a"), ("ctrl+z",), ("down", "shift+right", "h"),
            ("tab", "down"), ("up",), ("end",), ("shift+tab",),
        )  # fmt: skip
        for keys in steps:
            await pilot.press(*keys)
            await settle(pilot)
            for widget in (view(app), side(app)):
                cached, fresh = cached_and_fresh(widget)
                assert cached == fresh, (keys, type(widget).__name__)
        assert len([a for a in rows(db, chat, "semantic") if a.kind == "span"]) == 2


async def test_token_table_lines_are_made_as_drawn_and_repainted_when_changed(
    db: Path, chat: int
) -> None:
    """The lexical side panel makes a token's line when it is drawn (a screenful, not one
    per token of the paragraph), and what it shows stays what drawing it afresh gives: after
    an analysis changes, after another paragraph, and back."""
    async with running(db, at=chat, layer="lexical", size=(100, 30)) as (app, pilot):
        await settle(pilot)
        panel = side(app)
        height = panel.scrollable_content_region.height
        assert len(tokens_of(app)) > height  # more tokens than the panel has lines
        made = [row for row in panel._rows if row._text is not None]
        assert 0 < len(made) <= height
        for keys in (("right", "n"), ("ctrl+n",), ("ctrl+p",), ("tab", "end"), ("home",)):
            await pilot.press(*keys)
            await settle(pilot)
            cached, fresh = cached_and_fresh(panel)
            assert cached == fresh, keys
        second = panel._rows[1]
        assert second.annotation is not None and second.annotation.label == "NOUN"
        assert "NOUN" in second.text.plain


async def test_the_first_label_of_a_layer_repaints_one_line_of_the_side_panel(
    db: Path, chat: int
) -> None:
    """The side panel of a layer with no annotation yet draws blank lines: labelling its first
    span repaints the panel's new line and its title, not the whole panel."""
    async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
        await pilot.press("right")
        await settle(pilot)
        panel = side(app)
        assert panel.option_count == 0 and panel.region.height > 5
        compositor = app.screen._compositor
        dirty: list[Region] = []
        real_update = compositor.render_partial_update

        def update():  # type: ignore[no-untyped-def]
            dirty.extend(compositor._dirty_regions)
            return real_update()

        compositor.render_partial_update = update  # type: ignore[method-assign]
        await pilot.press("p")
        await settle(pilot)
        assert panel.option_count == 1
        in_panel = {
            y
            for region in dirty
            if (shared := region.intersection(panel.region))
            for y in range(shared.y, shared.bottom)
        }
        first_row = panel.content_region.y  # (no header on this layer)
        assert first_row in in_panel
        assert in_panel <= {panel.region.y, first_row}, sorted(in_panel)


async def test_lines_recalled_on_returning_to_a_layer_are_those_drawn_afresh(
    db: Path, chat: int
) -> None:
    """Back on a layer (or paragraph) seen lately, the text's rendered lines are reused when the
    styled text is the same: they must be exactly what drawing it afresh gives, styles too."""
    with open_store(db) as store:
        store.create_annotation(
            paragraph_id=chat, layer="semantic", kind="span", field="frame",
            annotator=ME, label="PREDICATE", start=0, end=6,
        )  # fmt: skip
    async with running(db, at=chat, layer="semantic") as (app, _):
        fresh = [view(app).render_line(y) for y in range(view(app).size.height)]
    async with running(db, at=chat, layer="lexical") as (app, pilot):
        for key in ("2", "3", "2"):
            await pilot.press(key)
            await settle(pilot)
        drawn = [view(app).render_line(y) for y in range(view(app).size.height)]
        recalled = view(app)._recent
        assert len(recalled) >= 3  # lexical, semantic, logical: the second semantic was recalled
    assert [list(s) for s in drawn] == [list(s) for s in fresh]
    assert any(seg.style and seg.style.bgcolor for s in drawn for seg in s)  # the span shows


async def test_every_layers_label_keys_are_rendered_before_its_first_switch(db: Path) -> None:
    """The label bar renders every layer's keys once the screen is up, so a layer's first
    switch only repaints; the lines it then shows are those rendering the bar afresh gives."""
    from textual.visual import Visual, visualize
    from textual.widget import Widget

    from layerkit.tui.widgets.bars import LabelBar

    rendered: list[str] = []
    render = Widget._render_content

    def counting(widget: Widget) -> None:
        if isinstance(widget, LabelBar):
            rendered.append(widget.text.plain)
        render(widget)

    async with running(db) as (app, pilot):
        await pilot.pause(0.1)
        bar = app.screen.query_one(LabelBar)
        Widget._render_content = counting  # type: ignore[method-assign]
        try:
            for key in ("2", "3", "4", "5", "1"):
                await pilot.press(key)
                await settle(pilot)
                width, height = bar.size
                visual = visualize(bar, bar.text, markup=bar._render_markup)
                fresh = Visual.to_strips(bar, visual, width, height, bar.visual_style)
                bar.render_line(0)  # (renders, or takes the kept lines, if not done yet)
                shown = bar._render_cache.lines
                assert [list(s) for s in shown] == [list(s) for s in fresh], key
        finally:
            Widget._render_content = render  # type: ignore[method-assign]
    assert rendered == []  # every layer's keys were shown from lines rendered before


async def test_partial_repaints_render_only_dirty_lines_and_paint_the_same(
    db: Path, chat: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line compositor (layerkit/tui/compositor.py) renders a partial update from the
    dirty lines alone: every update it paints must equal Textual's own rendering of the same
    dirty regions, line by line and cut by cut, through labels, a relation dialog, undo, layer
    switches and paragraph changes; and it must render fewer lines than Textual would."""
    from textual._compositor import Compositor

    from layerkit.tui import compositor

    compared: list[int] = []
    lines_rendered = {"line": 0, "textual": 0}

    class Checking(compositor.LineCompositor):
        def render_partial_update(self):  # type: ignore[no-untyped-def]
            dirty = set(self._dirty_regions)
            ours = super().render_partial_update()
            self._dirty_regions.update(dirty)
            theirs = Compositor.render_partial_update(self)
            assert (ours is None) == (theirs is None)
            if ours is not None and theirs is not None:
                assert ours.spans == theirs.spans
                for y, x1, x2 in ours.spans:  # what is painted: the cuts meeting the spans

                    def painted(chops: dict[int, Any], x1: int = x1, x2: int = x2) -> dict:
                        return {
                            cut: list(strip)
                            for cut, strip in chops.items()
                            if strip and cut < x2 and cut + strip.cell_length > x1
                        }

                    assert painted(ours.chops[y]) == painted(theirs.chops[y]), y
                compared.append(len(ours.spans))
            return ours

        def _get_renders(self, crop=None):  # type: ignore[no-untyped-def]
            for region, clip, strips in super()._get_renders(crop):
                key = "textual" if self._rendered_lines is None else "line"
                lines_rendered[key] += len(strips)
                yield region, clip, strips

    monkeypatch.setattr(compositor, "LineCompositor", Checking)
    async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
        assert isinstance(screen(app)._compositor, Checking)
        steps = (
            ("right", "shift+right", "p"), ("right", "right", "a"), ("enter",), ("enter",),
            ("enter",), ("ctrl+z",), ("ctrl+z",), ("3",), ("4",), ("2",), ("ctrl+n",),
            ("ctrl+p",), ("down",), ("tab", "down"), ("shift+tab",),
        )  # fmt: skip
        for keys in steps:
            await pilot.press(*keys)
            await settle(pilot)
    assert len(compared) >= len(steps)
    assert 0 < lines_rendered["line"] < lines_rendered["textual"]


async def test_a_widget_is_asked_only_for_its_dirty_lines(db: Path, chat: int) -> None:
    """Two dirty lines far apart in one widget (the text's first line and its bottom border,
    as a label that changes the layer's state leaves them) are rendered as two lines, not as
    every line between them; and what is painted is what Textual paints."""
    from textual.strip import Strip

    from layerkit.tui.widgets.titles import set_border_subtitle

    async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
        await settle(pilot)
        text = view(app)
        compositor = app.screen._compositor
        asked: list[Region] = []
        render_lines = text.render_lines

        def counted(crop: Region) -> list[Strip]:
            asked.append(crop)
            return render_lines(crop)

        text.render_lines = counted  # type: ignore[method-assign]
        height = text.outer_size.height
        assert height > 5
        text.refresh_line(0)
        set_border_subtitle(text, "changed")  # repaints the bottom border line alone
        await settle(pilot)
        assert asked and sum(crop.height for crop in asked) <= 3, asked
        cached, fresh = cached_and_fresh(text)
        assert cached == fresh
        assert compositor is app.screen._compositor


async def test_lean_lines_are_textuals_own_drawing(db: Path, chat: int) -> None:
    """The text view, side panel and navigator frame their content rows themselves
    (layerkit/tui/widgets/lean_lines.py) and their scrollbars keep their last drawing: in every
    state the keys below lead to (labels, a relation dialog over the screen, undo, layers,
    paragraphs, focus moves, a jump that scrolls the navigator, a resize), each widget's lines
    and its scrollbar's, whole and cropped, must equal what Textual draws afresh; and the lean
    path must really be taken for the content rows."""
    from textual.geometry import Region
    from textual.scrollbar import ScrollBar

    from layerkit.tui.widgets import lean_lines
    from layerkit.tui.widgets.scrolling import SteadyScrollBar

    framed = {"rows": 0}
    original = lean_lines._Frame.__init__

    def counting(self, *args):  # type: ignore[no-untyped-def]
        framed["rows"] += 1
        original(self, *args)

    def compare(widget: Widget, keys: tuple[str, ...]) -> None:
        width, height = widget.region.size
        for crop in (Region(0, 0, width, height), Region(2, 1, max(width - 5, 1), height - 1)):
            ours = [list(s) for s in widget.render_lines(crop)]
            widget._styles_cache.clear()
            theirs = [list(s) for s in widget._styles_cache.render_widget(widget, crop)]
            assert ours == theirs, (keys, type(widget).__name__, crop)
        # its scrollbar (scrolling.SteadyScrollBar) hands back its last drawing while nothing
        # it is drawn from changed: it must be Textual's drawing of the bar as it is now
        assert widget.show_vertical_scrollbar
        bar = widget.vertical_scrollbar
        assert isinstance(bar, SteadyScrollBar)
        bar_height = bar.size.height
        for crop in (bar.size.region, Region(0, 1, bar.size.width, max(bar_height - 3, 1))):
            ours = [list(s) for s in bar.render_lines(crop)]
            bar._styles_cache.clear()
            bar._render_content()
            theirs = [list(s) for s in ScrollBar.render_lines(bar, crop)]
            assert ours == theirs, (keys, "scrollbar of", type(widget).__name__, crop)

    lean_lines._Frame.__init__ = counting  # type: ignore[method-assign]
    try:
        async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
            widgets = (view(app), side(app), screen(app).query_one(Navigator))
            steps = (
                (), ("right", "shift+right", "p"), ("right", "right", "a"), ("enter",),
                ("enter",), ("enter",), ("ctrl+z",), ("3",), ("2",), ("ctrl+n",), ("ctrl+p",),
                ("down",), ("tab", "down"), ("shift+tab",), ("shift+tab", "end"), ("home",),
                ("end",), ("home",), ("tab",),
            )  # fmt: skip
            for keys in steps:
                await pilot.press(*keys)
                await settle(pilot)
                for widget in widgets:
                    compare(widget, keys)
            await pilot.resize_terminal(140, 40)
            await settle(pilot)
            for widget in widgets:
                compare(widget, ("resize",))
    finally:
        lean_lines._Frame.__init__ = original  # type: ignore[method-assign]
    assert framed["rows"] >= len(widgets)


async def test_a_scrollbar_with_its_thumb_on_the_same_cells_is_not_drawn_again(
    db: Path, chat: int
) -> None:
    """A scrollbar keeps its drawings by where the thumb falls (scrolling.py): lists of
    different lengths whose thumbs are on the same cells (long ones: a thumb of one cell, as
    the lexical token table's) find the bar drawn, and that drawing is Textual's own for the
    bar as it is; a list whose thumb is longer is drawn anew."""
    from textual.scrollbar import ScrollBar

    async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
        await settle(pilot)
        bar = view(app).vertical_scrollbar
        window = bar.size.height

        def drawing_for(virtual: int) -> tuple[object, list[list[object]], list[list[object]]]:
            bar.window_virtual_size, bar.window_size, bar.position = virtual, window, 0
            ours = [list(s) for s in bar.render_lines(bar.size.region)]
            bar._styles_cache.clear()
            bar._render_content()
            theirs = [list(s) for s in ScrollBar.render_lines(bar, bar.size.region)]
            return bar._drawn_from(), ours, theirs

        first, ours, theirs = drawing_for(window * window)
        assert ours == theirs
        drawn = len(bar._drawn or ())
        again, ours, theirs = drawing_for(window * window + 7)
        assert again == first and len(bar._drawn or ()) == drawn  # found, not drawn
        assert ours == theirs  # and it is the bar as Textual draws it
        other, ours, theirs = drawing_for(window * 2)
        assert other != first and len(bar._drawn or ()) == drawn + 1
        assert ours == theirs


async def test_relation_dialogs_lean_lines_are_textuals_own_drawing(db: Path, chat: int) -> None:
    """The relation dialog's box and its list frame their rows themselves (lean_lines.py):
    open on each question, each must draw what Textual draws afresh, whole and cropped."""
    from textual.geometry import Region

    from layerkit.tui.widgets.choice_list import ChoiceList

    async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
        await pilot.press("p", *["right"] * 5, "p", "left", "a", "enter")
        await settle(pilot)
        choose = picker(app)
        drawn = 0
        for keys in ((), ("enter",), ("escape",), ("down",), ("enter",)):
            await pilot.press(*keys)
            await settle(pilot)
            for widget in (choose, choose.query_one(ChoiceList)):
                width, height = widget.region.size
                crops = (Region(0, 0, width, height), Region(2, 1, width - 5, height - 1))
                for crop in crops:
                    ours = [list(s) for s in widget.render_lines(crop)]
                    widget._styles_cache.clear()
                    theirs = [list(s) for s in widget._styles_cache.render_widget(widget, crop)]
                    assert ours == theirs, (keys, type(widget).__name__, crop)
                drawn += widget._lean_frame is not None
        assert drawn == 10  # the lean path, not Textual's, drew their content rows


async def test_cached_text_styles_follow_focus_and_resizes(db: Path, chat: int) -> None:
    """The text view, side panel and navigator keep their text style between style changes
    (layerkit/tui/widgets/style_cache.py): after focus moves and a resize that changes the
    screen's layout class, each must equal the style Textual works out afresh."""
    from textual.widget import Widget

    async with running(db, at=chat, layer="semantic", size=(100, 30)) as (app, pilot):
        widgets = (view(app), side(app), screen(app).query_one(Navigator))
        for keys in (("tab",), ("tab",), ("shift+tab", "shift+tab")):
            await pilot.press(*keys)
            await settle(pilot)
            for widget in widgets:
                assert widget.rich_style == Widget.rich_style.fget(widget), (keys, widget)  # type: ignore[attr-defined]
        await pilot.resize_terminal(140, 40)
        await settle(pilot)
        for widget in widgets:
            assert widget.rich_style == Widget.rich_style.fget(widget), widget  # type: ignore[attr-defined]


async def test_a_capital_hint_letter_jumps_and_opens_the_token_editor(db: Path, chat: int) -> None:
    """``;`` shows jump hints; typing a hint's last letter as a capital jumps there and opens
    the token editor on that token (lexical layer), one key instead of the letter and
    ``enter``; on a layer without tokens the capital only jumps."""
    async with running(db, at=chat, layer="lexical", size=(100, 30)) as (app, pilot):
        await pilot.press("semicolon")
        labels = view(app)._hints
        label, target = max(labels.items(), key=lambda item: (len(item[0]), item[1]))
        await pilot.press(*label[:-1], label[-1].upper())
        await settle(pilot)
        assert isinstance(app.screen, TokenEditor)
        assert view(app).selection == Selection(target, target)
        assert f"token {target + 1}/" in str(app.screen.query_one("#token-box").border_title)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("2", "semicolon")
        labels = view(app)._hints
        label, target = min(labels.items(), key=lambda item: (len(item[0]), -item[1]))
        await pilot.press(*label[:-1], label[-1].upper())
        await settle(pilot)
        assert isinstance(app.screen, AnnotateScreen)
        assert view(app).selection == Selection(target, target)


async def test_the_token_tables_header_is_drawn_in_its_own_style(db: Path) -> None:
    """The side panel draws its lines from Rich texts (widgets/drawn_lines.py); the token
    table's header is styled as a whole (dim, bold), with no span, which Rich's
    ``Text.render`` leaves out: the header must still reach the screen dim and bold."""
    async with running(db, at=1, layer="lexical", size=(100, 30)) as (app, pilot):
        await settle(pilot)
        panel = side(app)
        header = panel.render_line(0)
        drawn = [s for s in header if s.text.strip()]
        assert "form" in header.text and drawn
        assert all(s.style is not None and s.style.dim and s.style.bold for s in drawn)


async def test_an_adjudication_key_typed_before_its_paragraph_was_shown_is_not_taken(
    db: Path, chat: int
) -> None:
    """`n` reads and merges the next paragraph before its dialog shows; keys typed meanwhile
    (1, 2 for the disagreements still on screen) were taken on the new paragraph: a gold
    nobody was looking at changed, a done layer among them."""
    _two_done_copies(db, chat)
    async with running(db, at=chat, layer="semantic", annotator="vera") as (app, pilot):
        modal = await _adjudicating(app, pilot)
        # a "2" pressed before the dialog was on screen (and handled after: typed ahead)
        early = events.Key("2", "2")
        early.time = modal._shown_at - 0.5
        app.post_message(early)
        await settle(pilot)
        assert rows(db, chat, "semantic") == []  # not taken
        assert "not taken" in str(list(app._notifications)[-1].message)
        await pilot.press("2")  # pressed now, with the paragraph on screen: taken
        await settle(pilot)
        assert [a.label for a in rows(db, chat, "semantic")] == ["AGENT"]
