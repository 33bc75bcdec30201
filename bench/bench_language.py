"""Language guess: ours (forumbot.domain.civility.language) against maintained libraries.

Measures CPU time per message and accuracy on the `lang` labels of the evaluation rounds
(tests/unit/civility/eval/round_*.yaml), one message at a time. Libraries are optional:
py3langid, pycld2 and lingua-language-detector are measured when installed.

    .venv/bin/python bench/bench_language.py
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forumbot.domain.civility import Engine, load_default_rules  # noqa: E402
from forumbot.domain.civility.normalise import normalise  # noqa: E402

LANGS = ("en", "es", "pt", "fr", "de", "it", "nl", "pl", "ru", "tr")


def measure(name: str, guess: Callable[[str], set[str]], items: list[tuple[str, str]]) -> dict:
    right, cpu = 0, []
    for text, lang in items:
        t0 = time.process_time_ns()
        got = guess(text)
        cpu.append(time.process_time_ns() - t0)
        right += lang in got
    cpu.sort()
    total = sum(cpu) / 1e9
    return {
        "name": name,
        "accuracy": round(right / len(items), 4),
        "msgs_per_cpu_s": round(len(items) / total) if total else None,
        "p50_ms": round(cpu[len(cpu) // 2] / 1e6, 4),
        "p99_ms": round(cpu[int(len(cpu) * 0.99)] / 1e6, 4),
    }


def main() -> None:
    items = []
    for path in sorted((ROOT / "tests/unit/civility/eval").glob("round_*.yaml")):
        items += [(i["text"], i["lang"]) for i in yaml.safe_load(path.read_text("utf-8"))]
    guesser = Engine(load_default_rules())._guesser
    assert guesser is not None
    out = [measure("ours", lambda t: set(guesser.guess(t, normalise(t).split())), items)]
    try:
        import py3langid

        py3langid.classify("warm up")
        out.append(measure("py3langid", lambda t: {py3langid.classify(t)[0]}, items))
    except ImportError:
        pass
    try:
        import pycld2

        def cld2(t: str) -> set[str]:
            try:
                return {pycld2.detect(t)[2][0][1]}
            except pycld2.error:
                return set()

        out.append(measure("pycld2", cld2, items))
    except ImportError:
        pass
    try:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        wanted = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in LANGS]
        detector = LanguageDetectorBuilder.from_languages(*wanted).with_low_accuracy_mode().build()

        def lingua_guess(t: str) -> set[str]:
            found = detector.detect_language_of(t)
            return {found.iso_code_639_1.name.lower()} if found else set()

        out.append(measure("lingua (low accuracy mode)", lingua_guess, items))
    except ImportError:
        pass
    print(json.dumps({"messages": len(items), "results": out}, indent=1))


if __name__ == "__main__":
    main()
