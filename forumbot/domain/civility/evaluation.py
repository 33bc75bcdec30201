"""Scoring a rule set against a labelled evaluation file.

An evaluation file is a YAML list of messages, each labelled by people who never saw the rules:

    - text: "you won't be laughing when I show up"
      label: uncivil          # civil | uncivil
      kind: threat            # what sort of message it is (free text: threat, insult, ...)
      lang: en                # the language it is written in
      lean: left              # optional: the political lean of a political message
      evasion: spaced         # optional: the evasion trick used, if any
      min_action: hold        # optional: the mildest acceptable action
      max_action: hold        # optional: the harshest acceptable action

An uncivil message is caught when the action is `nudge` or harsher (`log` is not caught); a civil
message is a false alarm on the same terms. Action bounds are checked only where an item gives
them. Every figure is broken down by label, kind, language, evasion and lean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from forumbot.domain.civility.actions import Action
from forumbot.domain.civility.engine import Engine, MessageContext

LABELS = ("civil", "uncivil")
DIMENSIONS = ("label", "kind", "lang", "evasion", "lean")
MAX_ITEMS = 100_000
MAX_TEXT = 20_000


class EvalFileError(ValueError):
    """An evaluation file is malformed; `problems` lists every problem found."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[:10]
        more = len(self.problems) - len(shown)
        text = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
        super().__init__(text)


@dataclass(frozen=True, slots=True)
class EvalItem:
    text: str
    label: str
    kind: str = ""
    lang: str = ""
    lean: str = ""
    evasion: str = ""
    min_action: Action | None = None
    max_action: Action | None = None

    def dimension(self, name: str) -> str:
        value: str = getattr(self, name)
        return value


def _tag(value: Any) -> str:
    """A short label from a free-form field: strings as given, True as "yes", else ""."""
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    return str(value).strip().lower()[:40]


def parse_items(data: Any, *, source: str = "input") -> list[EvalItem]:
    """Validate a loaded YAML document (a list of mappings); EvalFileError lists problems."""
    if isinstance(data, Mapping) and isinstance(data.get("items"), list):
        data = data["items"]
    elif isinstance(data, Mapping) and isinstance(data.get("groups"), list):
        # the corpus form: groups of texts sharing a label (civility_corpus.yaml)
        data = [
            {"text": text, "label": g.get("label"), "kind": g.get("name")}
            for g in data["groups"]
            if isinstance(g, Mapping) and isinstance(g.get("items"), list)
            for text in g["items"]
        ]
    if not isinstance(data, list):
        raise EvalFileError([f"{source}: must be a YAML list of messages"])
    if len(data) > MAX_ITEMS:
        raise EvalFileError([f"{source}: has {len(data)} items; the limit is {MAX_ITEMS}"])
    problems: list[str] = []
    items: list[EvalItem] = []
    for n, raw in enumerate(data, start=1):
        where = f"{source} item {n}"
        if not isinstance(raw, Mapping):
            problems.append(f"{where}: must be a mapping with text and label")
            continue
        text, label = raw.get("text"), raw.get("label")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: 'text' must be a non-empty string")
            continue
        if len(text) > MAX_TEXT:
            problems.append(f"{where}: 'text' is longer than {MAX_TEXT} characters")
            continue
        if label not in LABELS:
            problems.append(f"{where}: 'label' must be civil or uncivil, got {label!r}")
            continue
        bounds: list[Action | None] = []
        for key in ("min_action", "max_action"):
            value = raw.get(key)
            try:
                bounds.append(None if value is None else Action.parse(value))
            except ValueError as exc:
                problems.append(f"{where}: '{key}' {exc}, got {value!r}")
                bounds.append(None)
        items.append(
            EvalItem(
                text=text,
                label=label,
                kind=_tag(raw.get("kind")),
                lang=_tag(raw.get("lang")),
                lean=_tag(raw.get("lean")),
                evasion=_tag(raw.get("evasion")),
                min_action=bounds[0],
                max_action=bounds[1],
            )
        )
    if problems:
        raise EvalFileError(problems)
    return items


