"""Text normalisation that undoes the usual filter-evasion tricks before any rule matches.

Two layers come out of a message:

* ``clean``: NFKC, invisible characters stripped, look-alike letters from other scripts folded to
  Latin, combining marks (zalgo) removed. Case is kept (``clean_text``) or lowered. Links, e-mail
  addresses and phone numbers are matched here, because the word-level folding below would
  mangle them.
* ``normalised``: the clean text lowered, apostrophes dropped, spaced or dotted letters rejoined
  ("i d i o t", "i.d.i.o.t"), stretched letters shortened to two ("idiooooot" -> "idioot"; the
  lexicon then compares de-doubled forms), and leetspeak folded inside *mixed* tokens only
  ("1d10t" -> "idiot", while "1937", "$5" and "50%" stay as they are).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache
from typing import Any

import re2
from anyascii import anyascii

# --- invisible characters: dropped outright -------------------------------------------------
_INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark (bidi)
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer invisible vowels
    (0x180B, 0x180F),  # Mongolian variation selectors / vowel separator
    (0x200B, 0x200F),  # zero-width space/non-joiner/joiner, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated controls
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # BOM / zero-width no-break space
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0x1D173, 0x1D17A),  # musical invisible formatting
    (0xE0000, 0xE007F),  # Unicode tag characters
    (0xE0100, 0xE01EF),  # variation selectors supplement
)

# --- look-alike letters from other scripts (our own table; upper case maps to upper) ---------
_CONFUSABLES: dict[str, str] = {
    # Cyrillic lower case
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ӏ": "l", "ԛ": "q", "ԝ": "w", "ь": "b", "һ": "h", "ү": "y", "ց": "g", "п": "n", "г": "r",
    "ɡ": "g", "ꙇ": "i", "ӧ": "o", "ә": "e", "ҫ": "c",
    # Cyrillic upper case
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ї": "I", "Ј": "J", "Ԁ": "D",
    "Ӏ": "I", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y", "Һ": "H",
    # Greek lower case (κ is the classic miss of generic tables)
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "s", "μ": "u", "ϲ": "c", "ϳ": "j",
    "ί": "i", "ό": "o", "ά": "a", "έ": "e", "ύ": "u", "ή": "n", "ώ": "w", "ϊ": "i", "ϋ": "u",
    # Greek upper case
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
    # Armenian, Cherokee and other frequent stand-ins
    "օ": "o", "ս": "u", "ո": "n", "Ꭺ": "A", "Ꭼ": "E", "Ꮋ": "H", "Ꭻ": "J", "Ꮶ": "K",
    "Ꮇ": "M", "Ꮲ": "P", "Ꭲ": "T", "Ꮃ": "W", "Ꮪ": "S", "Ꮯ": "C", "Ꭰ": "D",
    # Latin oddities NFKC leaves alone
    "ı": "i", "ȷ": "j", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ɪ": "i", "ʏ": "y",
    "ɑ": "a", "ɩ": "i", "ʟ": "l", "ɴ": "n", "ʀ": "r", "ʜ": "h", "ᴀ": "a", "ᴄ": "c", "ᴅ": "d",
    "ᴇ": "e", "ᴊ": "j", "ᴋ": "k", "ᴍ": "m", "ᴏ": "o", "ᴘ": "p", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v",
    "ᴡ": "w", "ᴢ": "z", "ꜱ": "s", "ғ": "f", "ɢ": "g", "ʙ": "b",
    # quotes and apostrophes that matter for "you're"
    "’": "'", "‘": "'", "ʼ": "'", "ʹ": "'", "`": "'", "´": "'",
}  # fmt: skip

_TABLE: dict[int, str | None] = {}
for _lo, _hi in _INVISIBLE_RANGES:
    for _cp in range(_lo, _hi + 1):
        _TABLE[_cp] = None
for _src, _dst in _CONFUSABLES.items():
    _TABLE[ord(_src)] = _dst
# A capital folds as its small letter does: "ГНИДА" and "гнида" must read alike, whereas a
# capital missing from the table was transliterated (Г -> "G", but г -> "r").
for _src, _dst in _CONFUSABLES.items():
    _upper = _src.upper()
    if len(_upper) == 1 and _upper != _src and ord(_upper) not in _TABLE:
        _TABLE[ord(_upper)] = _dst.upper()
# Typographic punctuation becomes ASCII so that most prose takes the fast path.
for _src, _dst in {"—": "-", "–": "-", "‒": "-", "―": "-", "“": '"', "”": '"', "„": '"',
                   "«": '"', "»": '"', "•": "*", "·": ".", "…": "...", "′": "'", "″": '"',
                   "‐": "-", "‑": "-", "−": "-"}.items():  # fmt: skip
    _TABLE[ord(_src)] = _dst
# Letters drawn as symbols that NFKC leaves alone: negative circled and squared letters and
# regional indicators ("🅸🅳🅸🅾🆃", "🇮🇩🇮🇴🇹").
for _start in (0x1F150, 0x1F170, 0x1F1E6):
    for _n in range(26):
        _TABLE[_start + _n] = chr(ord("a") + _n)
# Blank-looking characters become plain spaces.
for _cp in (0x2800, 0x00A0, 0x2007, 0x202F, 0x3000):
    _TABLE[_cp] = " "

# runs, not single characters: one callback per run ("дебил"), each character folded alone
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")


def _hint_set(*patterns: str) -> Any:
    """Patterns as an unwrapped RE2 set: its `Match` takes UTF-8 bytes and returns the indices
    of the patterns that occur. The wrapper's `search` costs several microseconds of Python
    per call (offsets, a match object) for what is only a yes or no."""
    rset = re2.Set.SearchSet()
    for pattern in patterns:
        rset.Add(pattern)
    rset.Compile()
    return rset._set


def _hints(rset: Any, text: str) -> list[int] | None:
    """RE2 search of a `_hint_set`; a lone surrogate (possible from JSON) cannot be encoded for
    RE2, and then the answer is None, meaning any: the Python rewrites behind the hints
    handle such text."""
    try:
        return rset.Match(text.encode())
    except UnicodeEncodeError:
        return None


def _hint(rset: Any, text: str) -> bool:
    """Whether any pattern of the `_hint_set` may occur in `text`."""
    hits = _hints(rset, text)
    return hits is None or bool(hits)


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """Fold one non-ASCII character (after NFKC): our table first, then drop format characters
    and combining marks, then strip accents, then transliterate remaining letters."""
    mapped = _TABLE.get(ord(ch), ch)
    if mapped != ch:
        return mapped or ""
    category = unicodedata.category(ch)
    if category in ("Mn", "Me", "Cf", "Cs"):
        # zalgo marks; zero-width, bidi and tag characters; lone surrogates (which cannot be
        # encoded, so would crash any UTF-8 consumer such as RE2)
        return ""
    base = unicodedata.normalize("NFD", ch)[0]
    if base.isascii():
        return base
    base = _TABLE.get(ord(base), base) or ""
    if base.isascii():
        return base
    if category.startswith("L"):
        return anyascii(base) or base
    return ch


def _fold_match(m: re.Match[str]) -> str:
    run = m.group(0)
    return _fold_char(run) if len(run) == 1 else "".join(map(_fold_char, run))


def clean_text(text: str) -> str:
    """NFKC, strip invisibles, fold confusables and combining marks; keeps case.

    ASCII text (most messages) returns unchanged at once; otherwise only the non-ASCII
    characters are visited, each folded once and cached."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    # (each Python rewrite below runs only where RE2, in one linear pass, found its cue)
    # one pass for both cues: Cyrillic letters, and a run spelled out with separators
    hints = _hints(_CLEAN_HINTS, text)
    wide_run = hints is None or 1 in hints
    if (hints is None or 0 in hints) and _WIDE_STRETCH_RE.search(text):
        text = _WIDE_STRETCH_RE.sub(r"\1", text)  # "повесьсяяяя": no such word needs three
        wide_run = _hint(_WIDE_RUN_HINT, text)  # ...and "я-яяя-я" is a run once rewritten
    if wide_run:
        # letters spelled out with a visible separator are rejoined before they are folded:
        # "н-и-ч-т-о-ж-е-с-т-в-о" would otherwise fold into "h-i-ch-t-o-zh-...", which no
        # later step can read as one word
        text = _SPACED_WIDE_RE.sub(_join_wide, text)
    return _NON_ASCII_RE.sub(_fold_match, text)


