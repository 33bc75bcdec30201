from __future__ import annotations

from pathlib import Path

import pytest

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest import parse_document

REPO = Path(__file__).resolve().parents[3]
SEEDS = REPO / "seeds"
DATA = Path(__file__).resolve().parent / "data"
MAX = 5 * 1024 * 1024


def parse_path(path: Path) -> list[ParsedArticle]:
    return parse_document(path.name, path.read_bytes(), max_bytes=MAX)


@pytest.fixture(scope="session")
def seed_articles() -> dict[str, list[ParsedArticle]]:
    """Seed prefix ('000'...'004') -> the articles its file yields."""
    return {path.name[:3]: parse_path(path) for path in sorted(SEEDS.iterdir()) if path.is_file()}
