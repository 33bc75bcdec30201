"""Feed documents for tests, in each format: `rss(items)`, `atom(items)`, `json_feed(items)`,
where an item is (id, title, link, html or None)."""

from __future__ import annotations

import json
from html import escape

Item = tuple[str, str, str, str | None]

LONG = " ".join(["This sentence is part of the full text the feed itself carries."] * 14)


def rss(items: list[Item], title: str = "Test RSS") -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{escape(title)}</title><link>http://example.org/</link>",
    ]
    for guid, name, link, body in items:
        out.append(
            f'<item><guid isPermaLink="false">{escape(guid)}</guid><title>{escape(name)}</title>'
            f"<link>{escape(link)}</link><description>A teaser of {escape(name)}.</description>"
            + (f"<content:encoded><![CDATA[{body}]]></content:encoded>" if body else "")
            + "<pubDate>Sat, 05 Dec 2026 10:00:00 GMT</pubDate><author>ed@example.org (Ed)</author>"
            "</item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out)


def atom(items: list[Item], title: str = "Test Atom") -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title><id>urn:test</id><updated>2026-12-05T10:00:00Z</updated>",
    ]
    for guid, name, link, body in items:
        out.append(
            f"<entry><id>{escape(guid)}</id><title>{escape(name)}</title>"
            f'<link href="{escape(link)}"/><updated>2026-12-05T10:00:00Z</updated>'
            f"<author><name>Ada</name></author><summary>A teaser of {escape(name)}.</summary>"
            + (f'<content type="html">{escape(body)}</content>' if body else "")
            + "</entry>"
        )
    out.append("</feed>")
    return "\n".join(out)


def json_feed(items: list[Item], title: str = "Test JSON") -> str:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "items": [
                {
                    "id": guid,
                    "title": name,
                    "url": link,
                    "date_published": "2026-12-05T10:00:00Z",
                    "authors": [{"name": "Jo"}],
                    **({"content_html": body} if body else {"summary": f"A teaser of {name}."}),
                }
                for guid, name, link, body in items
            ],
        }
    )


def full(text: str) -> str:
    """An entry body long enough to be the full text (no page fetch)."""
    return f"<p>{escape(text)}</p><p>{LONG}</p>"
