"""Rules as data: a validated, immutable `RuleSet` built from YAML or plain dicts.

Validation collects *every* problem before raising, so a moderator who saves a rule file sees the
whole list at once ("rule 'x': field 'action': must be one of ...").
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

import re2
import yaml

from forumbot.domain.civility.actions import Action
from forumbot.domain.civility.language import LANGUAGES
from forumbot.domain.civility.learned import DEFAULT_MODEL, model_exists

MAX_RULES = 500
# Regex patterns per rule set (all regex rules together, the shipped pack's included): the
# pack uses under half, so a guild keeps room for at least 50 of its own.
MAX_PATTERNS = 100
MAX_PATTERN_LENGTH = 300
MAX_WORDS_PER_RULE = 5000
MAX_WORD_LENGTH = 100
MAX_GUIDELINE_LENGTH = 100
MODES = ("enforce", "shadow")
CONTEXT_KINDS = ("message", "edit", "thread_title", "bot_output")
TARGETS = ("normalised", "clean", "raw")
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")

_COMMON_FIELDS = frozenset(
    {"id", "kind", "guideline", "severity", "action", "mode", "enabled", "description",
     "applies_to", "languages"}
)  # fmt: skip
LANGUAGE_MODES = ("enforce", "shadow", "off")
_CONTENT = ("message", "edit", "thread_title", "bot_output")
_MEMBER_CONTENT = ("message", "edit", "thread_title")

_THREAT_FIELDS = frozenset(
    {"agents", "intents", "harms", "acts", "targets", "possessives", "kin", "negations",
     "window", "max_gap"}
)  # fmt: skip
_INSULT_FIELDS = frozenset(
    {"insults", "adjectives", "targets", "weak_targets", "fillers", "max_gap", "allow",
     "reporting"}
)  # fmt: skip
# kind -> (allowed specific fields, default applies_to)
_KINDS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "words": (frozenset({"words", "allow"}), _CONTENT),
    "targeted_insult": (_INSULT_FIELDS, _CONTENT),
    "regex": (frozenset({"patterns", "target", "not_after"}), _CONTENT),
    "threat": (_THREAT_FIELDS, _CONTENT),
    "addressed": (frozenset({"phrases", "targets", "window", "also", "not_before"}), _CONTENT),
    # members' words only: article paragraphs the bot posts are not what it was trained on
    "learned": (frozenset({"model", "threshold", "max_tokens", "min_tokens"}), _MEMBER_CONTENT),
    "caps": (frozenset({"min_letters", "ratio"}), _MEMBER_CONTENT),
    "flood": (frozenset({"max_char_run", "max_lines", "max_word_repeats"}), _MEMBER_CONTENT),
    "mentions": (frozenset({"min_mentions"}), ("message", "edit")),
    "links": (frozenset({"min_links"}), ("message", "edit")),
    "repeat": (frozenset({"count", "window_seconds"}), ("message",)),
    "rate": (frozenset({"count", "window_seconds"}), ("message",)),
}


def re2_options() -> Any:
    """RE2 options shared by validation and the engine: errors are reported, not logged."""
    options = re2.Options()
    options.log_errors = False
    return options


class RuleSetError(ValueError):
    """A rule file is invalid. `problems` lists every problem; str() shows them all."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return f"invalid rules: {self.problems[0]}"
        lines = [f"invalid rules ({len(self.problems)} problems):"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True)
class Rule:
    """One validated rule. Kind-specific settings live in `params` (already type-checked)."""

    id: str
    kind: str
    guideline: str
    severity: int
    action: Action
    mode: str = "enforce"
    enabled: bool = True
    description: str = ""
    applies_to: tuple[str, ...] = _CONTENT
    params: Mapping[str, Any] = field(default_factory=dict)
    languages: tuple[str, ...] = ()  # empty: every message; else only messages in these

    @property
    def shadow(self) -> bool:
        return self.mode == "shadow"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "guideline": self.guideline,
            "severity": self.severity,
            "action": self.action.label,
            "mode": self.mode,
            "enabled": self.enabled,
            "applies_to": list(self.applies_to),
        }
        if self.description:
            data["description"] = self.description
        if self.languages:
            data["languages"] = list(self.languages)
        for key, value in self.params.items():
            data[key] = list(value) if isinstance(value, tuple) else value
        return data


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, fieldname: str | None, why: str) -> None:
        self.items.append(
            f"{where}: field '{fieldname}': {why}" if fieldname else f"{where}: {why}"
        )


