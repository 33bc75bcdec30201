"""Which files a load covers: given files, and directories walked recursively."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .document import SUPPORTED_SUFFIXES


def iter_document_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly are yielded as they are (parse_document judges their type).
    Directories are walked recursively in sorted order, yielding only supported suffixes and
    skipping hidden files and hidden directories (names starting with '.')."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        else:
            yield path


def _walk(directory: Path) -> Iterator[Path]:
    try:
        entries = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file() and entry.suffix.lower() in SUPPORTED_SUFFIXES:
            yield entry
