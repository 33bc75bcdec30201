"""Do two versions of the civility engine decide alike? Old (a git ref, main by default) against
the working tree, message by message, with the default pack.

Speed work on the engine must not change a single decision. This runs both engines at once,
each in a subprocess of its own importing its own copy of `forumbot`, over every committed
message we have: every `text` (and every string in an `items` list) of
tests/unit/civility/**/*.yaml, every paragraph of the seed articles (with `--variants`, five
disguises of each as well), and any extra files given (one message per line; public data for
evaluation only, never committed). Each text is
checked as each context kind with `track=False`, then all of them once more as one stream with
`track=True` (a few authors, one channel, two seconds apart), so the rate and repeat rules see
histories. A decision is the action, the enforced and
the shadow rule ids and the guideline; the excerpts are compared too and reported apart.

    .venv/bin/python bench/check_civility_identity.py [--ref main] [--variants] [--extra FILE ...]

Prints JSON; exits 1 when any decision differs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("message", "edit", "thread_title", "bot_output")


def _strings(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                out.append(value)
            elif key == "items" and isinstance(value, list):
                out += [v for v in value if isinstance(v, str)]
                _strings([v for v in value if not isinstance(v, str)], out)
            else:
                _strings(value, out)
    elif isinstance(node, list):
        for value in node:
            _strings(value, out)


def committed_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "tests" / "unit" / "civility").rglob("*.yaml")):
        _strings(yaml.safe_load(path.read_text(encoding="utf-8")), texts)
    for path in sorted((ROOT / "seeds").iterdir()):
        if path.is_file():
            paras = path.read_text(encoding="utf-8").split("\n\n")
            texts += [p.strip() for p in paras if p.strip()]
    return texts


_LEET = str.maketrans("aeios", "43105")


def variants(text: str) -> list[str]:
    """The same message dressed the ways evaders and chat dress it, to reach the normaliser's
    other paths: shouted, leetspeak, its first long word spaced out or stretched, addressed by
    a mention and carrying a link."""
    words = text.split(" ")
    long_at = next((n for n, w in enumerate(words) if len(w) >= 4 and w.isalpha()), None)
    spaced = stretched = text
    if long_at is not None:
        w = words[long_at]
        spaced = " ".join([*words[:long_at], " ".join(w), *words[long_at + 1 :]])
        stretched = " ".join([*words[:long_at], w + w[-1] * 4, *words[long_at + 1 :]])
    return [
        text.upper(),
        text.translate(_LEET),
        spaced,
        stretched,
        f"<@1234> {text} https://example.org/x",
    ]


def decide(root: str, texts: list[str]) -> list[list[Any]]:
    """Runs in the worker: the engine of the tree at `root` over `texts`."""
    sys.path.insert(0, root)
    from forumbot.domain.civility import Engine, MessageContext, load_default_rules

    engine = Engine(load_default_rules())
    out: list[list[Any]] = []

    def row(v: Any) -> list[Any]:
        return [
            v.action.name,
            v.rule_ids,
            [h.rule_id for h in v.shadow_hits],
            v.guideline,
            [h.excerpt for h in v.hits + v.shadow_hits],
        ]

    for kind in KINDS:
        for text in texts:
            out.append(row(engine.check(MessageContext(text=text, kind=kind), track=False)))
    for n, text in enumerate(texts):
        ctx = MessageContext(text=text, author_id=str(n % 3), channel_id="1", timestamp=2.0 * n)
        out.append(row(engine.check(ctx)))
    return out


def start_tree(root: Path, texts_file: Path, out_file: Path) -> subprocess.Popen[bytes]:
    with out_file.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, __file__, "--worker", str(root), str(texts_file)],
            stdout=out,
            cwd=root,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ref", default="main", help="git ref of the old engine")
    parser.add_argument("--extra", nargs="*", default=[], help="files, one message per line")
    parser.add_argument(
        "--variants", action="store_true", help="also each text upper-cased, leeted, spaced..."
    )
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        root, texts_file = args.worker
        texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
        json.dump(decide(root, texts), sys.stdout)
        return

    texts = committed_texts()
    n_committed = len(texts)
    if args.variants:
        texts += [v for t in texts[:n_committed] for v in variants(t)]
    for name in args.extra:
        lines = Path(name).read_text(encoding="utf-8", errors="replace").splitlines()
        texts += [line for line in lines if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        old_root, new_root = Path(tmp) / "old", Path(tmp) / "new"
        old_root.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.ref, "forumbot"], check=True, capture_output=True, cwd=ROOT
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(old_root, filter="data")
        # a copy of the working tree as it is now, so that editing it during the run is safe
        shutil.copytree(ROOT / "forumbot", new_root / "forumbot")
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts), encoding="utf-8")
        # both at once: two cores, half the wait
        workers = [
            start_tree(root, texts_file, Path(tmp) / f"{root.name}.json")
            for root in (old_root, new_root)
        ]
        if any(w.wait() for w in workers):
            sys.exit("a worker failed")
        old, new = (
            json.loads((Path(tmp) / f"{name}.json").read_text(encoding="utf-8"))
            for name in ("old", "new")
        )

    labels = [f"{k}:{i}" for k in KINDS for i in range(len(texts))]
    labels += [f"stream:{i}" for i in range(len(texts))]
    decisions = [n for n, (a, b) in enumerate(zip(old, new, strict=True)) if a[:4] != b[:4]]
    excerpts = [n for n, (a, b) in enumerate(zip(old, new, strict=True)) if a[4] != b[4]]
    report = {
        "ref": args.ref,
        "texts": len(texts),
        "committed_texts": n_committed,
        "extra_texts": len(texts) - n_committed,
        "checks": len(old),
        "flagged_old": sum(r[0] != "NONE" or bool(r[2]) for r in old),
        "decisions_differ": len(decisions),
        "excerpts_differ": len(excerpts),
        "examples": [
            {
                "where": labels[n],
                "text": texts[int(labels[n].split(":")[1])][:200],
                "old": old[n],
                "new": new[n],
            }
            for n in (decisions or excerpts)[:10]
        ],
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    sys.exit(1 if decisions else 0)


if __name__ == "__main__":
    main()
