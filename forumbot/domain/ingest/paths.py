"""Which files a load covers: given files, and directories walked recursively."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .document import SUPPORTED_SUFFIXES


def iter_document_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly are yielded as they are (parse_document judges their type).
    Directories are walked recursively in sorted order, yielding only supported suffixes and
    skipping hidden files and hidden directories (names starting with '.')."""
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            yield from _walk(path, seen)
        else:
            yield path


def _walk(directory: Path, seen: set[Path]) -> Iterator[Path]:
    # Each real directory once: symlink loops and repeated arguments end here.
    real = directory.resolve()
    if real in seen:
        return
    seen.add(real)
    try:
        entries = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry, seen)
        elif entry.is_file() and entry.suffix.lower() in SUPPORTED_SUFFIXES:
            yield entry