def _where(raw: Mapping[str, Any], index: int) -> str:
    rid = raw.get("id")
    return f"rule '{rid}'" if isinstance(rid, str) and rid else f"rule #{index + 1}"


def _str_list(
    value: Any,
    where: str,
    name: str,
    problems: _Problems,
    *,
    required: bool,
    max_len: int = MAX_WORD_LENGTH,
) -> tuple[str, ...]:
    if value is None:
        if required:
            problems.add(where, name, "is required (a list of strings)")
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.add(where, name, "must be a list of non-empty strings")
        return ()
    if len(value) > MAX_WORDS_PER_RULE:
        problems.add(where, name, f"has {len(value)} entries; the limit is {MAX_WORDS_PER_RULE}")
    too_long = [v for v in value if len(v) > max_len]
    if too_long:
        problems.add(where, name, f"entries longer than {max_len} characters: {too_long[0]!r}")
    return tuple(v.strip() for v in value)


def _int(
    value: Any, where: str, name: str, problems: _Problems, *, lo: int, hi: int, default: int | None
) -> int:
    if value is None:
        if default is None:
            problems.add(where, name, f"is required (an integer {lo}..{hi})")
            return lo
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        problems.add(where, name, f"must be an integer from {lo} to {hi}, got {value!r}")
        return default if default is not None else lo
    return value