# a Cyrillic letter typed three times or more ("повесьсяяяя"): transliterated first, "я" would
# become "yayaya", which the later stretch step cannot read (other scripts fold letter by letter)
_WIDE_STRETCH_RE = re.compile(r"([\u0400-\u04ff])\1{2,}")
_CYRILLIC = r"\p{Cyrillic}"


def folded_disguise(text: str) -> bool:
    """Whether clean_text undid a disguise in `text` (not just accents or curly quotes)."""
    if text.isascii():
        return False
    return _hint(_FOLDED_DISGUISE, text)


def _join_wide(m: re.Match[str]) -> str:
    run = m.group(0)
    return run if run.isascii() else _SPACED_STRIP_RE.sub("", run)


# --- word-level folding ----------------------------------------------------------------------
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a",
     "$": "s", "!": "i", "|": "l", "+": "t"}
)  # fmt: skip
_LEET_CHARS = frozenset("01345789@$!|+")
# Separators between spaced-out letters: spaces, punctuation, and symbols and emoji (given as
# literal characters so that Python's re and RE2 read the class alike).
_SEP = '[ \t._\\-*~/\\\\:,|=#^"()\\[\\]{}<>\u2190-\u2bff\U0001f000-\U0001faff]'
# Three or more single characters separated by spaces/dots/dashes: "i d i o t", "i.d.i.o.t".
_SPACED_RE = re.compile(
    rf"(?<![a-z0-9@$])[a-z0-9@$](?:{_SEP}{{1,3}}[a-z0-9@$](?![a-z0-9@$])){{2,}}"
)
_SPACED_STRIP_RE = re.compile(_SEP)
# The same run in letters of any script ("н-и-ч-т-о-ж-е-с-т-в-о", "k.ł.a.m.c.a"), only with a
# visible separator: single-letter words such as "и", "в", "я" are everyday Russian and Polish.
# Joined in clean_text, before Cyrillic letters are transliterated into one or two.
_VISIBLE_SEP = _SEP.replace(" \t", "")  # the separators but whitespace
_SPACED_WIDE_RE = re.compile(rf"(?<![^\W_])[^\W_](?:{_VISIBLE_SEP}{{1,3}}[^\W_](?![^\W_])){{2,}}")
# RE2 (linear, in C) finds such a run cheaply before the Python rewrite looks for it
_WIDE_RUN = rf"(?:^|[^\pL\pN])\pL{_VISIBLE_SEP}{{1,3}}\pL{_VISIBLE_SEP}{{1,3}}\pL"
_WIDE_RUN_HINT = _hint_set(_WIDE_RUN)
# Groups of one or two letters split by emoji alone, no space ("ch🤡u🤡j🤡u", "sz🐍m🐍a🐍t🐍o"):
# emoji between words come with spaces, so three such splits make one word. clean_text's
# one-letter rejoin leaves "ch🤡uju" (a digraph is two letters); the engine rejoins these
# before clean_text (`join_emoji_split`), so every rule reads the word. (Not inside clean_text:
# the learned model's training tokens, which go through it, must stay as they were trained.)
_EMOJI = "[\u2190-\u2bff\U0001f000-\U0001faff]"
_EMOJI_SPLIT_RE = re.compile(
    rf"(?<![^\W_])[^\W_]{{1,2}}(?:{_EMOJI}{{1,3}}[^\W_]{{1,2}}(?![^\W_])){{3,}}"
)
_EMOJI_SPLIT_HINT = _hint_set(rf"\pL{_EMOJI}{{1,3}}\pL{{1,2}}{_EMOJI}{{1,3}}\pL")
_EMOJI_STRIP_RE = re.compile(_EMOJI)


