"""Loading articles from links on a real database (SQLite and PostgreSQL), pages served by the
local web server: the file pipeline, canonical URLs, revisions instead of duplicates, and one
clear error with nothing stored on every failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.config import Settings
from forumbot.services.archive import ArchiveService
from forumbot.services.links import LinkError, LinksService, canonical_source, url_key
from tests.fixtures.webserver import WebServer, page_html

PAGES = Path(__file__).resolve().parents[1] / "ingest" / "data"


def links_for(sessionmaker: async_sessionmaker[AsyncSession], server: WebServer) -> LinksService:
    settings = Settings(max_file_bytes=200_000, fetch_allow_hosts=server.allow)
    return LinksService(ArchiveService(sessionmaker, settings), settings)


async def test_real_page_shapes_load_through_the_file_pipeline(
    sessionmaker: async_sessionmaker[AsyncSession], webserver: WebServer
) -> None:
    links = links_for(sessionmaker, webserver)
    archive = ArchiveService(sessionmaker, Settings(max_file_bytes=200_000))
    for name in ("wordpress_post.html", "news_article.html"):
        data = (PAGES / name).read_bytes()
        webserver.page(f"/{name}", data)
        (item,) = await links.load(webserver.url(f"/{name}"))
        assert item.status == "created"
        # The same page as a file parses to the same passages.
        as_file = await links.fetch(webserver.url(f"/{name}"))
        from forumbot.domain.ingest import parse_document

        (parsed,) = parse_document(name, data, max_bytes=200_000)
        assert as_file.articles[0].paragraphs == parsed.paragraphs
        record = await archive.article(item.article_id)
        assert record.source and record.source.startswith("http")


async def test_same_url_again_revises_and_canonical_is_the_source(
    sessionmaker: async_sessionmaker[AsyncSession], webserver: WebServer
) -> None:
    links = links_for(sessionmaker, webserver)
    canonical = webserver.url("/essay")
    webserver.page("/essay", page_html("Essay", ["First thought.", "Second."], canonical=canonical))
    webserver.page(
        "/essay-amp", page_html("Essay", ["First thought.", "Second."], canonical=canonical)
    )
    (first,) = await links.load(webserver.url("/essay?utm_source=x"))
    (same,) = await links.load(webserver.url("/essay-amp"))
    assert (first.status, same.status) == ("created", "unchanged")
    assert same.article_id == first.article_id
    webserver.page(
        "/essay", page_html("Essay", ["First thought.", "Second, edited."], canonical=canonical)
    )
    (again,) = await links.load(canonical)
    assert again.status == "revised" and again.article_id == first.article_id
    articles = await links._archive.list_articles()
    assert len(articles) == 1 and articles[0].source == canonical


def test_a_page_cannot_claim_another_sites_canonical_url() -> None:
    assert canonical_source("https://a.example/x", "https://b.example/y") == "https://a.example/x"
    assert canonical_source("https://www.a.example/x", "/y#frag") == "https://www.a.example/y"
    assert canonical_source("https://a.example/x", "https://www.a.example/y").endswith("/y")
    assert url_key("HTTPS://A.example:443/p#f") == "url:https://a.example/p"
    assert len(url_key("https://a.example/" + "x" * 3000)) <= 512


async def test_failures_are_one_line_and_store_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], webserver: WebServer
) -> None:
    links = links_for(sessionmaker, webserver)
    webserver.page("/img", b"\x89PNG", content_type="image/png")
    webserver.page("/empty", "<html><body></body></html>")
    cases = {
        "ftp://example.org/x": "Only http",
        webserver.url("/status/404"): "HTTP 404",
        webserver.url("/status/500"): "HTTP 500",
        webserver.url("/img"): "not an HTML page",
        webserver.url("/endless"): "larger than the limit",
        webserver.url("/empty"): "no text",
        webserver.url("/redirect?to=http://192.168.1.1/"): "private",
        "http://10.0.0.7/": "private",
    }
    for url, expected in cases.items():
        with pytest.raises(LinkError) as caught:
            await links.load(url)
        message = str(caught.value)
        assert expected in message and "\n" not in message, (url, message)
    assert await links._archive.list_articles() == []


def test_cli_load_takes_links_beside_files(
    threaded_server: WebServer, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forumbot.cli import main
    from forumbot.config import get_settings

    threaded_server.page("/p", page_html("From the web", ["One passage here.", "And two."]))
    note = tmp_path / "note.md"
    note.write_text("---\ntitle: A file\n---\n\nText of a file.\n")
    monkeypatch.setenv("FORUMBOT_FETCH_ALLOW_HOSTS", threaded_server.allow)
    monkeypatch.setenv("FORUMBOT_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        url = threaded_server.url("/p")
        result = runner.invoke(main, ["load", str(note), url, "--json"])
        assert result.exit_code == 0, result.output
        assert "From the web" in result.output and "A file" in result.output
        again = runner.invoke(main, ["load", url])
        assert "0 loaded, 1 unchanged, 0 failed" in again.output
        bad = runner.invoke(main, ["load", threaded_server.url("/status/404")])
        assert bad.exit_code == 1 and "HTTP 404" in bad.output
        assert "Traceback" not in bad.output
    finally:
        get_settings.cache_clear()
