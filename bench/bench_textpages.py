"""Web pages saved as text, scored against hand-checked expectations: title, author, reader
comments (found, their authors, none leaking into the body) and forum threads.

The pages are public and used for evaluation only; they are never committed (see
bench/README.md for how the set was built). Under --data (default
$FORUMBOT_TEXTPAGES_DATA or /work/evaldata/textpages):
  txt/<id>.txt      a page's text as the browser gives it (body.innerText)
  expected.json     {id: {"kind", "title", "author", "comments": [first authors...],
                     "snippet": text of a comment that must not be a passage}}
An expected author or title of null is not scored; "comments": [] means the saved text holds
no reader comments. A comment author of null means an anonymous comment.

    .venv/bin/python bench/bench_textpages.py [--data DIR] [--details]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forumbot.domain.ingest import IngestError, parse_document  # noqa: E402

DEFAULT_DATA = os.environ.get("FORUMBOT_TEXTPAGES_DATA", "/work/evaldata/textpages")
_WORD = re.compile(r"\w+")


def _norm(text: str | None) -> str:
    return " ".join(_WORD.findall((text or "").casefold()))


def score_page(key: str, text: bytes, want: dict[str, Any]) -> dict[str, Any]:
    started = time.process_time()
    try:
        articles = parse_document(f"{key}.txt", text, max_bytes=50 * 2**20)
    except IngestError as exc:
        return {"id": key, "error": str(exc)}
    cpu_ms = (time.process_time() - started) * 1000
    article = articles[0]
    comments = article.comments
    expected = want.get("comments") or []
    authors_ok = sum(
        1
        for index, name in enumerate(expected)
        if index < len(comments) and _norm(comments[index].author) == _norm(name)
    )
    body = _norm(" ".join(article.paragraphs))
    snippet = want.get("snippet")
    row: dict[str, Any] = {
        "id": key,
        "kind": want.get("kind"),
        "articles": len(articles),
        "title": article.title,
        "author": article.author,
        "comments": len(comments),
        "comment_authors": [c.author for c in comments[:3]],
        "title_ok": want.get("title") is not None and _norm(article.title) == _norm(want["title"]),
        "author_ok": want.get("author") is not None
        and _norm(article.author) == _norm(want["author"]),
        "comments_expected": bool(expected),
        "comments_found": bool(expected) and bool(comments),
        "false_comments": not expected and bool(comments),
        "comment_authors_ok": authors_ok,
        "comment_authors_expected": len(expected),
        "snippet_in_body": bool(snippet) and _norm(snippet) in body,
        "cpu_ms": round(cpu_ms, 2),
    }
    row["forum_handled"] = (
        want.get("kind") == "forum"
        and row["author_ok"]
        and len(comments) >= 2
        and authors_ok >= max(1, len(expected) // 2)
    )
    return row


def summarise(rows: list[dict[str, Any]], expected: dict[str, Any]) -> dict[str, Any]:
    ok = [r for r in rows if "error" not in r]

    def frac(hit: str, among: list[dict[str, Any]]) -> str:
        return f"{sum(1 for r in among if r[hit])}/{len(among)}"

    titled = [r for r in ok if expected[r["id"]].get("title") is not None]
    authored = [r for r in ok if expected[r["id"]].get("author") is not None]
    with_comments = [r for r in ok if r["comments_expected"]]
    without = [r for r in ok if not r["comments_expected"]]
    with_snippet = [r for r in ok if expected[r["id"]].get("snippet")]
    forums = [r for r in ok if r["kind"] == "forum"]
    blogs = [r for r in ok if r["kind"] != "forum"]
    return {
        "pages": len(rows),
        "errors": [r["id"] for r in rows if "error" in r],
        "one_article": frac("one", [{"one": r["articles"] == 1} for r in ok]),
        "title": frac("title_ok", titled),
        "author": frac("author_ok", authored),
        "blog_title": frac("title_ok", [r for r in blogs if r in titled]),
        "blog_author": frac("author_ok", [r for r in blogs if r in authored]),
        "comments_found": frac("comments_found", with_comments),
        "comments_where_none": frac("false_comments", without),
        "comment_authors": (
            f"{sum(r['comment_authors_ok'] for r in with_comments)}"
            f"/{sum(r['comment_authors_expected'] for r in with_comments)}"
        ),
        "comment_text_in_body": frac("snippet_in_body", with_snippet),
        "forum_handled": frac("forum_handled", forums),
        "forum_title": frac("title_ok", forums),
        "forum_author": frac("author_ok", forums),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    parser.add_argument("--details", action="store_true", help="print every page's row too")
    args = parser.parse_args()
    expected = json.loads((args.data / "expected.json").read_text(encoding="utf-8"))
    load_before = os.getloadavg()[0]
    rows = [
        score_page(key, (args.data / "txt" / f"{key}.txt").read_bytes(), want)
        for key, want in sorted(expected.items())
    ]
    out: dict[str, Any] = {
        "benchmark": "textpages",
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "results": summarise(rows, expected),
    }
    if args.details:
        out["pages"] = rows
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