def _join_emoji(m: re.Match[str]) -> str:
    return _EMOJI_STRIP_RE.sub("", m.group(0))


def join_emoji_split(text: str) -> str:
    """Rejoin a word split by emoji into groups of one or two letters ("ch🤡u🤡j🤡u")."""
    if text.isascii() or not _hint(_EMOJI_SPLIT_HINT, text):
        return text
    return _EMOJI_SPLIT_RE.sub(_join_emoji, text)


_CLEAN_HINTS = _hint_set(_CYRILLIC, _WIDE_RUN)
# characters clean_text undoes that are disguises rather than spelling: invisible characters,
# fullwidth and mathematical letters, a Latin letter next to a Cyrillic or Greek one
_FOLDED_DISGUISE = _hint_set(
    r"[\x{00AD}\x{200B}-\x{200F}\x{2060}-\x{2064}\x{FEFF}\x{FF01}-\x{FF5E}\x{1D400}-\x{1D7FF}]"
    r"|\p{Latin}[\p{Cyrillic}\p{Greek}]|[\p{Cyrillic}\p{Greek}]\p{Latin}"
    # ...or letters spelled out around emoji or other separators, which clean_text rejoins
    rf"|{_WIDE_RUN}"
)
_WORD_GAP_RE = re.compile(r"\s{2,}")
# A run spelled with a visible separator ("f-u-c-k-i-n-g i-d-i-o-t", "y.o.u a.r.e"): a plain
# space right between two letters there is a gap between words, not one more separator.
_VISIBLE_SEP_RE = re.compile(r"[a-z0-9@$][^\sa-z0-9@$]{1,3}[a-z0-9@$]")
_LETTER_GAP_RE = re.compile(r"(?<=[a-z0-9@$])([^a-z0-9@$\s]*\s[^a-z0-9@$]*)(?=[a-z0-9@$])")
_CHAT_LETTERS = frozenset("aiurykonc24@")
_STRETCH_RE = re.compile(r"([a-z])\1{2,}")
# Tokens that may carry leetspeak: letters mixed with digits or symbols.
# (A match is a whole run of these characters, so it can only start where a run does: the
# lookbehind fails at once inside a word, where the scan would otherwise try every position.
# A run mixes the two kinds exactly when its first block of letters, or of symbols, is
# followed by the other kind: the possessive block reads each word once, where a greedy run
# backtracked over every position of it.)
_MIXED_RE = re.compile(r"(?<![a-z0-9@$|!+])(?:[a-z]++[0-9@$|!+]|[0-9@$|!+]++[a-z])[a-z0-9@$|!+]*")
# Prose tokens that contain digits but are not leetspeak: 1930s, 2nd, 10th, 5pm, 100km.
# Also codes of one or two letters then digits: archive refs ("P19"), roads ("A38"), vitamins
# ("B12"), formats ("MP3"); "p19" read as leetspeak was "pig" on the bot's own posts. A repeated
# digit ("a55") is still leetspeak.
_PROSE_NUMBER_RE = re.compile(
    r"^(?:\d+(?:s|st|nd|rd|th|am|pm|km|kg|mm|cm|ml|m|k|bn|mn|x|d|gb|mb|h|hrs|yrs)?"
    r"|[a-z]{1,2}(?!(\d)\1+$)\d+)$"
)
_LEET_NEAR_LETTER_RE = re.compile(r"[a-z][0-9@$|+]|[0-9@$|!+][a-z]|[a-z]![a-z]")


