"""Run forumbot's feed parsing and entry mapping over public feed test corpora (evaluation only;
the corpora are never committed), beside feedparser's own verdict on the same files.

Corpora (fetch them for evaluation, keep them outside the repository):

* feedparser's test suite (github.com/kurtmckee/feedparser, BSD-2-Clause): every `*.xml` and
  `*.json` under `tests/` (well-formed, ill-formed, encodings, entities, HTTP cases).
* gofeed's testdata (github.com/mmcdole/gofeed, MIT): every `*.xml` under `testdata/`, and the
  `*.json` files that are feeds. gofeed keeps the parse it expects beside each input as a JSON
  file of the same name (`x.xml` -> `x.json`) or `*_expected.json`; those are not feeds and are
  left out.

For each document, forumbot's path as the poller takes it: `parse_feed` (feedparser for RSS and
Atom; JSON Feed is our own mapping of the JSON, since feedparser 6.0 does not read JSON Feed),
then every entry through `entry_document` and the file pipeline (`page_articles` when the entry
has a link, as the poller does for a full-text entry, else `parse_document`).

Outcomes per document: `accepted` (entries come out), `refused` (FeedParseError, a one-line
reason), `crashed` (any other exception out of parse_feed: must be 0); among refusals,
`refused_internal` counts the catch-all "could not be parsed (SomeError)" reasons (a bug
caught, not a clear reason). Per entry: `mapped` (articles), `no_text` (IngestError: the entry
has nothing to show and no page to fetch), `entry_crashed` (any other exception: must be 0).
Beside it, feedparser 6's own `bozo` flag on the same bytes (parse(data), nothing else).

    .venv/bin/python bench/eval_feeds.py --feedparser DIR/feedparser --gofeed DIR/gofeed \
        [--details FILE] [--limit N]

Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser

from forumbot.domain.feeds import FeedParseError, entry_document, parse_feed
from forumbot.domain.ingest import IngestError, parse_document
from forumbot.services.links import page_articles

FEED_URL = "http://example.org/feed"
MAX_BYTES = 5_000_000  # FORUMBOT_MAX_FILE_BYTES's default


def feedparser_documents(root: Path) -> list[Path]:
    tests = root / "tests"
    return sorted(p for p in tests.rglob("*") if p.suffix in (".xml", ".json") and p.is_file())


def gofeed_documents(root: Path) -> list[Path]:
    data = root / "testdata"
    found = []
    for path in sorted(data.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".xml":
            found.append(path)
        elif path.suffix == ".json":
            if path.stem.endswith("_expected") or path.with_suffix(".xml").exists():
                continue  # the parse gofeed expects, not a feed
            found.append(path)
    return found


def family(path: Path, data: bytes) -> str:
    """The document's format as its corpus files it (before anyone parses it)."""
    parts = {p.lower() for p in path.parts}
    if path.suffix == ".json" or "json" in parts:
        return "json"
    if "atom" in parts or "atom10" in parts:
        return "atom"
    if "rdf" in parts:
        return "rdf"
    if "rss" in parts:
        return "rss"
    head = data[:2000].lower()
    if b"<feed" in head:
        return "atom"
    if b"<rdf:rdf" in head:
        return "rdf"
    if b"<rss" in head:
        return "rss"
    return "other"


def ours(data: bytes) -> dict[str, Any]:
    started = time.process_time()
    out: dict[str, Any] = {"entries": 0, "mapped": 0, "no_text": 0, "entry_crashed": 0}
    try:
        parsed = parse_feed(data, url=FEED_URL)
    except FeedParseError as exc:
        out.update(outcome="refused", reason=str(exc))
    except Exception as exc:  # a crash: what the evaluation is looking for
        out.update(outcome="crashed", reason=f"{type(exc).__name__}: {exc}"[:300])
    else:
        out.update(outcome="accepted", version=parsed.version)
        for entry in parsed.entries:
            out["entries"] += 1
            try:
                page = entry_document(entry, feed_title=parsed.title)
                if page is None:
                    raise IngestError("the entry has no text")
                if entry.link and entry.link.startswith(("http://", "https://")):
                    page_articles(entry.link, page, "utf-8", max_bytes=MAX_BYTES)
                else:
                    parse_document("entry.html", page, max_bytes=MAX_BYTES)
                out["mapped"] += 1
            except IngestError:
                out["no_text"] += 1
            except Exception as exc:
                out["entry_crashed"] += 1
                out.setdefault("entry_errors", []).append(f"{type(exc).__name__}: {exc}"[:200])
    out["cpu_s"] = time.process_time() - started
    return out


