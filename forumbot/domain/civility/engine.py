"""The rule engine: a message context goes in, a verdict comes out. No side effects besides the
rate tracker (which `check(..., track=False)` leaves alone, e.g. for backtests).

Speed comes from compiling once: every word, insult, target and filler of every rule goes into
one lexicon (token -> owners, cached per token), every regex into one RE2 set per text layer.
A message is normalised once, tokenised once, and each token costs one cached dict lookup
however many rules there are.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import operator
import re
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal, NamedTuple

import re2

from forumbot.domain.civility.actions import Action
from forumbot.domain.civility.language import ENGLISH, LANGUAGES, LanguageGuesser
from forumbot.domain.civility.learned import LinearModel, has_noise, load_model
from forumbot.domain.civility.learned import tokens_of as model_tokens
from forumbot.domain.civility.normalise import (
    NEED_MARKDOWN,
    NEED_SPACED,
    NEED_STRETCH,
    PRECHECK_PATTERNS,
    clean_text,
    dedouble,
    derobe,
    folded_disguise,
    join_emoji_split,
    normalise_detail,
    normalise_lowered,
)
from forumbot.domain.civility.quotes import may_quote, outside_quotes
from forumbot.domain.civility.rules import Rule, RuleSet, re2_options
from forumbot.domain.civility.structure import addressed_near, find_threat
from forumbot.domain.civility.tracker import RateTracker

ContextKind = Literal["message", "edit", "thread_title", "bot_output"]

_TOKEN_RE = re.compile(r"[a-z0-9*]+")
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789*")
# ASCII-to-ASCII table (str.translate's fast path): everything but [a-z0-9*] becomes a space.
_TOKEN_TABLE = "".join(chr(c) if chr(c) in _TOKEN_CHARS else " " for c in range(128))


def _strip_stars(tokens: list[str]) -> list[str]:
    return [s for s in (t.strip("*") for t in tokens) if s]


_MENTION_RE = re.compile(r"<@[!&]?\d+>|@everyone\b|@here\b")
_LINK_RE = re.compile(r"https?://|\bwww\.", re.IGNORECASE)
_ASCII_LETTERS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_UPPER = _ASCII_LETTERS[26:]
_EXCERPT = 80
_NO_ROLES: Mapping[int, frozenset[str]] = {}
_EMPTY: frozenset[str] = frozenset()
_EMPTY_IDX: frozenset[int] = frozenset()
_NEGATIONS = frozenset({"not", "never", "dont", "didnt", "wont", "wouldnt", "isnt", "nobody",
                        "cant", "shouldnt", "neither", "nor", "arent", "aint"})  # fmt: skip
# a negation right before an addressed phrase, in the pack's languages (normalised forms)
_PHRASE_NEGATIONS = frozenset({"not", "never", "dont", "didnt", "no", "non", "nie", "ne", "niet",
                               "nao", "nicht", "nunca", "mai", "jamais", "pas", "nooit",
                               "nigdy", "asla", "degil"})  # fmt: skip
_IMPERATIVES = frozenset({"get", "go", "shut", "stop", "piss", "bugger", "sod", "keep", "learn",
                          "read", "grow", "sit", "cry", "move", "back"})  # fmt: skip
_VOCATIVE_CUES = frozenset({"hey", "oi", "listen", "shut", "stfu"})
_DETERMINERS = frozenset({"a", "an", "the", "this", "that", "his", "her", "their", "my", "our",
                          "its", "some", "such"})  # fmt: skip
_EXCLAMATIONS = frozenset({"fuck", "shit", "damn", "hell", "crap", "bollocks", "bugger"})
_SEGMENT_RE = re.compile(r"[,;:.!?\n]+")
_FORWARD_TARGETS = frozenset({"you", "u", "ya", "yall"})
_BARE_ROLES = frozenset({"insult", "adjective", "filler"})
_GAP_ROLES = _BARE_ROLES  # what may stand between a target and its insult
# ...without counting: articles, "are"/"is" and the superlative's "most"
_FREE_GAP = frozenset({"a", "an", "the", "are", "is", "re", "r", "most"})
# a message that opens on these and then the insult describes the one it answers:
# "another brain-dead MAGA idiot lecturing us", "typical tankie moron"
_OPENERS = frozenset({"another", "typical", "yet"})


_PERSON_NOUNS = frozenset({"guy", "dude", "bloke", "poster", "user", "person", "lad", "man",
                           "woman", "girl", "boy", "one", "chap", "commenter"})  # fmt: skip


def _in_idiom(tokens: list[str], pos: int, idioms: list[tuple[str, ...]]) -> bool:
    """Whether tokens[pos] is part of one of the idioms ("faggots and peas")."""
    tok = tokens[pos]
    for idiom in idioms:
        for k, part in enumerate(idiom):
            if part == tok and tuple(tokens[pos - k : pos - k + len(idiom)]) == idiom:
                return True
    return False


# "you are" and the indefinite article in the pack's languages (normalised): a word right after
# them is said of the reader, whatever innocent idiom it might also begin ("sei una troia e...")
_YOU_ARE = frozenset({"sei", "eres", "sos", "es", "bist", "bent", "ben", "jestes", "youre",
                      "are", "tes"})  # fmt: skip
_ARTICLES = frozenset({"a", "an", "un", "una", "uno", "une", "um", "uma", "ein", "eine", "een",
                       "ne"})  # fmt: skip


def _called_one(tokens: list[str], pos: int) -> bool:
    """Whether tokens[pos] follows "you are a" (one intensifier may stand between)."""
    before = tokens[max(0, pos - 4) : pos]
    return (
        len(before) >= 2
        and before[-1] in _ARTICLES
        and (before[-2] in _YOU_ARE or (len(before) >= 3 and before[-3] in _YOU_ARE))
    )


_AFTER_LABEL = frozenset({"who", "that", "thats", "again", "here", "lol", "lmao", "as", "with"})


def _phrase_ends(tokens: list[str], pos: int, normalised: str) -> bool:
    """Whether the noun phrase ends at tokens[pos]: the message or a clause ends there, or a
    relative or participle follows ("another MAGA idiot lecturing us", "... moron who")."""
    if pos + 1 >= len(tokens):
        return True
    nxt = tokens[pos + 1]
    if nxt in _AFTER_LABEL or nxt.endswith("ing"):
        return True
    return re.search(rf"\b{re.escape(tokens[pos])}\s*[,.;:!?]", normalised) is not None


def _named_subject(tokens: list[str], j: int) -> bool:
    """tokens[j] ends a subject that names one participant, followed by "is": a lone first word
    ("Rahul is a total dickhead") or "this guy" ("this guy is a bellend"). Past tense ("was")
    is not taken: that is how history talks about people."""
    if j + 1 >= len(tokens) or tokens[j + 1] not in ("is", "s"):
        return False
    if j == 1 and tokens[0] in ("this", "that") and tokens[1] in _PERSON_NOUNS:
        return True
    # A lone name alone is not taken: "Trump is an idiot" is about a public figure as often as
    # "Rahul is a dickhead" is about a member, and the words cannot tell them apart. The message
    # tells them apart when it speaks of the forum itself ("Derek is a spineless little weasel
    # who reports people", "Dennis is such a weasel, deletes his posts"): a member's doings.
    return (
        (j == 0 or (j == 1 and tokens[0] in _INTERJECTIONS))
        and tokens[j] not in _NOT_NAMES
        and not _FORUM_DOINGS.isdisjoint(tokens)
    )


# what a member does or has here: posting, reporting, deleting, a profile picture (not "this
# thread" alone: "Boris is a clown and this thread proves it" is about Boris)
_FORUM_DOINGS = frozenset({"post", "posts", "posting", "posted", "reports", "reported",
                           "reporting", "deletes", "deleted", "upvotes", "downvotes", "pfp",
                           "avatar"})  # fmt: skip
# subjects that are not a name: pronouns and words that open a clause about something else
_NOT_NAMES = frozenset({"it", "this", "that", "there", "what", "which", "who", "he", "she",
                        "everyone", "everybody", "nobody", "someone", "somebody", "anyone",
                        "history", "capitalism", "communism", "socialism", "fascism",
                        "politics", "government", "party", "state", "media"})  # fmt: skip


def _names_the_reader(tail: list[str]) -> bool:
    """After an insult, the message ends "is what you are" / "(that's) all you are", or goes
    on "is the (only) word for you"."""
    if tail[:1] in (["is"], ["s"]) and tail[1:6] in (
        ["the", "only", "word", "for", "you"],
        ["the", "word", "for", "you"],
        ["the", "right", "word", "for", "you"],
    ):
        return True
    if tail[:1] == ["thats"]:
        tail = ["is", *tail[1:]]
    elif tail[:1] in (["that"], ["this"]):
        tail = tail[1:]
    # "which is exactly what you are", "more like, which is just what you are"
    if len(tail) > 4 and tail[-3:-1] in (["what", "you"], ["all", "you"]):
        tail = ["is", *tail[-3:]]
    # "... that's all you'll ever be"
    if (
        tail[:1] == ["is"]
        and tail[1:2] in (["all"], ["what"])
        and tail[2:5] == ["youll", "ever", "be"]
    ):
        return len(tail) == 5
    return (
        (len(tail) == 4 or (len(tail) > 4 and _ends_naming(tail[4])))
        and tail[0] in ("is", "s")
        and tail[1] in ("what", "all")
        and tail[2] in _FORWARD_TARGETS
        and tail[3] in ("are", "r", "re")
    )


# "... is what you are, and everyone here can see it": what may follow the naming
_AFTER_NAMING = frozenset({"and", "so", "but", "lol", "mate", "pal", "honestly", "period",
                           "nothing", "thats", "everyone", "deal", "sorry"})  # fmt: skip
# ...while "is what you are saying / about to / for" continues a clause about something else
_NAMING_GOES_ON = frozenset({"about", "for", "to", "in", "on", "at", "with", "doing", "going",
                             "saying", "talking", "asking", "describing", "looking", "trying",
                             "getting", "missing", "proposing", "suggesting", "arguing", "like",
                             "not", "really", "actually", "after", "against", "of",
                             "by"})  # fmt: skip


def _ends_naming(word: str) -> bool:
    """Whether the word after "... is what you are" starts a new thought ("Full stop.",
    "Kev.", "and everyone knows it") rather than continuing the clause ("saying", "about")."""
    return word in _AFTER_NAMING or not (word in _NAMING_GOES_ON or word.endswith("ing"))


_STRETCHED_WORD_RE = re.compile(r"[a-z]*([a-z])\1{2,}[a-z]*")
_STRETCH_RUN_RE = re.compile(r"([a-z])\1{2,}")
# elided articles and pronouns of French and Italian: "d'abrutis", "l'idiota", "un'idiota"
_ELISION_RE = re.compile(r"(?<![a-z])(d|l|qu|un|dell|all|dall|nell|sull)'([a-z]{4,})")
# words that are never the insult's own adjective: negations ("Du bist kein Lügner") and
# determiners
_NOT_ADJECTIVES = _NEGATIONS | _PHRASE_NEGATIONS | _DETERMINERS | frozenset(
    {"kein", "keine", "keinen", "keiner", "geen", "zaden", "zadna", "zadnym", "ningun",
     "ninguno", "ninguna", "nenhum", "nenhuma", "aucun", "aucune", "nessun", "nessuno",
     "nessuna", "hic", "hicbir", "nor", "nothing", "less", "former", "ex"})  # fmt: skip
# before an elided insult, words that discuss calling someone it rather than doing so:
# "sans se traiter d'abrutis", "senza darci dell'idiota"
_CALLING = frozenset({"traiter", "traite", "traites", "traitez", "traitant", "sans", "senza",
                      "darsi", "darci", "dare", "darmi", "chiamare", "pas", "non"})  # fmt: skip
_INTERJECTIONS = frozenset({"lol", "lmao", "lmfao", "rofl", "haha", "tbh", "honestly", "mate",
                            "yes", "yeah", "yep", "innit", "bro", "pal", "ptdr", "mdr",
                            "jaja"})  # fmt: skip
# the thread, channel or server the message is posted in, in the pack's languages (normalised)
_PLACES = frozenset({"thread", "threads", "channel", "server", "chat", "forum",
                     "serveur", "salon", "fil", "canal", "foro", "kanal",
                     "kanale", "kanalu", "kanaal", "draad", "czat", "czacie", "serwerze",
                     "sunucu", "sunucuda", "kanalda", "tpede", "betke", "kahal", "cepbep",
                     "fopym"})  # fmt: skip
_PLACE_DETERMINERS = frozenset({"every", "all", "these", "those", "you", "ye"})
# what joins the group to the place: "in this thread", "de ce serveur", "z tego kanału", "в чате"
_PLACE_LINKS = frozenset({"in", "on", "of", "from", "here", "around", "dans", "de", "du", "sur",
                          "en", "del", "nel", "sul", "di", "im", "auf", "aus", "op", "uit", "w",
                          "na", "z", "ze", "b", "ha", "da", "do", "no", "em", "desse", "deste",
                          "este", "ese", "cet", "ce", "questo"})  # fmt: skip


def _in_this_place(tokens: list[str], pos: int) -> bool:
    """An insult of a group followed by where the message is posted: "the clowns in this
    thread", "every MAGA moron on this server". The group is named by a plural or by
    every/all/these; "calling someone an idiot in this thread is..." names nobody."""
    after = tokens[pos + 1 : pos + 5]
    if _PLACES.isdisjoint(after) or not after or after[0] not in _PLACE_LINKS:
        return False
    tok = tokens[pos]
    before = tokens[max(0, pos - 4) : pos]
    if any(t in ("calling", "call", "called", "calls") for t in before):
        return False
    return tok.endswith("s") or not _PLACE_DETERMINERS.isdisjoint(before)


# Insult words that are also verbs ("you fool yourself", "you bitch about it", "you trash the
# record"): only these read as verbs before a _VERB_NEXT word ("shut up you idiot, nobody...").
_VERBISH = frozenset({"fol", "bitch", "trash", "rat", "clown", "trol", "shil", "buly", "bore",
                      "weasel", "snake", "pig", "worm", "hack", "jerk", "con", "simp", "cuck",
                      "melt", "parot", "ape", "dick", "screw", "bugerr", "buger", "scum",
                      "sheep", "fuck", "garbage", "crone", "pest", "joke", "kid", "child",
                      "puppet", "bot", "lie", "liar", "fraud"})  # fmt: skip
# After "<insult> you": the insult is vocative only at the end or before these.
_FORWARD_OK = frozenset({"", "are", "r", "re", "arent", "again", "there", "all", "lot", "people",
                         "guys", "two", "both", "too"})  # fmt: skip
# After "you <insult>": these show the insult word is being used as a verb.
_VERB_NEXT = frozenset({"about", "out", "around", "up", "yourself", "yourselves", "nobody",
                        "everyone", "everybody", "anyone", "anybody", "it", "the", "that", "this",
                        "these", "those", "me", "them", "him", "her", "us", "on", "into", "over",
                        "away", "a", "an", "your", "my", "our", "their", "his", "its", "to", "with",
                        "off", "down", "people", "everything", "things", "but", "if", "when",
                        "because", "like"})  # fmt: skip


@dataclass(frozen=True)
class MessageContext:
    text: str
    author_id: str = ""
    channel_id: str = ""  # the thread (or channel) the message is in
    timestamp: float = 0.0  # seconds (e.g. message.created_at.timestamp())
    kind: ContextKind = "message"
    mention_count: int = 0  # user + role mentions as Discord reports them


@dataclass(frozen=True)
class RuleHit:
    rule_id: str
    guideline: str
    severity: int
    action: Action
    mode: str
    excerpt: str


@dataclass(frozen=True)
class Verdict:
    action: Action
    hits: list[RuleHit] = field(default_factory=list)  # enforced, harshest first
    shadow_hits: list[RuleHit] = field(default_factory=list)  # never affect `action`
    guideline: str | None = None
    normalised: str = ""

    @property
    def rule_ids(self) -> list[str]:
        return [h.rule_id for h in self.hits]

    @property
    def winning_hit(self) -> RuleHit | None:
        return self.hits[0] if self.hits else None


# --- the lexicon ------------------------------------------------------------------------------
_Owner = tuple[int, str]  # (rule index, role)
_MASKABLE = frozenset({"word", "insult", "adjective", "harm", "act"})


class _TokInfo(NamedTuple):
    """What the lexicon knows about one token (cached per distinct token)."""

    roles: Mapping[int, frozenset[str]]  # rule index -> roles of this token in that rule
    words: tuple[int, ...]  # word-list rules this token hits
    insult: bool  # an insult or adjective of some targeted_insult rule
    phrase: bool  # the first word of some phrase
    flat: str  # de-doubled form, for phrase matching
    hot: bool  # any of the above: worth a closer look
    threat: frozenset[int] = frozenset()  # the threat rules this token is a harm or act of
    insults: frozenset[int] = frozenset()  # the targeted_insult rules it is an insult/adjective of


def _entry_forms(entry: str) -> tuple[str, bool]:
    """Normalise a list entry like a message; a trailing '*' makes it a prefix."""
    prefix = entry.endswith("*")
    text = entry[:-1] if prefix else entry
    norm, _ = normalise_detail(text)
    return " ".join(_TOKEN_RE.findall(norm)), prefix


# Lexicons by fingerprint, so engines built from the same rules share one lexicon and with it
# one pair of per-token caches. Each guild has an engine of its own, and most guilds run the
# same rules: with a cache per engine a bot in N guilds held N copies of the same answers, each
# bounded at 32,768 tokens, and its memory grew with the guilds and with every new word each of
# them saw (the 50,000-comment soak over two guilds: both caches still filling after 25,000
# comments). Registered weakly: a lexicon goes with the last engine that uses it.
TOKEN_CACHE_SIZE = 32_768
UNMASK_CACHE_SIZE = 16_384
_LEXICONS: weakref.WeakValueDictionary[bytes, _Lexicon] = weakref.WeakValueDictionary()


def token_cache_entries() -> int:
    """Token answers cached in this process (all live lexicons together)."""
    return sum(lex.lookup.cache_info().currsize for lex in list(_LEXICONS.values()))


class _Lexicon:
    def __init__(self) -> None:
        self.exact: dict[str, set[_Owner]] = {}
        self.dedup: dict[str, set[_Owner]] = {}
        self.prefix: dict[int, dict[str, set[_Owner]]] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], _Owner]]] = {}
        self.by_length: dict[int, set[str]] = {}
        self.prefixes: set[str] = set()
        self.prefix_words: dict[str, set[str]] = {}  # de-doubled prefix -> entries as written
        self.unmasked_rules: set[int] = set()  # rules whose words masks are never resolved to
        # what went in, in order: the lexicon is a function of it (see `seal`)
        self._recipe: list[tuple[str, _Owner, bool, bool]] | None = []
        self.fingerprint = b""
        self.lookup = lru_cache(maxsize=TOKEN_CACHE_SIZE)(self._lookup)
        self.unmask = lru_cache(maxsize=UNMASK_CACHE_SIZE)(self._unmask)

    def seal(self) -> _Lexicon:
        """Done adding: returns the process's lexicon built from the same entries (this one if
        it is the first), whose caches are then shared with every engine of the same rules."""
        assert self._recipe is not None, "sealed twice"
        digest = hashlib.blake2b(digest_size=16)
        digest.update(repr((self._recipe, sorted(self.unmasked_rules))).encode())
        self.fingerprint = digest.digest()
        self._recipe = None
        return _LEXICONS.setdefault(self.fingerprint, self)

    def add(self, entry: str, owner: _Owner, *, phrase: bool = False) -> None:
        assert self._recipe is not None, "lexicon already sealed"
        self._recipe.append((entry, owner, phrase, owner[0] in self.unmasked_rules))
        word, prefix = _entry_forms(entry)
        if not word:
            return
        if " " in word or phrase:
            parts = tuple(dedouble(p) for p in word.split())
            self.phrases.setdefault(parts[0], []).append((parts, owner))
            if owner[1] in _MASKABLE and owner[0] not in self.unmasked_rules:
                for part in word.split():
                    self.by_length.setdefault(len(part), set()).add(part)
            return
        if prefix:
            self.prefixes.add(word)
            base = dedouble(word)
            self.prefix.setdefault(len(base), {}).setdefault(base, set()).add(owner)
            self.prefix_words.setdefault(base, set()).add(word)
            return
        self.exact.setdefault(word, set()).add(owner)
        self.dedup.setdefault(dedouble(word), set()).add(owner)
        if owner[1] in _MASKABLE and owner[0] not in self.unmasked_rules:
            # "c*nt" is unmasked to an insult, never to "cant" (nor to another language's word)
            self.by_length.setdefault(len(word), set()).add(word)

    def _lookup(self, token: str) -> _TokInfo:
        owners = self._owners(token)
        flat = dedouble(token)
        phrase = flat in self.phrases
        if not owners:
            return _TokInfo(_NO_ROLES, (), False, phrase, flat, phrase)
        by_rule: dict[int, set[str]] = {}
        for idx, role in owners:
            by_rule.setdefault(idx, set()).add(role)
        words = tuple(sorted(idx for idx, r in by_rule.items() if "word" in r))
        insult = any("insult" in r or "adjective" in r for r in by_rule.values())
        threat = frozenset(i for i, r in by_rule.items() if "harm" in r or "act" in r)
        roles = {idx: frozenset(r) for idx, r in by_rule.items()}
        hot = bool(words) or insult or phrase or bool(threat)
        insults = frozenset(i for i, r in by_rule.items() if "insult" in r or "adjective" in r)
        return _TokInfo(roles, words, insult, phrase, flat, hot, threat, insults)

    def _owners(self, token: str) -> frozenset[_Owner]:
        found: set[_Owner] = set(self.exact.get(token, ()))
        flat = dedouble(token)
        if flat != token:
            found.update(self.dedup.get(flat, ()))
        stretched = flat != token
        for length, table in self.prefix.items():
            if len(flat) >= length:
                owners = table.get(flat[:length])
                # the de-doubled form stands in only for a token whose doubled letters lie in
                # the matched part: "niiigger" is caught; "Niger", and Polish "Nigerii" (its
                # doubling comes after the stem), are not mistaken for it
                if owners and (
                    (stretched and not token.startswith(flat[:length]))
                    or any(token.startswith(w) for w in self.prefix_words[flat[:length]])
                ):
                    found.update(owners)
        return frozenset(found)

    def _unmask(self, token: str) -> str:
        """'f*ck', 'sh*t': each '*' stands for one letter; at least two letters must show.
        Returns the one lexicon word the mask fits, or the token unchanged."""
        core = token.rstrip("*")
        letters = sum(c != "*" for c in core)
        if letters < 2 or letters < len(core) - letters:
            return token
        pattern = re.compile(re.escape(core).replace(r"\*", "[a-z]"))
        fits = sorted(w for w in self.by_length.get(len(core), ()) if pattern.fullmatch(w))
        if fits:
            return fits[0]
        for base in sorted(self.prefixes):  # "f*cking" fits the prefix entry "fuck*"
            head = core[: len(base)]
            if (
                len(base) <= len(core)
                and "*" in head
                and "*" not in core[len(base) :]
                and re.fullmatch(re.escape(head).replace(r"\*", "[a-z]"), base)
            ):
                return base + core[len(base) :]
        return token


_FLAT = operator.itemgetter(_TokInfo._fields.index("flat"))
_WORDS = operator.itemgetter(_TokInfo._fields.index("words"))
_PHRASE = operator.itemgetter(_TokInfo._fields.index("phrase"))
_THREAT = operator.itemgetter(_TokInfo._fields.index("threat"))
_INSULTS = operator.itemgetter(_TokInfo._fields.index("insults"))
_ROLES = operator.itemgetter(_TokInfo._fields.index("roles"))
_HOT = operator.itemgetter(_TokInfo._fields.index("hot"))


# --- compiled rules ---------------------------------------------------------------------------
@dataclass
class _Insult:
    index: int
    max_gap: int
    allow: frozenset[str]
    # words that, just before the target, report or reject what follows ("calling immigrants
    # vermin is vile", "you can't believe that all women are stupid"): counter-speech
    reporting: frozenset[str] = frozenset()


def _flat_allow(entries: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for e in entries:
        word, _ = _entry_forms(e)
        if word:
            out.add(word)
            out.add(dedouble(word))
    return frozenset(out)


class Engine:
    """Compiled rules. Build once per rule set and reuse; `check` is cheap and thread-compatible
    except for the rate tracker, which is per engine unless one is passed in."""

    def __init__(self, rules: RuleSet, *, tracker: RateTracker | None = None) -> None:
        self.rules = rules
        self.tracker = tracker if tracker is not None else RateTracker()
        self._active: list[Rule] = list(rules.active)
        self._lex = _Lexicon()
        self._word_allow: dict[int, frozenset[str]] = {}
        # idioms that make a word innocent ("chink in the armour"): rule index -> token tuples
        self._allow_phrases: dict[int, list[tuple[str, ...]]] = {}
        self._insults: list[_Insult] = []
        self._regex_sets: dict[str, tuple[Any, list[tuple[int, Any]]]] = {}
        self._other: list[tuple[int, Rule]] = []
        self._threats: list[tuple[int, int, int]] = []  # (rule index, window, max_gap)
        self._addressed: dict[int, int] = {}  # rule index -> window
        self._addressed_also: set[int] = set()  # addressed rules that need an `also` word too
        self._addressed_question: set[int] = set()  # ...for which a '?' may stand in instead
        self._addressed_unless: set[int] = set()  # addressed rules some words anywhere undo
        self._not_before: dict[int, frozenset[str]] = {}  # rule index -> words that undo a phrase
        # regex rules' not_after words (rule index -> lower-cased words)
        self._not_after: dict[int, frozenset[str]] = {}
        # learned rules: (rule index, model, the logit its threshold comes to, kinds, min and
        # max tokens)
        self._learned: list[tuple[int, LinearModel, float, frozenset[str], int, int]] = []
        # rules written for some languages only: they count when the message looks like one
        self._languages: dict[int, frozenset[str]] = {}
        # other-language word rules, whose words a writer may call himself ("Ich Depp")
        self._self_aside = frozenset(
            i
            for i, r in enumerate(self._active)
            if r.kind == "words" and r.languages and "en" not in r.languages
        )
        # ...and, of those, the ones about insults rather than threats: a predicate noun said
        # of the writer or no one ("ich kann ein echter Wichser sein") is set aside there
        self._self_predicates = frozenset(
            i for i in self._self_aside if self._active[i].guideline != "no threats"
        )
        language_words: dict[str, set[str]] = {}
        patterns: dict[str, list[tuple[int, str]]] = {}
        for i, rule in enumerate(self._active):
            p = rule.params
            if rule.languages:
                self._languages[i] = frozenset(rule.languages)
                self._lex.unmasked_rules.add(i)
                # a rule for every language (reach.yaml) is evidence for none of them
                for name in (
                    ("words", "insults", "adjectives", "harms", "acts", "phrases")
                    if len(rule.languages) < len(LANGUAGES)
                    else ()
                ):
                    for entry in p.get(name, ()):
                        word, _ = _entry_forms(entry)
                        for lang in rule.languages:
                            language_words.setdefault(lang, set()).update(word.split())
            if rule.kind == "words":
                for w in p["words"]:
                    self._lex.add(w, (i, "word"))
                self._word_allow[i] = _flat_allow(p["allow"])
                idioms = [_entry_forms(a)[0].split() for a in p["allow"]]
                if any(len(parts) > 1 for parts in idioms):
                    self._allow_phrases[i] = [tuple(x) for x in idioms if len(x) > 1]
            elif rule.kind == "targeted_insult":
                for role in ("insults", "adjectives", "targets", "weak_targets", "fillers"):
                    for w in p[role]:
                        self._lex.add(w, (i, role.rstrip("s")))
                self._insults.append(
                    _Insult(
                        i, p["max_gap"], _flat_allow(p["allow"]), frozenset(p.get("reporting", ()))
                    )
                )
            elif rule.kind == "threat":
                for field_name, role in _THREAT_ROLES.items():
                    for w in p[field_name]:
                        self._lex.add(w, (i, role))
                self._threats.append((i, p["window"], p["max_gap"]))
            elif rule.kind == "addressed":
                for w in p["phrases"]:
                    self._lex.add(w, (i, "aphrase"), phrase=True)
                for w in p["targets"]:
                    self._lex.add(w, (i, "target"))
                self._addressed[i] = p["window"]
                for w in p.get("also", ()):
                    self._lex.add(w, (i, "also"))
                    self._addressed_also.add(i)
                if p.get("question"):
                    self._addressed_question.add(i)
                for w in p.get("unless", ()):
                    self._lex.add(w, (i, "unless"))
                    self._addressed_unless.add(i)
                if p.get("not_before"):
                    # compared with the tokens' flat (de-doubled) forms
                    self._not_before[i] = frozenset(
                        dedouble(_entry_forms(w)[0]) for w in p["not_before"]
                    )
            elif rule.kind == "learned":
                th = p["threshold"]
                model = load_model(p["model"])
                cut = math.log(th / (1.0 - th))
                kinds = frozenset(rule.applies_to)
                self._learned.append((i, model, cut, kinds, p["min_tokens"], p["max_tokens"]))
            elif rule.kind == "regex":
                for pat in p["patterns"]:
                    patterns.setdefault(p["target"], []).append((i, pat))
                if p.get("not_after"):
                    self._not_after[i] = frozenset(w.lower() for w in p["not_after"])
            else:
                self._other.append((i, rule))
        floods = [r.params for _, r in self._other if r.kind == "flood"]
        self._min_run = min((f["max_char_run"] for f in floods), default=3)
        self._min_repeats = min((f["max_word_repeats"] for f in floods), default=2)
        self._min_lines = min((f["max_lines"] for f in floods), default=2)
        # A run of one repeated non-space character (`_longest_run`) of printable ASCII shows in
        # the low set's run pattern below (lower-casing maps those characters one to one). Any
        # other run is made of characters outside printable ASCII and outside Python's ASCII
        # whitespace: text without `_min_run` of those in a row has no other run, and is spared
        # the back-reference scan of every position (non-ASCII text used to take it always).
        self._other_run = re.compile(rf"[^\x21-\x7e \t\n\r\f\v\x1c-\x1f]{{{self._min_run}}}")
        # structural rules per context kind, so `check` does not filter them every time
        self._other_by_kind: dict[str, list[tuple[int, str, Mapping[str, Any]]]] = {
            kind: [(i, r.kind, r.params) for i, r in self._other if kind in r.applies_to]
            for kind in ("message", "edit", "thread_title", "bot_output")
        }
        # ...and without the rate and repeat rules, for a message whose history is too short
        # for any of them (most messages: a member's first in the window), so the loop does
        # not walk past them; the order of the others, and so of `found`, is kept
        self._other_no_history = {
            kind: [r for r in rules_ if r[1] not in ("rate", "repeat")]
            for kind, rules_ in self._other_by_kind.items()
        }
        # a history shorter than every rate and repeat rule's count fires none of them
        self._min_history = min(
            (int(r.params["count"]) for _, r in self._other if r.kind in ("rate", "repeat")),
            default=0,
        )
        # One RE2 set over the lower-cased clean text answers, in one pass: which normalisation
        # steps are needed, whether a flood-length character run may exist (RE2 has no
        # back-references, so the run is spelled out per printable character), and which
        # `clean` regex rules match.
        low_patterns = [
            *PRECHECK_PATTERNS,
            "|".join(f"{re2.escape(chr(c))}{{{self._min_run}}}" for c in range(33, 127)),
        ]
        self._low_base = len(low_patterns)
        self._low_rules: list[tuple[int, Any]] = []
        for i, pat in patterns.pop("clean", []):
            low_patterns.append(pat)
            self._low_rules.append((i, re2.compile(pat, re2_options())))
        self._low_set = _compile_set(low_patterns)
        for target, pats in patterns.items():
            compiled = [(i, re2.compile(pat, re2_options())) for i, pat in pats]
            self._regex_sets[target] = (_compile_set([p for _, p in pats]), compiled)
        self._needs_tracker = any(r.kind in ("rate", "repeat") for _, r in self._other)
        if tracker is None:
            # No rule looks further back than its own window: keep no more than the longest.
            windows = [
                int(r.params["window_seconds"])
                for _, r in self._other
                if r.kind in ("rate", "repeat")
            ]
            self.tracker = RateTracker(max_window=float(max(windows, default=3600)))
        # a word the English rules also know ("idiot", "was") is no evidence for another language
        shared = {
            part
            for i, rule in enumerate(self._active)
            if i not in self._languages
            for name in ("words", "insults", "adjectives", "harms", "acts", "phrases", "targets")
            for entry in rule.params.get(name, ())
            for part in _entry_forms(entry)[0].split()
        }
        language_words = {lang: words - shared for lang, words in language_words.items()}
        # phrases by first word, then by second word: most phrases start with a common word
        # ("you", "de", "la"), and a message should only look at the ones that can match
        self._phrase_index: dict[str, tuple[list[Any], dict[str, list[Any]]]] = {}
        for first, entries in self._lex.phrases.items():
            singles: list[Any] = []
            by_second: dict[str, list[Any]] = {}
            for parts, owner in entries:
                if owner[1] not in ("word", "aphrase"):
                    continue
                if len(parts) == 1:
                    singles.append((parts, owner))
                else:
                    by_second.setdefault(parts[1], []).append((parts, owner))
            self._phrase_index[first] = (singles, by_second)
        # ...and what a message needs for any of them to be tried at all: an opener of a
        # one-word entry, or an opener followed by one of its second words
        self._phrase_singles = frozenset(f for f, (one, _) in self._phrase_index.items() if one)
        self._phrase_pairs = frozenset(
            (f, second) for f, (_, by_second) in self._phrase_index.items() for second in by_second
        )
        self._insult_at = {ins.index: ins for ins in self._insults}
        # what a hit of each rule reports, read once here rather than per hit
        self._hit_facts = [
            (r.id, r.guideline, r.severity, r.action, r.mode, r.shadow, frozenset(r.applies_to))
            for r in self._active
        ]
        self._language_rules = frozenset(self._languages)
        self._guesser = (
            LanguageGuesser(language_words)
            if self._languages or (self._learned and rules.language_modes)
            else None
        )
        self._lex = self._lex.seal()

    # -- the one public operation --------------------------------------------------------------
    def check(self, ctx: MessageContext, *, track: bool = True) -> Verdict:
        verdict = self._check(ctx, track)
        if verdict.hits and may_quote(ctx.text or ""):
            outside = outside_quotes(ctx.text)
            if outside is not None:
                # a report or rejection of quoted abuse: what fired only inside the quotes is
                # capped at log (see quotes.py)
                inside = self._check(replace(ctx, text=outside), False)
                verdict = self._demote_quoted(verdict, inside)
        return verdict

    def _demote_quoted(self, verdict: Verdict, outside: Verdict) -> Verdict:
        kept = {h.rule_id for h in outside.hits}
        hits: list[RuleHit] = []
        for hit in verdict.hits:
            rule = self.rules.get(hit.rule_id)
            if hit.rule_id in kept or rule is None or not _quotable(rule):
                hits.append(hit)
            else:
                hits.append(
                    replace(
                        hit,
                        action=min(hit.action, Action.LOG),
                        excerpt=f"quoted: {hit.excerpt}"[:_EXCERPT],
                    )
                )
        hits.sort(key=lambda h: (h.action, h.severity), reverse=True)
        top = hits[0] if hits else None
        return replace(
            verdict,
            action=top.action if top else Action.NONE,
            hits=hits,
            guideline=top.guideline if top else None,
        )

    def _check(self, ctx: MessageContext, track: bool) -> Verdict:
        text = ctx.text or ""
        kind = ctx.kind
        found: dict[int, str] = {}  # rule index -> excerpt (first hit per rule)

        clean_cased = clean_text(join_emoji_split(text))
        low = clean_cased.lower()
        low_hits = self._low_set.Match(low.encode())
        base = self._low_base
        normalised, joined = normalise_lowered(low, [n for n in low_hits if n < base - 1])
        # (non-ASCII text: only a run of characters the low set does not spell out can add one)
        maybe_run = (base - 1) in low_hits or (
            not low.isascii() and self._other_run.search(clean_cased) is not None
        )
        if normalised.isascii():
            tokens = normalised.translate(_TOKEN_TABLE).split()
        else:
            tokens = _TOKEN_RE.findall(normalised)
        if "*" in normalised:
            tokens = [self._lex.unmask(t) if "*" in t else t for t in _strip_stars(tokens)]

        # words, phrases and targeted insults: one cached lookup per token
        lookup = self._lex.lookup
        infos = list(map(lookup, tokens))
        if joined:
            for pos, tok in enumerate(tokens):
                if (
                    not (infos[pos].roles or infos[pos].hot)
                    and tok in joined
                    and len(tok) > 4
                    and tok[0] in "aiu"
                ):
                    rest = lookup(tok[1:])  # "ur a i d i o t" was joined into "aidiot"
                    if rest.roles or rest.hot:
                        infos[pos] = rest
        if NEED_STRETCH in low_hits:
            # "whattttt", "parasiteeeee": the normaliser leaves two letters of a stretched run
            # ("idiooooot" -> "idioot", which the lexicon de-doubles); a stretched word whose
            # one-letter form the rules know is read as that form, so structures see "what"
            stretched = {
                _STRETCH_RUN_RE.sub(r"\1\1", w): _STRETCH_RUN_RE.sub(r"\1", w)
                for w in (m.group(0) for m in _STRETCHED_WORD_RE.finditer(low))
            }
            exact = self._lex.exact
            for pos, tok in enumerate(tokens):
                single = stretched.get(tok, tok)
                # "willllll" stays "will" (a word of the rules); "whattttt" becomes "what"
                if single != tok and tok not in exact and single in exact:
                    info = lookup(single)
                    if info.roles or info.hot:
                        tokens[pos], infos[pos] = single, info
                        # the regex rules read the same words
                        normalised = re.sub(rf"\b{tok}\b", single, normalised)
        if "'" in low and ("d'" in low or "l'" in low or "qu'" in low or "un'" in low):
            # French and Italian elisions are glued by the normaliser ("d'abrutis" ->
            # "dabrutis"): a glued word no rule knows is looked up without its article
            elided = {head + rest: rest for head, rest in _ELISION_RE.findall(low)}
            if elided:
                for pos, tok in enumerate(tokens):
                    rest_word = elided.get(tok)
                    if (
                        rest_word
                        and not infos[pos].roles
                        and not infos[pos].words
                        and _CALLING.isdisjoint(tokens[max(0, pos - 3) : pos])
                    ):
                        rest = lookup(rest_word)
                        if rest.roles or rest.words:
                            infos[pos] = rest
        hot = list(itertools.compress(infos, map(_HOT, infos)))
        language_shadowed: set[int] = set()
        if hot:
            self._lexical(tokens, infos, hot, found, normalised, clean_cased)
            # (a set, so that isdisjoint walks the few hits, not every language-bound rule)
            if self._languages and not found.keys().isdisjoint(self._language_rules):
                language_shadowed = self._drop_other_languages(text, tokens, found)

        # regular expressions: `clean` ones were matched above; one RE2 set per other layer
        for n in low_hits:
            if n >= base:
                idx, rx = self._low_rules[n - base]
                if idx not in found:
                    m = rx.search(low)
                    found[idx] = m.group(0) if m else ""
        # the raw text without its disguises, for the raw and clean layers (only when a
        # disguise may be there: markdown, spelled-out letters, or characters clean_text folds)
        disguised = NEED_STRETCH in low_hits or NEED_SPACED in low_hits or NEED_MARKDOWN in low_hits
        if disguised:
            robed = derobe(clean_cased)
        elif folded_disguise(text):
            robed = clean_cased  # zero-width, look-alike, fullwidth: clean_text undid them
        else:
            robed = ""
        if robed == text:
            robed = ""
        # (a disguise hint with nothing undone, e.g. backtick quotes: `low` was matched already)
        if robed and disguised and self._low_rules and robed != clean_cased:
            robed_low = robed.lower()
            for n in self._low_set.Match(robed_low.encode()):
                if n >= base:
                    idx, rx = self._low_rules[n - base]
                    if idx not in found:
                        m = rx.search(robed_low)
                        found[idx] = m.group(0) if m else ""
        for target, (rset, compiled) in self._regex_sets.items():
            subjects = [normalised] if target == "normalised" else [_encodable(text)]
            if robed and target != "normalised":
                subjects.append(_encodable(robed))
            for subject in subjects:
                matched = rset.Match(subject.encode())
                if matched:
                    for n in matched:
                        idx, rx = compiled[n]
                        if idx not in found:
                            m = rx.search(subject)
                            if m and idx in self._not_after:
                                m = _meant_match(rx, subject, self._not_after[idx])
                                if m is None:
                                    continue
                            found[idx] = m.group(0) if m else ""

        # structural rules
        if self._other:
            self._structural(ctx, clean_cased, normalised, tokens, found, track, maybe_run)

        # learned rules last: one weighted sum over the tokens and their pairs, only where no
        # rule matched. The model fills gaps; it never escalates what a rule (or a
        # guild's override of it: personal-insults at `log`) already decided.
        shadowed: frozenset[int] = _EMPTY_IDX
        if self._learned and tokens:
            shadowed = self._learned_signal(kind, text, tokens, infos, found)
        if language_shadowed:
            shadowed = shadowed | language_shadowed

        hits: list[RuleHit] = []
        shadow: list[RuleHit] = []
        facts = self._hit_facts
        for idx, excerpt in found.items():
            rule_id, guideline, severity, action, mode, shadow_mode, kinds = facts[idx]
            if kind not in kinds:
                continue
            hit = RuleHit(rule_id, guideline, severity, action, mode, excerpt[:_EXCERPT])
            (shadow if shadow_mode or idx in shadowed else hits).append(hit)
        if not hits and not shadow:
            return Verdict(action=Action.NONE, normalised=normalised)
        hits.sort(key=lambda h: (h.action, h.severity), reverse=True)
        shadow.sort(key=lambda h: (h.action, h.severity), reverse=True)
        top = hits[0] if hits else None
        return Verdict(
            action=top.action if top else Action.NONE,
            hits=hits,
            shadow_hits=shadow,
            guideline=top.guideline if top else None,
            normalised=normalised,
        )

    # -- helpers ------------------------------------------------------------------------------
    def _lexical(
        self,
        tokens: list[str],
        infos: list[_TokInfo],
        hot: list[_TokInfo],
        found: dict[int, str],
        normalised: str,
        cased: str = "",
    ) -> None:
        # the word rules, if any token is one of their words (most messages: none)
        if any(map(_WORDS, hot)):
            for pos, info in enumerate(infos):
                if not info.words:
                    continue
                tok = tokens[pos]
                for idx in info.words:
                    if idx not in found:
                        allow = self._word_allow.get(idx, frozenset())
                        if tok in allow or dedouble(tok) in allow:
                            continue
                        idioms = self._allow_phrases.get(idx)
                        if (
                            idioms
                            and _in_idiom(tokens, pos, idioms)
                            and not _called_one(tokens, pos)
                        ):
                            continue
                        if idx in self._self_aside and (
                            _said_of_oneself(tokens, pos, "ru" in self._languages.get(idx, ()))
                            or _place_name(cased, tokens, pos)
                        ):
                            continue
                        if _named_as_a_word(tokens, pos):
                            continue
                        if idx in self._self_predicates and _self_predicate(tokens, pos):
                            continue
                        if tok in _ROLE_WORDS and _generic_role(tokens, pos, normalised):
                            continue
                        if tok in _ADDRESS_NOUNS and not _addressed(tokens, pos, normalised):
                            continue
                        found[idx] = tok
        # only the insult rules one of whose insults or adjectives occurs
        insult_rules = _EMPTY_IDX.union(*map(_INSULTS, hot))
        roles: list[Mapping[int, frozenset[str]]] | None = None
        if insult_rules:
            roles = list(map(_ROLES, infos))
            # where each comma-separated segment starts: the same for every insult rule
            starts = _segment_starts(normalised, tokens) if "," in normalised else None
            # (in rule order, as `self._insults` is; only the rules that occur)
            by_index = self._insult_at
            for i_idx in sorted(insult_rules):
                ins = by_index.get(i_idx)
                if ins is not None and i_idx not in found:
                    excerpt = self._targeted(ins, tokens, roles, normalised, starts)
                    if excerpt:
                        found[i_idx] = excerpt
        clauses: list[int] | None = None
        # only the threat rules whose harm or act words occur (most messages: none)
        threat_rules = _EMPTY_IDX.union(*map(_THREAT, hot))
        if threat_rules:
            clauses = _clauses(normalised, tokens)
            if roles is None:
                roles = list(map(_ROLES, infos))
            threats = list(map(_THREAT, infos))
            for idx, window, max_gap in self._threats:
                if idx in found or idx not in threat_rules:
                    continue

                def role_at(k: int, idx: int = idx) -> frozenset[str]:
                    return roles[k].get(idx, _EMPTY)

                # only where this rule has a harm or act word: every other position is passed over
                at = itertools.compress(
                    range(len(tokens)), map(operator.contains, threats, itertools.repeat(idx))
                )
                excerpt = find_threat(
                    tokens, role_at, clauses, window=window, max_gap=max_gap, positions=at
                )
                if excerpt:
                    found[idx] = excerpt
        if any(map(_PHRASE, hot)):
            self._match_phrases(tokens, infos, found, normalised, clauses)

    def _learned_signal(
        self,
        kind: str,
        text: str,
        tokens: list[str],
        infos: list[_TokInfo],
        found: dict[int, str],
    ) -> frozenset[int]:
        """Run the learned rules; returns the ones to report in shadow mode only (the message
        is in a language the guild set to shadow)."""
        facts = self._hit_facts
        for i in found:
            # any rule, shadowed ones too: a guild trialling `personal-insults` in shadow mode
            # wants those messages through, not held by the model instead
            if kind in facts[i][6]:
                return _EMPTY_IDX
        shadowed: set[int] = set()
        # the rare message with a link or a mention: the model reads it without them, and its
        # token limits count what it reads ("<@1> <@2> enjoy http://..." is one word, not four)
        scored = model_tokens(text) if has_noise(text) else tokens
        for idx, model, cut, kinds, min_tokens, max_tokens in self._learned:
            if idx in found or kind not in kinds or not min_tokens <= len(scored) <= max_tokens:
                continue
            z = model.logit(scored)
            if (
                z < cut
                or tells_of_others(text, tokens)
                or _insult_set_aside(tokens, infos)
                or self._said_aside(tokens, infos, text.lower())
            ):
                continue
            # the model reads every language, so a guild's `languages:` switches apply to it too
            mode = self._language_mode(text, tokens)
            if mode == "off":
                continue
            if mode == "shadow":
                shadowed.add(idx)
            why = ", ".join(model.reasons(scored))
            found[idx] = f"{1.0 / (1.0 + math.exp(-min(z, 30.0))):.2f}: {why}"
        return frozenset(shadowed)

    def _said_aside(self, tokens: list[str], infos: list[_TokInfo], flat: str = "") -> bool:
        """A word of another language's list that its rule set aside as the writer's of himself
        or as discussed ("ich war so ein Vollidiot", "mich einen Spasti zu nennen"): the model
        does not overrule that either."""
        aside = self._self_aside
        return any(
            info.words
            and not aside.isdisjoint(info.words)
            and (
                _said_of_oneself(tokens, pos)
                or self._allowed_here(tokens, pos, info.words)
                or (
                    not self._self_predicates.isdisjoint(info.words)
                    and _self_predicate(tokens, pos)
                )
                or (tokens[pos] in _ROLE_WORDS and _generic_role(tokens, pos, flat))
            )
            for pos, info in enumerate(infos)
        )

    def _allowed_here(self, tokens: list[str], pos: int, rules: Iterable[int]) -> bool:
        """Whether the word at pos is in one of its rules' allowed idioms: the place name "a
        Bastardo", the verb "flikker het ... weg", the comparative "dümmer da"."""
        for idx in rules:
            idioms = self._allow_phrases.get(idx)
            if idioms and _in_idiom(tokens, pos, idioms):
                return True
        return False

    def _language_mode(self, text: str, tokens: list[str]) -> str:
        """enforce, shadow or off: the guild's setting for the language the message is in
        (English, or no evidence either way, is always enforced)."""
        modes = self.rules.language_modes
        if not modes or self._guesser is None:
            return "enforce"
        langs = self._guesser.guess(text, tokens)
        settings = {modes.get(lang, "enforce") for lang in langs if lang != ENGLISH}
        if ENGLISH in langs or not settings or "enforce" in settings:
            return "enforce"
        return "shadow" if "shadow" in settings else "off"

    def _drop_other_languages(
        self, text: str, tokens: list[str], found: dict[int, str]
    ) -> set[int]:
        """Forget the hits of rules written for languages the message is not in, or that the
        guild switched off; returns the hits to report in shadow mode only (the message's
        languages are all shadowed). A rule for several languages ("self-harm-other-languages")
        thus follows the switch of the language the message is in."""
        assert self._guesser is not None
        langs = self._guesser.guess(text, tokens)
        modes = self.rules.language_modes
        shadowed: set[int] = set()
        languages = self._languages
        for idx in [i for i in found if i in languages]:
            matching = languages[idx] & langs
            settings = {modes.get(lang, "enforce") for lang in matching}
            if not matching or settings == {"off"}:
                del found[idx]
            elif "enforce" not in settings:
                shadowed.add(idx)
        return shadowed

    def _targeted(
        self,
        ins: _Insult,
        tokens: list[str],
        roles: list[Mapping[int, frozenset[str]]],
        normalised: str,
        starts: list[int] | None,
    ) -> str | None:
        """Second person near an insult, in either order, with only filler words between.

        "you are an idiot", "ur a moron", "you absolute muppet", "idiot, you", "what an idiot
        you are", "an idiot like you", "you leftists are clowns", and vocatives ("Get lost,
        scum."). Insults aimed at ideas ("this argument is idiotic") or third parties
        ("Khrushchev was a liar") have no second person in reach, and negated ones ("I'm not
        calling you a liar") are skipped.
        """
        i_idx = ins.index

        def role_at(pos: int) -> frozenset[str]:
            return roles[pos].get(i_idx, _EMPTY)

        reporting = ins.reporting
        # a target that opens a new segment starts a new clause, which an earlier negation
        # does not reach: "nobody asked, you complete dumbass" is an insult, while "I would
        # never, ever call you an idiot" is not (`starts`: see `_segment_starts`)

        def negated(j: int) -> bool:
            lo = j if starts is not None and starts[j] == j else max(0, j - 3)
            if any(t in _NEGATIONS for t in tokens[lo:j]):
                return True
            # "people say that the lives of X are worthless", "X als Müll bezeichnen"
            if not reporting:
                return False
            if not reporting.isdisjoint(tokens[max(0, j - 5) : j]):
                return True
            # ...and the clause a reporting verb opens further back: "no puedes creer de
            # verdad que todos los X son...", "nie wierzysz na serio, że wszystkie X są..."
            # (a verb, not a negation: "¿no es obvio que los X son escoria?" is no report)
            for k in range(j - 1, max(-1, j - 5), -1):
                if tokens[k] in _COMPLEMENTISERS:
                    return any(
                        t in reporting and t not in _NEGATION_WORDS
                        for t in tokens[max(0, k - 5) : k]
                    )
            return False

        def reported_after(pos: int) -> bool:
            return bool(reporting) and not reporting.isdisjoint(tokens[pos + 1 : pos + 4])

        n_tokens = len(tokens)
        # only the positions where this rule has a role at all (most tokens of a long
        # paragraph have none)
        for pos in list(
            itertools.compress(
                range(n_tokens), map(operator.contains, roles, itertools.repeat(i_idx))
            )
        ):
            tok = tokens[pos]
            here = roles[pos][i_idx]  # (the rule has a role here: what role_at(pos) gives)
            is_noun = "insult" in here
            if not is_noun and "adjective" not in here:
                continue
            if tok in ins.allow or dedouble(tok) in ins.allow:
                continue
            # backwards: target [wildcard] filler* insult
            gap = 0
            j = pos - 1
            described = False  # an unlisted adjective was passed: "a pompous windbag"
            while j >= 0 and gap <= ins.max_gap:
                r = role_at(j)
                if "target" in r or ("weak_target" in r and j < pos - 1 and not described):
                    # "you fool yourself", "you bitch about", "you trash the record": verbs
                    if (
                        j == pos - 1
                        and pos + 1 < n_tokens
                        and tokens[pos + 1] in _VERB_NEXT
                        and dedouble(tok) in _VERBISH
                    ):
                        break
                    if negated(j) or reported_after(pos):
                        break
                    # "hey idiot" addresses the reader; "listen, the idiot who wrote this"
                    # describes someone else
                    if tokens[j] in _VOCATIVE_CUES and _DETERMINERS.intersection(
                        tokens[j + 1 : pos]
                    ):
                        break
                    return " ".join(tokens[j : pos + 1])
                if r & _GAP_ROLES:
                    # articles, "are"/"is" and "most" do not count: "you are the most
                    # insufferable smug prick" has two describing words, not five
                    gap += tokens[j] not in _FREE_GAP
                    j -= 1
                    continue
                # "imagine being (this much of) a moron": the reader is the one imagined
                if tokens[j] == "imagine" and tokens[j + 1] == "being":
                    if negated(j):
                        break
                    return " ".join(tokens[j : pos + 1])
                # a name or "this guy" as the subject: "Rahul is a total dickhead"
                if _named_subject(tokens, j):
                    return " ".join(tokens[: pos + 1])
                # one word the lists do not know, as the noun's own adjective after an article
                # or a filler ("the most tedious gobshite", "a sanctimonious prick"):
                # adjectives are an open class. Not right after the target, where it is a verb
                # ("you saw a rat"), nor towards a weak "your" ("your guinea pig").
                if (
                    is_noun
                    and not described
                    and not r
                    and tokens[j] not in _NOT_ADJECTIVES
                    and j >= 1
                    and "filler" in role_at(j - 1)
                ):
                    described = True
                    gap += 1
                    j -= 1
                    continue
                # one unknown word right after the target: "you liberals are idiots",
                # "you tankie clowns"
                if (
                    j >= 1
                    and "target" in role_at(j - 1)
                    and not negated(j - 1)
                    and tokens[j] not in reporting
                ):
                    nxt = tokens[j + 1] if j + 1 < n_tokens else ""
                    if j + 1 == pos or nxt in ("are", "r"):
                        return " ".join(tokens[j - 1 : pos + 1])
                break
            # the message opens on the one it answers: "another brain-dead MAGA idiot
            # lecturing us", "typical tankie moron" (only describing words between)
            # ...where the insult ends the phrase ("another fool's errand" goes on to a noun)
            if (
                is_noun
                and j <= 0
                and gap <= ins.max_gap
                and tokens[0] in _OPENERS
                and pos > 0
                and _phrase_ends(tokens, pos, normalised)
            ):
                return " ".join(tokens[: pos + 1])
            # a contemptuous adjective right before a group of people, opening the message or
            # after "those"/"these"/"all": "disgusting muslims everywhere", "those filthy
            # leftists" (group rules only: they are the ones with reporting words)
            if (
                not is_noun
                and reporting
                and pos + 1 < n_tokens
                and "target" in role_at(pos + 1)
                and (pos == 0 or tokens[pos - 1] in ("those", "these", "all", "the"))
                and not negated(pos)
                and not reported_after(pos + 1)
            ):
                return " ".join(tokens[max(0, pos - 1) : pos + 2])
            if not is_noun:
                continue
            # an exclamation that is the whole message: "what a dumbass", "what an absolute muppet"
            if (
                pos >= 2
                and tokens[0] == "what"
                and tokens[1] in ("a", "an")
                and all(role_at(k) & _BARE_ROLES for k in range(2, pos))
                and n_tokens - pos <= 2
            ):
                return " ".join(tokens[: pos + 1])
            # the whole message is the insult: "idiot.", "moron!!", "absolute clown"
            # (but "fuck!" alone is an exclamation, not an insult)
            if (
                n_tokens <= 3
                and tok not in _EXCLAMATIONS
                and all(role_at(k) & _BARE_ROLES for k in range(n_tokens))
            ):
                return " ".join(tokens)
            # forwards: "idiot, you", "what a moron you are", "an idiot like you"
            # ...but not "Stalin was a fool, you know": only at the end or before "are"/"all".
            nxt = tokens[pos + 1] if pos + 1 < n_tokens else ""
            # "what a moron lol, you": an interjection does not separate an insult from its target
            skip = pos + 1
            while skip < min(n_tokens - 1, pos + 3) and tokens[skip] in _INTERJECTIONS:
                skip += 1
            if skip > pos + 1 and tokens[skip] in _FORWARD_TARGETS:
                nxt, pos_t = tokens[skip], skip
            else:
                pos_t = pos + 1
            if nxt in _FORWARD_TARGETS:
                after = tokens[pos_t + 1] if pos_t + 1 < n_tokens else ""
                if after in _FORWARD_OK and not negated(pos):
                    return " ".join(tokens[pos : pos_t + 1])
            elif _in_this_place(tokens, pos) and not negated(pos) and not reported_after(pos):
                # "every single MAGA clown in this thread": the group is here, so it is the readers
                return " ".join(tokens[pos : pos + 5])
            elif (
                nxt == "like"
                and pos + 2 < n_tokens
                and tokens[pos + 2] in _FORWARD_TARGETS
                and not negated(pos)
            ):
                return " ".join(tokens[pos : pos + 3])
            elif (
                tokens[pos + 1 : pos + 2] in (["this"], ["that"])
                and tokens[pos + 2 : pos + 3] in ([p] for p in _PERSON_NOUNS)
                and tokens[pos + 3 : pos + 4] in (["is"], ["s"])
                and n_tokens == pos + 4
                and not negated(pos)
            ):
                # "what a cunt this guy is": the insult comes first, its target after it
                return " ".join(tokens[pos:])
            elif _names_the_reader(tokens[pos + 1 :]) and not negated(pos):
                return " ".join(tokens[pos:])
        return self._vocative(ins, tokens, role_at, normalised)

    def _vocative(
        self,
        ins: _Insult,
        tokens: list[str],
        role_at: Callable[[int], frozenset[str]],
        normalised: str,
    ) -> str | None:
        """An insult set off by a comma at either end of a message that addresses someone:
        "Get lost, scum.", "Shut it, muppet.", "Muppet, you have not read it." but not
        "He was, in short, a fool." (an article makes it a description)."""
        if "," not in normalised and ":" not in normalised:
            return None
        segments = [seg for seg in _SEGMENT_RE.split(normalised) if seg.strip()]
        if len(segments) < 2:
            return None
        # A trailing vocative needs no other cue ("Nobody asked, idiot."); a leading one must
        # be followed by an address ("Muppet, you have not read it"), since "Fools, he called
        # them" is narration.
        # ...or by an order in a later segment: "stupid bitch, go cry about it"
        addressed = (
            tokens[0] in _IMPERATIVES
            or any("target" in role_at(k) for k in range(len(tokens)))
            or any(seg.split()[:1] in (["go"], ["get"], ["shut"]) for seg in segments[1:])
        )
        candidates = [segments[-1], segments[0]] if addressed else [segments[-1]]
        for seg in candidates:
            words = _TOKEN_RE.findall(seg)
            if not 1 <= len(words) <= 2 or words[0] in _DETERMINERS:
                continue
            last = words[-1]
            roles = self._lex.lookup(last).roles.get(ins.index, _EMPTY)
            if "insult" not in roles or last in ins.allow:
                continue
            if len(words) == 2:
                # "absolute muppet" is a vocative; "you joke" is a sentence the main scan
                # has already judged
                first = self._lex.lookup(words[0]).roles.get(ins.index, _EMPTY)
                if not first & _BARE_ROLES:
                    continue
            return seg.strip()
        return None

    def _match_phrases(
        self,
        tokens: list[str],
        infos: list[_TokInfo],
        found: dict[int, str],
        normalised: str,
        clauses: list[int] | None,
    ) -> None:
        flat = list(map(_FLAT, infos))
        # most messages have a phrase opener ("you", "the", "de") but none of its second words
        # after it: told in C, over the word pairs, before any position is visited
        if self._phrase_pairs.isdisjoint(
            itertools.pairwise(flat)
        ) and self._phrase_singles.isdisjoint(flat):
            return
        index = self._phrase_index
        n_tokens = len(tokens)
        also_seen: dict[int, bool] = {}
        for pos in itertools.compress(range(n_tokens), map(_PHRASE, infos)):
            singles, by_second = index[flat[pos]]
            # most phrase openers ("you", "the", "de") are followed by no phrase's second word
            longer = by_second.get(flat[pos + 1]) if pos + 1 < n_tokens else None
            if longer is None:
                if not singles:
                    continue
                candidates = singles
            else:
                candidates = singles + longer if singles else longer
            for parts, (idx, role) in candidates:
                if idx in found or role not in ("word", "aphrase"):
                    continue
                n = len(parts)
                if tuple(flat[pos : pos + n]) != parts:
                    continue
                idioms = self._allow_phrases.get(idx) if role == "word" else None
                if idioms and _in_idiom(tokens, pos, idioms):
                    continue  # "she told me to fuck off": reported, not said
                # "j'ai été une vraie tête de con": the writer's of himself
                if role == "word" and idx in self._self_predicates and _self_predicate(tokens, pos):
                    continue
                if role == "aphrase":
                    # a structure's second part, anywhere in the message: asked first, once per
                    # rule and message, since most field words come without it
                    if idx in self._addressed_also:
                        seen = also_seen.get(idx)
                        if seen is None:
                            seen = also_seen[idx] = (
                                idx in self._addressed_question and "?" in normalised
                            ) or any("also" in info.roles.get(idx, _EMPTY) for info in infos)
                        if not seen:
                            continue
                    if clauses is None:
                        clauses = _clauses(normalised, tokens)

                    def role_at(k: int, idx: int = idx) -> frozenset[str]:
                        return infos[k].roles.get(idx, _EMPTY)

                    window = self._addressed[idx]
                    if not addressed_near(pos, pos + n, role_at, clauses, n_tokens, window):
                        continue
                    undo = self._not_before.get(idx)
                    if undo and pos + n < n_tokens and flat[pos + n] in undo:
                        continue
                    # a word anywhere that sets the hit aside: a game, a vote or an argument
                    # ("I'll destroy you at chess"), praise for someone else ("your daughter's
                    # first school day, so cute"); asked on a hit only
                    if idx in self._addressed_unless and any(
                        "unless" in role_at(k) for k in range(n_tokens)
                    ):
                        continue
                    # "I don't hate immigrants", "non odio i disabili", "no odio a los trans"
                    if pos and tokens[pos - 1] in _PHRASE_NEGATIONS:
                        continue
                    # history told in the past and the third person: "troops lined the
                    # Communards up against the wall and shot them"
                    if _past_narration(tokens, pos, pos + n):
                        continue
                found[idx] = " ".join(tokens[pos : pos + n])

    def _structural(
        self,
        ctx: MessageContext,
        clean_cased: str,
        normalised: str,
        tokens: list[str],
        found: dict[int, str],
        track: bool,
        maybe_run: bool,
    ) -> None:
        history = None
        digest = 0
        flood: _FloodFacts | None = None
        may_flood: bool | None = None  # whether any flood rule can fire (asked once)
        if self._needs_tracker and track and ctx.author_id and ctx.kind == "message":
            digest = hash(" ".join(tokens)) if tokens else hash(normalised.strip())
            history = self.tracker.observe((ctx.author_id, ctx.channel_id), ctx.timestamp, digest)
            if len(history) < self._min_history:
                history = None  # (the message is recorded all the same)
        others = (self._other_by_kind if history is not None else self._other_no_history).get(
            ctx.kind, ()
        )
        for idx, kind, p in others:
            if kind == "caps":
                if len(clean_cased) < p["min_letters"] or clean_cased.islower():
                    continue
                raw = clean_cased.encode("ascii", "ignore")
                upper = len(raw) - len(raw.translate(None, _ASCII_UPPER))
                # too few capitals for the ratio of even the fewest letters the rule takes
                # (a hair of margin, so float rounding never decides)
                if upper < p["ratio"] * p["min_letters"] * 0.999999:
                    continue
                letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
                if letters < p["min_letters"]:
                    continue
                if upper / letters >= p["ratio"]:
                    found[idx] = clean_cased[:_EXCERPT]
            elif kind == "flood":
                if may_flood is None:
                    # no flood rule can fire without: too many lines, a long character run, or
                    # enough repeated tokens for a run of words or a repeated phrase
                    may_flood = (
                        maybe_run
                        or clean_cased.count("\n") >= self._min_lines
                        or _may_repeat_words(tokens, self._min_repeats)
                    )
                if not may_flood:
                    continue
                if flood is None:
                    flood = _FloodFacts.of(
                        clean_cased, tokens, self._min_run, self._min_repeats, maybe_run
                    )
                excerpt = flood.excerpt(p)
                if excerpt:
                    found[idx] = excerpt
            elif kind == "mentions":
                counted = len(_MENTION_RE.findall(ctx.text)) if "@" in ctx.text else 0
                n = max(ctx.mention_count, counted)
                if n >= p["min_mentions"]:
                    found[idx] = f"{n} mentions"
            elif kind == "links":
                n = (
                    len(_LINK_RE.findall(clean_cased))
                    if "/" in clean_cased or "www" in clean_cased
                    else 0
                )
                if n >= p["min_links"]:
                    found[idx] = f"{n} links"
            elif history is not None:
                since = ctx.timestamp - p["window_seconds"]
                need = p["count"]
                if kind == "rate":
                    # newest first; stop at the window edge or as soon as the count is reached
                    for n, (ts, _) in enumerate(reversed(history), start=1):
                        if ts < since:
                            break
                        if n >= need:
                            found[idx] = f"{need} or more messages in {p['window_seconds']}s"
                            break
                elif kind == "repeat" and tokens:
                    n = 0
                    for ts, d in reversed(history):
                        if ts < since:
                            break
                        n += d == digest
                        if n >= need:
                            found[idx] = f"same message {need} times: {normalised[:40]}"
                            break


