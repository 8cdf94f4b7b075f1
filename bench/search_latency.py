"""Text search latency at 100k paragraphs, on SQLite (FTS5) or PostgreSQL (LIKE + trigrams).

    .venv/bin/python bench/search_latency.py                         # SQLite, 100k paragraphs
    .venv/bin/python bench/search_latency.py --db postgresql://u@host/empty_db

The store is built once (SQLite: cached under --cache) by ``tui_latency.build_store``: the
sample corpus's texts, numbered. For each query the time of one page of ids
(``Store.search_paragraph_ids``), of the count, and of the navigator's first page and count
(``queries.paragraph_page``/``count`` with ``ParagraphFilter.text``), median of --repeat runs.
On PostgreSQL run ``ANALYZE paragraphs`` first (autovacuum does it soon after an import):
without statistics the planner reads every match before sorting.

Measured (2-core shared CPU; page / count in ms): SQLite, rare words 0.5 / 0.5, a word in a
seventh of the paragraphs ("город") 25 / 24, a letter in most ("м", 76k) 110 / 105 (before
``search_text``, 155 / 160). PostgreSQL 15 after ANALYZE: rare words 1 / 1, "город" 4 / 100,
"м" 8 / 300.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

QUERIES = [
    "м",
    "в",
    "на",
    "город",
    "что-то",
    "в городе",
    "и в на",
    "№99999",
    "ёлка",
    "несуществующее",
]


def _ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    from tui_latency import LAYERS, build_store

    from layerkit.store import Store, queries
    from layerkit.store.queries import ParagraphFilter

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="an empty PostgreSQL database URL (default: SQLite)")
    parser.add_argument("--paragraphs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()

    db: str | Path
    if args.db:
        db = args.db
        with Store.open(db, layer_order=LAYERS) as store:
            empty = store.summary().paragraphs == 0
        if empty:
            build_store(db, args.paragraphs)  # type: ignore[arg-type]  # Store.open takes URLs
    else:
        path = args.cache / f"layerkit-search-{args.paragraphs}.db"
        if not path.exists():
            build_store(path, args.paragraphs)
        db = path
    with Store.open(db, layer_order=LAYERS) as store:
        print(f"{'query':18} {'page':>8} {'count':>8} {'nav page':>9} {'nav count':>10}  hits")
        for query in QUERIES:
            filt = ParagraphFilter(text=query)
            page = _ms(partial(store.search_paragraph_ids, query, limit=100), args.repeat)
            count = _ms(partial(store.count_search_hits, query), args.repeat)
            nav_page = _ms(partial(queries.paragraph_page, store, 0, 50, filt), args.repeat)
            nav_count = _ms(partial(queries.count, store, filt), args.repeat)
            hits = store.count_search_hits(query)
            print(
                f"{query!r:18} {page:8.1f} {count:8.1f} {nav_page:9.1f} {nav_count:10.1f}  {hits}"
            )


if __name__ == "__main__":
    main()
