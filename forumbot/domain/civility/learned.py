"""A small learned signal: logistic regression over the words and word pairs of a message.

The rule lists name what they know; writers who never saw them phrase belittling and threats
anew every time ("One does wonder what they taught at your school"). A linear model trained on
the project's own labelled messages (tests/unit/civility: the corpus and the evaluation rounds,
all written for this project) generalises a little past the lists. It is only ever a `hold`
signal, so a moderator decides (rules.py refuses a harsher action for a `learned` rule).

Features are the normalised tokens the rules see (evasions undone), adjacent pairs of them and
the character n-grams (4 letters by default) of each token (" word "; grams across the space
between two words, "e mo", only echoed the word pairs); each is counted once. The character
grams carry what word features cannot: inflected and suffixed forms in the other languages
("aptalsın", "дебилы"), compounds and misspellings the training data never spelled that way.
Training is plain SGD in pure Python, deterministic for a given input order
and seed, and takes a few CPU-seconds: `make civility-model` rebuilds the committed weights
file, and a unit test checks that the file is what the committed data produce.
"""

from __future__ import annotations

import collections
import itertools
import json
import math
import operator
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from forumbot.domain.civility.normalise import normalise

FORMAT = "forumbot-civility-linear/2"
_OLD_FORMATS = ("forumbot-civility-linear/1",)
# a character n-gram feature is stored with this mark, so it never collides with a word
CHAR_MARK = "~"
DEFAULT_MODEL = "incivility_model.json"
MODEL_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,60}\.json")
_TOKEN_RE = re.compile(r"[a-z0-9*]+")


class ModelFileError(ValueError):
    """A model file is missing or malformed."""