# "Ich Depp", "sono un cretino", "ik ben een sukkel", "jestem idiotą": the writer names himself
# (first-person copulas and pronouns of the other languages, "ya" for Russian "я"; not Dutch
# "je", which is "you", nor Italian "sono", which is also "they are")
_SELF_MARKERS = frozenset({"ich", "bin", "ik", "ben", "io", "soy", "sou", "suis",
                           "jestem", "bylem", "bylam", "eu", "estoy", "ya", "fui", "ero",
                           "war"})  # fmt: skip
_SELF_MARKERS_NOT_RU = _SELF_MARKERS - {"ya"}


# naming and writing verbs in the infinitive or participle: counter-speech discusses calling
# someone a word ("mich einen Spasti zu nennen", "om mensen mongool te noemen", "scrivere che
# i disabili sono tutti stronzi"); the first-person forms ("ich nenne dich") are not here
_NAMING = frozenset({"nennen", "bezeichnen", "noemen", "llamar", "llamarme", "llamarle",
                     "decirle", "decirles", "dappeler",
                     "llamando", "decirme", "chamar", "chamando", "appeler", "traiter",
                     "chiamare", "chiamarmi", "nazywac", "nazwac", "nazywanie", "nazyvat",
                     "nazvat", "demek"})  # fmt: skip
