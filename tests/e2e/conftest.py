"""End-to-end tests fail on any WARNING+ log record from `discord` or `forumbot`.

discord.py only logs handler exceptions, so a broken handler would otherwise pass silently.
A test that expects a warning (e.g. discord.py's rate-limit notice) declares it with the
`allow_warnings` fixture: `allow_warnings(r"We are being rate limited")`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

import pytest

WATCHED = ("discord", "forumbot")
# Printed once per process by discord.py when optional voice libraries are missing.
ALWAYS_ALLOWED = (r"^PyNaCl is not installed", r"^davey is not installed")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.allowed = [re.compile(p) for p in ALWAYS_ALLOWED]

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not any(p.search(message) for p in self.allowed):
            self.records.append(record)


@pytest.fixture(autouse=True)
def _fail_on_warnings(request: pytest.FixtureRequest) -> Iterator[_Collector]:
    collector = _Collector()
    loggers = [logging.getLogger(name) for name in WATCHED]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(collector)
        if lg.getEffectiveLevel() > logging.WARNING:
            lg.setLevel(logging.WARNING)
    try:
        yield collector
    finally:
        for lg, level in saved:
            lg.removeHandler(collector)
            lg.setLevel(level)
    if collector.records:
        lines = []
        for rec in collector.records:
            line = f"{rec.levelname} {rec.name}: {rec.getMessage()}"
            if rec.exc_info and rec.exc_info[1] is not None:
                line += f" ({type(rec.exc_info[1]).__name__}: {rec.exc_info[1]})"
            lines.append(line)
        pytest.fail("warnings/errors were logged:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture
def allow_warnings(_fail_on_warnings: _Collector) -> Callable[[str], None]:
    """Allow log records whose message matches a regex for the rest of this test."""

    def allow(pattern: str) -> None:
        _fail_on_warnings.allowed.append(re.compile(pattern))

    return allow
