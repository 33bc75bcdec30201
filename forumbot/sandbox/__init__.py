"""A local Discord-compatible server (REST v10 + Gateway v10) for tests, benchmarks and demos.

An unmodified discord.py client talks to it over real sockets once pointed at it:

    async with Sandbox.running(host="127.0.0.1", port=0) as sb:
        demo = sb.create_demo_guild()                 # DemoGuild: ids of guild, channels, members
        point_discord_at(sb.api_url, sb.gateway_url)  # discord.http.Route.BASE + DEFAULT_GATEWAY
        async with connected(bot, sb):                # forumbot.sandbox.clients: start, wait ready
            await bot.tree.sync()
            h = await sb.invoke_command(demo.alice_id, demo.general_id, "search", {"query": "x"})
            assert "x" in await h.text()
            sb.assert_no_violations()

Server: `Sandbox(host="127.0.0.1", port=0, token=DEFAULT_TOKEN, bot_name="forumbot")`;
`await start()` / `await stop()` or `async with Sandbox.running(...)`. Attributes: `api_url`
(http://host:port/api/v10), `gateway_url` (ws://host:port/gateway/), `token` (the bot token the
server accepts), `bot_id` == `application_id`, `world` (the in-memory Discord: `world.users`,
`world.guilds`, `world.channels`, `world.messages`, payload dicts), `demo` (after
`create_demo_guild`). Tunables: `interaction_deadline` (3.0 s), `followup_ttl` (900 s),
`heartbeat_interval_ms` (connections silent for two intervals are closed), `resume_window`,
`nonce_window`, `enforce_command_permissions` (False: members may run commands whose
default_member_permissions they lack, as when guild admins override them), `granted_intents`
(privileged intents the app may use; others close with 4014).

Records: `requests: list[RecordedRequest]` (method, path after /api/v10, query, json, reason =
decoded X-Audit-Log-Reason, headers, time, status, response, error_code, files);
`violations: list[Violation]` (requests Discord would reject because the client broke a rule:
limits, 40060 double ack, 10062 late ack, bad callback types; not simulated conditions such as
closed DMs, 403 hierarchy or injected faults); `audit_log` (moderation actions with reasons);
`commands` ({guild_id or None: [command]}); `events` ([(name, data)] of every gateway event
dispatched to all sessions); `find_events(name)`; `find_requests(method, path_regex, since=0)`;
`assert_no_violations()`; `clear_records()`; `pings(message)` ({"users", "roles", "everyone"}
that the message pinged on creation given its allowed_mentions: assert echoes ping nobody).

Waiting (event based, never sleeps; TimeoutError lists the recent requests):
`await wait_for_request(method, path_regex, timeout=5.0, *, since=None, status=None,
predicate=None) -> RecordedRequest` (since defaults to the last harness action, see `mark()`);
`await wait_for_message(channel=None, *, author=None (the bot), predicate=None, timeout=5.0,
since_mark=True) -> dict`; `await wait_until(predicate, timeout=5.0, what=...)`;
`await wait_until_connected(timeout=10.0, count=1)` (count-th IDENTIFY answered).

Building: `create_demo_guild(name="Forum Sandbox") -> DemoGuild(guild_id, general_id, forum_id
(forum with tags article/discussion/question), modlog_id, admin_role_id (administrator),
moderator_role_id (manage messages/threads, moderate members), bot_role_id, admin_id (the owner),
moderator_id, alice_id, bob_id, bot_id, tag_ids={name: id})`; `create_user(name)`,
`create_guild(name, owner)`, `create_role(guild, name, permissions)`, `add_member(guild, user,
roles)`, `create_channel(guild, name, kind=0)`, `create_forum(guild, name, tags=())`,
`store_attachment(filename, data) -> attachment dict` (served over HTTP so `Attachment.read()`
works), `set_dms_closed(user, closed=True)` (DMs then fail with 403/50007).

Acting as members (users/messages/channels may be ids or payload dicts; returns are live dicts):
`await send_message(user, channel, content="", *, embeds=None, files=[SandboxFile], reply_to=None)`,
`await send_dm(user, content)`, `dm_messages(user)`, `await edit_message(user, message, content)`,
`await delete_message(user, message)`, `await create_forum_post(user, forum, name, content, *,
tags=None) -> thread`, `await react(user, message, emoji)` / `unreact(...)`,
`await edit_thread(user, thread, **fields)` (archived, locked, name, rate_limit_per_user,
applied_tags; needs owner or manage-threads), `await set_roles(guild, user, role_ids)`,
`age_messages(channel, hours=2.0)` (backdate, for `old_edit_limit`: 30046 on edits of >1 h
old messages beyond that many per channel-hour), `set_overwrite(channel, role_or_member_id, *,
allow=0, deny=0, member=False)` (view and send are enforced for members and the bot:
50001/50013).
Members are refused as Discord would (ApiError, not a violation): timed out (50013), slowmode
(20016), locked thread (160005). Inspection: `messages(channel)` (oldest first, no ephemerals),
`channel(id)`, `member(guild, user)`, `threads(forum)`.

Interactions, each `-> InteractionHandle` (the bot must have synced the command):
`await invoke_command(user, channel, name, options=None, *, subcommand=None)` (name may be
"group sub"; option values: str/int/float/bool, user/role/channel ids or dicts, SandboxFile or an
attachment dict; resolved data is filled in, required options and choices are checked);
`await autocomplete(user, channel, name, options, focused, *, subcommand=None)`;
`await click(user, message, custom_id, *, values=None)` (buttons and selects; carries `message`);
`await submit_modal(user, source_handle, {text_input_custom_id: value})`;
`await invoke_message_command(user, message, name)`; `await invoke_user_command(user, channel,
target, name)`.
InteractionHandle: `await response()` (first callback {type, data}), `await message()` (the answer
once not a loading placeholder), `await text()` (content + embed text), `await followup(i)`,
`await choices()` (autocomplete), `await modal()`, `await wait_for(pred)`; properties
`responded`, `response_type`, `ephemeral`, `original`, `followups`, `record`, `payload`.

HTTP interactions endpoint: `verify_key` (hex Ed25519 public key, also in GET
/applications/@me); `await set_interactions_endpoint(url | None)` (validated as Discord does, else
ValueError; while set, interactions are POSTed there, signed, instead of INTERACTION_CREATE; a
200 body is applied like a callback, 202/204 leave it to the callback route, anything else or no
answer within `interaction_deadline` is a violation and fails the interaction);
`InteractionRecord.responded_at`, `response_via` ("callback"/"http"), `http_status`, `failure`.

Faults: `inject(route_regex, status=429, *, method=None, retry_after=0.05, times=1,
is_global=False)` (429 answers carry `Via` and JSON retry_after, as discord.py requires; other
statuses answer {"code": 0}); `add_rate_limit(route_regex_with_major_group, limit, per, *,
method=None)` and `enable_rate_limits()` (Discord-like buckets with X-RateLimit-* headers;
`rate_limited` lists the 429s); `await drop_connections(abrupt=True)` (sessions stay resumable and
buffer events; the client RESUMEs and gets the replay); `await request_reconnect()` (op 7);
`await invalidate_sessions()` (op 9, must IDENTIFY again). Killing/restarting a bot: close the
client and start a new one against the same Sandbox (state persists).

Pointing discord.py elsewhere is also a user feature: `point_discord_at(api_url, gateway_url)`.
Console for `make run`: `forumbot.sandbox.console.demo_sandbox()` (running sandbox + demo guild,
discord.py pointed at it) and `SandboxConsole(sb).run()` (act as members from stdin; bot output
printed live; `execute(line)` for scripts). See docs/sandbox.md for what is enforced.
"""

from .errors import ApiError
from .interactions import InteractionHandle, message_text
from .records import RecordedRequest, Violation
from .server import Sandbox
from .state import DEFAULT_TOKEN, DemoGuild, SandboxFile
from .wire import point_discord_at

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "DemoGuild",
    "InteractionHandle",
    "RecordedRequest",
    "Sandbox",
    "SandboxFile",
    "Violation",
    "message_text",
    "point_discord_at",
]