# ...and writing it, before the word: "scrivere che i disabili sono tutti stronzi"
_WRITING = frozenset({"scrivere", "escrever", "schrijven", "ecrire", "escribir", "schreiben",
                      "pisac", "napisac", "pisat", "napisat", "yazmak"})  # fmt: skip
_NEGATION_WORDS = (
    _NEGATIONS
    | _PHRASE_NEGATIONS
    | frozenset({"kein", "keine", "keinen", "niemals", "jamas", "geen", "никогда", "не", "degil"})
)
# words that open a reported clause ("...creer de verdad que", "...dire che", "...sagen, dass")
_COMPLEMENTISERS = frozenset({"que", "che", "dass", "ze", "dat", "that", "что", "chto",
                              "qu"})  # fmt: skip
_SECOND_PERSON = frozenset({"du", "dich", "dir", "dein", "deine", "tu", "te", "ti", "ty",
                            "cie", "ciebie", "jij", "je", "jou", "jouw", "sen", "seni", "you",
                            "u", "vous", "voi"})  # fmt: skip


# A menacing image told as history ("ended with the Bloody Week, troops lined them up
# against the wall and shot them"): a past-tense verb near it, no reader and nothing to come
_PAST_MARKERS = frozenset({"were", "ended", "executed", "massacred", "hanged", "had",
                           "did", "died", "murdered", "killed", "purged", "shot",
                           "lined"})  # fmt: skip
