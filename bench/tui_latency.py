"""Per-keypress latency of ``layerkit annotate``, measured inside the app, on stores of growing size.

    .venv/bin/python bench/tui_latency.py                  # 100, 10k and 100k paragraphs
    .venv/bin/python bench/tui_latency.py --sizes 100000 --keys 400

For each size a store is built once (cached under --cache) from the sample corpus's texts, a
fifth of the paragraphs carrying layer states and a few spans. Then, in a fresh process, the
app runs headless (Textual's ``run_test``) and a script of keys is pressed (``SCRIPT``): the
issue's actions (next/previous paragraph, jump to the last paragraph, switch layer, select and
label a span, link it to another by the relation picker, undo) plus the token moves and focus
changes between them. Latency is from the moment the app receives the key event to the end
of the screen refresh that follows it (``call_after_refresh``, registered once the app has
stopped holding repaints for the key: see layerkit/tui/frames.py), so it includes the database
reads and the rendering the key causes. Printed per size: p50/p95 over the issue's actions,
p95 over every key, p95 per action, the time from start to the first paragraph on screen, and
the process's peak memory (RSS).

The last line is ``p95_ms=<float> paragraphs=<n>`` for the largest size. Goal: p95 < 16 ms,
flat from 100 to 100k paragraphs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median, quantiles

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("lexical", "semantic", "logical", "epistemic", "pragmatic")
PER_DOCUMENT = 500
VERBOSE = bool(os.environ.get("LK_BENCH_VERBOSE"))
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


async def measure(db: Path, presses: int) -> dict[str, float]:
    """Run the app headless on ``db`` and time ``presses`` keypresses inside it."""
    os.environ.setdefault("TEXTUAL_FPS", "240")  # as layerkit/tui/__init__.py sets it
    from textual import events

    from layerkit.tui import LayerkitApp, create_app
    from layerkit.tui.model import ParagraphData

    timings: list[float] = []
    by_key: list[tuple[str, float]] = []
    by_action: dict[str, list[float]] = {}
    pressed = [0]

    class TimedApp(LayerkitApp):
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
            # hold to end so that `done` below really follows the paint.
            while self.key_frames.holding:
                await asyncio.sleep(0)

            def done() -> None:
                ms = (time.perf_counter() - started) * 1000
                by_key.append((key, ms))
                by_action.setdefault(action, []).append(ms)
                if action in HEADLINE:
                    timings.append(ms)

            self.call_after_refresh(done)

    started = time.perf_counter()
    plain = create_app(str(db), "bench", poll_seconds=None)
    app = TimedApp(plain.store, plain.schemas, "bench", poll_seconds=None)
    async with app.run_test(size=(100, 30)) as pilot:
        while not isinstance(getattr(app.screen, "data", None), ParagraphData):
            await pilot.pause(0.001)
        opened = (time.perf_counter() - started) * 1000
        await app.workers.wait_for_complete()
        for i in range(presses):
            await pilot.press(KEYS[i % len(KEYS)])
        await pilot.pause()
    if VERBOSE:
        slow: dict[str, list[float]] = {}
        for key, ms in by_key:
            slow.setdefault(key, []).append(ms)
        for key, values in sorted(slow.items(), key=lambda kv: -max(kv[1])):
            print(key, [round(v, 1) for v in values], file=sys.stderr)
    p = quantiles(timings, n=100)
    every = [ms for _, ms in by_key]
    per_action = {
        f"p95_{name}": round(quantiles(values, n=100)[94], 1) if len(values) > 1 else values[0]
        for name, values in by_action.items()
    }
    return {
        "open_ms": round(opened, 1),
        "keys": len(timings),
        "p95_all_keys": round(quantiles(every, n=100)[94], 2),
        **per_action,
        "p50_ms": round(median(timings), 2),
        "p95_ms": round(p[94], 2),
        "max_ms": round(max(timings), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--keys", type=int, default=300, help="keypresses per size")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lk-bench")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child process: measure one store, print JSON
        print(json.dumps(asyncio.run(measure(args.measure, args.keys))))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    result: dict[str, float] = {}
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
        out = subprocess.run(
            [sys.executable, __file__, "--measure", str(work), "--keys", str(args.keys)],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"paragraphs={size} " + " ".join(f"{k}={v}" for k, v in result.items()))
    print(f"p95_ms={result['p95_ms']} paragraphs={sizes[-1]}")


if __name__ == "__main__":
    main()
