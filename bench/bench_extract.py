"""HTML main-text extraction on public benchmarks with gold text: forumbot beside trafilatura and
readability-lxml, on the same pages in the same run.

For every page of a dataset each extractor is timed (CPU time of this process) and its text is
scored against the gold text by 4-word shingles, the metric of the Scrapinghub/Zyte
article-extraction-benchmark: per page, shingle counts give true/false positives and negatives
normalised to sum to 1; precision is averaged over the pages where something was extracted,
recall over the pages whose gold text is not empty, and F1 is taken from the two means.
"No article" counts the pages with gold text for which the extractor returned nothing (or
raised). For forumbot the text is the article's passages (title excluded, as in the gold text),
exactly what `forumbot load` would store.

Datasets (public, for evaluation only, never committed; see bench/README.md to obtain them),
under --data (default $FORUMBOT_EXTRACTION_DATA or /work/evaldata/extraction):
  aeb            aeb/ground-truth.json + aeb/html/*.html.gz (181 news/blog pages)
  wcxb-dev       wcxb/dev/{ground-truth,html}: WCXB development split, article pages
  wcxb-test      wcxb/test/...: WCXB held-out split, article pages not also in dev (--holdout
                 only)

    .venv/bin/python bench/bench_extract.py [--datasets aeb,wcxb-dev] [--holdout] [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forumbot.domain.ingest import IngestError, parse_document  # noqa: E402

DEFAULT_DATA = os.environ.get("FORUMBOT_EXTRACTION_DATA", "/work/evaldata/extraction")
MAX_BYTES = 50 * 2**20
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    html: bytes
    body: str  # gold main text
    title: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Extracted:
    body: str
    title: str | None = None
    author: str | None = None


# -- datasets -----------------------------------------------------------------------------------


def aeb_pages(root: Path) -> Iterator[Page]:
    gold = json.loads((root / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(gold):
        html = gzip.decompress((root / "aeb" / "html" / f"{key}.html.gz").read_bytes())
        yield Page(key, html, gold[key].get("articleBody") or "")


def _urls(folder: Path) -> set[str]:
    return {
        json.loads(path.read_text(encoding="utf-8")).get("url") or ""
        for path in (folder / "ground-truth").glob("*.json")
    }


def wcxb_pages(root: Path, split: str, types: frozenset[str]) -> Iterator[Page]:
    """Pages of a WCXB split. The test split repeats 138 pages of the dev split (same URL):
    those are left out of it, so that it stays unseen."""
    folder = root / "wcxb" / split
    seen = _urls(root / "wcxb" / "dev") if split == "test" else set()
    for path in sorted((folder / "ground-truth").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        kind = data.get("_internal", {}).get("page_type", {}).get("primary")
        if kind not in types or data.get("url") in seen:
            continue
        gold = data.get("ground_truth", {})
        html = gzip.decompress((folder / "html" / f"{path.stem}.html.gz").read_bytes())
        yield Page(
            path.stem, html, gold.get("main_content") or "", gold.get("title"), gold.get("author")
        )


# -- extractors ---------------------------------------------------------------------------------


def run_forumbot(page: Page) -> Extracted:
    try:
        (article,) = parse_document("page.html", page.html, max_bytes=MAX_BYTES)
    except IngestError:
        return Extracted("")
    return Extracted("\n\n".join(article.paragraphs), article.title, article.author)


def run_trafilatura(page: Page) -> Extracted:
    import trafilatura

    html = page.html.decode("utf-8", errors="replace")
    doc = trafilatura.bare_extraction(html, include_comments=False, with_metadata=True)
    if doc is None:
        return Extracted("")
    return Extracted(doc.text or "", doc.title, doc.author)


def run_readability(page: Page) -> Extracted:
    from lxml import html as lxml_html
    from readability import Document

    doc = Document(page.html.decode("utf-8", errors="replace"))
    try:
        summary = doc.summary(html_partial=True)
        title = doc.short_title()
    except Exception:  # readability raises its own Unparseable and lxml errors on odd pages
        return Extracted("")
    root = lxml_html.fragment_fromstring(summary, create_parent="div")
    for node in root.iter():
        if node.tag in ("p", "div", "li", "br", "h1", "h2", "h3", "h4", "tr", "blockquote"):
            node.tail = "\n" + (node.tail or "")
    return Extracted(root.text_content(), title)


EXTRACTORS: dict[str, Callable[[Page], Extracted]] = {
    "forumbot": run_forumbot,
    "trafilatura": run_trafilatura,
    "readability-lxml": run_readability,
}


# -- scoring ------------------------------------------------------------------------------------


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _WORD.findall(text)
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def tp_fp_fn(gold: str, predicted: str) -> tuple[float, float, float]:
    want, got = shingles(gold), shingles(predicted)
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _norm(text: str | None) -> str:
    return " ".join(_WORD.findall((text or "").casefold()))


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    precisions = [r["tp"] / (r["tp"] + r["fp"]) for r in rows if r["tp"] + r["fp"] > 0]
    recalls = [r["tp"] / (r["tp"] + r["fn"]) for r in rows if r["tp"] + r["fn"] > 0]
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    cpu = sorted(r["cpu_ms"] for r in rows)
    with_gold = [r for r in rows if r["gold_words"]]
    missing = [r["id"] for r in with_gold if not r["words"]]
    titled = [r for r in rows if r["gold_title"] is not None]
    authored = [r for r in rows if r["gold_author"]]
    return {
        "pages": len(rows),
        "f1": round(f1, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "no_article": len(missing),
        "no_article_share": round(len(missing) / len(with_gold), 4) if with_gold else 0.0,
        "no_article_pages": missing[:20],
        "cpu_ms_p50": round(statistics.median(cpu), 2) if cpu else None,
        "cpu_ms_p95": round(cpu[int(0.95 * (len(cpu) - 1))], 2) if cpu else None,
        "cpu_ms_p99": round(cpu[int(0.99 * (len(cpu) - 1))], 2) if cpu else None,
        "title_exact": (
            round(sum(r["title_ok"] for r in titled) / len(titled), 3) if titled else None
        ),
        "author_match": (
            round(sum(r["author_ok"] for r in authored) / len(authored), 3) if authored else None
        ),
    }


def evaluate(pages: list[Page], names: list[str], details: list[dict[str, Any]] | None) -> Any:
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for page in pages:
        for name in names:  # interleaved, so every extractor sees the same machine load
            started = time.process_time()
            out = EXTRACTORS[name](page)
            cpu_ms = (time.process_time() - started) * 1000
            tp, fp, fn = tp_fp_fn(page.body, out.body)
            row = {
                "id": page.id,
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "cpu_ms": cpu_ms,
                "words": len(_WORD.findall(out.body)),
                "gold_words": len(_WORD.findall(page.body)),
                "gold_title": page.title,
                "title_ok": bool(page.title) and _norm(out.title) == _norm(page.title),
                "gold_author": page.author,
                "author_ok": bool(page.author) and _norm(out.author) == _norm(page.author),
            }
            rows[name].append(row)
            if details is not None:
                details.append({"extractor": name, **row, "title": out.title, "author": out.author})
    return {name: summarise(rows[name]) for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    parser.add_argument("--datasets", default="aeb,wcxb-dev", help="comma-separated")
    parser.add_argument(
        "--holdout", action="store_true", help="also (last) the held-out wcxb-test split"
    )
    parser.add_argument("--types", default="article", help="WCXB page types, comma-separated")
    parser.add_argument("--limit", type=int, default=0, help="at most N pages per dataset")
    parser.add_argument("--extractors", default=",".join(EXTRACTORS))
    parser.add_argument("--details", type=Path, help="write per-page rows (JSON lines) here")
    args = parser.parse_args()
    types = frozenset(args.types.split(","))
    names = [n for n in args.extractors.split(",") if n]
    unknown = sorted(set(names) - set(EXTRACTORS))
    if unknown:
        parser.error(f"unknown extractor(s): {', '.join(unknown)}")
    sources: dict[str, Callable[[], Iterator[Page]]] = {
        "aeb": lambda: aeb_pages(args.data),
        "wcxb-dev": lambda: wcxb_pages(args.data, "dev", types),
        "wcxb-test": lambda: wcxb_pages(args.data, "test", types),
    }
    datasets = [d for d in args.datasets.split(",") if d and d != "wcxb-test"]
    if args.holdout:
        datasets.append("wcxb-test")
    details: list[dict[str, Any]] | None = [] if args.details else None
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    results: dict[str, Any] = {}
    for dataset in datasets:
        if dataset not in sources:
            parser.error(f"unknown dataset {dataset!r} (known: {', '.join(sources)})")
        pages = list(sources[dataset]())
        if args.limit:
            pages = pages[: args.limit]
        rows = [] if details is not None else None
        results[dataset] = evaluate(pages, names, rows)
        if details is not None and rows is not None:
            details.extend({"dataset": dataset, **row} for row in rows)
    if args.details and details is not None:
        args.details.write_text("".join(json.dumps(r) + "\n" for r in details), encoding="utf-8")
    from importlib.metadata import version

    print(
        json.dumps(
            {
                "benchmark": "extract",
                "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "wall_s": round(time.perf_counter() - started, 1),
                "versions": {
                    "trafilatura": version("trafilatura"),
                    "readability-lxml": version("readability-lxml"),
                    "lxml": version("lxml"),
                },
                "targets": {"f1": 0.96, "no_article_share": 0.01, "cpu_ms_p50": 20},
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
