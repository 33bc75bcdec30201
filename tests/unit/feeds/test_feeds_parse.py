"""The feed parser's contract: an entry is keyed by its id/GUID, then its link, then a digest;
JSON Feed (our own mapping) with the spec's version URL or the bare number gofeed also reads;
anything else is one FeedParseError line."""

from __future__ import annotations

import json

import pytest

from forumbot.domain.feeds import FeedParseError, parse_feed

URL = "http://example.org/feed"


def rss_items(*items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def test_entries_are_keyed_by_guid_then_link_then_digest() -> None:
    feed = parse_feed(
        rss_items(
            "<item><guid isPermaLink='false'>g-1</guid><link>http://example.org/a</link><title>A</title></item>",
            "<item><link>http://example.org/b</link><title>B</title></item>",
            "<item><title>C</title><description>Only text.</description></item>",
        ),
        url=URL,
    )
    keys = [e.key for e in feed.entries]
    assert keys[0] == "id:g-1"
    assert keys[1] == "link:http://example.org/b"
    assert keys[2].startswith("digest:")
    # The same entry read again gets the same key; a changed title does not re-key a GUID.
    again = parse_feed(
        rss_items(
            "<item><guid isPermaLink='false'>g-1</guid><link>http://example.org/a2</link><title>A!</title></item>"
        ),
        url=URL,
    )
    assert again.entries[0].key == "id:g-1"


@pytest.mark.parametrize("version", ["https://jsonfeed.org/version/1.1", "1.0", "1.1", "1"])
def test_json_feed_versions(version: str) -> None:
    doc = {
        "version": version,
        "title": "J",
        "items": [{"id": "1", "url": "https://example.org/1", "content_text": "Hello."}],
    }
    feed = parse_feed(json.dumps(doc).encode(), url=URL)
    assert feed.version.startswith("json") and [e.key for e in feed.entries] == ["id:1"]
    assert feed.entries[0].content_html == "<p>Hello.</p>"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"verion": "1.0", "items": []}', "without a JSON Feed version"),
        (b'{"version": "2.5", "items": []}', "without a JSON Feed version"),
        (b'{"version": "1.1"}', "without items"),
        (b'{"version": "1.0",', "invalid JSON"),
        (b"<html><body>hi</body></html>", "not an RSS, Atom or JSON feed"),
        (b"   ", "empty answer"),
    ],
)
def test_not_a_feed_is_one_line(data: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse_feed(data, url=URL)
    assert reason in str(caught.value) and "\n" not in str(caught.value)
