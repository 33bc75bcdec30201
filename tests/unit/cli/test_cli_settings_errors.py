"""Bad settings and options reach the user as one line, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from forumbot.cli import main
from forumbot.config import get_settings


@pytest.fixture(autouse=True)
def _fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_invalid_setting_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORUMBOT_MAX_FILE_BYTES", "abc")
    result = CliRunner().invoke(main, ["articles"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: invalid setting: FORUMBOT_MAX_FILE_BYTES")


def test_unknown_log_level_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("FORUMBOT_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["--log-level", "LOUD", "articles"])
    assert result.exit_code == 1
    assert "unknown log level 'LOUD'" in result.output
    assert "Traceback" not in result.output