# a reader (any second person), a modal or something to come: not history
_NOT_HISTORY = _SECOND_PERSON | frozenset({"ya", "yall", "your", "ur", "youre", "youll", "will",
                                           "ll", "gonna", "should", "must", "deserve", "deserves",
                                           "need", "needs", "going", "next", "soon", "wait",
                                           "when", "if", "would", "day", "again", "us", "we",
                                           "our", "today", "deinen", "euch", "eure", "jullie",
                                           "twoi", "twoja", "tvoi", "тебя", "твои"})  # fmt: skip


_WORD_RE = re.compile(r"\w+")


def _meant_match(rx: Any, subject: str, not_after: frozenset[str]) -> Any:
    """The first match of rx whose word before is none of the rule's not_after words
    ("un paese che si chiama Cazzago San Martino" names a place, not a person); None if every
    match is so excused. Only asked on a match of a rule that has such words."""
    for m in rx.finditer(subject):
        before = _WORD_RE.findall(subject[max(0, m.start() - 60) : m.start()].lower())[-2:]
        # the place right before, or before a relative pronoun ("un paese che si chiama")
        if before and before[-1] in _RELATIVES:
            before = before[:-1]
        if not before or before[-1] not in not_after:
            return m
    return None


_RELATIVES = frozenset({"che", "que", "qui", "das", "der", "die", "dat", "który", "które",
                        "która", "который", "которое", "которая", "ki"})  # fmt: skip


