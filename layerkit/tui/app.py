"""``layerkit annotate``: the terminal app, and the factory that tests and the CLI share.

The app holds what every screen needs (project, open store, annotator, current layer, label
key maps) and shows LayerkitErrors in a modal; the annotation screen does the rest. Opening a
store reads one count and one page, so it is instant at any size.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from textual import events
from textual.app import App, ScreenStackError
from textual.dom import DOMNode
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import Screen
from textual.widgets import Input, TextArea
from textual.worker import Worker, WorkerFailed, WorkerState

from layerkit.errors import (
    ConflictError,
    DatabaseBusy,
    DatabaseUnreachable,
    LayerkitError,
    StoreError,
)
from layerkit.project import Project, annotator_name, default_annotator
from layerkit.schema import SchemaRegistry
from layerkit.store import Store, queries
from layerkit.tui.after_quiet import AfterQuiet
from layerkit.tui.frames import KeyFrames
from layerkit.tui.idle_gc import IDLE_SECONDS, IdleCollector
from layerkit.tui.key_routing import bound_at_once
from layerkit.tui.keymap import KeyMap
from layerkit.tui.layout import latin_key
from layerkit.tui.screens.annotate import AnnotateScreen, keymaps_for
from layerkit.tui.screens.error import ErrorModal
from layerkit.tui.widgets.bars import NoticeBar
from layerkit.tui.workflow import ORDERS, Order

POLL_SECONDS = 2.0
#: how long a lasting notice would last if nothing took it away (seconds: a day)
LASTING = 86_400.0
#: how long the cursor must rest on a paragraph before its position is written to the store:
#: one small write per pause, not one per keypress while paging through
POSITION_SAVE_DELAY = 0.5


_UNKNOWN = object()  # (a screen whose notice line was not looked for yet)


class LayerkitApp(App[None]):
    """Annotate a store's paragraphs on every layer, from the keyboard."""

    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find it too.
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "layerkit"
    ENABLE_COMMAND_PALETTE: ClassVar[bool] = False

    def __init__(
        self,
        store: Store,
        schemas: SchemaRegistry,
        annotator: str,
        *,
        poll_seconds: float | None = POLL_SECONDS,
        adjudicating: bool = False,
        majority: int | None = None,
    ) -> None:
        super().__init__()
        #: opened to adjudicate: starts at the first paragraph whose copies are all done
        self.adjudicating = adjudicating
        #: adjudication merges a unit this many annotators agree on (None: all of them)
        self.majority = majority
        # Screens get a -narrow, -wide or -wider class; app.tcss moves the side panel beside
        # the text where it fits (the lexical layer's token table: only at -wider).
        self.HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide"), (160, "-wider")]
        self.store = store
        self.schemas = schemas
        self.annotator = annotator
        self.poll_seconds = poll_seconds
        self.keymaps: dict[str, KeyMap] = keymaps_for(schemas.layers)
        self.layer = schemas.order[0]
        self._position: tuple[int | None, str] = (None, self.layer)
        #: depth-first (all layers of a paragraph) or breadth-first (one layer across paragraphs)
        self.order: Order = "breadth"
        self._saved_position: tuple[int | None, str, Order] | None = None
        self._position_saver = AfterQuiet(self, POSITION_SAVE_DELAY, self.save_position)
        self._notice_bars: WeakKeyDictionary[Screen, NoticeBar | None] = WeakKeyDictionary()
        self.sub_title = f"{store.display_url} · {annotator}"
        #: the error that ended the app (a database gone: ``_handle_exception``), for the CLI
        self.fatal_error: LayerkitError | None = None

    def on_mount(self) -> None:
        self.push_screen(AnnotateScreen())
        self.collector = IdleCollector()
        self.key_frames = KeyFrames(self, after_frame=self.collector.after_frame)
        self.call_after_refresh(self.collector.start)
        self.set_interval(IDLE_SECONDS / 2, self.collector.tick)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and hasattr(self, "collector"):
            self.collector.key_pressed()
            self.key_frames.key_arrived()
            event = self._as_typed_key(event)
            if not event.is_forwarded and await self._bound_at_once(event):
                return
        await super().on_event(event)

    async def _bound_at_once(self, event: events.Key) -> bool:
        """Run the key's binding now rather than after its trip up the widget tree
        (key_routing.py), where that changes nothing but the time it takes."""
        screen = self.screen
        if screen.maximized is not None or not isinstance(screen, AnnotateScreen):
            return False
        if screen.picker.is_open:  # keys typed before its focus moved go to it (on_key)
            return False
        self.app_focus = True
        screen._clear_tooltip()
        return await bound_at_once(self, event)

    def on_key(self, event: events.Key) -> None:
        """A key that bubbled up to the app while the relation dialog is open: typed in the
        same burst as the key that opened it, Textual handed it to the panel below (the focus
        had not moved yet), where nothing took it. The dialog reads it, as if typed after."""
        screen = self.screen
        if isinstance(screen, AnnotateScreen) and screen.picker.is_open:
            screen.picker.on_key(event)

    def _as_typed_key(self, event: events.Key) -> events.Key:
        """A key typed with the Russian layout on is the Latin key it sits on (see
        ``layout``), except where text is being typed."""
        if isinstance(self.focused, Input | TextArea):
            return event
        latin = latin_key(event.character)
        if latin is None:
            return event
        return events.Key(*latin)

    def start_position(self) -> int | None:
        """Where this annotator was: the position saved in the store, else their last edit,
        else the start. Sets the current layer too; returns None for an empty store."""
        found: tuple[int, str | None] | None = None
        saved = self.store.position(self.annotator)
        if saved is not None and saved.mode in ORDERS:
            self.order = saved.mode
        if (
            saved is not None
            and saved.paragraph_id is not None
            and self._exists(saved.paragraph_id)
        ):
            found = (saved.paragraph_id, saved.layer)
        if found is None:
            found = queries.last_position(self.store, self.annotator)
            if found is not None and not self._exists(found[0]):
                found = None
        if found is None:
            first = queries.neighbour(self.store, None, 1)
            found = (first, None) if first is not None else None
        if found is None:
            return None
        if found[1] in self.schemas.order:
            self.layer = found[1]
        self._saved_position = (found[0], self.layer, self.order)
        return found[0]

    @property
    def position(self) -> tuple[int | None, str]:
        """The paragraph and layer on screen; kept in the store (after a short pause) so the
        next session, on any machine, opens there."""
        return self._position

    @position.setter
    def position(self, value: tuple[int | None, str]) -> None:
        self._position = value
        self._position_saver.poke()  # saved once the annotator has stayed for a moment

    def set_order(self, order: Order) -> None:
        self.order = order
        self.position = self._position  # saved like a move

    def save_position(self) -> None:
        """Write the current position (and work order) to the store unless it is there."""
        paragraph_id, layer = self._position
        current = (paragraph_id, layer, self.order)
        if paragraph_id is None or current == self._saved_position:
            return
        try:
            self.store.save_position(
                self.annotator, paragraph_id=paragraph_id, layer=layer, mode=self.order
            )
        except LayerkitError:
            return  # a cursor position is not worth interrupting anyone's work for
        self._saved_position = current

    def _exists(self, paragraph_id: int) -> bool:
        try:
            self.store.paragraph(paragraph_id)
        except StoreError:
            return False
        return True

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A notice, always as plain text: notices quote annotated text and names, in which
        brackets are not markup (Textual's default read «[Москва]» as a style and dropped it,
        and refused «[/]» with an error)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def lasting_notice(
        self, message: str, *, title: str = "", severity: SeverityLevel = "information"
    ) -> Notification:
        """A notice that stays until :meth:`end_notice` takes it away (what is true until
        something changes: the server does not answer). Newer notices show before it."""
        notice = Notification(message, title, severity, timeout=LASTING, markup=False)
        self.post_message(Notify(notice))
        return notice

    def end_notice(self, notice: Notification) -> None:
        if notice in self._notifications:
            self._unnotify(notice)

    def _refresh_notifications(self) -> None:
        """Notices go to the screen's notice line (widgets/bars.py, ``NoticeBar``) where it
        has one; a screen without one (a dialog) shows Textual's toasts."""
        try:
            screen = self.screen
        except ScreenStackError:
            return
        # (looked up once per screen: a query walks every widget of it, on every notice)
        bar = self._notice_bars.get(screen, _UNKNOWN)
        if not (bar is None or (isinstance(bar, NoticeBar) and bar.is_attached)):
            found = screen.query(NoticeBar)
            bar = self._notice_bars[screen] = found.first() if found else None
        if bar is not None:
            bar.show(self._notifications)
        else:
            super()._refresh_notifications()

    def show_error(self, error: LayerkitError) -> None:
        """Show an error in a modal, unless one is open already: keys pressed fast can refuse
        the same way several times, and one dialog to close is enough.

        Pushed once what runs now is done: a dialog whose closing fails (its callback saves,
        the server is down) is popped after its callback ran, and that pop took the error
        dialog pushed meanwhile (which then found none of its widgets: a crash)."""
        if isinstance(self.screen, ErrorModal):
            return
        self.call_later(self._push_error, _as_the_annotator_says_it(error))

    def _push_error(self, error: LayerkitError) -> None:
        if not isinstance(self.screen, ErrorModal):
            self.push_screen(ErrorModal(error))

    async def _dispatch_action(self, namespace: DOMNode, action_name: str, params: Any) -> bool:
        """Run a key's action; a database that cannot be reached or is busy, met by any of
        them, is said in a dialog and the session goes on (the action did not happen; what
        was saved is kept). Raised out of the action, it ended the app: ctrl+t or ctrl+r
        during a server's restart closed the annotator."""
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except Exception as exc:
            found = _database_error(exc)
            if found is None:
                raise
            self.show_error(found)
            return True

    def _handle_exception(self, error: Exception) -> None:
        """A database that went away (a server stopped) or refuses writes, met where no
        dialog can say so (a read while drawing, a message handler), ends the app with the
        store's error, which ``layerkit annotate`` prints as every command does (title,
        message, hint; exit 2). Textual would print a traceback with its local variables, the
        connection string and its password among them. What was saved is kept; nothing else
        is lost. In a worker (a read in a thread: the list's count after a search) it is said
        in a dialog instead, and the session goes on: nothing else stopped."""
        if isinstance(error, WorkerFailed):
            found = _database_error(error.error)
            if found is not None:
                self.show_error(found)
                return
        # (any other error, ours included, is a bug to see: Textual's report, and in tests
        # the pilot raises it)
        found = _database_error(error)
        if found is None:
            super()._handle_exception(error)
            return
        if self.fatal_error is None:
            self.fatal_error = found
        self.exit(return_code=found.exit_code)

    def _fatal_error(self) -> None:
        """Textual's report of an unexpected exception, without the local variables of each
        frame (they may hold a database URL with its password)."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if not isinstance(error, LayerkitError):
            error = LayerkitError(f"{type(error).__name__}: {error}", title="Unexpected error")
        self.show_error(error)

    def on_unmount(self) -> None:
        if hasattr(self, "collector"):
            self.collector.stop()
        self._position_saver.stop()
        self.save_position()
        self.store.close()


def _database_error(error: BaseException) -> LayerkitError | None:
    """The store's error for a database that cannot be reached or is busy (also as the
    driver raised it), else None."""
    from layerkit.store.engine import database_refusal

    if isinstance(error, DatabaseUnreachable | DatabaseBusy):
        return error
    return database_refusal(error) if isinstance(error, Exception) else None


def create_app(
    db: str | None = None,
    annotator: str | None = None,
    *,
    project: Project | None = None,
    poll_seconds: float | None = POLL_SECONDS,
    adjudicating: bool = False,
    majority: int | None = None,
) -> LayerkitApp:
    """The app on an existing store (a missing one is a StoreError, before any screen opens)."""
    project = project or Project.load(db)
    store = project.open_store(create=False)
    return LayerkitApp(
        store,
        project.schemas,
        annotator_name(annotator) if annotator else default_annotator(project),
        poll_seconds=poll_seconds,
        adjudicating=adjudicating,
        majority=majority,
    )


def _as_the_annotator_says_it(error: LayerkitError) -> LayerkitError:
    """The store's hints are written for a command ("run the command again", "refresh to
    see"): in the annotator, what to do is another thing. A copy with the annotator's hint."""
    if isinstance(error, DatabaseUnreachable):
        hint = (
            "The annotator asks the server again every few seconds and goes on once it answers "
            "(the notice line says so); what was saved is kept. Try the edit again then."
        )
    elif isinstance(error, ConflictError):
        # (what else the store's hint says stays: "Undo again for the step before it")
        kept = _REFRESH_TO_SEE.sub("", error.hint).strip().rstrip(";,")
        hint = (f"{kept}. " if kept and not kept.endswith(".") else f"{kept} " if kept else "") + (
            "The screen now shows what is saved, their change included (ctrl+r reads it again)."
        )
    else:
        return error
    shown = copy.copy(error)
    shown.hint = hint
    return shown


#: the store's "refresh to see ..." (the annotator's screen has refreshed: it says so itself)
_REFRESH_TO_SEE = re.compile(r";?\s*[Rr]efresh to see [^.;]*[.;]?")
