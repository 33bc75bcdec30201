"""Article metadata that pages declare in JSON-LD (`<script type="application/ld+json">`):
many news sites put their only reliable author and date there rather than in the markup."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

MAX_JSONLD_CHARS = 200_000  # larger blobs are app state, not article metadata
ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
        "opinionnewsarticle", "scholarlyarticle", "techarticle", "socialmediaposting",
        "discussionforumposting", "liveblogposting", "webpage",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class JsonLdArticle:
    author: str | None = None
    date: str | None = None


def jsonld_article(root: etree._Element) -> JsonLdArticle:
    """Author name(s) and datePublished of the first article-like JSON-LD object (an
    Article/NewsArticle/BlogPosting beats a plain WebPage). Malformed JSON is ignored."""
    best: dict[str, object] | None = None
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = script.text or ""
        if not raw.strip() or len(raw) > MAX_JSONLD_CHARS:
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # malformed, or nested past the recursion limit
            continue
        for node in _objects(data):
            kinds = _types(node)
            if kinds & (ARTICLE_TYPES - {"webpage"}):
                best = node
                break
            if best is None and "webpage" in kinds:
                best = node
        if best is not None and _types(best) - {"webpage"}:
            break
    if best is None:
        return JsonLdArticle()
    date = best.get("datePublished")
    return JsonLdArticle(
        author=_names(best.get("author")), date=date if isinstance(date, str) else None
    )


def _objects(data: object, depth: int = 0) -> Iterator[dict[str, object]]:
    """Every JSON object at the top level, in lists, and in @graph (bounded depth)."""
    if depth > 3:
        return
    if isinstance(data, list):
        for item in data:
            yield from _objects(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _objects(graph, depth + 1)


def _types(node: dict[str, object]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def _names(author: object) -> str | None:
    """ "Ada Mensah", {"name": ...}, or a list of either -> "A, B"."""
    people = author if isinstance(author, list) else [author]
    names = []
    for person in people:
        if isinstance(person, str):
            names.append(person.strip())
        elif isinstance(person, dict) and isinstance(person.get("name"), str):
            names.append(str(person["name"]).strip())
    names = [n for n in names if n]
    return ", ".join(dict.fromkeys(names)) or None
