"""Per-keypress latency of ``layerkit annotate``, measured inside the app, on stores of growing size.

    .venv/bin/python bench/tui_latency.py                  # 100, 10k and 100k paragraphs
    .venv/bin/python bench/tui_latency.py --sizes 100000 --keys 400

For each size a store is built once (cached under --cache) from the sample corpus's texts, a
fifth of the paragraphs carrying layer states and a few spans. Then, in a fresh process, the
app runs headless (Textual's ``run_test``, with the notices the real app shows: Textual's
test mode leaves them out unless asked) and a script of keys is pressed (``SCRIPT``): the
issue's actions (next/previous paragraph, jump to the last paragraph, switch layer, select and
label a span, link it to another by the relation picker, undo) plus the token moves and focus
changes between them. Latency is from the moment the app receives the key event to the end
of the screen refresh that follows it (``call_after_refresh``, registered once the app has
stopped holding repaints for the key: see layerkit/tui/frames.py), so it includes the database
reads and the rendering the key causes. Printed per size: p50/p95 over the issue's actions,
p95 over every key, p95 per action, the time from start to the first paragraph on screen, and
the process's peak memory (RSS).

The floor (issue 14): a bare Textual app (``Bare``: one Static whose text changes on each key,
same terminal size, same frame rate) driven by the same keys and timed the same way
(``timed``), in a second process run alongside: the two take turns, a block of
:data:`BLOCK` keys each (floor, annotator, floor, ...), with a pause after each of the
annotator's blocks for its timers, so that a slow or a fast stretch of this shared machine
weighs on both alike (``measure_interleaved``). Until 2026-12-06 the floor's keys ran in the
annotator's process, half just before the annotator's and half just after: a slow stretch of
the machine during one of the three moved the ratio by a third either way. Printed per size:
``floor_p50_ms``, ``floor_p95_ms``, ``floor_max_ms`` and ``ratio_p95`` (the annotator's p95
over the issue's actions / the floor's p95), then a table of these. ``--floor-keys 0`` skips
the floor.

A second floor, in the floor's process after its blocks: the same bare app, its Static
filling the screen inside a border, each key replacing all its lines with styled Russian text
(``bare_app(full_screen=True)``): what Textual alone takes to repaint a whole screen, as the
annotator's keys that show another paragraph or layer must. Printed: ``full_p50_ms``,
``full_p95_ms`` and ``ratio_full_p95`` (the annotator's p95 over the issue's actions / this
floor's p95). It is not the issue's floor; it says how much of the distance to that floor is
Textual's own painting, which no change to the annotator can remove.

First visits (since 2026-12-06, twenty-first session): the script goes back and forth
between the same few paragraphs, so from its second pass on every paragraph it opens was
shown before, and its lines are recalled. An annotator mostly moves on to paragraphs never
shown. After the script, the annotator's process presses ctrl+n through ``--visits``
paragraphs never shown on the lexical layer, then as many on the semantic layer, at an
annotator's pace (``VISIT_PAUSE``: 0.3 s between keys, time for the read-ahead the app does
while one reads): printed ``first_visit_<layer>_p50_ms``, ``_p95_ms`` and ``_max_ms``, then a
table of these. They are not part of the ratio (the floor is not paced alike).

The last line is ``p95_ms=<float> paragraphs=<n>`` for the largest size, followed by the floor's
p95 there, the ratio, the full-screen floor's p95 and ratio, the worst ratio over all sizes,
the first visits' p95 (the worse layer's) against 16 ms, and the verdict (the issue's ratio
and 16 ms, first visits included). Goal: p95 at most 4x the
floor's at the largest size, and under 16 ms where the floor allows it (read here as: where the
floor's own p95 is under 16 ms), flat from 100 to 100k paragraphs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from statistics import median, quantiles
from typing import Any, ClassVar

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("lexical", "semantic", "logical", "epistemic", "pragmatic")
PER_DOCUMENT = 500
# The script: (key, action). The actions are the issue's: next/previous paragraph, jump to the
# last paragraph, switch layer, select + label a span, add a relation, undo; "move" (token
# cursor) and "focus" (moving between panels, needed to reach the navigator) are timed too but
# reported apart, so the headline figure is about the listed actions.
SCRIPT: list[tuple[str, str]] = [
    ("ctrl+n", "next/prev"),
    ("2", "layer"),
    ("right", "move"),
    ("shift+right", "select+label"),
    ("p", "select+label"),  # PREDICATE
    ("right", "move"),
    ("right", "move"),
    ("a", "select+label"),  # AGENT
    ("enter", "relation"),  # link from the AGENT: the target list opens
    ("enter", "relation"),  # the nearest PREDICATE
    ("enter", "relation"),  # the label (AGENT, preselected): saved
    ("ctrl+z", "undo"),
    ("ctrl+z", "undo"),
    ("ctrl+z", "undo"),
    ("down", "move"),
    ("up", "move"),
    ("ctrl+p", "next/prev"),
    ("ctrl+n", "next/prev"),
    ("3", "layer"),
    ("4", "layer"),
    ("5", "layer"),
    ("1", "layer"),
    ("shift+tab", "focus"),  # the navigator
    ("end", "jump"),  # the last paragraph of the store
    ("home", "jump"),  # and the first
    ("tab", "focus"),  # back to the text
    ("ctrl+n", "next/prev"),
]
KEYS = [key for key, _ in SCRIPT]
HEADLINE = ("next/prev", "jump", "layer", "select+label", "relation", "undo")
#: the goal of issue 14: p95 at most this many times the floor's (at the largest size) ...
GOAL_RATIO = 4.0
#: ... and under this many ms, where the floor's own p95 is under it
GOAL_MS = 16.0
SIZE = (100, 30)  # the terminal, for the annotator and the floor alike


def build_store(path: Path, paragraphs: int) -> None:
    """A store of ``paragraphs`` paragraphs made from the sample corpus's texts (numbered, so
    none is a duplicate), with layer states and spans on every fifth."""
    sys.path.insert(0, str(REPO))
    from layerkit.store import NewDocument, NewParagraph, Store

    texts = [
        block.strip().replace("\n", " ")
        for name in ("science.txt", "news.txt", "fiction.txt", "official.txt")
        for block in (REPO / "sample_corpus" / name).read_text(encoding="utf-8").split("\n\n")
        if len(block.strip()) > 80
    ]
    with Store.open(path, layer_order=LAYERS) as store, store.bulk() as writer:
        made = 0
        while made < paragraphs:
            batch = []
            for i in range(min(PER_DOCUMENT, paragraphs - made)):
                n = made + i
                text = f"{texts[n % len(texts)]} (№{n})"
                tokens = [[m.start(), m.end()] for m in re.finditer(r"\w+|[^\w\s]", text)]
                sentences = [[m.start(), m.end()] for m in re.finditer(r"[^.!?]+[.!?)]*", text)]
                annotations = []
                status = {}
                if n % 5 == 0:
                    status = {"lexical": {"state": "done"}, "semantic": {"state": "in_progress"}}
                    annotations = [
                        {
                            "layer": "semantic",
                            "kind": "span",
                            "field": "frame",
                            "start": s,
                            "end": e,
                            "label": "AGENT",
                        }
                        for s, e in tokens[:6:2]
                    ]
                batch.append(
                    NewParagraph(
                        text=text,
                        sentences=sentences,
                        tokens=tokens,
                        flags=[],
                        meta={},
                        annotations=annotations,
                        status=status,
                    )
                )
            writer.add_document(
                NewDocument(
                    name=f"bench-{made // PER_DOCUMENT}",
                    source="bench",
                    format="text",
                    meta={},
                    paragraphs=batch,
                )
            )
            made += len(batch)


def timed(base: type[Any], record: Callable[[str, str, float], None]) -> type[Any]:
    """``base`` (a Textual app class) timing each key: ``record(key, action, ms)``, ``action``
    being the key's in ``SCRIPT`` (keys are pressed in its order). The annotator and the floor
    are both timed by this one class."""
    from textual import events

    pressed = [0]

    class TimedApp(base):  # type: ignore[misc,valid-type]
        """Times each key from its arrival to the end of the refresh after all it caused
        (bindings, actions, and the messages they post, such as the navigator's) is done."""

        async def on_event(self, event: events.Event) -> None:
            if isinstance(event, events.Key) and not event.is_forwarded:
                started = time.perf_counter()
                action = SCRIPT[pressed[0] % len(SCRIPT)][1]
                pressed[0] += 1
                await super().on_event(event)
                self.run_worker(self._time_key(event.key, action, started), exclusive=False)
                return
            await super().on_event(event)

        async def _time_key(self, key: str, action: str, started: float) -> None:
            quiet = 0
            while quiet < 3:  # three turns of the event loop with every queue empty
                await asyncio.sleep(0)
                pumps = [self, *self.screen_stack, *self.screen.walk_children()]
                busy = any(not pump._message_queue.empty() for pump in pumps)
                quiet = 0 if busy else quiet + 1
            # While the app holds repaints (layerkit/tui/frames.py), Textual runs
            # call_after_refresh callbacks at once, before anything is painted: wait for the
            # hold to end so that `done` below really follows the paint. (The floor's bare app
            # holds nothing.)
            frames = getattr(self, "key_frames", None)
            while frames is not None and frames.holding:
                await asyncio.sleep(0)

            def done() -> None:
                record(key, action, (time.perf_counter() - started) * 1000)

            self.call_after_refresh(done)

    return TimedApp


@asynccontextmanager
async def bare_app(
    record: Callable[[str, str, float], None], full_screen: bool = False
) -> AsyncIterator[Callable[[int], Awaitable[None]]]:
    """The floor: a bare Textual app, one Static whose text changes on each key (by a binding,
    as the annotator's keys are), driven and timed as the annotator is. Yields ``press(n)``,
    which presses the script's next ``n`` keys.

    ``full_screen``: the Static fills the screen inside a border, and each key replaces all of
    its lines with styled Russian text, as a key that shows a new paragraph or a new layer
    changes most of the annotator's screen: what Textual alone takes to repaint a whole screen
    on this machine."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.binding import Binding, BindingType
    from textual.widgets import Static

    lines = SIZE[1] - 2

    class Bare(App[None]):
        ENABLE_COMMAND_PALETTE = False  # ctrl+p is one of the script's keys
        CSS = "Static { border: round $primary; height: 1fr; }" if full_screen else ""
        # priority: no key goes anywhere else first (tab to the focus chain, say)
        BINDINGS: ClassVar[list[BindingType]] = [
            Binding(key, f"show({key!r})", priority=True) for key in dict.fromkeys(KEYS)
        ]

        def compose(self) -> ComposeResult:
            yield Static("ready")

        def on_mount(self) -> None:
            self.shown = self.query_one(Static)
            self.count = 0

        def action_show(self, key: str) -> None:
            self.count += 1
            if not full_screen:
                self.shown.update(f"{key} #{self.count}")
                return
            text = Text()
            for line in range(lines):
                text.append(f"{key} #{self.count}.{line} ", style="bold")
                text.append("Мама мыла раму, а папа читал газету. " * 2 + "\n", style="#ff8800")
            self.shown.update(text)

    app = timed(Bare, record)()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        yield Presser(pilot)


class Presser:
    """``press(n)``: the script's next ``n`` keys on ``pilot``'s app, then a pause, so that
    every key's timing is in when it returns. ``pilot``: for keys off the script."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self._pressed = 0

    async def __call__(self, n: int) -> None:
        for _ in range(n):
            await self.pilot.press(KEYS[self._pressed % len(KEYS)])
            self._pressed += 1
        await self.pilot.pause()


@asynccontextmanager
async def annotator(
    db: Path, record: Callable[[str, str, float], None], opened: list[float]
) -> AsyncIterator[Presser]:
    """The annotator, headless, on ``db``, timed; yields ``press(n)`` once the first paragraph
    is on screen (the time that took, in ms, is appended to ``opened``)."""
    os.environ.setdefault("TEXTUAL_FPS", "240")  # as layerkit/tui/__init__.py sets it
    from layerkit.tui import LayerkitApp, create_app
    from layerkit.tui.model import ParagraphData

    started = time.perf_counter()
    plain = create_app(str(db), "bench", poll_seconds=None)
    app = timed(LayerkitApp, record)(plain.store, plain.schemas, "bench", poll_seconds=None)
    # notifications=True: the notices the real app shows (Textual's test mode hides them by
    # default, and until 2026-12-06 this bench measured keys without them: see the README)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        while not isinstance(getattr(app.screen, "data", None), ParagraphData):
            await pilot.pause(0.001)
        opened.append((time.perf_counter() - started) * 1000)
        await app.workers.wait_for_complete()
        yield Presser(pilot)


async def measure(db: Path, presses: int) -> dict[str, float]:
    """The annotator alone, in this process: ``presses`` keys timed on ``db`` (no floor; for
    profiling scripts that wrap the app's functions)."""
    timings: list[tuple[str, str, float]] = []
    opened: list[float] = []
    async with annotator(db, lambda *timing: timings.append(timing), opened) as press:
        await press(presses)
    return figures(timings, [], [], opened[0])


def figures(
    timings: list[tuple[str, str, float]],
    floor: list[float],
    full: list[float],
    opened_ms: float,
    peak_rss_mb: float | None = None,
    visits: dict[str, list[float]] | None = None,
) -> dict[str, float]:
    """The printed figures of one size from the raw timings: ``timings`` the annotator's
    (key, action, ms), ``floor`` and ``full`` the two floors' ms, ``visits`` the first
    visits' ms by layer."""
    headline = [ms for _, action, ms in timings if action in HEADLINE]
    by_action: dict[str, list[float]] = {}
    for _, action, ms in timings:
        by_action.setdefault(action, []).append(ms)
    p = quantiles(headline, n=100)
    per_action = {
        f"p95_{name}": round(quantiles(values, n=100)[94], 1) if len(values) > 1 else values[0]
        for name, values in by_action.items()
    }
    floor_figures: dict[str, float] = {}
    if len(floor) > 1:
        floor_p95 = quantiles(floor, n=100)[94]
        floor_figures = {
            "floor_p50_ms": round(median(floor), 2),
            "floor_p95_ms": round(floor_p95, 2),
            "floor_max_ms": round(max(floor), 2),
            "ratio_p95": round(p[94] / floor_p95, 2),
        }
    if len(full) > 1:
        full_p95 = quantiles(full, n=100)[94]
        floor_figures.update(
            full_p50_ms=round(median(full), 2),
            full_p95_ms=round(full_p95, 2),
            ratio_full_p95=round(p[94] / full_p95, 2),
        )
    if peak_rss_mb is None:
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "open_ms": round(opened_ms, 1),
        "keys": len(headline),
        "p95_all_keys": round(quantiles([ms for *_, ms in timings], n=100)[94], 2),
        **per_action,
        "p50_ms": round(median(headline), 2),
        "p95_ms": round(p[94], 2),
        "max_ms": round(max(headline), 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
        **floor_figures,
        **{
            f"first_visit_{layer}_{name}_ms": round(value, 2)
            for layer, values in (visits or {}).items()
            if len(values) > 1
            for name, value in (
                ("p50", median(values)),
                ("p95", quantiles(values, n=100, method="inclusive")[94]),
                ("max", max(values)),
            )
        },
    }


async def serve_blocks(press: Callable[[int], Awaitable[None]]) -> None:
    """A measuring child's side of the parent's protocol (see :func:`measure_interleaved`):
    "ready" once its app is up; on "press N" the script's next N keys, then "done"; on "end"
    it returns. Textual redirects ``sys.stdout`` while an app runs, so answers go to the
    process's own stdout."""
    loop = asyncio.get_running_loop()

    def say(word: str) -> None:
        assert sys.__stdout__ is not None
        sys.__stdout__.write(word + "\n")
        sys.__stdout__.flush()

    say("ready")
    while True:
        command = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not command or command[0] == "end":
            return
        await press(int(command[1]))
        say("done")


#: first visits (``--visits``): the layers they are measured on, by their keys
VISIT_LAYERS = {"lexical": "1", "semantic": "2"}
#: seconds between first visits: an annotator who only skims, three paragraphs a second
VISIT_PAUSE = 0.3


async def first_visits(
    press: Presser, timings: list[tuple[str, str, float]], per_layer: int
) -> dict[str, list[float]]:
    """ctrl+n through ``per_layer`` paragraphs never shown before, on each layer of
    :data:`VISIT_LAYERS`, at an annotator's pace (:data:`VISIT_PAUSE` between keys): what
    moving on to the next paragraph costs, which the script, going back and forth between
    the same few paragraphs, measures only as revisits. The timings are taken from
    ``timings`` (where the timed app records every key)."""
    visits: dict[str, list[float]] = {}
    pilot = press.pilot
    for layer, key in VISIT_LAYERS.items():
        await pilot.press(key)
        await pilot.pause(VISIT_PAUSE)
        first = len(timings)
        for _ in range(per_layer):
            await pilot.press("ctrl+n")
            await pilot.pause(VISIT_PAUSE)
        visits[layer] = [ms for *_, ms in timings[first:]]
    return visits


async def child_annotator(db: Path, visits: int) -> dict[str, Any]:
    timings: list[tuple[str, str, float]] = []
    opened: list[float] = []
    async with annotator(db, lambda *timing: timings.append(timing), opened) as press:
        await serve_blocks(press)
        script = list(timings)
        visited = await first_visits(press, timings, visits) if visits else {}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"timings": script, "visits": visited, "opened_ms": opened[0], "peak_rss_mb": rss}