def _validate_params(
    raw: Mapping[str, Any], kind: str, where: str, problems: _Problems
) -> dict[str, Any]:
    p: dict[str, Any] = {}
    if kind == "words":
        p["words"] = _str_list(raw.get("words"), where, "words", problems, required=True)
        p["allow"] = _str_list(raw.get("allow"), where, "allow", problems, required=False)
        if raw.get("words") == []:
            problems.add(where, "words", "must not be empty")
    elif kind == "targeted_insult":
        p["insults"] = _str_list(raw.get("insults"), where, "insults", problems, required=True)
        p["adjectives"] = _str_list(
            raw.get("adjectives"), where, "adjectives", problems, required=False
        )
        p["targets"] = _str_list(raw.get("targets"), where, "targets", problems, required=True)
        p["weak_targets"] = _str_list(
            raw.get("weak_targets"), where, "weak_targets", problems, required=False
        )
        p["fillers"] = _str_list(raw.get("fillers"), where, "fillers", problems, required=False)
        p["allow"] = _str_list(raw.get("allow"), where, "allow", problems, required=False)
        p["reporting"] = _str_list(
            raw.get("reporting"), where, "reporting", problems, required=False
        )
        p["max_gap"] = _int(raw.get("max_gap"), where, "max_gap", problems, lo=0, hi=8, default=3)
    elif kind == "regex":
        patterns = _str_list(
            raw.get("patterns"), where, "patterns", problems, required=True, max_len=10**6
        )
        for i, pat in enumerate(patterns):
            if len(pat) > MAX_PATTERN_LENGTH:
                problems.add(
                    where, "patterns",
                    f"pattern {i + 1} is {len(pat)} characters; the limit is {MAX_PATTERN_LENGTH}",
                )  # fmt: skip
                continue
            try:
                re2.compile(pat, re2_options())
            except Exception as exc:  # re2.error and friends: report, never crash
                reason = exc.args[0] if exc.args else exc
                if isinstance(reason, bytes):
                    reason = reason.decode("utf-8", "replace")
                problems.add(
                    where, "patterns", f"pattern {i + 1} `{pat}` is not valid RE2: {reason}"
                )
        p["patterns"] = patterns
        # words that, among the two right before a match, show the match means something else
        # ("un paese che si chiama Cazzago San Martino": a place's name, not a person's)
        p["not_after"] = _str_list(
            raw.get("not_after"), where, "not_after", problems, required=False
        )
        target = raw.get("target", "normalised")
        if target not in TARGETS:
            problems.add(where, "target", f"must be one of {', '.join(TARGETS)}, got {target!r}")
            target = "normalised"
        p["target"] = target
    elif kind == "threat":
        for name in ("agents", "intents", "harms", "acts", "targets", "possessives", "kin",
                     "negations"):  # fmt: skip
            required = name in ("harms", "targets")
            p[name] = _str_list(raw.get(name), where, name, problems, required=required)
        p["window"] = _int(raw.get("window"), where, "window", problems, lo=1, hi=8, default=3)
        p["max_gap"] = _int(raw.get("max_gap"), where, "max_gap", problems, lo=0, hi=8, default=5)
    elif kind == "addressed":
        p["phrases"] = _str_list(raw.get("phrases"), where, "phrases", problems, required=True)
        p["targets"] = _str_list(raw.get("targets"), where, "targets", problems, required=True)
        p["window"] = _int(raw.get("window"), where, "window", problems, lo=0, hi=12, default=6)
        # optional: one of these words must also be somewhere in the message (a second part of
        # the structure that may sit in another sentence: "... Ça pourrait revenir")
        also = _str_list(raw.get("also"), where, "also", problems, required=False)
        if also:
            p["also"] = also
        # optional: a phrase followed by one of these words is left alone (an object of giving:
        # "I'll find you the source")
        not_before = _str_list(raw.get("not_before"), where, "not_before", problems, required=False)
        if not_before:
            p["not_before"] = not_before
    elif kind == "learned":
        name = raw.get("model", DEFAULT_MODEL)
        if not isinstance(name, str) or not model_exists(name):
            problems.add(
                where, "model", f"must name a model file shipped with forumbot, got {name!r}"
            )
            name = DEFAULT_MODEL
        p["model"] = name
        threshold = raw.get("threshold", 0.9)
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not 0.5 <= threshold <= 0.999
        ):
            problems.add(
                where, "threshold", f"must be a probability from 0.5 to 0.999, got {threshold!r}"
            )
            threshold = 0.9
        p["threshold"] = float(threshold)
        # trained on chat-length messages: a long paragraph piles up small weights
        # one or two words ("LOL", "look") are too little for a word-and-gram score
        p["min_tokens"] = _int(
            raw.get("min_tokens"), where, "min_tokens", problems, lo=1, hi=10, default=3
        )
        p["max_tokens"] = _int(
            raw.get("max_tokens"), where, "max_tokens", problems, lo=5, hi=200, default=40
        )
    elif kind == "caps":
        p["min_letters"] = _int(
            raw.get("min_letters"), where, "min_letters", problems, lo=4, hi=10_000, default=24
        )
        ratio = raw.get("ratio", 0.8)
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0.5 <= ratio <= 1.0:
            problems.add(where, "ratio", f"must be a number from 0.5 to 1.0, got {ratio!r}")
            ratio = 0.8
        p["ratio"] = float(ratio)
    elif kind == "flood":
        p["max_char_run"] = _int(
            raw.get("max_char_run"), where, "max_char_run", problems, lo=3, hi=10_000, default=15
        )
        p["max_lines"] = _int(
            raw.get("max_lines"), where, "max_lines", problems, lo=2, hi=10_000, default=40
        )
        p["max_word_repeats"] = _int(
            raw.get("max_word_repeats"),
            where,
            "max_word_repeats",
            problems,
            lo=2,
            hi=10_000,
            default=10,
        )
    elif kind == "mentions":
        p["min_mentions"] = _int(
            raw.get("min_mentions"), where, "min_mentions", problems, lo=1, hi=1000, default=None
        )
    elif kind == "links":
        p["min_links"] = _int(
            raw.get("min_links"), where, "min_links", problems, lo=1, hi=1000, default=None
        )
    elif kind in ("repeat", "rate"):
        p["count"] = _int(raw.get("count"), where, "count", problems, lo=2, hi=1000, default=None)
        p["window_seconds"] = _int(
            raw.get("window_seconds"),
            where,
            "window_seconds",
            problems,
            lo=1,
            hi=86_400,
            default=None,
        )
    return p  # fmt: skip


