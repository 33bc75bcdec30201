"""The `forumbot` command line. Each command group lives in its own module."""

from forumbot.cli.app import main

# Importing the modules registers their commands on `main`.
from forumbot.cli import archive as _archive  # noqa: F401  isort: skip
from forumbot.cli import library as _library  # noqa: F401  isort: skip
from forumbot.cli import db as _db  # noqa: F401  isort: skip
from forumbot.cli import rules as _rules  # noqa: F401  isort: skip
from forumbot.cli import backtest as _backtest  # noqa: F401  isort: skip
from forumbot.cli import score as _score  # noqa: F401  isort: skip
from forumbot.cli import run as _run  # noqa: F401  isort: skip
from forumbot.cli import removal as _removal  # noqa: F401  isort: skip

from forumbot.cli import web as _web  # noqa: F401  isort: skip
from forumbot.cli import feeds as _feeds  # noqa: F401  isort: skip

__all__ = ["main"]
