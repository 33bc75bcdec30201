"""The dashboard over HTTP (no browser): sign-in, who may see and do what, CSRF, escaping,
actions through the same services as the buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from forumbot.sandbox import Sandbox
from tests.e2e.moderation.support import article_thread, dm_texts
from tests.e2e.web.support import Dashboard, Member, fresh_window

OpenAs = Callable[[str], Awaitable[Member]]

REPO = Path(__file__).resolve().parents[3]
MODERATOR_PAGES = ("queue", "cases", "activity", "cases.csv", "cases.json")
MANAGER_PAGES = ("rules", "settings")


async def test_signed_out_visitor_is_sent_to_sign_in(dashboard: Dashboard) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(dashboard.guild + "/queue", allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"].startswith("/login")
        async with http.post(dashboard.guild + "/queue/1", data={"action": "claim"}) as resp:
            assert resp.status == 403


async def test_session_cookie_is_signed_httponly_and_expires(
    dashboard: Dashboard, member_session: OpenAs
) -> None:
    member = await member_session(dashboard.demo.alice_id)
    cookie = next(c for c in member.http.cookie_jar if c.key == "forumbot_session")
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 0
    import aiohttp

    # An altered cookie is no session at all.
    async with aiohttp.ClientSession() as http:
        for value in (cookie.value, cookie.value[:-2] + "xx"):
            headers = {"Cookie": f"forumbot_session={value}"}
            async with http.get(dashboard.url + "/", headers=headers) as resp:
                html = await resp.text()
            assert ("Sign in with Discord" in html) == (value != cookie.value)


async def test_plain_member_gets_403_on_every_moderation_page_and_form(
    dashboard: Dashboard, member_session: OpenAs, sandbox: Sandbox, load_articles: Any
) -> None:
    demo = dashboard.demo
    gid = int(demo.guild_id)
    context = dashboard.context
    [article_id, *_] = await load_articles(REPO / "seeds")
    # Something real behind each form: an open queue item, a case about someone else.
    warned = await context.moderation.members.warn(
        gid, int(demo.bob_id), "bob", actor_id=int(demo.moderator_id), reason="tone"
    )
    item = await context.moderation.desk.appeal(
        gid, warned.id, member_id=int(demo.bob_id), text="x"
    )
    alice = await member_session(demo.alice_id)
    pages = (
        *MODERATOR_PAGES,
        *MANAGER_PAGES,
        f"members/{demo.bob_id}",
        f"cases/{warned.id}",
        "archive/upload",
        "rules/default.yaml",
    )
    for page in pages:
        status, _ = await alice.get(f"/g/{gid}/{page}")
        assert status == 403, page
    before = len(sandbox.requests)
    settings_before = await context.guilds.get(gid)
    forms = {
        f"queue/{item.id}": {"action": "approve", "reason": "x"},
        f"queue/{item.id}?claim": {"action": "claim"},
        "rules": {"overrides": "rules: []", "reason": "x", "action": "save"},
        "rules?backtest": {"overrides": "", "reason": "", "action": "backtest"},
        "rules/mode": {"rule": "threats-of-violence", "mode": "shadow", "reason": "x"},
        "settings": {"reason": "x", "slowmode_seconds": "30"},
        "archive/upload": {"file": "Title\n\nA passage.\n"},
        "archive/confirm": {"token": "x.y", "payload": "QQ=="},
        f"articles/{article_id}/publish": {},
    }
    for path, data in forms.items():
        status, _ = await alice.post(f"/g/{gid}/{path}", data)
        assert status == 403, path
    # Nothing happened: no rule change, the item still open and unclaimed, settings as they
    # were, no article stored or published, and nothing reached Discord but access checks.
    assert await context.moderation.rules.changes(gid) == []
    [still] = await context.moderation.desk.queue(gid)
    assert (still.id, still.status, still.claimed_by) == (item.id, "open", None)
    assert await context.guilds.get(gid) == settings_before
    assert await context.publishing.publication(gid, article_id) is None
    assert not [r for r in sandbox.requests[before:] if r.method != "GET"]
    # Her own record and the archive are hers to see.
    status, _ = await alice.get(f"/g/{gid}/members/{dashboard.demo.alice_id}")
    assert status == 200
    status, _ = await alice.get(f"/g/{gid}/archive")
    assert status == 200


async def test_unknown_guild_and_case_are_404(dashboard: Dashboard, member_session: OpenAs) -> None:
    moderator = await member_session(dashboard.demo.moderator_id)
    assert (await moderator.get("/g/123456789012345678/queue"))[0] == 404
    assert (await moderator.get(f"/g/{dashboard.demo.guild_id}/cases/999999"))[0] == 404
    assert (await moderator.get(f"/g/{dashboard.demo.guild_id}/articles/999999"))[0] == 404
    assert (await moderator.get(f"/g/{dashboard.demo.guild_id}/members/x"))[0] == 404
    assert (await moderator.get("/g/not-a-number/queue"))[0] == 404


async def test_post_without_csrf_token_is_refused(
    dashboard: Dashboard, member_session: OpenAs
) -> None:
    admin = await member_session(dashboard.demo.admin_id)
    gid = dashboard.demo.guild_id
    status, html = await admin.post(
        f"/g/{gid}/rules", {"overrides": "", "reason": "r", "action": "save"}, csrf=False
    )
    assert status == 403 and "expired or did not come from this dashboard" in html
    status, _ = await admin.post(
        f"/g/{gid}/rules", {"overrides": "", "reason": "r", "csrf": "forged"}, csrf=False
    )
    assert status == 403
    assert await dashboard.context.moderation.rules.changes(int(gid)) == []


async def test_moderator_approves_held_comment_which_returns_to_thread(
    dashboard: Dashboard, member_session: OpenAs, sandbox: Sandbox
) -> None:
    demo = dashboard.demo
    thread = await article_thread(sandbox, demo)
    text = "honestly you absolute muppet, read chapter 3 <script>alert(1)</script>"
    msg = await sandbox.send_message(demo.alice_id, thread, text)
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
    desk = dashboard.context.moderation.desk
    items = await desk.queue(int(demo.guild_id))
    assert [i.kind for i in items] == ["held"]
    moderator = await member_session(demo.moderator_id)
    status, html = await moderator.get(f"/g/{demo.guild_id}/queue")
    # The comment as written, shown as text: its markup escaped, never a script on the page.
    assert status == 200 and "muppet" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    status, html = await moderator.post(
        f"/g/{demo.guild_id}/queue/{items[0].id}", {"action": "approve", "reason": "banter"}
    )
    assert status == 200 and "decided: approve" in html
    restored = [m for m in sandbox.messages(thread) if m["content"] == text]
    assert len(restored) == 1 and restored[0]["author"]["id"] == demo.bot_id
    assert any("approved" in t for t in dm_texts(sandbox, demo.alice_id))
    # The same ledger rows as the button, marked as from the dashboard.
    rows = await dashboard.context.casebook.cases(int(demo.guild_id), _all())
    review = next(r for r in rows if r.kind == "review")
    assert review.details["via"] == "dashboard" and review.actor_id == int(demo.moderator_id)
    # Decided once: a second approve is refused and nothing is restored twice.
    status, _ = await moderator.post(
        f"/g/{demo.guild_id}/queue/{items[0].id}", {"action": "approve", "reason": "again"}
    )
    assert status == 403
    assert len([m for m in sandbox.messages(thread) if m["content"] == text]) == 1


async def test_rule_edit_with_error_shows_it_and_changes_nothing(
    dashboard: Dashboard, member_session: OpenAs
) -> None:
    admin = await member_session(dashboard.demo.admin_id)
    gid = dashboard.demo.guild_id
    bad = "rules:\n  - id: threats-of-violence\n    severity: banana\n"
    status, html = await admin.post(
        f"/g/{gid}/rules", {"overrides": bad, "reason": "tune", "action": "save"}
    )
    assert status == 400 and 'class="problem"' in html
    assert "field &#39;severity&#39;: must be an integer" in html
    assert "banana" in html  # the text stays in the editor
    assert await dashboard.context.moderation.rules.changes(int(gid)) == []
    assert await dashboard.context.moderation.rules.overrides(int(gid)) == ""


async def test_backtest_shows_a_chart_and_saves_nothing(
    dashboard: Dashboard, member_session: OpenAs
) -> None:
    admin = await member_session(dashboard.demo.admin_id)
    gid = dashboard.demo.guild_id
    status, html = await admin.post(
        f"/g/{gid}/rules", {"overrides": "", "reason": "", "action": "backtest"}
    )
    assert status == 200 and 'id="backtest"' in html and "<svg" in html
    assert await dashboard.context.moderation.rules.changes(int(gid)) == []


def _all():  # type: ignore[no-untyped-def]
    from forumbot.services.moderation.casebook import CaseFilter

    return CaseFilter()


async def test_appeal_is_decided_on_the_dashboard_never_by_the_acting_moderator(
    dashboard: Dashboard, member_session: OpenAs, sandbox: Sandbox
) -> None:
    demo = dashboard.demo
    gid = int(demo.guild_id)
    service = dashboard.context.moderation
    warned = await service.members.warn(
        gid, int(demo.alice_id), "alice", actor_id=int(demo.moderator_id), reason="hostile tone"
    )
    item = await service.desk.appeal(gid, warned.id, member_id=int(demo.alice_id), text="quoting")
    moderator = await member_session(demo.moderator_id)
    status, html = await moderator.post(
        f"/g/{gid}/queue/{item.id}", {"action": "approve", "reason": "fine by me"}
    )
    assert status == 403 and "another moderator must decide" in html
    admin = await member_session(demo.admin_id)
    status, html = await admin.post(
        f"/g/{gid}/queue/{item.id}", {"action": "approve", "reason": "it was a quote"}
    )
    assert status == 200 and "decided: approve" in html
    assert any("was granted" in t for t in dm_texts(sandbox, demo.alice_id))
    # Alice sees her own case and its pardon, not anyone else's.
    alice = await member_session(demo.alice_id)
    status, html = await alice.get(f"/g/{gid}/cases/{warned.id}")
    assert status == 200 and "hostile tone" in html and "pardon" in html


async def test_forms_with_bad_values_say_so_and_store_nothing(
    dashboard: Dashboard, member_session: OpenAs
) -> None:
    admin = await member_session(dashboard.demo.admin_id)
    gid = int(dashboard.demo.guild_id)
    before = await dashboard.context.guilds.get(gid)
    status, html = await admin.post(
        f"/g/{gid}/settings",
        {"forum_channel_id": "#articles", "half_life_hours": "soon", "reason": "tidy"},
    )
    assert status == 400 and "digits only" in html and "A number." in html
    assert await dashboard.context.guilds.get(gid) == before
    status, html = await admin.get(f"/g/{gid}/cases?member=alice")
    assert status == 400 and "Discord id" in html
    status, html = await admin.get(f"/g/{gid}/cases?since=yesterday")
    assert status == 400 and "date like" in html


async def test_exports_are_csv_and_json_with_formulas_defused(
    dashboard: Dashboard, member_session: OpenAs
) -> None:
    demo = dashboard.demo
    gid = int(demo.guild_id)
    await dashboard.context.moderation.members.warn(
        gid, int(demo.bob_id), "bob", actor_id=int(demo.moderator_id), reason="=HYPERLINK(1)"
    )
    moderator = await member_session(demo.moderator_id)
    status, body = await moderator.get(f"/g/{gid}/cases.json?member={demo.bob_id}&kind=warn")
    import json

    rows = json.loads(body)
    assert status == 200 and [r["kind"] for r in rows] == ["warn"]
    assert rows[0]["reason"] == "=HYPERLINK(1)" and rows[0]["member_id"] == demo.bob_id
    status, body = await moderator.get(f"/g/{gid}/cases.csv?member={demo.bob_id}&kind=warn")
    assert status == 200 and body.startswith("id,created_at,kind") and "'=HYPERLINK(1)" in body


async def test_bad_uploads_are_refused_and_nothing_is_stored(
    dashboard: Dashboard, member_session: OpenAs
) -> None:
    import aiohttp

    admin = await member_session(dashboard.demo.admin_id)
    gid = dashboard.demo.guild_id
    limit = dashboard.context.settings.max_file_bytes

    async def upload(name: str, data: bytes) -> tuple[int, str]:
        body = aiohttp.FormData()
        body.add_field("csrf", await admin.csrf())
        body.add_field("file", data, filename=name)
        async with admin.http.post(f"{dashboard.guild}/archive/upload", data=body) as resp:
            return resp.status, await resp.text()

    status, html = await upload("big.txt", b"a " * limit)
    assert status == 400 and "too large" in html
    status, html = await upload("tool.exe", b"MZ")
    assert status == 400 and "unsupported file type" in html
    status, html = await upload("ok.txt", b"Title\n\nA passage.\n")
    assert status == 200 and "Preview" in html
    # A preview whose file was swapped is refused.
    status, html = await admin.post(
        f"/g/{gid}/archive/confirm", {"token": "x.y", "payload": "QQ=="}
    )
    assert status == 400 and "expired or was altered" in html
    assert await dashboard.context.archive.list_articles(guild_id=int(gid)) == []


async def test_expensive_pages_are_rate_limited_per_person(
    dashboard: Dashboard, tmp_path: Path, load_articles: Any
) -> None:
    """Search, Activity, backtests, uploads and publishing each have their limit per person
    and minute (exports and sign-in: test_web_processes.py); one more is answered 429 and
    does nothing."""
    import aiohttp

    source = tmp_path / "short.md"
    source.write_text('---\ntitle: "Short"\n---\nA harvest passage.\n', encoding="utf-8")
    [article_id] = await load_articles(source)
    gid = dashboard.demo.guild_id
    _session, cookie = await dashboard.context.sessions.create(
        int(dashboard.demo.admin_id), "admin", [], hours=1
    )
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        http.cookie_jar.update_cookies({"forumbot_session": cookie})
        admin = Member(http, dashboard)
        csrf = await admin.csrf()

        async def search() -> int:
            return (await admin.get(f"/g/{gid}/archive?q=harvest"))[0]

        async def activity() -> int:
            return (await admin.get(f"/g/{gid}/activity"))[0]

        async def backtest() -> int:
            data = {"overrides": "", "reason": "", "action": "backtest", "csrf": csrf}
            async with http.post(f"{dashboard.guild}/rules", data=data) as resp:
                return resp.status

        async def upload() -> int:
            body = aiohttp.FormData()
            body.add_field("csrf", csrf)
            body.add_field("file", b"Title\n\nA passage.\n", filename="a.txt")
            async with http.post(f"{dashboard.guild}/archive/upload", data=body) as resp:
                return resp.status

        async def publish() -> int:
            url = f"{dashboard.guild}/articles/{article_id}/publish"
            async with http.post(url, data={"csrf": csrf}, allow_redirects=False) as resp:
                return resp.status

        for call, limit, ok in (
            (search, 30, 200),
            (activity, 30, 200),
            (backtest, 6, 200),
            (upload, 10, 200),
            (publish, 10, 303),
        ):
            await fresh_window()
            statuses = [await call() for _ in range(limit + 1)]
            assert statuses == [ok] * limit + [429], (call.__name__, statuses)
    # The refused publish did nothing: the article was posted once.
    threads = dashboard.sandbox.threads(dashboard.demo.forum_id)
    assert len([t for t in threads if t["name"].startswith("Short")]) == 1


async def test_the_oauth_guild_list_alone_grants_nothing(
    dashboard: Dashboard, sandbox: Sandbox
) -> None:
    """A session whose Discord guild list names the server, for someone the bot does not see
    there, opens nothing in it: access comes from the bot's view of the member."""
    import aiohttp

    gid = int(dashboard.demo.guild_id)
    stranger = sandbox.create_user("stranger")
    _session, cookie = await dashboard.context.sessions.create(
        int(stranger["id"]), "stranger", [(gid, "Demo")], hours=1
    )
    async with aiohttp.ClientSession() as http:
        headers = {"Cookie": f"forumbot_session={cookie}"}
        for page in ("", "/archive", "/queue", "/settings"):
            async with http.get(f"{dashboard.guild}{page}", headers=headers) as resp:
                assert resp.status == 404, page