def _fold_mixed(match: re.Match[str]) -> str:
    tok = match.group(0)
    core = tok.rstrip("!")  # "idiot!" keeps its exclamation mark
    if not any(c in _LEET_CHARS for c in core) or _PROSE_NUMBER_RE.match(core):
        return tok
    if not any(c.isalpha() for c in core):
        return tok
    if _CODE_RE.match(tok):
        # one link of a dotted reference ("A55.R2.P55"): a code, however its digits look
        text, start, end = match.string, match.start(), match.end()
        if (start >= 2 and text[start - 1] in ".-" and text[start - 2].isdigit()) or (
            _CODE_RE.match(text, end + 1) and end < len(text) and text[end] in ".-"
        ):
            return tok
    return core.translate(_LEET) + tok[len(core) :]


_CODE_RE = re.compile(r"[a-z]{1,2}\d+(?![a-z0-9])")


def normalise_detail(text: str) -> tuple[str, frozenset[str]]:
    """Return the normalised text and the set of words rebuilt from spaced-out letters."""
    return normalise_clean(clean_text(text))


def normalise_clean(text: str) -> tuple[str, frozenset[str]]:
    """`normalise_detail` for text that already went through `clean_text`."""
    low = text.lower()
    return normalise_lowered(low, _PRECHECK.Match(low) or ())


