"""A small learned signal: logistic regression over the words and word pairs of a message.

The rule lists name what they know; writers who never saw them phrase belittling and threats
anew every time ("One does wonder what they taught at your school"). A linear model trained on
the project's own labelled messages (tests/unit/civility: the corpus and the evaluation rounds,
all written for this project) generalises a little past the lists. It is only ever a `hold`
signal, so a moderator decides (rules.py refuses a harsher action for a `learned` rule).

Features are the normalised tokens the rules see (evasions undone) and adjacent pairs of them,
each counted once. Training is plain SGD in pure Python, deterministic for a given input order
and seed, and takes well under a second: `make civility-model` rebuilds the committed weights
file, and a unit test checks that the file is what the committed data produce.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from forumbot.domain.civility.normalise import normalise

FORMAT = "forumbot-civility-linear/1"
DEFAULT_MODEL = "incivility_model.json"
MODEL_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,60}\.json")
_TOKEN_RE = re.compile(r"[a-z0-9*]+")


class ModelFileError(ValueError):
    """A model file is missing or malformed."""


# Links, mentions and HTML entities say nothing about tone, and a mention reads as "you" to the
# rules: left in, they made every reply with two @names look like an attack to the model.
_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|<[@#][!&]?\d+>|(?<![^\s(])@\w+|&#?\w+;")
_NOISE_CHARS = ("http", "www.", "@", "&", "<#")


def has_noise(text: str) -> bool:
    """Whether `text` may hold a link, mention or entity (cheap test before `tokens_of`)."""
    return any(c in text for c in _NOISE_CHARS)


def tokens_of(text: str) -> list[str]:
    """The tokens the model reads: the message normalised as the rules see it (masks' stars
    dropped), without links, mentions and HTML entities."""
    if has_noise(text):
        text = _NOISE_RE.sub(" ", text)
    return [s for s in (t.strip("*") for t in _TOKEN_RE.findall(normalise(text))) if s]


def features(tokens: Sequence[str]) -> list[str]:
    """Words and adjacent word pairs, each once, in order of first appearance."""
    out = dict.fromkeys(tokens)
    out.update(dict.fromkeys(f"{a} {b}" for a, b in itertools.pairwise(tokens)))
    return list(out)


@dataclass(frozen=True)
class LinearModel:
    bias: float
    weights: Mapping[str, float]
    trained_on: int = 0  # how many labelled messages

    def logit(self, tokens: Sequence[str]) -> float:
        """The weighted sum of `features(tokens)` (the engine calls this for every message, so
        every loop here runs in C: map, filter, set, str.join)."""
        get = self.weights.get
        words = sum(filter(None, map(get, set(tokens))))
        pairs = sum(filter(None, map(get, set(map(" ".join, itertools.pairwise(tokens))))))
        return self.bias + words + pairs

    def probability(self, tokens: Sequence[str]) -> float:
        return _sigmoid(self.logit(tokens))

    def reasons(self, tokens: Sequence[str], n: int = 3) -> list[str]:
        """The features that pushed the score up most (for the moderator's excerpt)."""
        scored = [(self.weights.get(f, 0.0), f) for f in features(tokens)]
        return [f for w, f in sorted(scored, key=lambda x: -x[0])[:n] if w > 0]

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "trained_on": self.trained_on,
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
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelFileError(f"not a {FORMAT} file")
        weights, bias = data.get("weights"), data.get("bias")
        if not isinstance(weights, dict) or not isinstance(bias, int | float):
            raise ModelFileError("needs a numeric 'bias' and a 'weights' mapping")
        if not all(isinstance(k, str) and isinstance(v, int | float) for k, v in weights.items()):
            raise ModelFileError("'weights' must map feature strings to numbers")
        return cls(
            float(bias), {k: float(v) for k, v in weights.items()}, data.get("trained_on", 0)
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


def train(
    examples: Iterable[tuple[Sequence[str], bool]],
    *,
    epochs: int = 15,
    rate: float = 0.2,
    l2: float = 1e-4,
    seed: int = 1,
    keep: float = 0.1,
) -> LinearModel:
    """Logistic regression by SGD on (tokens, uncivil) pairs. Each step is scaled by
    1/sqrt(number of features) so long messages do not dominate; weights smaller than `keep`
    are dropped from the result (they change no decision and would bloat the file)."""
    data = [(features(tokens), bool(y)) for tokens, y in examples]
    if not data:
        raise ValueError("no training examples")
    w: dict[str, float] = {}
    bias = 0.0
    order = list(range(len(data)))
    rng = random.Random(seed)
    decay = 1.0 - rate * l2
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            feats, y = data[i]
            z = bias + sum(w.get(f, 0.0) for f in feats)
            g = _sigmoid(z) - (1.0 if y else 0.0)
            bias -= rate * g
            step = rate * g / math.sqrt(max(1, len(feats)))
            for f in feats:
                w[f] = w.get(f, 0.0) * decay - step
    kept = {f: v for f, v in w.items() if abs(v) >= keep}
    return LinearModel(bias, kept, len(data))