# Links, mentions and HTML entities say nothing about tone, and a mention reads as "you" to the
# rules: left in, they made every reply with two @names look like an attack to the model.
_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|<[@#][!&]?\d+>|(?<![^\s(])@\w+|&#?\w+;")


def has_noise(text: str) -> bool:
    """Whether `text` may hold a link, mention or entity (cheap test before `tokens_of`)."""
    # (spelled out, not a generator over the marks: asked of every message)
    return "http" in text or "www." in text or "@" in text or "&" in text or "<#" in text


def tokens_of(text: str) -> list[str]:
    """The tokens the model reads: the message normalised as the rules see it (masks' stars
    dropped), without links, mentions and HTML entities."""
    if has_noise(text):
        text = _NOISE_RE.sub(" ", text)
    return [s for s in (t.strip("*") for t in _TOKEN_RE.findall(normalise(text))) if s]


_SLICES: dict[int, list[slice]] = {}


def _char_grams(tokens: Sequence[str], n: int) -> set[str]:
    s = " " + " ".join(tokens) + " "
    count = len(s) - n + 1
    slices = _SLICES.get(n)
    if slices is None or len(slices) < count:
        slices = _SLICES[n] = [slice(i, i + n) for i in range(max(count, 512))]
    # every slice is taken in C (map over prepared slice objects), not in a comprehension
    return set(map(s.__getitem__, slices[:count])) if count > 0 else set()


# Distinct tokens and word pairs whose features are kept (see `LinearModel._unit`): about 300
# bytes each, so at most ~10 MB for the process (one model, shared by every guild's engine).
UNIT_CACHE_SIZE = 32_768
_FIRST = operator.itemgetter(0)
_SECOND = operator.itemgetter(1)
_consume: Callable[[Iterable[Any]], None] = collections.deque(maxlen=0).extend


def features(
    tokens: Sequence[str], char_ngrams: Sequence[int] = (), within_words: bool = False
) -> list[str]:
    """Words, adjacent word pairs and (marked with `CHAR_MARK`) the character n-grams of the
    space-joined tokens, each once, in order of first appearance."""
    out = dict.fromkeys(tokens)
    out.update(dict.fromkeys(f"{a} {b}" for a, b in itertools.pairwise(tokens)))
    if char_ngrams:
        for s in [f" {t} " for t in tokens] if within_words else [" " + " ".join(tokens) + " "]:
            for n in char_ngrams:
                out.update(dict.fromkeys(CHAR_MARK + s[i : i + n] for i in range(len(s) - n + 1)))
    return list(out)


@dataclass(frozen=True)
class LinearModel:
    bias: float
    weights: Mapping[str, float]
    trained_on: int = 0  # how many labelled messages
    char_ngrams: tuple[int, ...] = ()  # lengths of the character n-gram features (none: words)
    # grams of each token alone (" word "), none across the space between two words
    within_words: bool = False

    def __post_init__(self) -> None:
        # the character grams' weights without their mark, so scoring needs no string building
        chars = {k[1:]: v for k, v in self.weights.items() if k.startswith(CHAR_MARK)}
        object.__setattr__(self, "_chars", chars)
        # Grams of up to 4 characters never reach past a word's neighbours, so a message's
        # grams are those of its tokens (" tok ") and of its word pairs (the ones across the
        # space): each computed once per distinct token or pair, not per message.
        by_unit = self.char_ngrams and (self.within_words or max(self.char_ngrams) <= 4)
        unit = lru_cache(maxsize=UNIT_CACHE_SIZE)(self._unit) if by_unit else None
        object.__setattr__(self, "_unit_cached", unit)

    def _unit(self, key: str) -> tuple[float, dict[str, float]]:
        """A token's or a word pair's ("a b") own weight, and the weights (0.0 if none) of the
        character grams it brings: for a token, the grams of " token "; for a pair, the ones
        that span the space between its words."""
        cget = self._chars.get  # type: ignore[attr-defined]
        grams: dict[str, float] = {}
        if " " in key:
            if self.within_words:
                return self.weights.get(key, 0.0), grams
            a, b = key.split(" ")
            s = f" {a} {b} "
            p = len(a) + 1  # the space between them
            for n in self.char_ngrams:
                for start in range(p - n + 2, p):
                    g = s[start : start + n]
                    grams[g] = cget(g, 0.0)
        else:
            s = f" {key} "
            for n in self.char_ngrams:
                for start in range(len(s) - n + 1):
                    g = s[start : start + n]
                    grams[g] = cget(g, 0.0)
        return self.weights.get(key, 0.0), grams

    def logit(self, tokens: Sequence[str]) -> float:
        """The bias plus the weighted sum of `features(tokens)` divided by the square root of
        their number, so a short message and a long one are on the same scale (the engine
        calls this for every message, so every loop here runs in C: map, filter, set, join)."""
        unit = self._unit_cached  # type: ignore[attr-defined]
        if unit is not None:
            # each distinct token and pair: its own weight, and its grams merged (a gram
            # two tokens share counts once)
            pairs = set(map(" ".join, itertools.pairwise(tokens)))
            units = [*map(unit, set(tokens)), *map(unit, pairs)]
            grams: dict[str, float] = {}
            _consume(map(grams.update, map(_SECOND, units)))  # a loop in C
            total = sum(map(_FIRST, units)) + sum(grams.values())
            return self.bias + total / math.sqrt(max(1, len(units) + len(grams)))
        get = self.weights.get
        words = set(tokens)
        pairs = set(map(" ".join, itertools.pairwise(tokens)))
        total = sum(filter(None, map(get, words))) + sum(filter(None, map(get, pairs)))
        count = len(words) + len(pairs)
        if self.char_ngrams:
            cget = self._chars.get  # type: ignore[attr-defined]
            for n in self.char_ngrams:
                grams_n = _char_grams(tokens, n)
                total += sum(filter(None, map(cget, grams_n)))
                count += len(grams_n)
        return self.bias + total / math.sqrt(max(1, count))

    def probability(self, tokens: Sequence[str]) -> float:
        return _sigmoid(self.logit(tokens))

    def reasons(self, tokens: Sequence[str], n: int = 3) -> list[str]:
        """The features that pushed the score up most (for the moderator's excerpt)."""
        scored = [(self.weights.get(f, 0.0), f) for f in features(tokens) if f[0] != CHAR_MARK]
        return [f for w, f in sorted(scored, key=lambda x: -x[0])[:n] if w > 0]

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "trained_on": self.trained_on,
            "char_ngrams": list(self.char_ngrams),
            **({"within_words": True} if self.within_words else {}),
            "bias": round(self.bias, 4),
            "weights": {k: round(v, 3) for k, v in sorted(self.weights.items())},
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LinearModel:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ModelFileError(f"not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") not in (FORMAT, *_OLD_FORMATS):
            raise ModelFileError(f"not a {FORMAT} file")
        grams = data.get("char_ngrams", [])
        if not isinstance(grams, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and 2 <= n <= 8 for n in grams
        ):
            raise ModelFileError("'char_ngrams' must be a list of lengths from 2 to 8")
        weights, bias = data.get("weights"), data.get("bias")
        if not isinstance(weights, dict) or not isinstance(bias, int | float):
            raise ModelFileError("needs a numeric 'bias' and a 'weights' mapping")
        if not all(isinstance(k, str) and isinstance(v, int | float) for k, v in weights.items()):
            raise ModelFileError("'weights' must map feature strings to numbers")
        return cls(
            float(bias),
            {k: float(v) for k, v in weights.items()},
            data.get("trained_on", 0),
            tuple(grams),
            bool(data.get("within_words", False)),
        )


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def model_exists(name: str) -> bool:
    return bool(MODEL_NAME_RE.fullmatch(name)) and _package_file(name).is_file()


def _package_file(name: str) -> Any:
    return resources.files("forumbot.domain.civility").joinpath(name)


@lru_cache(maxsize=4)
def load_model(name: str = DEFAULT_MODEL) -> LinearModel:
    """A model file shipped in this package, by name (loaded once per process)."""
    if not MODEL_NAME_RE.fullmatch(name):
        raise ModelFileError(f"model name {name!r} must be a file name like 'model.json'")
    path = _package_file(name)
    if not path.is_file():
        raise ModelFileError(f"no model file {name!r} in forumbot/domain/civility")
    return LinearModel.from_json(path.read_text(encoding="utf-8"))


def civil_paragraphs(folder: Any, max_tokens: int = 40) -> list[list[str]]:
    """The tokens of every paragraph of the text files in `folder` (the seed articles) short
    enough for the learned rule to score: civil examples by definition, since the bot posts
    them and members quote them. Sorted by file name, so training stays deterministic."""
    out = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            tokens = tokens_of(para) if para.strip() else []
            if 0 < len(tokens) <= max_tokens:
                out.append(tokens)
    return out


def train(
    examples: Iterable[tuple[Sequence[str], bool]],
    *,
    epochs: int = 15,
    rate: float = 1.0,
    l2: float = 3e-3,
    seed: int = 1,
    keep: float = 0.2,
    char_ngrams: Sequence[int] = (4,),
    min_df: int = 3,
    average: int = 8,
    max_weights: int = 0,
    within_words: bool = True,
) -> LinearModel:
    """Logistic regression by SGD on (tokens, uncivil) pairs. A message's features are each
    worth 1/sqrt(number of features), so long messages do not dominate and a short one with
    no telling feature is not pushed either way; weights smaller than `keep` are dropped from
    the result (they change no decision and would bloat the file).

    The defaults (character 4-grams within words, keep 0.2, rate 1.0, l2 3e-3, min_df 3, the
    last 8 epochs averaged) were chosen by leave-one-round-out cross-validation over the
    evaluation rounds (bench/eval_learned.py, docs/rules.md): together the last four raised
    pooled held-out recall at the same false alarms."""
    grams = tuple(char_ngrams)
    data = [(features(tokens, grams, within_words), bool(y)) for tokens, y in examples]
    if not data:
        raise ValueError("no training examples")
    # every feature counts in a message's scale, as when scoring, learned or not
    scales = [1.0 / math.sqrt(max(1, len(feats))) for feats, _ in data]
    if min_df > 1:
        # a feature of fewer than `min_df` messages is one writer's wording, not a pattern
        df = collections.Counter(f for feats, _ in data for f in feats)
        data = [([f for f in feats if df[f] >= min_df], y) for feats, y in data]
    w: dict[str, float] = {}
    bias = 0.0
    total: dict[str, float] = {}
    total_bias = 0.0
    order = list(range(len(data)))
    rng = random.Random(seed)
    decay = 1.0 - rate * l2
    for epoch in range(epochs):
        rng.shuffle(order)
        for i in order:
            feats, y = data[i]
            scale = scales[i]
            z = bias + scale * sum(w.get(f, 0.0) for f in feats)
            g = _sigmoid(z) - (1.0 if y else 0.0)
            bias -= rate * g
            step = rate * g * scale
            for f in feats:
                w[f] = w.get(f, 0.0) * decay - step
        if epoch >= epochs - average:
            for f, v in w.items():
                total[f] = total.get(f, 0.0) + v
            total_bias += bias
    if average:
        # the mean of the last epochs' weights: a constant rate leaves the last one noisy
        n = min(average, epochs)
        w = {f: v / n for f, v in total.items()}
        bias = total_bias / n
    if max_weights and len(w) > max_weights:
        # the largest by size, civil side and uncivil side alike (file size and memory)
        w = dict(sorted(w.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:max_weights])
    kept = {f: v for f, v in w.items() if abs(v) >= keep}
    # Dropping the small weights removes more of the civil side (spread over many common
    # features) than of the uncivil one (concentrated on few), which left every message with
    # no strong feature scored as incivility ("Ibid., p. 124"). Refit the bias to the kept
    # weights: a few Newton steps on the log-loss, the weights held fixed.
    sums = [
        sum(kept.get(f, 0.0) for f in feats) * s for (feats, _), s in zip(data, scales, strict=True)
    ]
    for _ in range(20):
        probs = [_sigmoid(bias + z) for z in sums]
        grad = sum(pr - (1.0 if y else 0.0) for pr, (_, y) in zip(probs, data, strict=True))
        hess = sum(pr * (1.0 - pr) for pr in probs) or 1.0
        bias -= grad / hess
    return LinearModel(bias, kept, len(data), grams, within_words)
