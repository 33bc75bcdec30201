"""What to post for an article, decided before any call to Discord: thread title, starter
message (with the reconciliation marker), passage chunks and imported comments. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MESSAGE_LIMIT = 2000
THREAD_NAME_LIMIT = 100
MAX_APPLIED_TAGS = 5
TAG_NAME_LIMIT = 20


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    kind: str  # "passages" | "comment"
    content: str
    first_passage: int | None = None
    last_passage: int | None = None


@dataclass(frozen=True, slots=True)
class PublishPlan:
    title: str
    starter: str
    tags: tuple[str, ...]
    messages: tuple[PlannedMessage, ...]


def shorten(text: str, limit: int) -> str:
    """Cut `text` to `limit` chars, visibly (ends with an ellipsis) when it had to be cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def thread_title(title: str) -> str:
    return shorten(title, THREAD_NAME_LIMIT) or "Untitled"


def marker_for(article_id: int, revision: int, publication_id: int) -> str:
    """A short reference written into the starter message; unique per publication."""
    return f"archive ref A{article_id}.R{revision}.P{publication_id}"


def _split_text(text: str, limit: int) -> list[str]:
    """Split plain text into pieces <= limit, preferring line then word boundaries."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def tag_names(tags: Sequence[str]) -> tuple[str, ...]:
    """Forum tag names for an article: <= 20 chars each, no duplicates, at most 5."""
    names: list[str] = []
    for tag in tags:
        name = shorten(tag, TAG_NAME_LIMIT)
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return tuple(names[:MAX_APPLIED_TAGS])


def build_plan(article: Any, *, marker: str) -> PublishPlan:
    """Everything to post for an article (an ArchiveRepository record), before any call."""
    from forumbot.domain.chunking import chunk_passages, passage_label

    title = thread_title(article.title)
    lines = [f"**{shorten(article.title, 400)}**"]
    byline = []
    if article.author:
        byline.append(f"by {shorten(article.author, 200)}")
    if article.date:
        byline.append(str(article.date))
    if byline:
        lines.append(" · ".join(byline))
    if article.source:
        lines.append(f"Source: <{shorten(article.source, 500)}>")
    passages = [(p.number, p.text) for p in article.passages]
    # Only imported reader comments are posted; comments made on Discord are already there.
    comments = [
        c
        for c in getattr(article, "comments", ()) or ()
        if getattr(c, "origin", "imported") == "imported"
    ]
    lines.append(f"{len(passages)} passages · {len(comments)} reader comments")
    lines.append(f"-# {marker}")
    starter = "\n".join(lines)

    # A section heading is shown above the first passage under it, never numbered.
    headings = {p.number: getattr(p, "heading", None) for p in article.passages}
    opens = {
        number
        for number, _text in passages
        if headings[number] and headings[number] != headings.get(number - 1)
    }

    def label(number: int, continued: bool) -> str:
        marker = passage_label(number, continued)
        if number in opens and not continued:
            return f"### {shorten(str(headings[number]), 200)}\n{marker}"
        return marker

    messages: list[PlannedMessage] = []
    for chunk in chunk_passages(passages, limit=MESSAGE_LIMIT, label=label):
        messages.append(
            PlannedMessage(
                kind="passages",
                content=chunk.text,
                first_passage=min(chunk.passages),
                last_passage=max(chunk.passages),
            )
        )
    for comment in comments:
        who = shorten(comment.author or "a reader", 100)
        head = f"💬 Reader comment {comment.position} by **{who}** (imported):\n"
        for i, piece in enumerate(_split_text(comment.text, MESSAGE_LIMIT - len(head) - 10)):
            prefix = head if i == 0 else "💬 (continued)\n"
            messages.append(PlannedMessage(kind="comment", content=prefix + piece))
    return PublishPlan(
        title=title, starter=starter, tags=tag_names(article.tags or ()), messages=tuple(messages)
    )


def revision_notice(
    old: int, new: int, passages: int, *, edited: int = 0, added: int = 0, removed: int = 0
) -> str:
    changes = []
    if edited:
        changes.append(f"{edited} message{'s' if edited != 1 else ''} above edited")
    if added:
        changes.append(f"{added} added below")
    if removed:
        changes.append(f"{removed} emptied")
    done = "; ".join(changes) or "no passage changed"
    return (
        f"📝 **Revised in the archive** (revision {old} → {new}, now {passages} passages): "
        f"{done}. The passages here are the current text that `/cite` quotes."
    )


def removed_chunk(revision: int, kind: str = "passages") -> str:
    what = "This comment was" if kind == "comment" else "These passages were"
    return f"-# ({what} removed in revision {revision}.)"
