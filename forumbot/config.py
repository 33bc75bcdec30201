"""Typed settings, read from FORUMBOT_* environment variables (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")
DEFAULT_WEB_LISTEN = "127.0.0.1:8081"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FORUMBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = DEFAULT_DATA_DIR
    # Default: an embedded SQLite file under data_dir (see `database_url_or_default`).
    database_url: str | None = None
    # The token is a secret: its repr is masked so it never reaches a log line.
    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "FORUMBOT_DISCORD_TOKEN")
    )
    # For Discord-compatible servers and the local sandbox; None means Discord itself.
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    log_level: str = "INFO"
    # Largest file `load` accepts, in bytes.
    max_file_bytes: int = 5 * 1024 * 1024
    # Serve Discord's HTTP interactions endpoint on this `host:port` (None: interactions come
    # over the gateway). Its public URL is set as "Interactions Endpoint URL" in the portal.
    interactions_listen: str | None = None
    # The application's public key; by default the bot asks Discord for it at login.
    interactions_public_key: str | None = None
    # Sharding. Unset: this process runs every shard, as many as Discord recommends
    # (GET /gateway/bot). Several processes: each gets the same count and its own ids.
    shard_count: int | None = Field(default=None, ge=1)
    # Comma-separated shard ids this process runs ("0,1"); needs shard_count.
    shard_ids: str | None = None
    # A lease (shard ownership, singleton work) is free this long after its holder's last
    # renewal; a standby process takes over within about 1.3x this of the holder dying.
    lease_ttl_seconds: float = Field(default=15.0, gt=0.5, le=60.0)
    # Hosts a link or feed may be fetched from even though they resolve to a loopback, private
    # or link-local address (comma-separated `host` or `host:port`); everything else must be
    # public (forumbot.fetch).
    fetch_allow_hosts: str | None = None

    @field_validator("fetch_allow_hosts")
    @classmethod
    def _check_allow_hosts(cls, value: str | None) -> str | None:
        from forumbot.fetch import AllowList

        AllowList.parse(value)
        return value or None

    @field_validator("shard_ids")
    @classmethod
    def _check_shard_ids(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_shard_ids(value)
        return value

    @model_validator(mode="after")
    def _check_shards(self) -> Settings:
        ids = self.shard_id_list
        if ids is not None:
            if self.shard_count is None:
                raise ValueError("FORUMBOT_SHARD_IDS needs FORUMBOT_SHARD_COUNT")
            bad = [i for i in ids if i >= self.shard_count]
            if bad:
                raise ValueError(
                    f"FORUMBOT_SHARD_IDS {bad} not below FORUMBOT_SHARD_COUNT {self.shard_count}"
                )
        return self

    @property
    def shard_id_list(self) -> list[int] | None:
        return parse_shard_ids(self.shard_ids) if self.shard_ids else None

    # The web dashboard (forumbot.web): where it listens (`forumbot web` defaults to
    # DEFAULT_WEB_LISTEN; `forumbot run` serves it only when this is set).
    web_listen: str | None = None
    # The URL people open (behind a proxy: the https one); the OAuth2 redirect is built on it.
    web_public_url: str | None = None
    # Signs the session cookies; every process serving the dashboard must share it.
    web_secret: SecretStr | None = None
    web_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    # Discord OAuth2 (sign-in): the application's client id and secret (a secret: never logged).
    discord_client_id: str | None = None
    discord_client_secret: SecretStr | None = None

    @field_validator("web_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("interactions_listen", "web_listen")
    @classmethod
    def _check_listen(cls, value: str | None) -> str | None:
        if value:
            parse_listen(value)
        return value or None

    @property
    def web_address(self) -> tuple[str, int]:
        return parse_listen(self.web_listen or DEFAULT_WEB_LISTEN)

    @property
    def interactions_address(self) -> tuple[str, int] | None:
        return parse_listen(self.interactions_listen) if self.interactions_listen else None

    @property
    def database_url_or_default(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'forumbot.sqlite3').as_posix()}"


def parse_shard_ids(value: str) -> list[int]:
    """ "0,1, 3" -> [0, 1, 3]; ids are distinct non-negative integers."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"expected comma-separated shard ids such as 0,1; got {value!r}")
    ids = sorted({int(p) for p in parts})
    if len(ids) != len(parts):
        raise ValueError(f"shard ids repeat in {value!r}")
    return ids


def parse_listen(value: str) -> tuple[str, int]:
    """`host:port`, `:port` or a bare port, as (host, port); the host defaults to all."""
    host, sep, port = value.strip().rpartition(":")
    if not sep:
        host, port = "", value.strip()
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected host:port, got {value!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