def normalise_lowered(text: str, needed: Collection[int]) -> tuple[str, frozenset[str]]:
    """The word-level steps on lower-cased clean text. `needed` holds the indices of the
    PRECHECK_PATTERNS that matched it (one RE2 pass, which callers may share with their own
    patterns): only those rewrites, all backtracking regexes, run at all."""
    if "'" in text:
        text = text.replace("'", "")
    if not needed:
        return text, _NO_JOINS
    if _NEED_PICTURE in needed:
        # weapons and nooses drawn instead of written: "ima 🔪 you", "go 🪢 yourself"
        # ...but a picture between single letters is a separator: "s🔪t🔪a🔪b" spells "stab"
        for picture, word in _PICTURE_WORDS.items():
            if picture in text:
                text = _picture_re(picture).sub(word, text)
    if _NEED_MENTION in needed:
        # a member mentioned by @ is spoken to or about directly: read it as "you"
        text = _MENTION_RE.sub(" you ", text)
    if _NEED_MARKDOWN in needed:
        # spoilers, bold, italics, strike-through and code marks inside or around a word
        # ("||idiot||", "id**io**t", "`moron`") hide nothing from the rules
        # (a lone "**" is a mask, "f**k", and stays for the unmasking)
        text = _MARKDOWN_RE.sub(_drop_mark if text.count("**") % 2 else "", text)
    joined: set[str] = set()
    if _NEED_SPACED in needed and _HEAD_PAIR_RE.search(text):
        # "ch_u_j_u", "sh-i-t": a digraph heading a run spelled with a visible separator
        text = _HEAD_PAIR_RE.sub(r"\1\3\2\3", text)
    if _NEED_SPACED in needed and _SPACED_RE.search(text):

        def _join_one(run: str, *, chat: bool = True) -> str:
            word = _SPACED_STRIP_RE.sub("", run)
            if chat and set(word) <= _CHAT_LETTERS:
                return run  # "u r a", "c u": chat shorthand, not a spaced-out word
            joined.add(word.translate(_LEET))
            return word

        def _join(m: re.Match[str]) -> str:
            run = m.group(0)
            if "  " in run and _WORD_GAP_RE.search(run):
                # "Y O U  A R E  A  M O R O N": single spaces inside words, wider gaps between.
                # The wide gaps show the spacing is deliberate, so short words such as "you"
                # and "an" are rejoined too (alone, "y o u" could be chat shorthand).
                return " ".join(_join_one(part, chat=False) for part in _WORD_GAP_RE.split(run))
            if " " in run and _VISIBLE_SEP_RE.search(run):
                # a gap that holds a space is between words, and keeps its punctuation:
                # "P-o-b-r-e-c-i-t-o, a tu edad" is "pobrecito, a tu edad"
                parts = _LETTER_GAP_RE.split(run)
                return "".join(
                    part if k % 2 else _join_one(part, chat=False) for k, part in enumerate(parts)
                )
            # chat shorthand is typed with spaces ("u r a"); "y-o-u-r" is a word spelled out
            return _join_one(run, chat=" " in run)

        text = _SPACED_RE.sub(_join, text)
    if _NEED_STRETCH in needed:
        text = _STRETCH_RE.sub(r"\1\1", text)
    if _NEED_LEET in needed or (joined and _LEET_NEAR_LETTER_RE.search(text)):
        text = _MIXED_RE.sub(_fold_mixed, text)
    return text, frozenset(joined) if joined else _NO_JOINS


_NO_JOINS: frozenset[str] = frozenset()
# two letters, then a visible separator and at least three more single letters with the same one
_HEAD_PAIR_RE = re.compile(
    r"(?<![a-z0-9@$])([a-z])([a-z])([_\-.~*|])(?=[a-z]\3[a-z]\3[a-z](?![a-z]))"
)


# --- the raw text without its disguises, case and digits kept --------------------------------
# Rules that read the raw or clean text (addresses, workplaces, names) must not be escaped by
# the disguises the normaliser undoes for the word rules: markdown marks in or around a word
# and letters spelled out with a visible separator ("w-o-r-k-s at", "||calle|| Pez 27").
_ROBE_MARKS_RE = re.compile(r"\|\||\*\*|__|~~")
# inline code around a plain word hides it; around a mention it quotes it, and stays
_ROBE_CODE_RE = re.compile(r"`+([^`\s@<]+)`+")
_ROBE_SPACED_RE = re.compile(
    rf"(?<![^\W\d_])[^\W\d_](?:{_VISIBLE_SEP}{{1,3}}[^\W\d_](?![^\W\d_])){{2,}}"
)
_ROBE_STRIP_RE = re.compile(_VISIBLE_SEP)
# a letter typed three times or more: no word of the pack's languages needs it ("worksssss")
_ROBE_STRETCH_RE = re.compile(r"([^\W\d_])\1{2,}")


