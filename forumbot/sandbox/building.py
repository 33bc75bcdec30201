"""Building guilds for the sandbox: users, roles, members, channels, forums, the demo guild."""

from __future__ import annotations

from typing import Any

from .base import SandboxBase
from .jsoncopy import json_copy
from .state import DemoGuild, UserRef, _id
from .world import (
    ADMINISTRATOR,
    BAN_MEMBERS,
    EVERYONE_PERMISSIONS,
    FORUM,
    KICK_MEMBERS,
    MANAGE_CHANNELS_BIT,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    MODERATE_MEMBERS,
    TEXT,
    Guild,
    Json,
)

BOT_PERMISSIONS = (
    EVERYONE_PERMISSIONS
    | MANAGE_MESSAGES
    | MANAGE_THREADS
    | MODERATE_MEMBERS
    | MANAGE_CHANNELS_BIT
    | KICK_MEMBERS
    | BAN_MEMBERS
    | (1 << 17)  # mention everyone
    | (1 << 36)  # create public threads
)


MODERATOR_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS | MODERATE_MEMBERS


class GuildBuilding(SandboxBase):
    def create_user(self, username: str, *, bot: bool = False) -> Json:
        return self.world.create_user(username, bot=bot)

    def create_guild(self, name: str, owner: UserRef) -> Guild:
        guild = self.world.create_guild(name, _id(owner))
        self.world.add_member(guild, _id(owner))
        return guild

    def create_role(self, guild: Guild | str, name: str, permissions: int, **extra: Any) -> Json:
        g = self.world.guild(_id(guild))
        role = self.world.create_role(g, name, permissions, **extra)
        self._dispatch_if_connected(
            "GUILD_ROLE_CREATE", {"guild_id": g.id, "role": json_copy(role)}
        )
        return role

    def add_member(self, guild: Guild | str, user: UserRef, roles: list[str] | None = None) -> Json:
        g = self.world.guild(_id(guild))
        member = self.world.add_member(g, _id(user), roles)
        payload = self.world.member_payload(g, _id(user))
        self._dispatch_if_connected("GUILD_MEMBER_ADD", {**payload, "guild_id": g.id})
        return member

    def create_channel(self, guild: Guild | str, name: str, kind: int = TEXT, **extra: Any) -> Json:
        g = self.world.guild(_id(guild))
        channel = self.world.create_channel(g, name, kind, **extra)
        self._dispatch_if_connected("CHANNEL_CREATE", json_copy(channel))
        return channel

    def create_forum(
        self, guild: Guild | str, name: str, tags: tuple[str, ...] = (), **extra: Any
    ) -> Json:
        g = self.world.guild(_id(guild))
        channel = self.world.create_channel(g, name, FORUM, **extra)
        channel["available_tags"] = [
            {
                "id": self.world.ids.next(),
                "name": t,
                "moderated": False,
                "emoji_id": None,
                "emoji_name": None,
            }
            for t in tags
        ]
        self._dispatch_if_connected("CHANNEL_CREATE", json_copy(channel))
        return channel

    def create_demo_guild(self, name: str = "Forum Sandbox") -> DemoGuild:
        """A guild with #general, a forum #articles (tags article, discussion, question), a
        #mod-log text channel, roles Admin (administrator) and Moderator, and members admin
        (the owner), moderator, alice, bob and the bot (role forumbot)."""
        w = self.world
        admin = w.create_user("admin")
        moderator = w.create_user("moderator")
        alice = w.create_user("alice")
        bob = w.create_user("bob")
        self.owner_user_id = admin["id"]
        guild = w.create_guild(name, admin["id"])
        mod_role = w.create_role(guild, "Moderator", MODERATOR_PERMISSIONS)
        bot_role = w.create_role(
            guild, "forumbot", BOT_PERMISSIONS, managed=True, tags={"bot_id": self.bot_id}
        )
        admin_role = w.create_role(guild, "Admin", ADMINISTRATOR)
        w.add_member(guild, admin["id"], [admin_role["id"]])
        w.add_member(guild, moderator["id"], [mod_role["id"]])
        w.add_member(guild, alice["id"])
        w.add_member(guild, bob["id"])
        w.add_member(guild, self.bot_id, [bot_role["id"]])
        general = w.create_channel(guild, "general", TEXT)
        forum = w.create_channel(guild, "articles", FORUM, topic="Articles from the archive")
        forum["available_tags"] = [
            {
                "id": w.ids.next(),
                "name": t,
                "moderated": False,
                "emoji_id": None,
                "emoji_name": None,
            }
            for t in ("article", "discussion", "question")
        ]
        modlog = w.create_channel(guild, "mod-log", TEXT)
        if self.gateway.sessions:
            for session in self.gateway.sessions.values():
                self.gateway.dispatch("GUILD_CREATE", w.guild_create_payload(guild), only=session)
        self.demo = DemoGuild(
            guild_id=guild.id,
            general_id=general["id"],
            forum_id=forum["id"],
            modlog_id=modlog["id"],
            admin_role_id=admin_role["id"],
            moderator_role_id=mod_role["id"],
            bot_role_id=bot_role["id"],
            admin_id=admin["id"],
            moderator_id=moderator["id"],
            alice_id=alice["id"],
            bob_id=bob["id"],
            bot_id=self.bot_id,
            tag_ids={t["name"]: t["id"] for t in forum["available_tags"]},
        )
        return self.demo