def _validate_rule(raw: Any, index: int, problems: _Problems) -> Rule | None:
    if not isinstance(raw, Mapping):
        problems.add(f"rule #{index + 1}", None, "must be a mapping of fields")
        return None
    where = _where(raw, index)
    before = len(problems.items)
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        problems.add(where, "id", "is required (a short slug like 'no-threats')")
        rid = f"#{index + 1}"
    elif len(rid) > 64 or not set(rid) <= _ID_CHARS:
        problems.add(where, "id", "must be 1-64 characters of a-z, 0-9, '-', '_' or '.'")
    kind = raw.get("kind")
    if kind not in _KINDS:
        problems.add(where, "kind", f"must be one of {', '.join(_KINDS)}, got {kind!r}")
        return None
    allowed, default_applies = _KINDS[kind]
    unknown = sorted(set(raw) - _COMMON_FIELDS - allowed)
    for name in unknown:
        problems.add(where, name, f"is not a field of a '{kind}' rule")
    guideline = raw.get("guideline")
    if not isinstance(guideline, str) or not guideline.strip():
        problems.add(where, "guideline", "is required (e.g. 'no personal attacks')")
        guideline = ""
    elif len(guideline) > MAX_GUIDELINE_LENGTH:
        problems.add(where, "guideline", f"is longer than {MAX_GUIDELINE_LENGTH} characters")
    severity = _int(raw.get("severity"), where, "severity", problems, lo=0, hi=5, default=1)
    try:
        action = Action.parse(raw.get("action"))
    except ValueError as exc:
        problems.add(where, "action", f"{exc}, got {raw.get('action')!r}")
        action = Action.NONE
    mode = raw.get("mode", "enforce")
    if mode not in MODES:
        problems.add(where, "mode", f"must be 'enforce' or 'shadow', got {mode!r}")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.add(where, "enabled", f"must be true or false, got {enabled!r}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        problems.add(where, "description", "must be a string")
        description = ""
    applies = raw.get("applies_to", list(default_applies))
    if (
        not isinstance(applies, list)
        or not applies
        or not all(isinstance(a, str) and a in CONTEXT_KINDS for a in applies)
    ):
        problems.add(where, "applies_to", f"must be a non-empty list of {', '.join(CONTEXT_KINDS)}")
        applies = list(default_applies)
    languages = raw.get("languages", [])
    if not isinstance(languages, list) or not all(
        isinstance(code, str) and code in LANGUAGES for code in languages
    ):
        problems.add(where, "languages", f"must be a list of {', '.join(LANGUAGES)}")
        languages = []
    params = _validate_params(raw, kind, where, problems)
    if kind == "learned" and action > Action.HOLD:
        # a statistical guess never removes or times out on its own: a moderator decides
        problems.add(where, "action", f"a learned rule can at most hold, got {action.label!r}")
    if len(problems.items) > before:
        return None
    return Rule(
        id=rid,
        kind=kind,
        guideline=guideline.strip(),
        severity=severity,
        action=action,
        mode=mode,
        enabled=bool(enabled),
        description=description.strip(),
        applies_to=tuple(applies),
        params=params,
        languages=tuple(languages),
    )


def _rules_list(data: Any, problems: _Problems) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        unknown = sorted(set(data) - {"rules", "version", "languages"})
        if unknown:
            problems.add(
                "rule file", None, f"unknown top-level keys: {', '.join(map(str, unknown))}"
            )
        rules = data.get("rules")
        if isinstance(rules, list):
            return rules
        if rules is None and "languages" in data:
            return []  # only per-language modes
        problems.add("rule file", None, "needs a top-level 'rules:' list")
        return []
    if data is None:
        return []
    problems.add("rule file", None, "must be a mapping with a 'rules:' list")
    return []


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RuleSetError([f"YAML syntax error{where}: {reason}"]) from None


def _language_modes(data: Any, problems: _Problems) -> dict[str, str]:
    """The top-level `languages:` mapping (code -> enforce | shadow | off), validated."""
    raw = data.get("languages") if isinstance(data, Mapping) else None
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.add("rule file", "languages", "must map language codes to enforce|shadow|off")
        return {}
    modes: dict[str, str] = {}
    for code, value in raw.items():
        # YAML 1.1 reads a bare `off` as false and `on` as true
        mode = (
            {False: "off", True: "enforce"}.get(value, value) if isinstance(value, bool) else value
        )
        if code not in LANGUAGES or code == "en":
            others = ", ".join(c for c in LANGUAGES if c != "en")
            problems.add("rule file", "languages", f"unknown language {code!r} (one of {others})")
        elif mode not in LANGUAGE_MODES:
            problems.add(
                "rule file", "languages", f"{code}: must be enforce, shadow or off, got {mode!r}"
            )
        else:
            modes[code] = mode
    return modes


class RuleSet:
    """An immutable, validated, ordered collection of rules.

    `language_modes` (code -> enforce | shadow | off) switches every rule written for one
    language at once: a rule all of whose languages are off is inactive, and one whose
    languages are all shadowed or off runs in shadow mode."""

    def __init__(
        self, rules: Iterable[Rule], language_modes: Mapping[str, str] | None = None
    ) -> None:
        self._rules: tuple[Rule, ...] = tuple(rules)
        self._by_id = {r.id: r for r in self._rules}
        self.language_modes: dict[str, str] = dict(language_modes or {})
        self._active = tuple(
            r for r in (self._with_language_mode(r) for r in self._rules) if r.enabled
        )

    def _with_language_mode(self, rule: Rule) -> Rule:
        if not rule.languages or not self.language_modes:
            return rule
        modes = {self.language_modes.get(code, "enforce") for code in rule.languages}
        if modes == {"off"}:
            return replace(rule, enabled=False)
        if "enforce" not in modes and rule.mode != "shadow":
            return replace(rule, mode="shadow")
        return rule

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any) -> RuleSet:
        """Build from `{"rules": [...]}` or a bare list; RuleSetError lists every problem."""
        problems = _Problems()
        raws = _rules_list(data, problems)
        rules: list[Rule] = []
        seen: set[str] = set()
        for i, raw in enumerate(raws):
            rid = raw.get("id") if isinstance(raw, Mapping) else None
            if isinstance(rid, str) and rid:
                if rid in seen:
                    problems.add(f"rule '{rid}'", "id", "is used by more than one rule")
                seen.add(rid)
            rule = _validate_rule(raw, i, problems)
            if rule is not None:
                rules.append(rule)
        _check_set_limits(rules, problems)
        modes = _language_modes(data, problems)
        if problems.items:
            raise RuleSetError(problems.items)
        return cls(rules, modes)

    @classmethod
    def from_yaml(cls, text: str) -> RuleSet:
        return cls.from_dict(_parse_yaml(text))

    def with_overrides(self, overrides: str | Mapping[str, Any] | list[Any]) -> RuleSet:
        """Apply guild overrides by rule id: change fields, add new rules, `enabled: false`.

        An entry whose id exists is merged field by field over the base rule (lists replace
        lists). A new id must be a complete rule. The merged set is validated as a whole.
        """
        data = _parse_yaml(overrides) if isinstance(overrides, str) else overrides
        problems = _Problems()
        entries = _rules_list(data, problems)
        merged: dict[str, dict[str, Any]] = {r.id: r.to_dict() for r in self._rules}
        order = [r.id for r in self._rules]
        for i, entry in enumerate(entries):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
                problems.add(f"override #{i + 1}", "id", "every override needs the 'id' of a rule")
                continue
            rid = entry["id"]
            if rid in merged:
                base = merged[rid]
                if "kind" in entry and entry["kind"] != base["kind"]:
                    problems.add(f"override '{rid}'", "kind", "cannot change the kind of a rule")
                    continue
                base.update(copy.deepcopy(dict(entry)))
            else:
                merged[rid] = copy.deepcopy(dict(entry))
                order.append(rid)
        modes = {**self.language_modes, **_language_modes(data, problems)}
        if problems.items:
            raise RuleSetError(problems.items)
        return RuleSet.from_dict({"rules": [merged[rid] for rid in order], "languages": modes})

    # -- access ------------------------------------------------------------------------------
    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules

    @property
    def active(self) -> tuple[Rule, ...]:
        """Enabled rules, with the per-language modes applied."""
        return self._active

    def get(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._by_id

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": 1, "rules": [r.to_dict() for r in self._rules]}
        if self.language_modes:
            data["languages"] = dict(self.language_modes)
        return data

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


def _check_set_limits(rules: list[Rule], problems: _Problems) -> None:
    if len(rules) > MAX_RULES:
        problems.add("rule file", None, f"has {len(rules)} rules; the limit is {MAX_RULES}")
    total = sum(len(r.params.get("patterns", ())) for r in rules if r.kind == "regex")
    if total > MAX_PATTERNS:
        problems.add(
            "rule file",
            None,
            f"has {total} regex patterns; the limit is {MAX_PATTERNS} per rule set",
        )


def load_default_rules() -> RuleSet:
    """The rule pack shipped with forumbot: default_rules.yaml, then the rules for other
    languages in languages/*.yaml, validated as one set."""
    package = resources.files("forumbot.domain.civility")
    data = _parse_yaml(package.joinpath("default_rules.yaml").read_text(encoding="utf-8"))
    extra = package.joinpath("languages")
    for name in sorted(p.name for p in extra.iterdir() if p.name.endswith(".yaml")):
        more = _parse_yaml(extra.joinpath(name).read_text(encoding="utf-8"))
        data["rules"] += more["rules"]
    return RuleSet.from_dict(data)
