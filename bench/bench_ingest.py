"""Ingest throughput: synthetic .txt/.md/.html articles through the real ArchiveService.load_paths.

Writes N articles (mixed formats) into a temp directory, loads them into a fresh migrated SQLite
file (batches of files per transaction, as in production), then loads them again (all
unchanged).
Prints JSON: articles/s for both passes and peak memory.

    .venv/bin/python bench/bench_ingest.py --articles 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forumbot.config import Settings  # noqa: E402
from forumbot.services.archive import LOAD_BATCH_FILES, ArchiveService  # noqa: E402
from forumbot.storage.db import make_engine, make_sessionmaker, upgrade_database  # noqa: E402

_WORDS_TEXT = (
    "the of and to in a is that for it as was with be by on not this are or from at which "
    "but have an they were been one all their has would when if no will can more who its "
    "workers party struggle class movement history theory practice revolution union strike "
    "wages land farmers government capital labour democracy press freedom question answer "
    "debate comrade organisation congress resolution program internationalism solidarity "
    "economy crisis"
)
WORDS = _WORDS_TEXT.split()


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 24))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))


def write_articles(folder: Path, count: int, rng: random.Random) -> int:
    """Write `count` single-article files, a third each .txt, .md, .html; returns total bytes."""
    total = 0
    for n in range(count):
        title = f"Article {n}: " + " ".join(rng.choices(WORDS, k=5)).title()
        paragraphs = [paragraph(rng) for _ in range(rng.randint(3, 12))]
        kind = n % 3
        if kind == 0:
            path = folder / f"a{n:06d}.txt"
            body = title + "\n\n" + "\n\n".join(paragraphs) + "\n"
        elif kind == 1:
            path = folder / f"a{n:06d}.md"
            body = (
                f'---\ntitle: "{title}"\nauthor: Writer {n % 50}\ndate: 2024-0{1 + n % 9}-15\n'
                f"tags: [bench, t{n % 7}]\n---\n\n" + "\n\n".join(paragraphs) + "\n"
            )
        else:
            path = folder / f"a{n:06d}.html"
            inner = "".join(f"<p>{p}</p>\n" for p in paragraphs)
            body = (
                f"<!doctype html><html><head><title>{title}</title>"
                f'<meta name="author" content="Writer {n % 50}"></head>'
                f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>\n{inner}"
                "</article><footer>Footer text</footer></body></html>\n"
            )
        path.write_text(body, encoding="utf-8")
        total += len(body.encode())
    return total


async def load_once(url: str, folder: Path) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of all our threads, LoadReport)."""
    engine = make_engine(url)
    try:
        service = ArchiveService(make_sessionmaker(engine), Settings())
        started, cpu_started = time.perf_counter(), time.process_time()
        report = await service.load_paths([folder])
        return time.perf_counter() - started, time.process_time() - cpu_started, report
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--tracemalloc", action="store_true", help="peak Python heap (slower)")
    args = parser.parse_args()
    rng = random.Random(3)
    with tempfile.TemporaryDirectory(prefix="forumbot-bench-ingest-") as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        written = write_articles(folder, args.articles, rng)
        url = f"sqlite+aiosqlite:///{(Path(tmp) / 'bench.sqlite3').as_posix()}"
        asyncio.run(upgrade_database(url))
        if args.tracemalloc:
            tracemalloc.start()
        first_s, first_cpu, first = asyncio.run(load_once(url, folder))
        second_s, second_cpu, second = asyncio.run(load_once(url, folder))
        peak_heap = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        db_bytes = (Path(tmp) / "bench.sqlite3").stat().st_size
    result = {
        "benchmark": "ingest",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "articles": args.articles,
        "input_bytes": written,
        "files_per_transaction": LOAD_BATCH_FILES,
        "first_load": {
            "seconds": round(first_s, 2),
            "articles_per_s": round(len(first.loaded) / first_s, 1),
            "cpu_seconds": round(first_cpu, 2),
            "articles_per_cpu_s": round(len(first.loaded) / first_cpu, 1),
            "loaded": len(first.loaded),
            "errors": len(first.errors),
        },
        "reload_unchanged": {
            "seconds": round(second_s, 2),
            "articles_per_s": round(len(second.skipped) / second_s, 1),
            "cpu_seconds": round(second_cpu, 2),
            "skipped": len(second.skipped),
        },
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_python_heap_mib": round(peak_heap / 2**20, 1) if peak_heap is not None else None,
        "db_bytes": db_bytes,
        "target_articles_per_s": 500,
        "meets_target": len(first.loaded) / first_s >= 500,
    }
    if first.errors:
        result["first_errors"] = [(e.path, e.error) for e in first.errors[:5]]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