async def test_static_files_are_served_without_reading_the_session(
    dashboard: Dashboard, member_session: OpenAs, monkeypatch: Any
) -> None:
    member = await member_session(dashboard.demo.alice_id)
    sessions = dashboard.context.sessions
    loads: list[str | None] = []
    original = sessions.load

    async def counting(cookie: str | None) -> Any:
        loads.append(cookie)
        return await original(cookie)

    monkeypatch.setattr(sessions, "load", counting)
    async with member.http.get(dashboard.url + "/static/site.css") as resp:
        assert resp.status == 200 and "text/css" in resp.headers["Content-Type"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert loads == []
    status, _ = await member.get("/")
    assert status == 200 and len(loads) == 1


async def test_a_database_outage_is_a_503_that_says_so_not_a_bug_page(
    dashboard: Dashboard,
    member_session: OpenAs,
    monkeypatch: Any,
    allow_warnings: Callable[[str], None],
) -> None:
    from sqlalchemy.exc import OperationalError

    allow_warnings(r"database unavailable")
    member = await member_session(dashboard.demo.alice_id)

    async def refused(cookie: str | None) -> Any:
        raise OperationalError("SELECT", {}, ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setattr(dashboard.context.sessions, "load", refused)
    status, body = await member.get("/")
    assert status == 503
    assert "The database is not answering right now" in body
    assert "Something went wrong" not in body