def _past_narration(tokens: list[str], start: int, end: int) -> bool:
    """Whether the phrase tokens[start:end] is told as past history in the third person: a
    past-tense verb within ten words and no reader, modal or future there."""
    near = tokens[max(0, start - 10) : end + 10]
    return not _PAST_MARKERS.isdisjoint(near) and _NOT_HISTORY.isdisjoint(near)


_SELF_VERBS = frozenset({("ik", "was"), ("ik", "ben"), ("ik", "voelde"), ("ich", "war"),
                         ("ich", "bin"), ("ich", "fuhlte"), ("eu", "fui"), ("eu", "era"),
                         ("eu", "sou"), ("io", "ero"), ("yo", "era"), ("yo", "soy"),
                         ("j", "etais"), ("ja", "bylem"), ("ja", "bylam")})  # fmt: skip


# prepositions of place before a capitalised word that is a town, not an insult: "a Bastardo",
# "w Bydgoszczy", "nach Dummsdorf"
_PLACE_PREPOSITIONS = frozenset({"a", "da", "di", "in", "per", "verso", "en", "de", "desde",
                                 "hacia", "em", "para", "no", "na", "do", "vers", "nach", "aus",
                                 "bei", "von", "naar", "uit", "bij", "te", "van", "w", "we", "z",
                                 "ze", "pod", "kolo", "near"})  # fmt: skip


