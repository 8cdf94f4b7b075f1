"""The annotation screen: navigator, paragraph text, side panel, label keys.

The screen owns the flow: widgets post what the annotator asked for (``messages``), the screen
makes the one Store call it takes (``editing``), shows a LayerkitError in a modal if the store
refuses, and then re-reads the paragraph so what is on screen is what is in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from layerkit import adjudication
from layerkit.errors import (
    DatabaseBusy,
    DatabaseUnreachable,
    LayerkitError,
    StoreError,
    UsageError,
)
from layerkit.model import Annotation, is_suggestion
from layerkit.schema.models import LayerSchema
from layerkit.store import queries
from layerkit.store.queries import ParagraphFilter
from layerkit.store.store import domain_annotation
from layerkit.tui import editing, relations, workflow
from layerkit.tui.after_quiet import AfterQuiet
from layerkit.tui.compositor import use_line_compositor
from layerkit.tui.keymap import KeyMap, label_keys
from layerkit.tui.lexical import TokenRow, TokenValues, feature_inventory, token_field, token_rows
from layerkit.tui.messages import (
    AnnotationChosen,
    AttributeStepRequested,
    DeleteRequested,
    LabelRequested,
    PanelResized,
    ParagraphChosen,
    ParagraphHighlighted,
    SelectionChanged,
    TokenHighlighted,
)
from layerkit.tui.model import ParagraphData, sentence_index
from layerkit.tui.screens.adjudicate import NEXT, AdjudicationModal
from layerkit.tui.widgets.annotation_list import AnnotationList
from layerkit.tui.widgets.bars import KeyBar, LabelBar, LayerTabs, NoticeBar
from layerkit.tui.widgets.navigator import Navigator
from layerkit.tui.widgets.paragraph_view import ParagraphView
from layerkit.tui.widgets.relation_picker import Picked, RelationPicker
from layerkit.tui.widgets.titles import set_border_subtitle, set_border_title

if TYPE_CHECKING:
    from textual.notifications import Notification

    from layerkit.tui.app import LayerkitApp

# The navigator's state filter cycles through these (for the current layer).
STATE_FILTERS: tuple[tuple[str, ...], ...] = (
    (),
    ("todo",),
    ("in_progress",),
    ("stale",),
    ("done",),
    ("todo", "in_progress", "stale"),
)
# Keys the app uses itself; a schema label key equal to one of them is left keyless.
MAX_LAYER_KEYS = 9
#: seconds after a paragraph is opened before the next one is read ahead (_prefetch_soon)
PREFETCH_DELAY = 0.05
RESERVED_KEYS = frozenset({*(str(n) for n in range(1, MAX_LAYER_KEYS + 1)), "?"})


@dataclass(frozen=True)
class Abilities:
    """What a layer's schema lets the annotator do beyond label keys; decides which of the
    screen's keys are live (and shown) on it. Worked out once per layer, since Textual asks
    on every refresh of the bindings."""

    tokens: bool
    relations: bool
    texts: bool
    lower: tuple[LayerSchema, ...]  # the layers below, nearest first


def abilities(layers: tuple[LayerSchema, ...], schema: LayerSchema) -> Abilities:
    kinds = {f.kind for f in schema.fields}
    below = [s for s in layers if s.order < schema.order]
    return Abilities(
        tokens="token" in kinds,
        relations="relation" in kinds,
        texts="text" in kinds,
        lower=tuple(sorted(below, key=lambda s: -s.order)),
    )


class AnnotateScreen(Screen[None]):
    """Where annotators spend their day."""

    #: Textual's Screen repaints itself whole when focus moves (its ``focused`` reactive
    #: repaints by default), though nothing it draws depends on focus: the widgets that gain
    #: and lose it restyle and repaint themselves. That whole-screen render was most of a tab
    #: between panels (bench/tui_latency.py: focus keys, p95 27-30 ms).
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    #: the newest event id the last paragraph read saw (see _reload)
    _latest_read: int | None = None
    #: the last draft could not be kept (said once, until one is kept again)
    _drafts_failing = False
    #: the notice saying that the database does not answer (the last poll found it so)
    _unreachable: Notification | None = None

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+z", "undo", "Undo"),
        Binding("ctrl+y", "redo", "Redo"),
        Binding("ctrl+d", "done", "Done", tooltip="Mark the layer done here, or reopen it"),
        Binding("ctrl+n", "step_paragraph(1)", "Next ¶"),
        # Shown in the help only: the footer must fit 80 columns, and pageup does the same.
        Binding("ctrl+p", "step_paragraph(-1)", "Prev ¶", show=False),
        Binding(
            "ctrl+t",
            "next_work",
            "Next to do",
            show=False,
            tooltip="Go to the next unfinished layer, depth-first or breadth-first",
        ),
        Binding(
            "ctrl+o",
            "toggle_order",
            "Depth/breadth-first",
            show=False,
            tooltip="Switch between finishing each paragraph (depth) and each layer (breadth)",
        ),
        Binding(
            "ctrl+e", "texts", "Texts", tooltip="Write the layer's free texts (notes, unfolding)"
        ),
        Binding(
            "ctrl+a",
            "accept",
            "Accept",
            tooltip="Accept the model's analyses of the cursor's sentence (lexical) or the "
            "suggestion under the cursor (higher layers) as yours",
        ),
        Binding(
            # A where no label has it (pragmatic's ACADEMIC does: the label wins there), ctrl+k
            # everywhere
            "A,ctrl+k",
            "accept_paragraph",
            "Accept ¶",
            show=False,
            key_display="A/^k",
            tooltip="Accept every model suggestion of the layer in the paragraph as yours",
        ),
        Binding(
            "ctrl+l",
            "context",
            "Context",
            tooltip="Show the lower layers' annotations in the side panel, or hide them",
        ),
        Binding(
            "ctrl+g",
            "adjudicate",
            "Adjudicate",
            show=False,
            tooltip="Decide what the annotators' private copies disagree on, side by side",
        ),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("ctrl+f", "search", "Search text", show=False),
        Binding("ctrl+r", "refresh", "Refresh (see others' work)", show=False),
        Binding("ctrl+b", "toggle_navigator", "Show/hide navigator", show=False),
        *(
            Binding(str(n), f"layer({n})", f"Layer {n}", show=False)
            for n in range(1, MAX_LAYER_KEYS + 1)
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        use_line_compositor(self)
        self.data: ParagraphData | None = None
        self.filter = ParagraphFilter()
        self.context = False
        self._seen_event = 0
        self._abilities: dict[str, Abilities] = {}
        # per paragraph: the span (a PREDICATE) that arguments labelled next are linked to
        self._anchors: dict[int, int] = {}
        # recently read paragraphs: id -> (the newest event id they are current as of, data)
        self._loaded: dict[int, tuple[int, ParagraphData]] = {}
        self._prefetcher = AfterQuiet(self, PREFETCH_DELAY, self._prefetch_next)
        self._suggested_for: tuple[tuple[int, str], bool] | None = None

    @property
    def lk(self) -> LayerkitApp:
        return self.app  # type: ignore[return-value]

    # --- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        app = self.lk
        # The dialog comes first. Textual counts a container's painting order from its last
        # child back, so a dialog placed last, when shown or hidden, shifted the order of
        # every other widget; Textual took that for a change of each and repainted the whole
        # screen (5-6 ms). Placed first (its own layer keeps it in front), showing it
        # repaints only the box.
        yield RelationPicker(id="picker")  # over the rest (its own layer), hidden until asked
        yield LayerTabs(id="tabs")
        with Horizontal(id="body"):
            with Vertical(id="nav-pane"):
                yield Input(placeholder="search text, enter", id="search")
                yield Navigator(app.store, app.schemas.order, id="nav")
            with Vertical(id="main"):
                yield ParagraphView(id="text")
                yield AnnotationList(id="side")
        yield LabelBar(id="labels")
        yield KeyBar(id="keys")
        yield NoticeBar(id="notices")

    @property
    def layer_schemas(self) -> tuple[LayerSchema, ...]:
        return self.lk.schemas.layers

    @property
    def schema(self) -> LayerSchema:
        return self.lk.schemas.get(self.lk.layer)

    @property
    def keymap(self) -> KeyMap:
        return self.lk.keymaps[self.lk.layer]

    @property
    def able(self) -> Abilities:
        layer = self.lk.layer
        found = self._abilities.get(layer)
        if found is None:
            found = self._abilities[layer] = abilities(self.layer_schemas, self.schema)
        return found

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that mean nothing on this layer are off: hidden from the footer, and passed
        on (enter edits a token on a layer of tokens, links spans on a layer of relations)."""
        able = self.able
        if action == "edit_token":
            return able.tokens
        if action in ("accept", "accept_paragraph"):
            # on a higher layer, only while the paragraph has a model suggestion there
            return able.tokens or self._suggested()
        if action == "link":
            return able.relations
        if action == "texts":
            return able.texts
        if action == "context":
            return bool(able.lower)
        return True

    def on_mount(self) -> None:
        app = self.lk
        self.query_one("#search", Input).display = False
        self.query_one(LabelBar).configure(self.layer_schemas, app.keymaps)
        start = app.start_position()
        self.filter = replace(self.filter, annotator=app.annotator)
        self._seen_event = queries.last_event_id(app.store)
        self.open_paragraph(start)
        nav = self.query_one(Navigator)
        nav.on_highlight = self._follow_navigator
        nav.reload(self.filter, start, follow=start is None)
        self.query_one(ParagraphView).focus()
        if app.poll_seconds:
            self.set_interval(app.poll_seconds, self._poll)
        conflicts = [c for keymap in app.keymaps.values() for c in keymap.conflicts]
        if conflicts:
            self.notify("\n".join(conflicts), title="Label keys", severity="warning")
        if app.adjudicating:
            self.call_after_refresh(self._start_adjudicating)
        # the statements of the first label and undo compiled beside the first paint, in a
        # thread, not during those keys (8 ms of the first label)
        self.call_after_refresh(
            self.run_worker,
            partial(queries.prepare_statements, app.store),
            thread=True,
            exit_on_error=False,
        )

    def _start_adjudicating(self) -> None:
        """``layerkit annotate --adjudicate``: open at the first paragraph and layer whose
        copies are all done and whose gold is not (any whose copies are done, if none)."""
        store = self.lk.store
        ready = adjudication.to_decide(store, adjudication.ready_to_adjudicate(store))
        if not ready:
            self.lk.show_error(
                UsageError(
                    "no paragraph has every copy of an assigned layer done yet.",
                    hint="Annotators mark their copies done with ctrl+d; `layerkit agreement` "
                    "shows what is compared.",
                    title="Nothing to adjudicate",
                )
            )
            return
        self.adjudicate(*ready[0])

    # --- showing -------------------------------------------------------------------------------

    def open_paragraph(
        self,
        paragraph_id: int | None,
        *,
        keep: bool = False,
        before_show: Callable[[ParagraphData], None] | None = None,
    ) -> None:
        """Read a paragraph from the store and show it (``keep``: same one, keep the cursor);
        ``before_show(data)`` runs between the two (what it changes is shown with the rest)."""
        try:
            self.data = (
                self._load(paragraph_id) if paragraph_id is not None and paragraph_id >= 0 else None
            )
        except DatabaseUnreachable as exc:  # (the paragraph shown stays: nothing changed)
            self.lk.show_error(exc)
            return
        except LayerkitError as exc:
            self.data = None
            self.lk.show_error(exc)
        if before_show is not None and self.data is not None:
            before_show(self.data)
        self._show(keep=keep)
        if not keep:
            self._prefetch_soon()

    def _prefetch_soon(self) -> None:
        """Read the next paragraph of the list (what ctrl+n opens) a moment after this one is
        on screen, while the annotator reads it: opening a paragraph read before costs one
        query (is it still current?) where reading it is several (about 2 ms of a 10 ms key
        at 100k paragraphs). A moment later, not at once, so that it never delays the paint
        of the key that opened this one; put off again by every paragraph opened meanwhile."""
        self._prefetcher.poke()

    def _prefetch_next(self) -> None:
        """Read the paragraph ctrl+n opens, and draw its first screenful on the current
        layer (text and side panel) as showing it will: opening it then costs what going
        back to a paragraph just seen costs (its lines recalled, not rendered), some 4 ms
        less of a 14 ms key at 100k paragraphs on the lexical layer."""
        if self.data is None:
            return
        try:
            _, target = self._step_target(1)  # what ctrl+n would open
            if target is None:
                return
            if target not in self._loaded:
                self._loaded_put(target, *self._read(target))
        except LayerkitError:
            return  # a prefetch that fails changes nothing: opening it will read (and report)
        data, schema = self._loaded[target][1], self.schema
        if schema is None:
            return
        view = self.query_one(ParagraphView)
        view.draw_ahead(data, schema, self._anchors.get(target))
        view.edges_ahead(*_view_titles(data, schema))
        side = self.query_one(AnnotationList)
        side.draw_ahead(data, schema, context=self.able.lower if self.context else ())

    def _load(self, paragraph_id: int) -> ParagraphData:
        """A paragraph's data, read again only if an event since it was read touched it
        (:func:`queries.changes_since`: one query on the event log, where a read is several):
        going back and forth between paragraphs, also after editing one of them, costs that
        one query. The event id a read is keyed with is taken before it, so an edit made
        meanwhile is seen as newer and read again."""
        store = self.lk.store
        kept = self._loaded.pop(paragraph_id, None)
        found: ParagraphData | None = None
        latest: int | None = None
        if kept is not None:
            changes = queries.changes_since(store, kept[0])
            latest = changes.latest
            if not changes.touched(paragraph_id):
                found = kept[1]
        if found is None:
            latest, found = self._read(paragraph_id, latest)
        assert latest is not None
        self._latest_read = latest
        self._loaded_put(paragraph_id, latest, found)
        return found

    def _read(self, paragraph_id: int, latest: int | None = None) -> tuple[int, ParagraphData]:
        """A paragraph's data read from the store, keyed with the newest event id taken before
        the read (``latest``, if the caller just took it): an edit made meanwhile is then
        newer, and read again when the paragraph is opened."""
        store = self.lk.store
        if latest is None:
            latest = queries.last_event_id(store)
        before = self.data
        found = ParagraphData.load(
            store,
            paragraph_id,
            self.lk.annotator,
            paragraph=before.paragraph if before is not None else None,
            row=before.row if before is not None else None,
        )
        return latest, found

    def _loaded_put(self, paragraph_id: int, latest: int, data: ParagraphData) -> None:
        """Keep a paragraph read as of event ``latest``, the eight most recent at most."""
        self._loaded.pop(paragraph_id, None)
        while len(self._loaded) >= 8:
            self._loaded.pop(next(iter(self._loaded)))
        self._loaded[paragraph_id] = (latest, data)  # the most recent last

    def _suggested(self) -> bool:
        """Whether the paragraph shown has a model suggestion on the current layer (kept for
        the data object and layer it was worked out for: Textual asks on every refresh)."""
        data, schema = self.data, self.schema
        if data is None or schema is None:
            return False
        key = (id(data), schema.layer)
        if self._suggested_for is None or self._suggested_for[0] != key:
            found = any(is_suggestion(a.origin) for a in data.of_layer(schema.layer))
            self._suggested_for = (key, found)
        return self._suggested_for[1]

    def _show(self, *, keep: bool) -> None:
        data, schema = self.data, self.schema
        self._place_token_table()
        had_suggestions = self._suggested_for[1] if self._suggested_for else False
        if self._suggested() != had_suggestions:
            self.refresh_bindings()  # the accept keys come and go with suggestions
        view = self.query_one(ParagraphView)
        view.anchor_id = self._anchors.get(data.id) if data is not None else None
        view.lower = tuple(s.layer for s in self.able.lower)
        view.show(data, schema, self.keymap, keep=keep)
        side = self.query_one(AnnotationList)
        side.show(data, schema, context=self.able.lower if self.context else ())
        self._follow_selection()
        states = (
            {layer.layer: data.state(layer.layer) for layer in self.layer_schemas} if data else {}
        )
        self.query_one(LayerTabs).show(
            self.layer_schemas, schema.layer, states, self.lk.order, self.lk.annotator
        )
        self.query_one(LabelBar).show(schema.layer)
        title, subtitle = _view_titles(data, schema)
        set_border_title(view, title)
        set_border_subtitle(view, subtitle)
        self.lk.position = (data.id if data else None, schema.layer)

    def _follow_selection(self) -> None:
        view = self.query_one(ParagraphView)
        focused = view.focused_annotation()
        self.query_one(AnnotationList).follow(
            focused.id if focused else None, view.cursor_token, view.cursor_offsets
        )

    def _reload(
        self,
        *,
        everything: bool = False,
        edited: bool = False,
        before_show: Callable[[ParagraphData], None] | None = None,
    ) -> None:
        """Re-read the open paragraph after a change, and show its new states in the list.

        After one's own edit only this paragraph changed, so only its list row is replaced;
        ``everything`` re-reads the visible rows too (someone else may have changed any).
        ``edited``: this annotator has just changed it, so it is read without first asking
        the event log whether it changed (one query less in a label or undo key).
        ``before_show``: as in :meth:`open_paragraph`.
        """
        self._latest_read = None
        if edited and self.data is not None:
            self._loaded.pop(self.data.id, None)
        self.open_paragraph(self.data.id if self.data else None, keep=True, before_show=before_show)
        nav = self.query_one(Navigator)
        if self.filter.states:
            # States changed, so the filtered list may have lost or gained this paragraph.
            nav.reload(self.filter, self.data.id if self.data else None, follow=False)
        elif everything:
            nav.refresh_rows()
        elif self.data is not None:
            nav.replace_row(self.data.row)
        # the newest event as the reload read it (one query less), else read now
        latest = self._latest_read
        if latest is None:
            try:
                latest = queries.last_event_id(self.lk.store)
            except DatabaseUnreachable as lost:  # (a dialog says it; the next poll asks again)
                self.lk.show_error(lost)
                return
        self._seen_event = latest

    def _poll(self) -> None:
        """Someone else saved something: show it (their edits are never overwritten silently;
        an edit based on an old version is refused by the store anyway). A server that cannot
        be reached is said once in the notice line and asked again at the next poll: a
        restart of the team's server does not end anyone's session (an edit meanwhile is
        refused in a dialog)."""
        try:
            latest = queries.last_event_id(self.lk.store)
        except DatabaseUnreachable as lost:
            if self._unreachable is None:
                # said until it answers (a notice of a few seconds left the screen looking
                # as usual through an outage), what to expect first: the reason is long
                every = f" every {self.lk.poll_seconds:g} s" if self.lk.poll_seconds else ""
                self._unreachable = self.lk.lasting_notice(
                    f"asking again{every}; edits are refused until it answers, nothing saved "
                    f"is lost. ({lost.message})",
                    title=lost.title,
                    severity="error",
                )
            return
        if self._unreachable is not None:
            self.lk.end_notice(self._unreachable)
            self._unreachable = None
            self.notify("The database answers again.")
            self._reload(everything=True)
            return
        if latest != self._seen_event:
            # An import (or anything else not an edit of known paragraphs) may have added
            # or removed paragraphs: the list is counted again, not only its rows re-read
            # (the count said 100 ¶ until ctrl+r while a teammate imported 50 more).
            try:
                recount = queries.changes_since(self.lk.store, self._seen_event).paragraphs is None
            except DatabaseUnreachable:
                recount = True
            self._reload(everything=True)
            if recount:
                self.query_one(Navigator).reload(
                    self.filter, self.data.id if self.data else None, follow=False
                )

    # --- messages from widgets -----------------------------------------------------------------

    @on(ParagraphHighlighted)
    def _highlighted(self, message: ParagraphHighlighted) -> None:
        self._follow_navigator(message.paragraph_id)

    def _follow_navigator(self, paragraph_id: int) -> None:
        """Open the paragraph the navigator's cursor is on (also called by the navigator
        directly, in the same turn as its cursor moves)."""
        nav = self.query_one(Navigator)
        row = nav.row(nav.cursor)
        if row is not None and row.id != paragraph_id:
            return  # the cursor moved on while this message waited: skip to the latest
        current = self.data.id if self.data else None
        if paragraph_id != current:
            self.open_paragraph(paragraph_id)

    @on(ParagraphChosen)
    def _chosen(self, message: ParagraphChosen) -> None:
        self._follow_navigator(message.paragraph_id)
        self.query_one(ParagraphView).focus()

    @on(SelectionChanged)
    def _selection_changed(self, _message: SelectionChanged) -> None:
        self._follow_selection()

    def _data_for(self, paragraph_id: int) -> ParagraphData:
        """The open paragraph's data, or a fresh read if the screen has moved on since."""
        if self.data is not None and self.data.id == paragraph_id:
            return self.data
        return ParagraphData.load(self.lk.store, paragraph_id, self.lk.annotator)

    @on(LabelRequested)
    def _label(self, message: LabelRequested) -> None:
        schema = self.lk.schemas.get(message.layer)
        paragraph_id = message.paragraph_id

        def change() -> str | None:
            return editing.apply_label(
                self.lk.store,
                self.lk.annotator,
                self._data_for(paragraph_id),
                message.layer,
                message.entry,
                message.start,
                message.end,
                schema=schema,
                anchor_id=self._anchors.get(paragraph_id),
                add=message.add,
            )

        before = (
            editing.new_anchor(
                schema, self._data_for(paragraph_id), message.entry, message.start, message.end
            )
            if schema is not None
            else None
        )
        anchored: list[Annotation] = []

        def set_anchor(data: ParagraphData) -> None:
            """The span the next arguments link to, set as the paragraph is read again after
            the edit, so that it is shown with the edit (not styled a second time after)."""
            if schema is None or data.id != paragraph_id:
                return
            anchor = editing.new_anchor(schema, data, message.entry, message.start, message.end)
            if anchor is not None and anchor.id != self._anchors.get(paragraph_id):
                self._anchors[paragraph_id] = anchor.id
                anchored.append(anchor)

        if not self._edit(change, before_show=set_anchor) or schema is None:
            return
        data = self._data_for(paragraph_id)
        if self.data is None or self.data.id != paragraph_id:  # (the screen moved on meanwhile)
            set_anchor(data)
        if not anchored:
            return
        anchor = anchored[0]
        if before is not None and before.id == anchor.id:  # a new one says "added" already
            self.notify(
                f"Arguments now link to {anchor.label} "
                f"«{data.text[anchor.start or 0 : anchor.end or 0]}»",
                timeout=2,
            )

    @on(AttributeStepRequested)
    def _attribute_step(self, message: AttributeStepRequested) -> None:
        step = message.key
        data = self._data_for(message.paragraph_id)
        target = editing.attribute_target(
            data, message.layer, step.field.name, (message.start, message.end), message.cursor
        )
        if target is None:
            self.notify(
                f"No {step.field.name} span under the cursor to set {step.attribute.name} on.",
                severity="warning",
                timeout=2,
            )
            return
        self._edit(
            lambda: editing.step_attribute(self.lk.store, self.lk.annotator, data, target, step)
        )

    @on(DeleteRequested)
    def _delete(self, message: DeleteRequested) -> None:
        try:
            target = self.lk.store.annotation(message.annotation_id)
        except StoreError:
            target = None  # already gone: change() says so
        owner = target.annotator if target is not None else self.lk.annotator
        if (
            target is not None
            and not is_suggestion(target.origin)
            and owner not in (self.lk.annotator, "import")
        ):
            # Someone else's work: one key more, so a wrong Delete does not destroy it.
            from layerkit.tui.screens.confirm import ConfirmModal

            label = target.label or target.field
            question = f"{label} was annotated by {owner}. Delete it anyway?"

            def answered(yes: bool | None) -> None:
                if yes:
                    self._delete_now(message)

            self.app.push_screen(
                ConfirmModal("Delete another annotator's work?", question), answered
            )
            return
        self._delete_now(message)

    def _delete_now(self, message: DeleteRequested) -> None:
        def change() -> str | None:
            try:
                target = self.lk.store.annotation(message.annotation_id)
            except StoreError:
                # A second Delete pressed before the screen showed the first one's effect (or
                # someone deleted it meanwhile): what was asked for is done; no error.
                return "Already deleted."
            data = self._data_for(target.paragraph_id)
            return editing.delete(
                self.lk.store,
                self.lk.annotator,
                data,
                domain_annotation(target),
                expected_version=message.version,
            )

        self._edit(change)

    @on(AnnotationChosen)
    def _annotation_chosen(self, message: AnnotationChosen) -> None:
        if self.data is None:
            return
        view = self.query_one(ParagraphView)
        if message.token is not None:
            view.select_token(message.token)
            view.focus()
            return
        chosen = self.data.by_id(message.annotation_id) if message.annotation_id else None
        if chosen is not None and chosen.start is None and chosen.source_id is not None:
            chosen = self.data.by_id(chosen.source_id)
        if chosen is not None and chosen.start is not None and chosen.end is not None:
            view.select_offsets(chosen.start, chosen.end)
        view.focus()

    @on(PanelResized)
    def _panel_resized(self, _message: PanelResized) -> None:
        self._prefetch_soon()  # the next paragraph drawn ahead again, at the new size

    @on(TokenHighlighted)
    def _token_highlighted(self, message: TokenHighlighted) -> None:
        self.query_one(ParagraphView).select_token(message.token)

    @on(Input.Submitted, "#search")
    def _search(self, message: Input.Submitted) -> None:
        self._search_for(message.value.strip())
        if not message.value.strip():  # no search left: the line goes (it stayed for good)
            self.query_one("#search", Input).display = False
        self.query_one(Navigator).focus()

    def _search_for(self, text: str) -> None:
        self.filter = replace(self.filter, text=text)
        self.query_one(Navigator).reload(
            self.filter, self.data.id if self.data else None, follow=True
        )

    def _edit(
        self,
        change: editing.Change,
        before_show: Callable[[ParagraphData], None] | None = None,
        *,
        sets_state: bool = False,
        try_again: Callable[[], object] | None = None,
    ) -> bool:
        """Run one store edit; show what it did, or the store's refusal in a modal. Whether it
        went through. ``before_show(data)`` gets the paragraph as read again after the edit,
        before it is shown (:meth:`open_paragraph`). A change to a done layer reopens it, which
        is said, unless the edit is one that ``sets_state`` (ctrl+d says what it did).
        ``try_again``: run before the error is shown when the change may simply be made again
        (the server cannot be reached, or another session held the paragraph past the busy
        timeout): a dialog's editor opened again with what was typed, under the error."""
        layer, shown = self.lk.layer, self.data
        was_done = shown is not None and shown.state(layer) == "done"
        try:
            said = change()
        except LayerkitError as exc:
            if try_again is not None and isinstance(exc, DatabaseUnreachable | DatabaseBusy):
                try_again()
            self._refused(exc)
            return False
        if said:
            self.notify(said, timeout=3)
        self._reload(edited=True, before_show=before_show)
        now = self.data
        if (
            was_done
            and not sets_state
            and now is not None
            and shown is not None
            and now.id == shown.id
            and now.state(layer) != "done"
        ):
            self.notify(
                f"{self.schema.title} reopened: it was done (ctrl+d marks it done again)",
                timeout=3,
            )
        return True

    def _refused(self, exc: LayerkitError) -> None:
        """Show the store's refusal of an edit, then what the others changed (a conflict);
        a server that cannot be reached cannot be read either: the screen stays as it is."""
        self.lk.show_error(exc)
        if not isinstance(exc, DatabaseUnreachable):
            self._reload(everything=True)

    # --- actions -------------------------------------------------------------------------------

    def action_layer(self, number: int) -> None:
        if not 1 <= number <= len(self.layer_schemas):
            return
        self.lk.layer = self.layer_schemas[number - 1].layer
        if self.filter.states:
            self.filter = replace(self.filter, layer=self.lk.layer)
            self.query_one(Navigator).reload(
                self.filter, self.data.id if self.data else None, follow=True
            )
        self._show(keep=True)
        self._prefetch_soon()  # the next paragraph drawn ahead on this layer

    def action_undo(self) -> None:
        self._undo_redo(redo=False)

    def action_redo(self) -> None:
        self._undo_redo(redo=True)

    def _undo_redo(self, *, redo: bool) -> None:
        app = self.lk
        try:
            event = app.store.redo(app.annotator) if redo else app.store.undo(app.annotator)
        except LayerkitError as exc:
            self._refused(exc)
            return
        if event is None:
            self.notify("Nothing to redo." if redo else "Nothing to undo.", timeout=2)
            return
        edit_id = event["payload"]["redoes" if redo else "undoes"]
        self.notify(
            editing.describe(queries.event(app.store, edit_id), redo=redo),
            timeout=3,
        )
        self._go_to(event["paragraph_id"], event["layer"])

    def _go_to(self, paragraph_id: int | None, layer: str | None) -> None:
        """Show where an undo or redo happened, so its effect is seen, not guessed."""
        if layer in self.lk.schemas.order:
            self.lk.layer = layer
        current = self.data.id if self.data else None
        if paragraph_id is not None and paragraph_id != current:
            self.open_paragraph(paragraph_id)
            self.query_one(Navigator).reload(self.filter, paragraph_id, follow=False)
            self._reload()
        else:
            self._reload(edited=paragraph_id is not None)  # the undo changed this one

    def action_done(self) -> None:
        """Mark the layer done here and go on to the next thing to do (in the work order:
        the next layer of this paragraph depth-first, this layer of the next paragraph
        breadth-first), as accepting moves on in Prodigy; on a done layer, reopen it and stay.
        ``ctrl+z`` comes back here, undoing the mark."""
        data = self.data
        if data is None:
            return
        app = self.lk
        layer, schema = app.layer, self.schema
        said: list[str | None] = []

        def change() -> None:
            said.append(editing.toggle_done(app.store, app.annotator, data, schema))

        if not self._edit(change, sets_state=True):
            return
        now = self.data
        done = now is not None and now.id == data.id and now.state(layer) == "done"
        found = (
            workflow.next_work(
                app.store, app.order, app.schemas.order, data.id, layer, app.annotator
            )
            if done
            else None
        )
        if found is None or found == (data.id, layer):
            message = said[0] if said else None
            if done:
                message = f"{message}. Every layer of every paragraph is done."
            if message:
                self.notify(message, timeout=3)
            return
        paragraph_id, next_layer = found
        title = app.schemas.get(next_layer).title
        where = "" if paragraph_id == data.id else " of the next paragraph to do"
        self.notify(f"{schema.title} marked done → {title}{where}", timeout=2)
        self._go_to(paragraph_id, next_layer)

    def on_resize(self) -> None:
        self.picker.place()
        self._place_token_table()  # (the breakpoint classes are set by now)

    def _place_token_table(self) -> None:
        """The token table needs the width: at 120-159 columns (``-wide``) the lexical layer
        keeps the side panel under the text (beside it, UPOS was cut and FEATS hidden:
        app.tcss). The class changes only where it matters: a class change restyles the
        whole screen, and a layer switch at another width paid for it (p95 11 → 19 ms)."""
        wanted = self.lk.layer == "lexical" and self.has_class("-wide")
        if self.has_class("-lexical") != wanted:
            self.set_class(wanted, "-lexical")

    @property
    def picker(self) -> RelationPicker:
        """The relation dialog (hidden while nobody is asked anything)."""
        return self.query_one(RelationPicker)

    def action_link(self) -> None:
        """Enter on a span: ask for the target span and the label, then save the relation."""
        data, schema = self.data, self.schema
        if data is None:
            return
        source = self.query_one(ParagraphView).focused_annotation()
        if source is None or source.kind != "span":
            self.notify("Put the cursor on a span to link it to another.", timeout=3)
            return
        fields = relations.fields_from(schema, source)
        if not fields:
            starts = sorted(
                {label for f in relations.relation_fields(schema) for label in f.source_labels}
            )
            self.notify(
                f"No relation of {schema.title} starts at a {source.label} span "
                f"(they start at {', '.join(starts)}).",
                timeout=4,
            )
            return
        targets = relations.targets(schema, data, source, fields)
        if not targets:
            ends = sorted({label for f in fields for label in f.target_labels})
            self.notify(
                f"No span to link {_quoted(data, source)} to: mark "
                f"{' or '.join(ends) or 'another span'} first.",
                timeout=4,
            )
            return
        linked = {
            a.target_id: a.label or a.field
            for a in data.of_layer(schema.layer, "relation")
            if a.source_id == source.id and a.target_id is not None
        }

        def save(picked: Picked | None) -> None:
            if picked is None or picked.target is None:
                return
            target = picked.target
            saved = self._edit(
                lambda: editing.create_relation(
                    self.lk.store,
                    self.lk.annotator,
                    self._data_for(data.id),
                    picked.field,
                    picked.label,
                    source,
                    target,
                )
            )
            if saved and picked.then_attributes and self.data is not None:
                made = relations.existing(
                    self.data, source.layer, picked.field, source.id or 0, target.id or 0
                )
                if made is not None:
                    self._edit_attributes_of(made)

        self.picker.open(
            save,
            f"Link {source.label} {_quoted(data, source)}",
            data.text,
            schema,
            fields,
            targets,
            start=relations.nearest(targets, source),
            preferred=source.label,
            linked=linked,
        )

    def action_edit_token(self) -> None:
        """Enter on a layer of tokens: edit the cursor token's lemma, UPOS and FEATS."""
        self._edit_token(self.query_one(ParagraphView).cursor_token)

    def _edit_token(self, index: int | None) -> None:
        data, schema = self.data, self.schema
        field = token_field(schema)
        if data is None or field is None or index is None or not 0 <= index < len(data.tokens):
            return
        from layerkit.tui.screens.token import TokenEditor

        row = token_rows(data, schema, field)[index]
        sentence = sentence_index(data.sentences, row.start)
        where = f"token {index + 1}/{len(data.tokens)}"
        if sentence is not None:
            where += f", sentence {sentence + 1}"
        inventory = feature_inventory(data, schema.layer)
        store, annotator, paragraph_id = self.lk.store, self.lk.annotator, data.id
        key = editing.token_draft_key(paragraph_id, schema.layer, field.name, row.start, row.end)
        base = row.annotation.version if row.annotation is not None else 0
        typed = self._token_draft(row, key, base)

        def keep_draft(values: tuple[str, str, str]) -> None:
            self._keep_draft(paragraph_id, {key: editing.token_draft(values)}, {key: base})

        def save(values: TokenValues | None) -> None:
            if values is None:  # (escape: the typing, a restored draft's too, thrown away)
                with suppress(LayerkitError):
                    store.discard_drafts(annotator, [key])
                return
            saved = self._edit(
                lambda: editing.edit_token(
                    self.lk.store,
                    self.lk.annotator,
                    self._data_for(data.id),
                    schema.layer,
                    field,
                    (row.start, row.end),
                    row.annotation,
                    values,
                ),
                # the server went away (or the paragraph was held): the editor comes back with
                # what was typed, under the error, to be saved again (it closed, and the typing
                # was lost)
                try_again=lambda: self.app.push_screen(
                    TokenEditor(field, row, where, inventory, typed=values, keep_draft=keep_draft),
                    save,
                ),
            )
            with suppress(LayerkitError):
                if saved:
                    store.discard_drafts(annotator, [key])
                else:  # refused: what was submitted comes back when the token is opened
                    keep_draft((values.lemma, values.upos, values.feats))

        self.app.push_screen(
            TokenEditor(field, row, where, inventory, typed=typed, keep_draft=keep_draft), save
        )

    def _keep_draft(self, paragraph_id: int, drafts: dict[str, str], bases: dict[str, int]) -> None:
        """Keep what an open editor holds as a draft. A draft is a safety net: failing to keep
        one must not interrupt typing, but is said, once until drafts are kept again (typing
        through an outage of the server, then killed, lost everything without a word)."""
        try:
            self.lk.store.save_drafts(self.lk.annotator, paragraph_id, drafts, bases=bases)
        except LayerkitError as exc:
            if not self._drafts_failing:
                self._drafts_failing = True
                self.notify(
                    f"What you type is not kept as a draft ({exc.title.lower()}): it stays in "
                    "the editor until saved, but a crash now would lose it.",
                    severity="warning",
                    timeout=6,
                )
            return
        if self._drafts_failing:
            self._drafts_failing = False
            self.notify("What you type is kept as a draft again.", timeout=3)

    def _token_draft(self, row: TokenRow, key: str, base: int) -> TokenValues | None:
        """The analysis typed into this token's editor and never saved (the process was
        killed, the terminal closed), to show again, said in a notice; None if there is none,
        or it is what the token holds now."""
        try:
            drafts = self.lk.store.drafts_typed_over(self.lk.annotator, [key])
        except LayerkitError:
            return None
        draft = drafts.get(key)
        typed = editing.typed_token(draft[0]) if draft is not None else None
        if draft is None or typed is None:
            return None
        now = (row.lemma, row.upos, row.feats if row.annotation is not None else "_")
        if (typed.lemma, typed.upos, typed.feats) == now:
            return None
        said = f"Restored the unsaved analysis typed for «{row.form}» (escape throws it away)"
        if draft[1] not in (None, base):
            said += f"; saved again meanwhile as {' '.join(now)}"
        self.notify(said + ".", timeout=5)
        return typed

    def action_edit_row(self) -> None:
        """``e`` in the side panel: a token's analysis, or another label for the line's span,
        relation or label, asked for with the label picker."""
        side = self.query_one(AnnotationList)
        row, data, schema = side.current_row, self.data, self.schema
        if side.context:
            self.notify("Lower layers are shown, not edited here (^l goes back).", timeout=2)
            return
        if row is None or data is None:
            return
        if row.token is not None:
            self._edit_token(row.token)
            return
        target = row.annotation
        field = schema.field(target.field) if target is not None else None
        if target is None or field is None or not field.labels:
            self.notify("Texts are edited with ^e.", timeout=2)
            return

        def save(picked: Picked | None) -> None:
            if picked is None:
                return
            saved = self._edit(
                lambda: editing.relabel(
                    self.lk.store,
                    self.lk.annotator,
                    self._data_for(data.id),
                    target,
                    picked.label,
                )
            )
            if saved and picked.then_attributes and self.data is not None:
                self._edit_attributes_of(self.data.by_id(target.id or 0))

        self.picker.open(
            save,
            f"Relabel {_described(data, target)}",
            data.text,
            schema,
            [field],
            preferred=target.label,
        )

    def action_edit_attributes(self) -> None:
        """``a`` in the side panel: the line's text attributes (a discourse relation's
        connective, pre-filled with a guess when it was linked)."""
        side = self.query_one(AnnotationList)
        row = side.current_row
        target = row.annotation if row is not None and not side.context else None
        self._edit_attributes_of(target)

    def _edit_attributes_of(self, target: Annotation | None) -> None:
        """Open the attribute editor on ``target`` (from the side panel's ``a``, or right after
        a relation linked with shift + its label key) and save what it returns as one edit."""
        data, schema = self.data, self.schema
        field = schema.field(target.field) if target is not None else None
        from layerkit.tui.screens.attributes import EDITABLE_TYPES, AttributesModal

        texts = (
            [a for a in field.attributes if a.type in EDITABLE_TYPES] if field is not None else []
        )
        if data is None or target is None or not texts:
            self.notify("This line has no attributes to write.", timeout=2)
            return
        current = dict(target.attrs or {})

        def save(values: dict[str, object] | None) -> None:
            if values is not None:
                self._edit(
                    lambda: editing.set_attributes(self.lk.store, self.lk.annotator, target, values)
                )

        modal = AttributesModal(f"{_described(data, target)}", texts, current)
        self.app.push_screen(modal, save)

    def action_accept(self) -> None:
        """Accept the model's analyses of every token of the cursor's sentence; on a layer
        without tokens, the model's suggestion under the cursor."""
        data, schema = self.data, self.schema
        field = token_field(schema)
        view = self.query_one(ParagraphView)
        cursor = view.cursor_offsets
        if data is not None and schema is not None and field is None:
            focused = view.focused_suggestion() or view.focused_annotation()
            self._edit(
                partial(
                    editing.accept_suggestion,
                    self.lk.store,
                    self.lk.annotator,
                    data,
                    schema.layer,
                    focused,
                )
            )
            return
        if data is None or field is None or cursor is None:
            return
        self._edit(
            partial(
                editing.accept_sentence,
                self.lk.store,
                self.lk.annotator,
                data,
                schema.layer,
                field,
                cursor[0],
            )
        )

    def action_accept_paragraph(self) -> None:
        """Accept the model's analyses of every token of the paragraph, or on a layer without
        tokens every suggestion of the layer here (one undo step)."""
        data, schema = self.data, self.schema
        field = token_field(schema)
        if data is not None and schema is not None and field is None:
            self._edit(
                partial(editing.accept_layer, self.lk.store, self.lk.annotator, data, schema.layer)
            )
            return
        if data is None or field is None:
            return
        self._edit(
            partial(
                editing.accept_paragraph,
                self.lk.store,
                self.lk.annotator,
                data,
                schema.layer,
                field,
            )
        )

    def action_context(self) -> None:
        """Show the lower layers' annotations in the side panel instead of this layer's."""
        self.context = not self.context
        self._show(keep=True)
        names = ", ".join(s.title for s in self.able.lower)
        said = f"Side panel: {names} (^l again: back)" if self.context else "Side panel: this layer"
        self.notify(said, timeout=2)

    def action_texts(self) -> None:
        """Open the free-text editor for what can be written here; saving is on closing."""
        data = self.data
        if data is None:
            return
        focused = self.query_one(ParagraphView).focused_annotation()
        slots = editing.text_slots(self.schema, data, focused)
        if not slots:
            anchored = [f.anchor_field for f in self.schema.fields if f.kind == "text"]
            hint = f" Put the cursor on a {anchored[0]} span first." if anchored else ""
            self.notify(f"{self.schema.title} has no text to write here.{hint}", timeout=3)
            return
        from layerkit.tui.screens.texts import TextsModal

        store, annotator, layer = self.lk.store, self.lk.annotator, self.schema.layer
        assert data.id is not None
        paragraph_id = data.id
        keys = [editing.draft_key(paragraph_id, layer, slot) for slot in slots]
        # the version of each text as shown now (0: none yet): what a draft is typed over
        shown = {key: slot.version for key, slot in zip(keys, slots, strict=True)}
        try:
            drafts = store.drafts_typed_over(annotator, keys)
        except LayerkitError:
            drafts = {}
        values = [
            drafts[key][0] if key in drafts else slot.value
            for key, slot in zip(keys, slots, strict=True)
        ]
        restored = sum(1 for v, slot in zip(values, slots, strict=True) if v != slot.value)
        # A draft typed over a text someone has saved again since: that text is shown beside
        # the draft (it was replaced unseen when the draft was saved).
        notes = [
            editing.changed_since_draft(slot)
            if key in drafts and drafts[key][1] not in (None, shown[key])
            else None
            for key, slot in zip(keys, slots, strict=True)
        ]
        if restored:
            changed = sum(1 for note in notes if note)
            also = f"; {changed} saved again meanwhile, shown above it" if changed else ""
            self.notify(f"Restored {restored} unsaved draft(s) of this text{also}.", timeout=4)

        def keep_draft(texts: list[str]) -> None:
            self._keep_draft(paragraph_id, dict(zip(keys, texts, strict=True)), shown)

        def save(values: list[str] | None) -> None:
            not_saved: list[bool] = []

            def again() -> None:
                # the server went away (or the paragraph was held): the editor comes back with
                # everything submitted, under the error (it closed, and what was typed since
                # the last draft, or all of it where the draft could not be written either,
                # was lost)
                not_saved.append(True)
                open_editor(list(values or []))

            saved = []
            for slot, value in zip(slots, values or [], strict=False):
                saved.append(
                    self._edit(
                        partial(editing.save_text, store, annotator, data, layer, slot, value),
                        try_again=again,
                    )
                )
                if not_saved:
                    return  # (the other texts are in the editor again, unsaved)
            refused = {
                key: value
                for key, value, ok in zip(keys, values or [], saved, strict=False)
                if not ok
            }
            with suppress(LayerkitError):
                # Saved (or nothing to save): those drafts are done with.
                store.discard_drafts(annotator, [k for k in keys if k not in refused])
                # Refused (someone saved the text meanwhile): exactly what was submitted is
                # kept, typed over the version it was, to come back beside theirs (the last
                # keys before ctrl+s were not in the timed draft yet).
                store.save_drafts(annotator, paragraph_id, refused, bases=shown)

        title = f"{self.schema.title} texts"
        if slots[0].anchor is not None and slots[0].anchor.start is not None:
            anchor = slots[0].anchor
            title += f" of «{data.text[anchor.start : anchor.end or anchor.start][:40]}»"

        def open_editor(texts: list[str]) -> None:
            self.app.push_screen(
                TextsModal(title, slots, values=texts, keep_draft=keep_draft, notes=notes), save
            )

        open_editor(values)

    def action_step_paragraph(self, step: int) -> None:
        """Open the next or previous paragraph of the list, at once (no message round trip,
        so fast repeated presses each move one paragraph)."""
        index, target = self._step_target(step)
        if target is None:
            self.notify("No more paragraphs this way.", timeout=2)
            return
        nav = self.query_one(Navigator)
        if index is not None:
            nav.set_cursor(index, announce=False)
            self.open_paragraph(target)
            return
        self.open_paragraph(target)
        nav.reload(self.filter, target, follow=False)

    def _step_target(self, step: int) -> tuple[int | None, int | None]:
        """Where ctrl+n (``step`` 1) or ctrl+p (-1) goes: the navigator's row index (None
        where the list must be reloaded there) and the paragraph id (None: no more paragraphs
        that way)."""
        nav = self.query_one(Navigator)
        current = self.data.id if self.data else None
        here = nav.row(nav.cursor)
        if here is not None and here.id == current:
            there = nav.row(nav.cursor + step)
            if there is not None:
                return nav.cursor + step, there.id
            if not 0 <= nav.cursor + step < nav.total:
                return None, None
        # The open paragraph is not at the navigator's cursor (it left the filter, or its page
        # is still loading): ask the index for the neighbour.
        return None, queries.neighbour(self.lk.store, current, step, self.filter)

    def action_next_work(self) -> None:
        """Open the next unfinished layer in the annotator's order (wrapping around once)."""
        app = self.lk
        current = self.data.id if self.data else None
        found = workflow.next_work(
            app.store, app.order, app.schemas.order, current, app.layer, app.annotator
        )
        if found is None:
            self.notify("Every layer of every paragraph is done.", timeout=3)
            return
        paragraph_id, layer = found
        if paragraph_id == current and layer == app.layer:
            self.notify(f"Only this one is left: {layer} here.", timeout=3)
            return
        self._go_to(paragraph_id, layer)

    def action_adjudicate(self) -> None:
        """Adjudicate this paragraph's layer (its copies must all be done)."""
        if self.data is not None:
            self.adjudicate(self.data.id, self.lk.layer)

    def adjudicate(self, paragraph_id: int, layer: str) -> None:
        """Open the adjudication dialog on a paragraph's layer; on ``n``, go on to the next
        paragraph and layer whose copies are all done."""
        app = self.lk
        self._go_to(paragraph_id, layer)

        def closed(result: str | None) -> None:
            self._reload()
            if result != NEXT:
                return
            store = app.store
            ready = adjudication.to_decide(store, adjudication.ready_to_adjudicate(store))
            here = (paragraph_id, layer)

            def place(item: tuple[int, str]) -> tuple[int, tuple[int, str]]:
                return item[0], store.layer_rank(item[1])

            # the ones after this in the list's order (bottom-up per paragraph), then around
            # (this one, adjudicated now, is usually no longer in the list)
            at = next((i for i, item in enumerate(ready) if place(item) > place(here)), 0)
            later = [item for item in ready[at:] + ready[:at] if item != here]
            if not later:
                self.notify("No other paragraph has all its copies done.", timeout=3)
                return
            self.adjudicate(*later[0])

        app.push_screen(
            AdjudicationModal(
                app.store,
                paragraph_id,
                layer,
                app.annotator,
                on_error=app.show_error,
                majority=app.majority,
            ),
            closed,
        )

    def action_toggle_order(self) -> None:
        app = self.lk
        app.set_order(workflow.other_order(app.order))
        explain = {
            "depth": "depth-first: ctrl+t finishes every layer of a paragraph, then the next",
            "breadth": "breadth-first: ctrl+t does this layer across paragraphs",
        }
        self.notify(explain[app.order].capitalize() + ".", timeout=3)
        self._show(keep=True)

    def action_cycle_state_filter(self) -> None:
        index = (
            STATE_FILTERS.index(self.filter.states) if self.filter.states in STATE_FILTERS else 0
        )
        states = STATE_FILTERS[(index + 1) % len(STATE_FILTERS)]
        self.filter = replace(self.filter, layer=self.lk.layer if states else None, states=states)
        self.query_one(Navigator).reload(
            self.filter, self.data.id if self.data else None, follow=True
        )

    def action_search(self) -> None:
        pane = self.query_one("#nav-pane")
        pane.display = True
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    def action_refresh(self) -> None:
        self._reload(everything=True)
        self.query_one(Navigator).reload(
            self.filter, self.data.id if self.data else None, follow=False
        )
        self.notify("Refreshed.", timeout=1)

    def action_toggle_navigator(self) -> None:
        pane = self.query_one("#nav-pane")
        pane.display = not pane.display
        if not pane.display:
            self.query_one(ParagraphView).focus()

    def action_help(self) -> None:
        from layerkit.tui.screens.help import HelpScreen, binding_rows
        from layerkit.tui.screens.token import TokenEditor

        titles = ", ".join(f"{n} {s.title}" for n, s in enumerate(self.layer_schemas, start=1))
        others = [b for b in self.BINDINGS if isinstance(b, Binding) and "layer(" not in b.action]
        sections = [
            (
                "anywhere",
                [
                    (f"1–{len(self.layer_schemas)}", f"Layer: {titles}"),
                    *binding_rows(others),
                    ("tab / shift+tab", "Next or previous pane: text, side panel, paragraph list"),
                    ("ctrl+q", "Quit (everything is saved as you go)"),
                ],
            ),
            (
                "text",
                [
                    *binding_rows(ParagraphView.BINDINGS),
                    ("label key", "Label the selection, token, sentence or paragraph (below)"),
                ],
            ),
            ("navigator", binding_rows(Navigator.BINDINGS)),
            (
                "side panel",
                [*binding_rows(AnnotationList.BINDINGS), ("enter", "Select it in the text")],
            ),
            (
                "link dialog",
                [
                    ("1–9 a–z", "Pick the target span (↑↓ and enter too)"),
                    ("label key", "Pick the relation's label: it is saved at once"),
                    ("↑ ↓ home end", "Move the highlight"),
                    *binding_rows(
                        b
                        for b in RelationPicker.BINDINGS
                        if isinstance(b, Binding) and not b.action.startswith("move(")
                    ),
                ],
            ),
            (
                "token editor",
                [
                    ("enter", "Save lemma, UPOS and FEATS (one ctrl+z takes it back)"),
                    ("→", "Take the greyed completion"),
                    ("tab / ↑ ↓", "Next or previous field"),
                    *binding_rows(TokenEditor.BINDINGS),
                ],
            ),
        ]
        self.app.push_screen(
            HelpScreen(sections, self.layer_schemas, self.lk.layer, self.lk.keymaps)
        )

    def key_escape(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            # escape ends the search: the list shows every paragraph again (it kept filtering
            # by the last text, with nothing on screen to say so)
            search.value = ""
            search.display = False
            if self.filter.text:
                self._search_for("")
            self.query_one(ParagraphView).focus()


def _quoted(data: ParagraphData, a: Annotation, limit: int = 24) -> str:
    piece = " ".join(data.text[a.start or 0 : a.end or 0].split())
    return "«" + (piece if len(piece) <= limit else piece[: limit - 1] + "…") + "»"


def _described(data: ParagraphData, a: Annotation) -> str:
    """A line's annotation in a few words, for a dialog's title."""
    if a.kind == "relation":
        source, target = data.by_id(a.source_id or -1), data.by_id(a.target_id or -1)
        ends = [_quoted(data, e) if e is not None else "?" for e in (source, target)]
        return f"{ends[0]} —{a.label}→ {ends[1]}"
    if a.start is not None:
        return f"{a.label} {_quoted(data, a)}"
    return f"{a.label} ({a.field})"


def keymaps_for(layers: tuple[LayerSchema, ...]) -> dict[str, KeyMap]:
    return {schema.layer: label_keys(schema, RESERVED_KEYS) for schema in layers}


def _view_titles(data: ParagraphData | None, schema: LayerSchema) -> tuple[str, str]:
    """The text view's border title and subtitle for ``data`` on ``schema``'s layer."""
    if data is None:
        return "no paragraph", ""
    row = data.row
    # an independent copy says so: the annotator must know the others cannot see it (and
    # that they cannot see the others')
    mine = " · your own copy" if schema.layer in data.assigned else ""
    state = data.state(schema.layer).replace("_", " ")  # "in progress", as people say it
    return (
        f"{row.document_name} · ¶{row.position + 1}",
        f"#{data.id} · {schema.layer}: {state}{mine}",
    )
