"""What /search's presentation costs: the count of every-word matches ("37 passages hold every
word") and the filter-only listing, beside the search itself in the same run.

Reuses bench_search.py's synthetic archive (N passages of ~600 chars, Zipfian vocabulary, 300
authors; cached under bench/results/) and its query kinds. Per query kind it times
`search_passages` (limit 6, as a page of /search fetches), `count_matches` (capped at 1,000)
and the two together; then an author-filtered search with its count, and `browse_passages` for
an author alone (a filter-only /search). Wall and CPU milliseconds; prints JSON.

    .venv/bin/python bench/bench_search_page.py                 # 200k passages
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_search  # noqa: E402

from forumbot.storage.db import make_engine, make_sessionmaker  # noqa: E402
from forumbot.storage.search import (  # noqa: E402
    SearchFilters,
    browse_passages,
    count_matches,
    search_passages,
)

PAGE = 6  # a page of five and one more to know whether there is a next page


async def measure(url: str, queries: list[tuple[str, str]], authors: list[str]) -> dict[str, Any]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    timings: dict[str, list[tuple[str, float]]] = {
        "search": [],
        "count": [],
        "search_and_count": [],
    }
    cpu: dict[str, list[tuple[str, float]]] = {k: [] for k in timings}
    counted: list[int] = []
    try:
        async with sessions() as session:
            for _kind, query in queries[:50]:  # warm-up
                await search_passages(session, query, limit=PAGE)
                await count_matches(session, query)
            for kind, query in queries:
                for name in ("search", "count", "search_and_count"):
                    wall, proc = time.perf_counter(), time.process_time()
                    if name != "count":
                        await search_passages(session, query, limit=PAGE)
                    if name != "search":
                        n = await count_matches(session, query)
                        if name == "count":
                            counted.append(n)
                    timings[name].append((kind, (time.perf_counter() - wall) * 1000))
                    cpu[name].append((kind, (time.process_time() - proc) * 1000))
            filtered: list[tuple[str, float]] = []
            filtered_search: list[tuple[str, float]] = []
            listing: list[tuple[str, float]] = []
            for index, (kind, query) in enumerate(queries):
                author = authors[index % len(authors)]
                filters = SearchFilters(author=author)
                wall = time.perf_counter()
                await search_passages(session, query, filters=filters, limit=PAGE)
                filtered_search.append((kind, (time.perf_counter() - wall) * 1000))
                await count_matches(session, query, filters=filters)
                filtered.append((kind, (time.perf_counter() - wall) * 1000))
                if kind == "rare":  # one listing per author sample is enough
                    wall = time.perf_counter()
                    await browse_passages(session, filters, limit=PAGE)
                    listing.append(("author_only", (time.perf_counter() - wall) * 1000))
    finally:
        await engine.dispose()
    result: dict[str, Any] = {
        name: {"wall": bench_search.summarise(rows), "cpu": bench_search.summarise(cpu[name])}
        for name, rows in timings.items()
    }
    result["author_filtered_search"] = bench_search.summarise(filtered_search)
    result["author_filtered_search_and_count"] = bench_search.summarise(filtered)
    result["author_only_listing"] = bench_search.summarise(listing)
    result["counts"] = {
        "median": sorted(counted)[len(counted) // 2],
        "over_cap": sum(n > 1000 for n in counted),
        "queries": len(counted),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    args = parser.parse_args()
    gen = bench_search.Generator()
    build = bench_search.build_sqlite(args.passages, gen)
    path = Path(build["path"])
    queries = bench_search.make_queries(gen, bench_search.sample_passages(path), args.queries)
    with sqlite3.connect(path) as conn:
        authors = [r[0] for r in conn.execute("SELECT DISTINCT author FROM articles LIMIT 50")]
    load = [round(os.getloadavg()[0], 2)]
    url = f"sqlite+aiosqlite:///{path.as_posix()}"
    figures = asyncio.run(measure(url, queries, authors))
    load.append(round(os.getloadavg()[0], 2))
    print(
        json.dumps(
            {
                "benchmark": "search_page",
                "engine": "sqlite",
                "passages": args.passages,
                "build": build,
                "load_average_1m": load,
                "cpus": os.cpu_count(),
                **figures,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
