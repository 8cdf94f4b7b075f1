"""``layerkit annotate``: the terminal app, and the factory that tests and the CLI share.

The app holds what every screen needs (project, open store, annotator, current layer, label
key maps) and shows LayerkitErrors in a modal; the annotation screen does the rest. Opening a
store reads one count and one page, so it is instant at any size.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.worker import Worker, WorkerState

from layerkit.errors import LayerkitError, StoreError
from layerkit.project import Project
from layerkit.schema import SchemaRegistry
from layerkit.store import Store, queries
from layerkit.tui import session
from layerkit.tui.keymap import KeyMap
from layerkit.tui.screens.annotate import AnnotateScreen, keymaps_for
from layerkit.tui.screens.error import ErrorModal

POLL_SECONDS = 2.0


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
        session_path: Path | None = None,
    ) -> None:
        super().__init__()
        # Screens get a -narrow or -wide class; app.tcss moves the side panel beside the text.
        self.HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
        self.store = store
        self.schemas = schemas
        self.annotator = annotator
        self.poll_seconds = poll_seconds
        self.session_path = session_path
        self.keymaps: dict[str, KeyMap] = keymaps_for(schemas.layers)
        self.layer = schemas.order[0]
        self.position: tuple[int | None, str] = (None, self.layer)
        self.sub_title = f"{store.url.removeprefix('sqlite:///')} · {annotator}"

    def on_mount(self) -> None:
        self.push_screen(AnnotateScreen())

    def start_position(self) -> int | None:
        """Where this annotator was: the session file, else their last edit, else the start.

        Sets the current layer too; returns None for an empty store.
        """
        remembered = (
            session.load(self.session_path, self.store.url, self.annotator)
            if self.session_path is not None
            else None
        )
        found: tuple[int, str | None] | None = None
        if remembered is not None and self._exists(remembered.paragraph_id):
            found = (remembered.paragraph_id, remembered.layer)
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
        return found[0]

    def _exists(self, paragraph_id: int) -> bool:
        try:
            self.store.paragraph(paragraph_id)
        except StoreError:
            return False
        return True

    def show_error(self, error: LayerkitError) -> None:
        self.push_screen(ErrorModal(error))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if not isinstance(error, LayerkitError):
            error = LayerkitError(f"{type(error).__name__}: {error}", title="Unexpected error")
        self.show_error(error)

    def on_unmount(self) -> None:
        paragraph_id, layer = self.position
        if paragraph_id is not None and self.session_path is not None:
            session.save(
                self.session_path,
                self.store.url,
                self.annotator,
                session.Position(paragraph_id, layer),
            )
        self.store.close()


def default_annotator(project: Project | None = None) -> str:
    """$LAYERKIT_ANNOTATOR, else the project's ``annotator`` setting, else the login name."""
    configured = project.config.annotator if project is not None else None
    env = os.environ.get("LAYERKIT_ANNOTATOR") or configured or os.environ.get("USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "annotator"


def create_app(
    db: str | None = None,
    annotator: str | None = None,
    *,
    project: Project | None = None,
    poll_seconds: float | None = POLL_SECONDS,
    session_path: Path | None = None,
) -> LayerkitApp:
    """The app on an existing store (a missing one is a StoreError, before any screen opens)."""
    project = project or Project.load(db)
    store = project.open_store(create=False)
    return LayerkitApp(
        store,
        project.schemas,
        annotator or default_annotator(project),
        poll_seconds=poll_seconds,
        session_path=session_path if session_path is not None else session.default_path(),
    )