async def child_floor(full_presses: int) -> dict[str, Any]:
    floor: list[float] = []
    full: list[float] = []
    async with bare_app(lambda key, action, ms: floor.append(ms)) as press:
        await serve_blocks(press)
    gc.collect()
    async with bare_app(lambda key, action, ms: full.append(ms), full_screen=True) as press:
        await press(full_presses)
    return {"floor": floor, "full": full}


class Child:
    """A measuring child process, driven block by block over its stdin and stdout."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        self._expect("ready")

    def _expect(self, word: str) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != word:
            self.process.kill()
            raise RuntimeError(f"measuring child said {line!r}, not {word!r}")

    def press(self, n: int) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"press {n}\n")
        self.process.stdin.flush()
        self._expect("done")

    def finish(self) -> dict[str, Any]:
        out, _ = self.process.communicate("end\n")
        if self.process.returncode:
            raise RuntimeError(f"measuring child exited {self.process.returncode}")
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result


#: keys per block of the interleaved run; not a multiple of the script's length, so that the
#: blocks start on different keys
BLOCK = 40
#: the pause after each of the annotator's blocks, before the floor's next block: the
#: annotator's timers run in it (the position saved 0.5 s after the last key, the idle full
#: collection once 0.8 s pass without a key, on its 0.4 s tick) and never during the floor's keys
SETTLE_SECONDS = 1.3


def measure_interleaved(
    db: Path, presses: int, floor_presses: int, visits: int = 0
) -> dict[str, float]:
    """The annotator and the floor in two child processes, their keys in alternate blocks of
    :data:`BLOCK` (floor, annotator, floor, ...), so that a slow or fast stretch of the
    machine weighs on both alike; then the annotator's first visits (``visits`` a layer)
    and the full-screen floor."""
    annotator_child = Child("--measure", str(db), "--visits", str(visits))
    floor_child = Child("--floor", str(floor_presses)) if floor_presses else None
    done_annotator = done_floor = 0
    while done_annotator < presses or (floor_child and done_floor < floor_presses):
        if floor_child and done_floor < floor_presses:
            n = min(BLOCK, floor_presses - done_floor)
            floor_child.press(n)
            done_floor += n
        if done_annotator < presses:
            n = min(BLOCK, presses - done_annotator)
            annotator_child.press(n)
            done_annotator += n
            time.sleep(SETTLE_SECONDS)
    ran = annotator_child.finish()
    floors = floor_child.finish() if floor_child else {"floor": [], "full": []}
    timings = [tuple(timing) for timing in ran["timings"]]
    return figures(
        timings,  # type: ignore[arg-type]
        floors["floor"],
        floors["full"],
        ran["opened_ms"],
        ran["peak_rss_mb"],
        ran["visits"],
    )


def verdict(results: dict[int, dict[str, float]]) -> str:
    """The last line: the largest size's p95, its floor and ratio, the worst ratio, the goal."""
    size = max(results)
    last = results[size]
    line = f"p95_ms={last['p95_ms']} paragraphs={size}"
    if "ratio_p95" not in last:
        return line
    worst = max(results, key=lambda n: results[n]["ratio_p95"])
    ratio_ok = last["ratio_p95"] <= GOAL_RATIO
    floor_allows = last["floor_p95_ms"] < GOAL_MS
    ms_ok = last["p95_ms"] < GOAL_MS or not floor_allows
    full = (
        f" full_screen_floor_p95_ms={last['full_p95_ms']} ratio_full_p95={last['ratio_full_p95']}"
        if "ratio_full_p95" in last
        else ""
    )
    # first visits are not in the ratio (the floor is not paced alike), but are held to the
    # same 16 ms: moving on to a new paragraph is what an annotator does most
    visits = [last[f"first_visit_{layer}_p95_ms"] for layer in VISIT_LAYERS
              if f"first_visit_{layer}_p95_ms" in last]  # fmt: skip
    visits_ok = not visits or max(visits) < GOAL_MS
    visited = (
        f" first_visit_p95_ms={max(visits)} first_visits<{GOAL_MS:g}ms:"
        f"{'yes' if visits_ok else 'NO'}"
        if visits
        else ""
    )
    return (
        f"{line} floor_p95_ms={last['floor_p95_ms']} ratio_p95={last['ratio_p95']}{full}"
        f" worst_ratio={results[worst]['ratio_p95']}@{worst}"
        f" ratio<={GOAL_RATIO:g}:{'yes' if ratio_ok else 'NO'}"
        f" p95<{GOAL_MS:g}ms:{('yes' if ms_ok else 'NO') if floor_allows else 'n/a(floor)'}"
        f"{visited} goal={'met' if ratio_ok and ms_ok and visits_ok else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--keys", type=int, default=300, help="keypresses per size")
    parser.add_argument(
        "--floor-keys",
        type=int,
        help="keypresses per size on the bare app (the floor), half before and half after the "
        "annotator's; default: as --keys; 0: no floor",
    )
    parser.add_argument(
        "--visits",
        type=int,
        default=30,
        help="first visits (ctrl+n to a paragraph never shown, at an annotator's pace) per "
        "layer, after the script; 0: none",
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lk-bench")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    floor_keys = args.keys if args.floor_keys is None else args.floor_keys
    if args.measure:  # a measuring child: the annotator on one store; JSON at the end
        print(json.dumps(asyncio.run(child_annotator(args.measure, args.visits))))
        return
    if args.floor is not None:  # a measuring child: the floors; JSON at the end
        print(json.dumps(asyncio.run(child_floor(args.floor))))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, float]] = {}
    for size in sizes:
        db = args.cache / f"bench-{size}.db"
        if not db.exists():
            started = time.perf_counter()
            build_store(db, size)
            print(f"built {db} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        # A fresh copy per run, so the label/undo keys never pile up events between runs.
        # Streamed: the measuring child inherits this process's peak RSS across fork/exec.
        work = args.cache / f"run-{size}.db"
        shutil.copyfile(db, work)
        # The copy's pages on their way to disk, not the app's first write: a store's first
        # commit syncs its new WAL, and an fsync then waited on the whole copy (0.4 s for the
        # first label at 100k paragraphs, one key of the 222 timed).
        os.sync()
        result = measure_interleaved(work, args.keys, floor_keys, args.visits)
        results[size] = result
        print(f"paragraphs={size} " + " ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    if floor_keys:
        columns = (
            "p50_ms",
            "p95_ms",
            "floor_p50_ms",
            "floor_p95_ms",
            "ratio_p95",
            "full_p50_ms",
            "full_p95_ms",
            "ratio_full_p95",
        )
        print(f"{'paragraphs':>10} " + " ".join(f"{c:>12}" for c in columns))
        for size, result in results.items():
            print(f"{size:>10} " + " ".join(f"{result.get(c, '-'):>12}" for c in columns))
    if args.visits:
        columns = tuple(
            f"first_visit_{layer}_{name}_ms" for layer in VISIT_LAYERS for name in ("p50", "p95")
        )
        print(f"{'paragraphs':>10} " + " ".join(f"{c:>30}" for c in columns))
        for size, result in results.items():
            print(f"{size:>10} " + " ".join(f"{result.get(c, '-'):>30}" for c in columns))
    print(verdict(results))


if __name__ == "__main__":
    main()
