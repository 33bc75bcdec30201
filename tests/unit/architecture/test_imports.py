"""The house layout, checked: no import circles among our own modules, and no file-name prefix
standing in for a package.

Every import counts, wherever it is: at the top, inside a function, or under TYPE_CHECKING (a
circle a type checker needs is still a circle a reader must untangle)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
ROOTS = ("forumbot", "cogs")


def module_files(repo: Path, roots: tuple[str, ...]) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under the roots (a package is its __init__)."""
    found: dict[str, Path] = {}
    for root in roots:
        for path in sorted((repo / root).rglob("*.py")):
            parts = path.relative_to(repo).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that `name` imports. `from pkg import x` depends on the module pkg.x when
    there is one, else on pkg itself (x is read from its namespace, even when pkg is a package
    that contains `name`)."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                child = f"{base}.{alias.name}"
                targets.add(child if child in known else base)
    edges = set()
    for target in targets:
        # `import a.b.c` of a name that is not a module: the closest enclosing module.
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            edges.add(target)
    return edges


def import_graph(repo: Path, roots: tuple[str, ...]) -> dict[str, set[str]]:
    files = module_files(repo, roots)
    known = set(files)
    return {name: imported_modules(name, path, known) for name, path in files.items()}


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per import that closes a loop, as the modules along it (depth-first search)."""
    circles: list[list[str]] = []
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> None:
        path.append(module)
        on_path.add(module)
        for target in sorted(graph[module]):
            if target in on_path:
                circles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target)
        on_path.discard(module)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module)
    return circles


def prefixed_names(repo: Path, roots: tuple[str, ...]) -> list[str]:
    """Modules whose name is `<prefix>_<rest>` where the prefix is a sibling module or package,
    or is shared by several siblings: a package waiting to be made (moderation_ledger.py next to
    moderation.py; routes_app.py next to routes_base.py)."""
    found: list[str] = []
    for root in roots:
        for folder in [repo / root, *(p for p in (repo / root).rglob("*") if p.is_dir())]:
            if folder.name == "__pycache__":
                continue
            names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
            names |= {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}
            prefixes = Counter(n.lstrip("_").split("_")[0] for n in names if "_" in n.lstrip("_"))
            for n in sorted(names):
                stripped = n.lstrip("_")
                if "_" not in stripped:
                    continue
                prefix = stripped.split("_")[0]
                if prefixes[prefix] > 1 or prefix in {m.lstrip("_") for m in names - {n}}:
                    found.append(str((folder / n).relative_to(repo)))
    return found


def test_no_import_circles_in_forumbot_and_cogs() -> None:
    graph = import_graph(REPO, ROOTS)
    assert len(graph) > 100  # the walk found the project
    circles = import_circles(graph)
    assert not circles, "modules import each other:\n" + "\n".join(
        " -> ".join(circle) for circle in circles
    )


def test_no_file_name_prefix_stands_in_for_a_package() -> None:
    assert prefixed_names(REPO, ROOTS) == []


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            # A circle through a relative import and one under TYPE_CHECKING.
            "app/a.py": "from .b import thing\n",
            "app/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import app.c\n",
            "app/c.py": "def f():\n    from app import a\n",
            # A module reading a name from its own package's __init__, which imports it.
            "app/pkg/__init__.py": "from app.pkg.service import Service\n",
            "app/pkg/service.py": "from app.pkg.helper import helper\nclass Service: ...\n",
            "app/pkg/helper.py": "from app.pkg import Service\n",
            # No circle: a module importing its sibling through the package.
            "app/ok/__init__.py": "",
            "app/ok/x.py": "from app.ok import y\n",
            "app/ok/y.py": "import os\n",
            # Prefixes standing in for packages.
            "app/mod.py": "",
            "app/mod_ledger.py": "",
            "app/_ui_search.py": "",
            "app/_ui_publish.py": "",
            "app/http_post.py": "",
        },
    )
    circles = {tuple(c) for c in import_circles(import_graph(tmp_path, ("app",)))}
    assert circles == {
        ("app.a", "app.b", "app.c", "app.a"),
        ("app.pkg", "app.pkg.service", "app.pkg.helper", "app.pkg"),
    }
    assert prefixed_names(tmp_path, ("app",)) == [
        "app/_ui_publish",
        "app/_ui_search",
        "app/mod_ledger",
    ]
