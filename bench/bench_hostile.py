"""Hostile files at the size limit: CPU time and memory of parsing one file, whatever it holds.

Each case is a file of FORUMBOT_MAX_FILE_BYTES (default 5 MiB; --bytes to change) built from one
of the shapes fuzzing found (issue 11) or that stress a parser: nesting, huge tag counts,
aliases, long lines, many comments. Each is parsed by `parse_document` in a fresh subprocess,
which reports its CPU time and its peak RSS above the RSS it had after importing forumbot.
Target: ≤ 5 s and ≤ 200 MB per file. Prints JSON.

    .venv/bin/python bench/bench_hostile.py [--bytes 5242880] [--cases a,b]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SENTENCE = "The harbour cranes moved again on Monday after a week of silence. "


def fill(head: str, unit: str, tail: str, size: int) -> str:
    count = max(1, (size - len(head) - len(tail)) // len(unit))
    return head + unit * count + tail


def _laughs(size: int) -> tuple[str, str]:
    levels = ["a: &a [" + ",".join(['"lol"'] * 9) + "]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "laughs.md", "---\n" + "\n".join(levels) + "\ndate: *i\n---\n" + SENTENCE * 10


CASES: dict[str, Callable[[int], tuple[str, str]]] = {
    "yaml_billion_laughs": _laughs,
    "yaml_many_tags": lambda n: (
        "tags.md",
        fill("---\ntags: [", "t1234567, ", "x]\n---\nBody.\n", n),
    ),
    "yaml_deep_nesting": lambda n: (
        "deep.md",
        "---\ntags: " + "[" * (n // 4) + "]" * (n // 4) + "\n---\nBody.\n",
    ),
    "html_jsonld_deep": lambda n: (
        "deep.html",
        fill("<html><head><script type='application/ld+json'>", "[", "</script></head>", n - 500)
        + f"<body><p>{SENTENCE * 4}</p></body></html>",
    ),
    "html_nested_divs": lambda n: ("divs.html", fill("<html><body>", "<div>", "<p>x</p>", n)),
    "html_unclosed_font": lambda n: ("font.html", fill("<p>", "<font size=2>x ", "</p>", n)),
    "html_many_paragraphs": lambda n: ("p.html", fill("<html><body>", "<p>word</p>", "", n)),
    "html_many_spans": lambda n: ("s.html", fill("<html><body>", "<span>a</span>", "", n)),
    "html_nested_lists": lambda n: ("l.html", fill("<html><body>", "<ul><li>", "x", n)),
    "html_nested_tables": lambda n: ("t.html", fill("<html><body>", "<table><tr><td>", "x", n)),
    "html_comment_items": lambda n: (
        "c.html",
        fill(
            f"<html><body><article><p>{SENTENCE * 4}</p></article><ol class='commentlist'>",
            "<li class='comment'><cite>A</cite><p>Agreed.</p></li>",
            "</ol></body></html>",
            n,
        ),
    ),
    "html_one_huge_paragraph": lambda n: ("big.html", fill("<p>", SENTENCE, "</p>", n)),
    "text_one_line": lambda n: ("line.txt", fill("", "word ", "\n", n)),
    "text_many_short_lines": lambda n: ("lines.txt", fill("", "Headline\n\n", "", n)),
    "text_says_comments": lambda n: (
        "says.txt",
        fill(SENTENCE + "\n\n", "  1. Ada says:\n     Yes.\n", "", n),
    ),
    "text_digest_teasers": lambda n: (
        "digest.txt",
        fill("", "Headline\n" + SENTENCE * 3 + "…\n\n", "", n),
    ),
    # saved web pages (issue 11): headers that are not alone, forum post numbers, bylines
    "text_comment_headers": lambda n: (
        "headers.txt",
        fill(SENTENCE * 2 + "\n", "12 Comments\nAda\nshort line\n", "", n),
    ),
    "text_forum_posts": lambda n: (
        "thread.txt",
        fill(
            "Thread\n",
            "".join(f"Ada\nPosts: 3\nMay 2, 2024\n#{i}\nYes.\n" for i in range(1, 2)),
            "",
            n,
        ),
    ),
    "text_invision_posts": lambda n: (
        "ipb.txt",
        fill(
            "Recommended Posts\n",
            "Ada\nPosted May 2, 2024\nAda\nMembers\nPosted May 2, 2024\nYes.\n",
            "",
            n,
        ),
    ),
    "text_bylines": lambda n: (
        "bylines.txt",
        fill("", "The cranes move again\nBy Jane Doe\n", "", n),
    ),
    "markdown_many_headings": lambda n: ("h.md", fill("", "## Part\n\ntext\n\n", "", n)),
}


def run_one(case: str, size: int) -> dict[str, object]:
    from forumbot.domain.ingest import IngestError, parse_document

    name, text = CASES[case](size)
    data = text.encode()[:size]
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    try:
        articles = parse_document(name, data, max_bytes=size)
        outcome = f"{len(articles)} article(s), {sum(len(a.paragraphs) for a in articles)} ¶"
    except IngestError as error:
        outcome = f"error: {error}"
    cpu = time.process_time() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "case": case,
        "bytes": len(data),
        "cpu_s": round(cpu, 2),
        "rss_growth_mib": round((peak - base_rss) / 1024, 1),
        "outcome": outcome[:120],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = int(os.environ.get("FORUMBOT_MAX_FILE_BYTES", 5 * 2**20))
    parser.add_argument("--bytes", type=int, default=default)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.bytes)))
        return
    rows = []
    for case in args.cases.split(","):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--one", case, "--bytes", str(args.bytes)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        row = json.loads(done.stdout) if done.returncode == 0 else {"case": case}
        if done.returncode:
            row["failed"] = done.stderr.strip().splitlines()[-1:] or ["?"]
        row["wall_s"] = round(time.perf_counter() - started, 2)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    ok = [r for r in rows if "cpu_s" in r]
    print(
        json.dumps(
            {
                "benchmark": "hostile",
                "load_average_1m": round(os.getloadavg()[0], 2),
                "bytes": args.bytes,
                "targets": {"cpu_s": 5, "rss_growth_mib": 200},
                "worst_cpu_s": max((float(str(r["cpu_s"])) for r in ok), default=None),
                "worst_rss_growth_mib": max(
                    (float(str(r["rss_growth_mib"])) for r in ok), default=None
                ),
                "cases": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
