"""Matchers that look at the roles of words in a clause rather than at fixed sentences.

A threat is modelled as who (a first-person speaker, "someone"), intent (will, gonna, voy, werde),
harm (kill, stab, matar, töten) and target (you, your family, all of you, te, dich), all in one
clause, in either order, with no negation. A language whose verbs carry the speaker ("te mato",
"zabiję cię", "убью") lists those forms as `acts`, which need no separate speaker.

An addressed phrase ("learn to read", "off your meds", "regret this") counts only in a clause that
also speaks to someone ("you", "your", "ur").

The engine gives each token its roles for one rule (`roles(pos)`) and each token the index of its
clause; everything here is pure and cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

Roles = Callable[[int], frozenset[str]]

_BETWEEN = frozenset({"intent", "target", "possessive", "kin", "agent"})


def _target_near(pos: int, roles: Roles, clause: Sequence[int], n: int, window: int) -> int | None:
    """The nearest target of a harm at `pos`: a second-person word, or a possessive followed by
    a kin or body word ("your family", "your kids", "ur legs"), within `window` tokens."""
    here = clause[pos]
    for d in range(1, window + 1):
        for q in (pos + d, pos - d):
            if not 0 <= q < n or clause[q] != here:
                continue
            r = roles(q)
            if "target" in r:
                return q
            if "possessive" in r:
                for k in (q + 1, q + 2):
                    if k < n and clause[k] == here and "kin" in roles(k):
                        return k
    return None


def find_threat(
    tokens: Sequence[str],
    roles: Roles,
    clause: Sequence[int],
    *,
    window: int,
    max_gap: int,
    positions: Iterable[int] | None = None,
) -> str | None:
    """The excerpt of the first threat in the tokens, or None. `positions`, in order, may name
    the only positions with a harm or act word (the caller knows them), to skip the rest."""
    n = len(tokens)
    for pos in range(n) if positions is None else positions:
        r = roles(pos)
        if "harm" not in r and "act" not in r:
            continue
        target = _target_near(pos, roles, clause, n, window)
        if target is None:
            continue
        if target == pos + 1 and tokens[target + 1 : target + 2] in (["a"], ["an"]):
            continue  # a verb of giving, not of harm: "shoot him an email", "shoot them a text"
        here = clause[pos]
        start: int | None = None
        if "act" in r:
            start = pos
        else:
            # a speaker before the harm with only intent, target and kin words between:
            # "I will kill you", "we are going to hurt you", "te voy a matar" ("voy" speaks)
            j = pos - 1
            intent = False
            while j >= 0 and pos - j <= max_gap + 1 and clause[j] == here:
                rj = roles(j)
                if "agent" in rj:
                    start = j
                    break
                if not rj & _BETWEEN:
                    break
                intent = intent or "intent" in rj
                j -= 1
            if start is None and j + 1 < pos:
                first = j + 1
                opens = j < 0 or clause[j] != here
                if opens and all("intent" in roles(k) for k in range(first, pos)):
                    start = first  # "gonna stab you": the clause opens with intent alone
                elif intent and target < pos and target >= first:
                    # "you're getting your head kicked in", "ur gonna get shot"
                    start = first
        if start is None:
            continue
        lo = min(start, target, pos)
        negation = max(0, lo - 2)
        if any("negation" in roles(k) for k in range(negation, pos) if clause[k] == here):
            continue
        return " ".join(tokens[lo : max(target, pos) + 1])
    return None


def addressed_near(
    start: int,
    end: int,
    roles: Roles,
    clause: Sequence[int],
    n: int,
    window: int,
) -> bool:
    """Whether a phrase at tokens[start:end] is spoken to someone: a target word inside it or
    within `window` tokens of it in the same clause."""
    here = clause[start]
    lo, hi = max(0, start - window), min(n, end + window)
    return any("target" in roles(k) and clause[k] == here for k in range(lo, hi))
