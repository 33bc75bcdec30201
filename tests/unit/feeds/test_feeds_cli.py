"""`forumbot feeds add | list | poll | pause | resume | interval | remove` against the local web
server on a real (SQLite) database: the commands an operator runs, their JSON, and one-line
errors with nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from forumbot.cli import main
from forumbot.config import get_settings
from tests.feed_documents import full, rss
from tests.fixtures.webserver import WebServer

GUILD = "123456789"


@pytest.fixture
def cli(
    threaded_server: WebServer, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("FORUMBOT_FETCH_ALLOW_HOSTS", threaded_server.allow)
    monkeypatch.setenv("FORUMBOT_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    try:
        yield CliRunner()
    finally:
        get_settings.cache_clear()


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, ["feeds", *args])


def test_feeds_from_the_command_line(cli: CliRunner, threaded_server: WebServer) -> None:
    server = threaded_server
    items = [("a", "First story", server.url("/a"), full("First."))]
    server.page("/feed", rss(items), content_type="application/rss+xml")
    added = run(cli, "add", server.url("/feed"), "--guild", GUILD, "--tag", "wire", "--json")
    assert added.exit_code == 0, added.output
    feed = json.loads(added.output)
    feed_id = str(feed["id"])
    assert feed["mode"] == "auto"
    # The baseline: what is in the feed already is noted, not imported.
    first = run(cli, "poll", "--json")
    assert first.exit_code == 0, first.output
    assert [r["imported"] for r in json.loads(first.output)] == [[]]
    assert "No feed is due." in run(cli, "poll").output
    items.append(("b", "Second story", server.url("/b"), full("Second.")))
    server.page("/feed", rss(items), content_type="application/rss+xml")
    assert run(cli, "interval", feed_id, "5m", "--guild", GUILD).exit_code == 0
    assert run(cli, "pause", feed_id, "--guild", GUILD).exit_code == 0
    listed = json.loads(run(cli, "list", "--guild", GUILD, "--json").output)
    assert listed[0]["paused"] is True
    assert run(cli, "resume", feed_id, "--guild", GUILD).exit_code == 0
    # Resumed and made due: the new entry is imported once.
    from sqlalchemy import create_engine, update

    from forumbot.storage.models.feeds import Feed

    engine = create_engine(get_settings().database_url_or_default.replace("+aiosqlite", ""))
    with engine.begin() as connection:
        connection.execute(update(Feed).values(next_poll_at=Feed.created_at))
    engine.dispose()
    second = json.loads(run(cli, "poll", "--json").output)
    assert [i["title"] for i in second[0]["imported"]] == ["Second story"]
    articles = cli.invoke(main, ["articles", "--guild", GUILD, "--json"])
    assert [a["title"] for a in json.loads(articles.output)] == ["Second story"]
    removed = run(cli, "remove", feed_id, "--guild", GUILD)
    assert removed.exit_code == 0, removed.output
    assert json.loads(run(cli, "list", "--guild", GUILD, "--json").output) == []


def test_bad_feeds_are_one_line_and_nothing_is_stored(
    cli: CliRunner, threaded_server: WebServer
) -> None:
    threaded_server.page("/page", "<html><body><p>Just a page.</p></body></html>")
    for url, reason in [
        (threaded_server.url("/page"), "not an RSS, Atom or JSON feed"),
        (threaded_server.url("/status/500"), "HTTP 500"),
        ("http://10.0.0.1/feed", "private"),
    ]:
        result = run(cli, "add", url, "--guild", GUILD)
        assert result.exit_code == 1, result.output
        assert reason in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert json.loads(run(cli, "list", "--guild", GUILD, "--json").output) == []
    missing = run(cli, "remove", "999", "--guild", GUILD)
    assert missing.exit_code == 1 and "999" in missing.output