# The two scans above try every position in Python's re (about 0.1 us a character: 200 us on a
# long article paragraph whose backtick quotes count as markdown). RE2 finds, in one linear pass
# in C, whether either can match at all: any letter typed three times is ASCII or non-ASCII,
# and a spelled-out run holds letter, separators, letter, separators, letter (`\pL\pN` covers
# every character `[^\W\d_]` does).
_ROBE_STRETCH_HINT = _hint_set(
    "|".join(c * 3 for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    + r"|[^\x00-\x7f]"
)
# (RE2's \s is ASCII only, so its class takes every character Python's takes, and more)
_ROBE_CODE_HINT = _hint_set(r"`[^`\s@<]+`")
_ROBE_SPACED_HINT = _hint_set(
    rf"[\pL\pN]{_VISIBLE_SEP}{{1,3}}[\pL\pN]{_VISIBLE_SEP}{{1,3}}[\pL\pN]"
)


def derobe(clean_cased: str) -> str:
    """`clean_text` output with markdown marks dropped and spelled-out letters rejoined, case,
    digits and punctuation otherwise kept: what raw-text rules read besides the raw text."""
    text = clean_cased
    if "||" in text or "**" in text or "__" in text or "~~" in text:
        text = _ROBE_MARKS_RE.sub("", text)
    if "`" in text and _hint(_ROBE_CODE_HINT, text):
        text = _ROBE_CODE_RE.sub(r"\1", text)
    if _hint(_ROBE_STRETCH_HINT, text):
        text = _ROBE_STRETCH_RE.sub(r"\1", text)
    if _hint(_ROBE_SPACED_HINT, text):
        text = _ROBE_SPACED_RE.sub(lambda m: _ROBE_STRIP_RE.sub("", m.group(0)), text)
    return text


@lru_cache(maxsize=8)
def _picture_re(picture: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z]){picture}|{picture}(?![a-z])")


def _drop_mark(m: re.Match[str]) -> str:
    return m.group(0) if m.group(0) == "**" else ""


_NEED_STRETCH, _NEED_SPACED, _NEED_LEET, _NEED_MARKDOWN, _NEED_MENTION = 0, 1, 2, 3, 4
# for the engine: which PRECHECK_PATTERNS say a disguise may be there
NEED_STRETCH, NEED_SPACED, NEED_MARKDOWN = _NEED_STRETCH, _NEED_SPACED, _NEED_MARKDOWN
_NEED_PICTURE = 5
_PICTURE_WORDS = {"🔪": " stab ", "🗡": " stab ", "🔫": " shoot ", "🪢": " hang ", "⚰": " bury "}
_MENTION_RE = re.compile(r"<@!?\d+>|(?<![^\s(])@(?!everyone\b|here\b)[a-z][\w.]*")
_MARKDOWN_RE = re.compile(r"\|\||\*\*|__|~~|`+")
PRECHECK_PATTERNS: tuple[str, ...] = (
    "|".join(c * 3 for c in "abcdefghijklmnopqrstuvwxyz"),  # stretched letters
    rf"(?:^|[^a-z0-9@$])[a-z0-9@$]{_SEP}{{1,3}}[a-z0-9@$]{_SEP}{{1,3}}[a-z0-9@$](?:[^a-z0-9@$]|$)",
    r"[a-z][0-9@$|+]|[0-9@$|!+][a-z]|[a-z]![a-z]",  # leetspeak next to a letter
    r"\|\||\*\*|__|~~|`",  # markdown marks
    r"<@!?\d+>|(?:^|[\s(])@[a-z]",  # mentions
    "[🔪🗡🔫🪢⚰]",  # pictures of weapons
)
_PRECHECK = re2.Set.SearchSet()
for _pattern in PRECHECK_PATTERNS:
    _PRECHECK.Add(_pattern)
_PRECHECK.Compile()


def normalise(text: str) -> str:
    """The full pipeline: what word, phrase and insult rules match against."""
    return normalise_detail(text)[0]


_DOUBLE_RE = re.compile(r"([a-z])\1+")


@lru_cache(maxsize=65536)
def dedouble(word: str) -> str:
    """Collapse every run of a repeated letter to one letter ("idioot" -> "idiot")."""
    return _DOUBLE_RE.sub(r"\1", word)