def _place_name(cased: str, tokens: list[str], pos: int) -> bool:
    """Whether the word at pos is written capitalised after a preposition of place in the
    original text, mid-sentence: a place name ("c'è un bar a Bastardo"), not an insult."""
    if not pos or not cased or tokens[pos - 1] not in _PLACE_PREPOSITIONS:
        return False
    word = tokens[pos]
    return f"{tokens[pos - 1]} {word[:1].upper()}{word[1:]}" in cased


def _self_subject_near(tokens: list[str], pos: int) -> bool:
    """A first-person subject and its verb a little further back than the four words
    ("ik was toen een echte klootzak", "ik voelde me echt een klootzak"), no second person."""
    if pos <= 4:
        return False
    before = tokens[max(0, pos - 6) : pos]
    return not _SECOND_PERSON.intersection(before) and not _SELF_VERBS.isdisjoint(
        itertools.pairwise(before)
    )


def _said_of_oneself(tokens: list[str], pos: int, russian: bool = True) -> bool:
    """Whether the word at pos is the writer's of himself, with a first-person marker and no
    second person in the four words before it ("ich war wirklich ein krasser Vollidiot"), or
    discussed rather than said (a naming or writing verb near it)."""
    before = tokens[max(0, pos - 4) : pos]
    # "ya" is Russian "я" transliterated, but Spanish "already" ("calla ya, gilipollas"): it
    # marks the writer only for a rule that reads Russian
    markers = _SELF_MARKERS if russian else _SELF_MARKERS_NOT_RU
    if not _SECOND_PERSON.intersection(before) and (
        markers.intersection(before)
        or _self_subject_near(tokens, pos)
        # Italian "sono" is "I am" before a singular article ("sono un cretino")
        or any(a == "sono" and b in ("un", "una", "uno") for a, b in itertools.pairwise(before))
    ):
        return True
    return not (
        _NAMING.isdisjoint(tokens[max(0, pos - 8) : pos + 4])
        and _WRITING.isdisjoint(tokens[max(0, pos - 8) : pos])
    )