@dataclass(frozen=True, slots=True)
class Outcome:
    item: EvalItem
    action: Action
    rules: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return self.action >= Action.NUDGE

    @property
    def missed(self) -> bool:
        return self.item.label == "uncivil" and not self.flagged

    @property
    def false_alarm(self) -> bool:
        return self.item.label == "civil" and self.flagged

    @property
    def bound_violation(self) -> str:
        """ "" when the action is within the item's bounds, else what was wrong."""
        lo, hi = self.item.min_action, self.item.max_action
        if lo is not None and self.action < lo:
            return f"{self.action.label} < min {lo.label}"
        if hi is not None and self.action > hi:
            return f"{self.action.label} > max {hi.label}"
        return ""


@dataclass(slots=True)
class Tally:
    uncivil: int = 0
    caught: int = 0
    civil: int = 0
    alarms: int = 0
    violations: int = 0

    def add(self, o: Outcome) -> None:
        if o.item.label == "uncivil":
            self.uncivil += 1
            self.caught += o.flagged
        else:
            self.civil += 1
            self.alarms += o.flagged
        self.violations += bool(o.bound_violation)

    @property
    def recall(self) -> float | None:
        return self.caught / self.uncivil if self.uncivil else None

    @property
    def false_alarm_rate(self) -> float | None:
        return self.alarms / self.civil if self.civil else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "uncivil": self.uncivil,
            "caught": self.caught,
            "recall": _round(self.recall),
            "civil": self.civil,
            "false_alarms": self.alarms,
            "false_alarm_rate": _round(self.false_alarm_rate),
            "bound_violations": self.violations,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class Report:
    outcomes: list[Outcome]
    total: Tally = field(default_factory=Tally)
    by: dict[str, dict[str, Tally]] = field(default_factory=dict)

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> Report:
        report = cls(outcomes, by={d: {} for d in DIMENSIONS})
        for o in outcomes:
            report.total.add(o)
            for dim in DIMENSIONS:
                value = o.item.dimension(dim)
                if value:
                    report.by[dim].setdefault(value, Tally()).add(o)
        return report

    def lean_gap(self) -> float | None:
        """The difference between the left and right false-alarm rates (None without both)."""
        leans = self.by.get("lean", {})
        left, right = leans.get("left"), leans.get("right")
        if left is None or right is None:
            return None
        lr, rr = left.false_alarm_rate, right.false_alarm_rate
        return None if lr is None or rr is None else abs(lr - rr)

    def to_dict(self, *, examples: int = 0) -> dict[str, Any]:
        data: dict[str, Any] = {
            "items": len(self.outcomes),
            **self.total.to_dict(),
            "lean_false_alarm_gap": _round(self.lean_gap()),
            "by": {
                dim: {k: t.to_dict() for k, t in sorted(groups.items())}
                for dim, groups in self.by.items()
            },
        }
        if examples:
            missed = [_brief(o) for o in self.outcomes if o.missed]
            alarms = [_brief(o) for o in self.outcomes if o.false_alarm]
            data["missed_examples"] = missed[:examples]
            data["false_alarm_examples"] = alarms[:examples]
            data["violation_examples"] = [
                {**_brief(o), "why": o.bound_violation} for o in self.outcomes if o.bound_violation
            ][:examples]
        return data


def _brief(o: Outcome) -> dict[str, Any]:
    return {
        "text": o.item.text,
        "kind": o.item.kind,
        "lang": o.item.lang,
        "action": o.action.label,
        "rules": list(o.rules),
    }


def score(engine: Engine, items: Iterable[EvalItem]) -> Report:
    """Run every item through the engine as an independent message (no rate history)."""
    outcomes = []
    for item in items:
        verdict = engine.check(
            MessageContext(text=item.text, author_id="eval", channel_id="eval"), track=False
        )
        outcomes.append(Outcome(item, verdict.action, tuple(verdict.rule_ids)))
    return Report.of(outcomes)