def theirs(data: bytes) -> dict[str, Any]:
    started = time.process_time()
    try:
        result = feedparser.parse(data)
        bozo = bool(result.get("bozo"))
        version = str(result.get("version") or "")
        entries = len(result.get("entries") or [])
        reason = type(result.get("bozo_exception")).__name__ if bozo else None
    except Exception as exc:  # feedparser itself raising (it should not)
        bozo, version, entries, reason = True, "", 0, f"raised {type(exc).__name__}"
    return {
        "bozo": bozo,
        "version": version,
        "entries": entries,
        "reason": reason,
        "cpu_s": time.process_time() - started,
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    outcomes = Counter(r["ours"]["outcome"] for r in rows)
    internal = sum(
        1
        for r in rows
        if r["ours"]["outcome"] == "refused" and "could not be parsed" in r["ours"]["reason"]
    )
    bozo = sum(r["feedparser"]["bozo"] for r in rows)
    entries = Counter()
    for r in rows:
        for key in ("entries", "mapped", "no_text", "entry_crashed"):
            entries[key] += r["ours"][key]
    both = Counter(
        (r["ours"]["outcome"], "bozo" if r["feedparser"]["bozo"] else "clean") for r in rows
    )
    return {
        "documents": len(rows),
        "accepted": outcomes["accepted"],
        "refused": outcomes["refused"],
        "refused_internal": internal,
        "crashed": outcomes["crashed"],
        "entries": dict(entries),
        "feedparser_bozo": bozo,
        "feedparser_bozo_rate": round(bozo / len(rows), 4) if rows else None,
        "ours_vs_bozo": {f"{a}/{b}": n for (a, b), n in sorted(both.items())},
        "cpu_s": {
            "ours": round(sum(r["ours"]["cpu_s"] for r in rows), 2),
            "feedparser": round(sum(r["feedparser"]["cpu_s"] for r in rows), 2),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feedparser", type=Path, help="a checkout of kurtmckee/feedparser")
    ap.add_argument("--gofeed", type=Path, help="a checkout of mmcdole/gofeed")
    ap.add_argument("--limit", type=int, default=0, help="at most N documents per corpus")
    ap.add_argument("--details", type=Path, help="write every document's outcome here (JSONL)")
    args = ap.parse_args()
    corpora: dict[str, list[Path]] = {}
    if args.feedparser:
        corpora["feedparser-tests"] = feedparser_documents(args.feedparser)
    if args.gofeed:
        corpora["gofeed-testdata"] = gofeed_documents(args.gofeed)
    if not any(corpora.values()):
        ap.error("no documents: give --feedparser and/or --gofeed checkouts")
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    for corpus, paths in corpora.items():
        for path in paths[: args.limit or None]:
            data = path.read_bytes()
            root = args.feedparser if corpus == "feedparser-tests" else args.gofeed
            rows.append(
                {
                    "corpus": corpus,
                    "path": str(path.relative_to(root)),
                    "format": family(path, data),
                    "ours": ours(data),
                    "feedparser": theirs(data),
                }
            )
    by_corpus = defaultdict(list)
    by_format = defaultdict(list)
    by_version = defaultdict(list)
    for r in rows:
        by_corpus[r["corpus"]].append(r)
        by_format[r["format"]].append(r)
        by_version[r["ours"].get("version") or "-"].append(r)
    refusals = Counter(
        r["ours"]["reason"].split(":")[0][:80] for r in rows if r["ours"]["outcome"] == "refused"
    )
    report = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "feedparser_version": feedparser.__version__,
        "total": summarise(rows),
        "per_corpus": {k: summarise(v) for k, v in sorted(by_corpus.items())},
        "per_format": {k: summarise(v) for k, v in sorted(by_format.items())},
        "accepted_as": {k: len(v) for k, v in sorted(by_version.items()) if k != "-"},
        "refusal_reasons": dict(refusals.most_common()),
        "crashes": [
            {"path": r["path"], "reason": r["ours"]["reason"]}
            for r in rows
            if r["ours"]["outcome"] == "crashed"
        ]
        + [
            {"path": r["path"], "entry_errors": r["ours"]["entry_errors"][:3]}
            for r in rows
            if r["ours"]["entry_crashed"]
        ],
        "json_feed": [
            {
                "path": r["path"],
                "ours": r["ours"]["outcome"],
                "reason": r["ours"].get("reason"),
                "entries": r["ours"]["entries"],
                "mapped": r["ours"]["mapped"],
                "feedparser_bozo": r["feedparser"]["bozo"],
                "feedparser_entries": r["feedparser"]["entries"],
            }
            for r in rows
            if r["format"] == "json"
        ],
    }
    if args.details:
        with args.details.open("w") as out:
            for r in rows:
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