# Insult adjectives that also name a role no one in particular plays: "wer arbeitet, darf nicht
# der Dumme sein" (the one who loses out), "hacer el tonto" (to fool around), "fare lo scemo",
# "bancar o otário", "fazer papel de idiota" (normalised forms)
_ROLE_WORDS = frozenset({"dumme", "tonto", "tonta", "idiota", "scemo", "scema",
                         "stupido", "stupida", "otario", "otaria", "burro", "burra", "buffone",
                         "pagliaccio", "palhaco", "payaso", "payasa", "coglione", "cazzone",
                         "cretino"})  # fmt: skip
# the German nominalised adjective after its article, with a being verb near it
_ROLE_ARTICLES = frozenset({"der", "die", "den"})
_BEING = frozenset({"sein", "ist", "bin", "sind", "war", "waren", "wird", "werden", "bleibt",
                    "bleiben", "bleibe", "ware", "gewesen", "spielen", "spielt"})  # fmt: skip
# what may follow the nominalised adjective ("der Dumme sein", "der Dumme, weil..."); a noun
# there makes it attributive again ("der dumme Typ")
_ROLE_NEXT = _BEING | frozenset({"am", "immer", "wieder", "hier", "dabei", "und", "aber", "oder",
                                 "weil", "wenn", "da", "doch", "halt", "eben", "ja"})  # fmt: skip
# verbs of playing a role, two words before the adjective: "hacer el tonto", "fare lo scemo",
# "bancar o otário", "papel de idiota", "fazer-se de burro"
_ROLE_VERBS = frozenset({"hacer", "hacerse", "hace", "hacen", "hago", "hacemos", "haciendo",
                         "hizo", "hicieron", "fare", "fa", "faccio", "fanno", "facendo",
                         "fatto", "fece", "bancar", "banca", "bancando", "bancou", "papel",
                         "se"})  # fmt: skip
_ROLE_PARTICLES = frozenset({"el", "la", "lo", "il", "o", "a", "de"})
# the reader in the clause makes the role his: "du bist der Dumme hier", "eres el tonto"
_ADDRESSEE = _SECOND_PERSON | frozenset({"bist", "ihr", "euch", "seid", "eres", "sos", "sei",
                                         "siete", "voce", "vc", "haces", "fai", "fazes",
                                         "sie", "jestes", "jestescie", "estas", "es",
                                         "eras", "fuiste", "ты", "вы", "sen",
                                         "lei"})  # fmt: skip


def _generic_role(tokens: list[str], pos: int, flat: str) -> bool:
    """Whether the insult adjective at pos names a role rather than a person: after its article
    with a being verb ("darf nicht der Dumme sein", "am Ende ist der Steuerzahler der Dumme")
    or a verb of playing ("hacer el tonto", "fare lo scemo"), with no reader near it."""
    if pos == 0 or tokens[pos - 1] not in (_ROLE_ARTICLES | _ROLE_PARTICLES):
        return False
    if not _ADDRESSEE.isdisjoint(tokens[max(0, pos - 6) : pos + 4]):
        return False
    art = tokens[pos - 1]
    if pos >= 2 and art in _ROLE_PARTICLES and tokens[pos - 2] in _ROLE_VERBS:
        # "se" only in "fazer-se de burro", "hacerse el tonto" is one token
        return tokens[pos - 2] != "se" or (art == "de" and tokens[pos - 3 : pos - 2] == ["fazer"])
    if art not in _ROLE_ARTICLES:
        return False
    if _BEING.isdisjoint(tokens[max(0, pos - 5) : pos + 3]):
        return False
    nxt = tokens[pos + 1] if pos + 1 < len(tokens) else ""
    # nothing after it, a being verb or a particle, or the end of its clause ("der Dumme,
    # egal wer regiert"), not a noun ("der dumme Typ"): `flat` is the lower-cased text
    return (
        not nxt or nxt in _ROLE_NEXT or re.search(rf"\b{tokens[pos]}\s*[,.;:!?]", flat) is not None
    )


# Nouns of address that belittle only when said to someone ("Calma, miúdo", "Tranqui, chaval,
# cuando acabes la ESO"); about no one they are plain words ("em Portugal puto é só miúdo",
# "il ragazzino del vicino", "mijn lieverd")
_ADDRESS_NOUNS = frozenset({"miudo", "chaval", "criatura", "ragazzino", "jochie", "lieverd",
                            "kiddo", "деточка", "малыш"})  # fmt: skip


def _addressed(tokens: list[str], pos: int, normalised: str) -> bool:
    """Whether the noun at pos is said to someone: it opens the message or a segment ("Tadinho,
    ...", "sé dónde curras, chaval"), or follows a calling word as a segment of its own ("Ó
    miúdo, vai estudar"), or a second person is near it."""
    if pos == 0 or not _ADDRESSEE.isdisjoint(tokens[max(0, pos - 4) : pos + 5]):
        return True
    starts = _segment_starts(normalised, tokens)
    if starts is None or starts[pos] == pos:
        return True
    return (
        starts[pos] == pos - 1
        and tokens[pos - 1] in _CALLING_WORDS
        and (pos + 1 == len(tokens) or starts[pos + 1] == pos + 1)
    )


# The learned signal holds only a message that speaks to someone: the reader in any of the
# languages (pronouns, possessives, second-person "to be"; a mention reads as "you"), a name
# called, or the people of the place it is posted in. Words alone weigh the same in "I'll shoot
# him an email" and "I'll shoot you"; a message told of third persons is left to the rules.
# the second persons the other rules know, but "je" (French "I" as often as Dutch "you"),
# and the rest of the reader's forms and the places a message is posted in
_READER = (_SECOND_PERSON - {"je"}) | frozenset({
    "ya", "yall", "your", "ur", "youre", "yours", "yourself", "yourselves", "youll", "youd",
    "youve", "thou", "thee", "deinen", "deinem", "deiner", "deines", "ihr", "euch", "eure",
    "euer", "euren", "eurem", "bist", "seid", "toi", "ton", "ta", "tes", "votre", "vos", "tus",
    "tuyo", "tuya", "vosotros", "vosotras", "os", "usted", "ustedes", "eres", "sos", "estas",
    "vuestro", "vuestra", "contigo", "tuo", "tua", "tuoi", "tue", "vi", "vostro", "vostra",
    "sei", "siete", "voce", "voces", "vc", "vcs", "teu", "teus", "tuas", "jullie", "uw", "bent",
    "ci", "tobie", "twoj", "twoja", "twoje", "twoi", "twojej", "wy", "wam", "jestes",
    "jestescie", "tebya", "tebe", "toboi", "tvoi", "tvoya", "sana", "senin", "sende", "senden",
    "siz", "sizi", "size", "sizin", "twoim", "twojego", "twoich", "ge", "gij", "here", "thread",
    "server", "channel", "chat", "forum", "kanal", "canal", "watku", "draad", "hilo", "filo",
    "hier", "ici", "aqui", "aca", "qui", "tutaj", "burada"
})  # fmt: skip
# (Russian after its look-alike folding collides with English: "вы" reads "by")
_RU_READER = frozenset({"ты", "тебя", "тебе", "тобой", "твой", "твоя", "твои", "твое", "твоё",
                        "вы", "вас", "вам", "ваш", "ваша", "ваши", "ваше"})  # fmt: skip
# Turkish says "you are" in the verb's ending: "aptalsın", "salaksınız"
_TR_YOU_ENDINGS = ("sin", "sun", "siniz", "sunuz")
# a name called at the end of a sentence: "..., Jenkins." "..., Karen!"
_VOCATIVE_NAME_RE = re.compile(r",\s*([^\W\d_]\w+(?: [^\W\d_]\w+)?)\s*(?:[.!?]|$)")
_FUNCTION_WORDS_ONLY = LanguageGuesser()
_EMPTY_WORDS: frozenset[str] = frozenset()
_ENGLISH_ONLY = frozenset({ENGLISH})


# the writer as subject, by the language the message reads as: "I'll", "je l'ai", "ich habe"
# ("i" is also Polish, Russian and Italian "and"/"the"; "je" Dutch "you")
_WRITER = {"en": frozenset({"i", "im", "ill", "ive", "id"}), "fr": frozenset({"je"}),
           "de": frozenset({"ich"}), "es": frozenset({"yo"}), "it": frozenset({"io"}),
           "pt": frozenset({"eu"}), "nl": frozenset({"ik"})}  # fmt: skip


def tells_of_others(text: str, tokens: Iterable[str]) -> bool:
    """The writer tells of himself and others to no one in particular ("I'll shoot him an
    email", "je l'ai croisée à Lyon"): the learned signal leaves such a message to the rules.
    Asked only of the few messages the model would hold."""
    toks = list(tokens)
    langs = _FUNCTION_WORDS_ONLY.guess(text, toks)
    if len(langs) > 2:  # no evidence either way reads as English, as for a guild's switches
        langs = _ENGLISH_ONLY
    elif "fr" in langs and "nl" in langs:  # "hou je bek": "je" could be either
        langs = langs - {"fr"}
    writer = any(not _WRITER.get(lang, _EMPTY_WORDS).isdisjoint(toks) for lang in langs)
    return writer and not speaks_to_someone(text, toks, langs)


