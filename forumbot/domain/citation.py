"""Citations: parse a passage range and format a quote exactly as the bot posts it on Discord.

Pure functions, no Discord import: the output is Discord markdown text that
- quotes the passages as block-quote lines (`> `), one numbered paragraph per passage,
- ends with an attribution line (`— *Title*, Author, ¶12–14` and the jump link when given),
- neutralises markdown in the article text that could break the quote or ping anyone,
- never exceeds `limit` characters: the quoted text is shortened visibly, never the attribution.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

MAX_SPAN = 20
DISCORD_LIMIT = 2000
SHORTENED = "… *[shortened]*"
UNTITLED = "Untitled article"
# The attribution is never cut, so its free-text parts are capped to leave room for the quote.
TITLE_MAX = 200
AUTHOR_MAX = 100
JUMP_URL_MAX = 300
SECTION_MAX = 80

_RANGE_RE = re.compile(r"^\s*¶?\s*(\d{1,9})\s*(?:[-–—]\s*¶?\s*(\d{1,9})\s*)?$")
_URL_RE = re.compile(r"https?://[^\s<>]+")
# Characters that start or end inline markdown (bold, italics, strike, spoiler, code, links,
# mentions/timestamps like <@123>, and the escape character itself).
_INLINE_RE = re.compile(r"([\\*_~|`\[\]<>])")
# Line starts that Discord turns into headings, lists, subtext or (nested) quotes.
_LINE_START_RE = re.compile(r"^(\s*)(#{1,3}\s|-#\s|[-+*]\s|\d+[.)]\s|>)")
_MASS_MENTION_RE = re.compile(r"@(everyone|here)", re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\u2028\u2029]")


def parse_passage_range(text: str, *, max_span: int = MAX_SPAN) -> tuple[int, int]:
    """`"12"` → (12, 12); `"12-14"`, `"12–14"`, `" 12 - 14 "` → (12, 14).

    Raises ValueError with a message fit to show a user.
    """
    match = _RANGE_RE.match(text or "")
    if not match:
        raise ValueError(
            f"not a passage or range: {text.strip()[:40]!r} (use e.g. 12 or 12-14)"
            if text and text.strip()
            else "no passage given (use e.g. 12 or 12-14)"
        )
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else first
    if first < 1:
        raise ValueError("passages are numbered from 1")
    if last < first:
        raise ValueError(f"range runs backwards: {first}-{last} (write {last}-{first})")
    if last - first + 1 > max_span:
        raise ValueError(
            f"range {first}-{last} spans {last - first + 1} passages; at most {max_span} at once"
        )
    return first, last


def discord_length(text: str) -> int:
    """Length as Discord counts it (UTF-16 code units): conservative for astral characters."""
    return len(text.encode("utf-16-le")) // 2


def neutralise_mentions(text: str) -> str:
    """`@everyone`/`@here` → with a zero-width space, so they never look (or act) like a ping."""
    return _MASS_MENTION_RE.sub(lambda m: "@\u200b" + m.group(1), text)


def escape_inline(text: str) -> str:
    """Escape markdown in one line of article text; URLs are kept as they are so they still work."""
    out: list[str] = []
    pos = 0
    for url in _URL_RE.finditer(text):
        out.append(_INLINE_RE.sub(r"\\\1", text[pos : url.start()]))
        out.append(url.group(0))
        pos = url.end()
    out.append(_INLINE_RE.sub(r"\\\1", text[pos:]))
    return neutralise_mentions("".join(out))


# The article's own emphasis, kept as it is (search snippets show it the same way): **bold**,
# *italics*, __underline__, _italics_ (underscores only at word edges, never in snake_case).
_EMPHASIS = re.compile(
    r"\*\*(?P<b>[^\s*](?:.*?[^\s*])?)\*\*"
    r"|(?<!\w)__(?P<u>[^\s_](?:.*?[^\s_])?)__(?!\w)"
    r"|\*(?P<i>[^\s*](?:.*?[^\s*])?)\*"
    r"|(?<!\w)_(?P<j>[^\s_](?:.*?[^\s_])?)_(?!\w)"
)
_MARKERS = {"b": "**", "u": "__", "i": "*", "j": "_"}


def escape_keeping_emphasis(text: str, depth: int = 2) -> str:
    """`escape_inline`, except that balanced emphasis pairs stay emphasis (their content is
    escaped in turn); an unbalanced `*` or `_` is escaped like any other markdown character."""
    if depth <= 0:
        return escape_inline(text)
    out: list[str] = []
    pos = 0
    for match in _EMPHASIS.finditer(text):
        group = next(g for g in _MARKERS if match.group(g) is not None)
        marker = _MARKERS[group]
        out.append(escape_inline(text[pos : match.start()]))
        out.append(marker + escape_keeping_emphasis(match.group(group), depth - 1) + marker)
        pos = match.end()
    out.append(escape_inline(text[pos:]))
    return "".join(out)


def escape_line(line: str) -> str:
    """Escape one line of article text, including line-start syntax (headings, lists, quotes);
    the article's own emphasis is kept."""
    escaped = escape_keeping_emphasis(line)
    # `>` is already escaped inline; headings, lists and numbered items need a backslash.
    match = _LINE_START_RE.match(escaped)
    if match and not match.group(2).startswith(">"):
        lead, token = match.group(1), match.group(2)
        if token[0].isdigit():
            digits = token.rstrip(".) \t")
            token = digits + "\\" + token[len(digits) :]
        else:
            token = "\\" + token
        escaped = lead + token + escaped[match.end() :]
    return escaped


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub(" ", text)


