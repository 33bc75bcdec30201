"""The publishing port implemented with discord.py (the service never sees discord objects)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import aiohttp
import discord

from forumbot.services.errors import NotConfigured, PermissionDenied
from forumbot.services.publishing import MAX_APPLIED_TAGS, DiscordUnavailable, EditRefused
from forumbot.services.removal import ThreadGone

log = logging.getLogger(__name__)

MAX_FORUM_TAGS = 20
NO_MENTIONS = discord.AllowedMentions.none()
OLD_MESSAGE_EDITS_THROTTLED = 30046
TRANSIENT = (discord.DiscordServerError, aiohttp.ClientError, OSError, asyncio.TimeoutError)


class DiscordForumPort:
    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._tag_lock = asyncio.Lock()

    # -- helpers ----------------------------------------------------------------------------------

    async def _channel(self, channel_id: int) -> discord.abc.GuildChannel | discord.Thread:
        channel = self._client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self._client.fetch_channel(channel_id)
            except discord.NotFound as exc:
                raise NotConfigured(
                    "The forum channel chosen in /setup no longer exists: run /setup again."
                ) from exc
        assert not isinstance(channel, discord.abc.PrivateChannel)
        return channel

    async def _forum(self, forum_id: int) -> discord.ForumChannel:
        channel = await self._channel(forum_id)
        if not isinstance(channel, discord.ForumChannel):
            raise NotConfigured("The channel chosen in /setup is not a forum: run /setup again.")
        return channel

    async def _thread(self, thread_id: int) -> discord.Thread:
        channel = self._client.get_channel(thread_id)
        if channel is None:
            try:
                channel = await self._client.fetch_channel(thread_id)
            except discord.NotFound as exc:
                raise ThreadGone(thread_id) from exc
        assert isinstance(channel, discord.Thread)
        return channel

    @staticmethod
    def _translate(exc: BaseException) -> BaseException:
        if isinstance(exc, discord.Forbidden):
            return PermissionDenied("Discord refused: I lack a permission in the forum channel.")
        if isinstance(exc, TRANSIENT):
            return DiscordUnavailable(f"{type(exc).__name__}: {exc}")
        return exc

    # -- the port ---------------------------------------------------------------------------------

    async def ensure_tags(self, forum_id: int, names: Sequence[str]) -> list[int]:
        async with self._tag_lock:  # one edit of available_tags at a time
            forum = await self._forum(forum_id)
            have = {t.name.casefold(): t for t in forum.available_tags}
            missing = [n for n in names if n.casefold() not in have]
            room = MAX_FORUM_TAGS - len(have)
            if missing and room > 0:
                wanted = [
                    *forum.available_tags,
                    *(discord.ForumTag(name=n) for n in missing[:room]),
                ]
                try:
                    edited = await forum.edit(available_tags=wanted)
                except Exception as exc:
                    raise self._translate(exc) from exc
                if isinstance(edited, discord.ForumChannel):
                    forum = edited
                have = {t.name.casefold(): t for t in forum.available_tags}
            return [have[n.casefold()].id for n in names if n.casefold() in have][:MAX_APPLIED_TAGS]

    async def create_thread(
        self, forum_id: int, *, name: str, content: str, tag_ids: Sequence[int]
    ) -> int:
        forum = await self._forum(forum_id)
        tags = [t for t in (forum.get_tag(i) for i in tag_ids) if t is not None]
        if not tags and forum.flags.require_tag and forum.available_tags:
            # A forum that requires a tag rejects an untagged post (40067): use its first tag.
            tags = [forum.available_tags[0]]
        try:
            created = await forum.create_thread(
                name=name,
                content=content,
                applied_tags=tags,
                allowed_mentions=NO_MENTIONS,
                auto_archive_duration=10080,
            )
        except Exception as exc:
            raise self._translate(exc) from exc
        return created.thread.id

    async def find_threads(self, forum_id: int, marker: str) -> list[int]:
        forum = await self._forum(forum_id)
        me = self._client.user
        try:
            threads: dict[int, discord.Thread] = {t.id: t for t in forum.threads}
            async for thread in forum.archived_threads(limit=None):
                threads[thread.id] = thread
            found = []
            for thread in threads.values():
                if me is not None and thread.owner_id not in (None, me.id):
                    continue
                try:
                    starter = thread.starter_message or await thread.fetch_message(thread.id)
                except discord.NotFound:
                    continue
                if marker in starter.content:
                    found.append(thread.id)
        except Exception as exc:
            raise self._translate(exc) from exc
        return sorted(found)

    async def delete_thread(self, thread_id: int) -> None:
        try:
            await (await self._thread(thread_id)).delete()
        except (discord.NotFound, ThreadGone):
            pass
        except Exception as exc:
            raise self._translate(exc) from exc

    async def send_message(self, thread_id: int, *, content: str, nonce: str) -> int:
        try:
            thread = await self._thread(thread_id)
            message = await thread.send(content, nonce=nonce, allowed_mentions=NO_MENTIONS)
        except Exception as exc:
            raise self._translate(exc) from exc
        return message.id

    async def find_message(self, thread_id: int, *, content: str, after: int) -> int | None:
        me = self._client.user
        try:
            thread = await self._thread(thread_id)
            async for message in thread.history(
                limit=None, after=discord.Object(after), oldest_first=True
            ):
                if me is not None and message.author.id == me.id and message.content == content:
                    return message.id
        except Exception as exc:
            raise self._translate(exc) from exc
        return None

    async def close_thread(self, thread_id: int) -> None:
        try:
            thread = await self._thread(thread_id)
            await thread.edit(archived=True, locked=True)
        except discord.NotFound as exc:
            raise ThreadGone(thread_id) from exc
        except ThreadGone:
            raise
        except Exception as exc:
            raise self._translate(exc) from exc

    async def edit_message(self, thread_id: int, message_id: int, *, content: str) -> None:
        try:
            thread = await self._thread(thread_id)
            await thread.get_partial_message(message_id).edit(
                content=content, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as exc:
            if exc.code == OLD_MESSAGE_EDITS_THROTTLED:
                raise EditRefused(str(exc)) from exc
            raise self._translate(exc) from exc
        except Exception as exc:
            raise self._translate(exc) from exc

    async def message_content(self, thread_id: int, message_id: int) -> str | None:
        try:
            thread = await self._thread(thread_id)
            message = await thread.fetch_message(message_id)
        except discord.NotFound:
            return None
        except Exception as exc:
            raise self._translate(exc) from exc
        return message.content

    async def update_thread(self, thread_id: int, *, name: str, starter: str) -> None:
        try:
            thread = await self._thread(thread_id)
            if thread.archived and not thread.locked:
                # Messages of an archived thread cannot be edited (50083): reopen it; Discord
                # archives it again after its inactivity period.
                await thread.edit(archived=False)
            if thread.name != name:
                await thread.edit(name=name)
            first = await thread.fetch_message(thread_id)
            if first.content != starter:
                try:
                    await first.edit(content=starter, allowed_mentions=NO_MENTIONS)
                except discord.HTTPException as exc:
                    if exc.code != OLD_MESSAGE_EDITS_THROTTLED:
                        raise
                    log.info("starter edit throttled", extra={"thread_id": thread_id})
        except Exception as exc:
            raise self._translate(exc) from exc