def speaks_to_someone(
    text: str, tokens: Iterable[str], langs: frozenset[str] | None = None
) -> bool:
    """Whether the message (raw `text`, the rules' `tokens`, the languages it reads as)
    addresses a reader: asked only of the few messages the model would hold."""
    toks = list(tokens)
    if not _READER.isdisjoint(toks):
        return True
    # Dutch "je" is you, French "je" is I: Dutch unless the message reads only French
    if langs is None:
        langs = _FUNCTION_WORDS_ONLY.guess(text, toks)
    if "je" in toks and not ("fr" in langs and "nl" not in langs):
        return True
    if any(len(t) > 5 and t.endswith(_TR_YOU_ENDINGS) for t in toks):
        return True
    if any(m.group(1).istitle() for m in _VOCATIVE_NAME_RE.finditer(text)):  # "Herr Doktor"
        return True
    return not text.isascii() and not _RU_READER.isdisjoint(_WORD_RE.findall(text.lower()))


_CALLING_WORDS = frozenset({"o", "oh", "ai", "ay", "ei", "eh", "hey", "oye", "olha", "calma",
                            "ok", "okay", "mira", "dai", "ma", "nou", "ach", "ну"})  # fmt: skip


# a noun used as a predicate: an indefinite article, "as"/"like" or "no" right before it (or
# before its one adjective)
_PREDICATE_MARKS = frozenset({"un", "une", "una", "uno", "um", "uma", "ein", "eine", "einen",
                              "einem", "einer", "een", "als", "comme", "come", "como", "jak",
                              "как", "kein", "keine", "keinen", "geen", "zon", "tal",
                              "unos", "unas", "stel", "haufen"})  # fmt: skip
# the writer, his group, or no one, as the subject or object of that predicate
_SELF_PARTIES = frozenset({"ich", "ik", "io", "yo", "eu", "ja", "j", "mich", "mij", "moi",
                           "mnie", "wir", "we", "nous", "nosotros", "noi", "nos", "niemand",
                           "nadie", "nessuno", "nikt", "ninguem", "intentaremos",
                           "proberen",
                           # first-person verbs and pronouns where the pronoun is dropped or
                           # elided: "posso essere un vero ...", "mi scuso per essere stato un
                           # ...", "je peux être un vrai ...", "désolée d'avoir été une ..."
                           "sono", "ero", "fossi", "mi", "posso", "devo", "vorrei",
                           "cercheremo", "faro", "m", "peux", "suis", "vais", "aimerais",
                           "desole", "desolee", "puedo", "estoy", "soy", "fui", "era", "sou",
                           "estou", "kann", "bin", "war", "ware", "ben",
                           "kan", "zal", "jestem", "bylem", "bylam", "jai", "jetais",
                           "javais"})  # fmt: skip


def _self_predicate(tokens: list[str], pos: int) -> bool:
    """Whether the word at pos is a predicate noun ("a real X") said of the writer, his group or
    no one, with no reader in the six words before: "ich kann manchmal ein echter Wichser
    sein", "j'ai été une vraie tête de con", "niemand hoeft een klootzak te zijn"."""
    if pos < 2 or _PREDICATE_MARKS.isdisjoint(tokens[pos - 2 : pos]):
        return False
    before = tokens[max(0, pos - 7) : pos]
    return _ADDRESSEE.isdisjoint(before) and not _SELF_PARTIES.isdisjoint(before)


# "why would you call me a coon?", "stop calling people retards", "the word faggot can
# describe a bundle of sticks": the word is discussed, not said to anyone
_CALL_VERBS = frozenset({"call", "calling", "called", "calls"})
_CALLED = frozenset({"me", "people", "someone", "somebody", "anyone", "others", "ourselves",
                     "us", "each", "other"})  # fmt: skip


def _named_as_a_word(tokens: list[str], pos: int) -> bool:
    """Whether the word at pos is mentioned rather than used: "the word X", or the object of
    "call(ing) me/people/someone (a) X"."""
    if pos >= 2 and tokens[pos - 2] == "the" and tokens[pos - 1] in ("word", "term", "slur"):
        return True
    before = tokens[max(0, pos - 4) : pos]
    return any(a in _CALL_VERBS and b in _CALLED for a, b in itertools.pairwise(before))


def _insult_set_aside(tokens: list[str], infos: list[_TokInfo]) -> bool:
    """An insult word the rules deliberately left alone: negated ("nobody thinks you are an
    idiot", "not a fool is what you are"), a verb ("you fool yourself") or the subject of a
    clause about something else ("the fool is what you are describing"). The model, which
    weighs "you" and "idiot" without their order, does not overrule that."""
    for pos, info in enumerate(infos):
        if not info.insult:
            continue
        if any(t in _NEGATIONS for t in tokens[max(0, pos - 6) : pos]):
            return True
        if (
            pos
            and tokens[pos - 1] in _FORWARD_TARGETS
            and pos + 1 < len(tokens)
            and tokens[pos + 1] in _VERB_NEXT
            and dedouble(tokens[pos]) in _VERBISH
        ):
            return True
        # "the fool is what you are describing": the naming goes on about something else
        tail = tokens[pos + 1 : pos + 6]
        if (
            len(tail) == 5
            and tail[0] in ("is", "s")
            and tail[1] == "what"
            and tail[2] in _FORWARD_TARGETS
            and tail[3] in ("are", "r", "re")
            and not _ends_naming(tail[4])
        ):
            return True
    return False


# Rules that judge what words say (and so what a quotation says); the rest (links, addresses,
# mentions, floods, rates) are what they are, quoted or not.
_QUOTABLE_KINDS = frozenset({"words", "targeted_insult", "threat", "addressed", "learned"})


def _quotable(rule: Rule) -> bool:
    return rule.kind in _QUOTABLE_KINDS or (
        rule.kind == "regex" and rule.params.get("target") == "normalised"
    )


_RUN_CACHE: dict[int, re.Pattern[str]] = {}
_THREAT_ROLES = {"agents": "agent", "intents": "intent", "harms": "harm", "acts": "act",
                 "targets": "target", "possessives": "possessive", "kin": "kin",
                 "negations": "negation"}  # fmt: skip
# [.!?;:\n]+ | \s-\s | ,\s*(?:but|and\s+then|then)\b, written to open with one character class so
# that re skips to the candidates in C instead of trying the alternatives at every position
_CLAUSE_RE = re.compile(
    r"[\s.!?;:,](?:(?<=[.!?;:\n])[.!?;:\n]*|(?<=\s)-\s|(?<=,)\s*(?:but|and\s+then|then)\b)"
)


def _clauses(normalised: str, tokens: list[str]) -> list[int]:
    """The clause index of each token (clauses end at . ! ? ; : and line breaks). Falls back to
    one clause when re-tokenising the pieces does not give the same tokens."""
    count = _token_counter(normalised)
    out: list[int] = []
    for n, piece in enumerate(_CLAUSE_RE.split(normalised)):
        out += [n] * count(piece)
    return out if len(out) == len(tokens) else [0] * len(tokens)


def _segment_starts(normalised: str, tokens: list[str]) -> list[int] | None:
    """For each token, the position of the first token of its segment (segments end at commas
    and clause marks). None when re-tokenising the pieces does not give the same tokens."""
    count = _token_counter(normalised)
    out: list[int] = []
    for piece in _SEGMENT_RE.split(normalised):
        out += [len(out)] * count(piece)
    return out if len(out) == len(tokens) else None


def _count_tokens(piece: str) -> int:
    return len(_strip_stars(_TOKEN_RE.findall(piece)))


def _count_plain(piece: str) -> int:
    # ASCII without masks: the tokens are what `_check` splits off (see _TOKEN_TABLE)
    return len(piece.translate(_TOKEN_TABLE).split())


def _token_counter(normalised: str) -> Callable[[str], int]:
    """How to count the tokens of a piece of `normalised` (the fast way where it gives the same
    count: no mask's stars to strip, no non-ASCII character for the table to leave alone)."""
    return _count_plain if normalised.isascii() and "*" not in normalised else _count_tokens


def _encodable(text: str) -> str:
    """Raw text as RE2 can take it: lone surrogates (possible from JSON) become U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-8", "replace").decode("utf-8")


def _compile_set(patterns: list[str]) -> Any:
    """An RE2 set, unwrapped: its `Match` takes UTF-8 bytes and returns the matching indices
    (a list, empty if none). The Python wrapper's own Match costs a call and an encode of its
    own, three times per message."""
    rset = re2.Set.SearchSet(re2_options())
    for pattern in patterns:
        rset.Add(pattern)
    rset.Compile()
    return rset._set


def _longest_run(text: str, minimum: int) -> str:
    """The longest run of one repeated non-space character, if at least `minimum` long."""
    if len(text) < minimum:
        return ""
    rx = _RUN_CACHE.get(minimum)
    if rx is None:
        rx = _RUN_CACHE.setdefault(minimum, re.compile(rf"(\S)\1{{{minimum - 1},}}"))
    return max((m.group(0) for m in rx.finditer(text)), key=len, default="")


_PHRASE_LONGEST = 12


def _repeated_phrase(tokens: list[str], longest: int = _PHRASE_LONGEST) -> tuple[str, int]:
    """The phrase of up to `longest` words that the message repeats back to back, and how many
    times: the token list is (almost) periodic. ("", 1) when it is not."""
    n = len(tokens)
    for period in range(2, min(longest, n // 3) + 1):
        # cheap test first: a message that repeats a phrase repeats it from the start (or up to
        # its end); the first word compared alone spares most messages the slices
        if (tokens[0] != tokens[period] or tokens[:period] != tokens[period : 2 * period]) and (
            tokens[-1] != tokens[-1 - period] or tokens[-period:] != tokens[-2 * period : -period]
        ):
            continue
        same = sum(1 for i in range(n - period) if tokens[i] == tokens[i + period])
        if same >= 0.9 * (n - period):
            return " ".join(tokens[:period]), n // period
    return "", 1


def _may_repeat_words(tokens: list[str], min_repeats: int) -> bool:
    """Whether a run of `min_repeats` equal tokens, or a phrase said that often, may be in
    `tokens`. Either needs at least min_repeats - 1 duplicate tokens; the run needs as many
    equal neighbours, and the phrase (`_repeated_phrase`: the tokens at least 90% periodic,
    with a period of at most `_PHRASE_LONGEST` words, said n // period times) at least twice
    min_repeats tokens, of which at most the period plus a tenth of the rest (and one for
    float rounding) are distinct. A paragraph of prose passes neither: it has many distinct
    words and few equal neighbours."""
    n = len(tokens)
    if n < min_repeats:
        return False
    distinct = len(set(tokens))
    if n - distinct < min_repeats - 1:
        return False
    if n >= 2 * min_repeats and distinct <= _PHRASE_LONGEST + 1 + n // 10:
        return True
    return sum(map(operator.eq, tokens, tokens[1:])) >= min_repeats - 1


class _FloodFacts(NamedTuple):
    """What the flood rules look at, measured once per message."""

    lines: int
    run: str  # the longest run of one repeated non-space character (if long enough to matter)
    word: str  # the most repeated consecutive token
    word_run: int

    @classmethod
    def of(
        cls, text: str, tokens: list[str], min_run: int, min_repeats: int, maybe_run: bool
    ) -> _FloodFacts:
        run = _longest_run(text, min_run) if maybe_run else ""
        word, word_run = "", 1
        if _may_repeat_words(tokens, min_repeats):
            # A run of N equal tokens needs N-1 equal neighbours (counted in C): without them
            # the longest run is too short to matter, and the repeated phrase below, if any,
            # decides alone.
            if sum(map(operator.eq, tokens, tokens[1:])) >= min_repeats - 1:
                current = 1
                for a, b in itertools.pairwise(tokens):
                    current = current + 1 if a == b else 1
                    if current > word_run:
                        word, word_run = a, current
            # a phrase or line said over and over ("no u no u ...", "Vote Labour! Vote Labour!")
            phrase, times = _repeated_phrase(tokens)
            if times > word_run:
                word, word_run = phrase, times
        return cls(text.count("\n") + 1, run, word, word_run)

    def excerpt(self, params: Mapping[str, int]) -> str | None:
        if self.lines > params["max_lines"]:
            return f"{self.lines} lines"
        if len(self.run) >= params["max_char_run"]:
            return self.run[:20]
        if self.word_run >= params["max_word_repeats"]:
            return f"{self.word} x{self.word_run}"
        return None