def _one_line(text: str | None, cap: int) -> str:
    text = " ".join(_clean(text or "").split())
    if len(text) > cap:
        cut = text[: cap - 1]
        space = cut.rfind(" ")
        text = (cut[:space] if space > cap // 2 else cut).rstrip() + "…"
    return text


def passage_label(first: int, last: int) -> str:
    return f"¶{first}" if first == last else f"¶{first}–{last}"


def format_attribution(
    *,
    title: str | None,
    author: str | None,
    first: int,
    last: int,
    jump_url: str | None = None,
    limit: int = DISCORD_LIMIT,
    section: str | None = None,
) -> str:
    # Caps shrink with small limits so the quote always keeps some room.
    title_text = _one_line(title, min(TITLE_MAX, max(20, limit // 5))) or UNTITLED
    parts = [f"— *{escape_inline(title_text)}*"]
    author_text = _one_line(author, min(AUTHOR_MAX, max(10, limit // 10)))
    if author_text:
        parts.append(escape_inline(author_text))
    section_text = _one_line(section, min(SECTION_MAX, max(10, limit // 10)))
    if section_text:  # the Markdown heading the passages sit under
        parts.append(f"§ {escape_inline(section_text)}")
    parts.append(passage_label(first, last))
    line = ", ".join(parts)
    if jump_url:
        url = jump_url.strip()
        if not _URL_RE.fullmatch(url) or len(url) > JUMP_URL_MAX:
            raise ValueError("jump_url must be an http(s) URL without spaces")
        line += f" · {url}"
    return line


def _render_passage(number: int, text: str, *, numbered: bool) -> list[str]:
    lines = [escape_line(line.strip()) for line in _clean(text).split("\n") if line.strip()]
    if not lines:
        lines = ["*(empty passage)*"]
    if numbered:
        lines[0] = f"**{number}** {lines[0]}"
    return ["> " + line for line in lines]


def _render_quote(passages: Sequence[tuple[int, str]], *, numbered: bool, cut: bool) -> str:
    lines: list[str] = []
    for number, text in passages:
        lines.extend(_render_passage(number, text, numbered=numbered))
    if cut:
        lines[-1] += SHORTENED
    return "\n".join(lines)


def _word_cuts(text: str) -> list[int]:
    """Candidate cut positions: ends of words (before whitespace), or every character if none."""
    cuts = [m.start() for m in re.finditer(r"\s+", text) if m.start() > 0]
    return cuts or list(range(1, len(text)))


def format_citation(
    *,
    title: str | None,
    author: str | None,
    passages: Sequence[tuple[int, str]],
    jump_url: str | None = None,
    limit: int = DISCORD_LIMIT,
    section: str | None = None,
) -> str:
    """The citation message for `passages` ((number, text) pairs, in order), at most `limit`;
    `section` names the heading they sit under, in the attribution."""
    if not passages:
        raise ValueError("nothing to cite: no passages")
    ordered = sorted(passages, key=lambda p: p[0])
    first, last = ordered[0][0], ordered[-1][0]
    attribution = format_attribution(
        title=title,
        author=author,
        first=first,
        last=last,
        jump_url=jump_url,
        limit=limit,
        section=section,
    )
    numbered = len(ordered) > 1
    budget = limit - discord_length(attribution) - 1  # the newline before the attribution

    def fits(quote: str) -> bool:
        return discord_length(quote) <= budget

    quote = _render_quote(ordered, numbered=numbered, cut=False)
    if fits(quote):
        return f"{quote}\n{attribution}"
    if budget < 40:
        raise ValueError(f"limit {limit} leaves no room to quote anything")

    # Keep as many whole passages as fit, then as many words of the next one as fit.
    kept: list[tuple[int, str]] = []
    for number, text in ordered:
        if not fits(_render_quote([*kept, (number, text)], numbered=numbered, cut=True)):
            partial = _longest_prefix(kept, number, text, numbered=numbered, fits=fits)
            if partial is not None:
                kept.append((number, partial))
            break
        kept.append((number, text))
    if not kept:  # not even one word of the first passage: cut inside the word
        number, text = ordered[0]
        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(_render_quote([(number, text[:mid])], numbered=numbered, cut=True)):
                lo = mid
            else:
                hi = mid - 1
        kept = [(number, text[:lo])]
    quote = _render_quote(kept, numbered=numbered, cut=True)
    return f"{quote}\n{attribution}"


def _longest_prefix(
    kept: list[tuple[int, str]],
    number: int,
    text: str,
    *,
    numbered: bool,
    fits: Callable[[str], bool],
) -> str | None:
    """The longest word-boundary prefix of `text` that still fits after `kept`, or None."""
    cuts = _word_cuts(text)
    lo, hi, best = 0, len(cuts) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        prefix = text[: cuts[mid]].rstrip()
        if fits(_render_quote([*kept, (number, prefix)], numbered=numbered, cut=True)):
            best, lo = prefix, mid + 1
        else:
            hi = mid - 1
    return best
