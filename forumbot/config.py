"""Typed settings, read from FORUMBOT_* environment variables (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


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

    @field_validator("interactions_listen")
    @classmethod
    def _check_listen(cls, value: str | None) -> str | None:
        if value:
            parse_listen(value)
        return value or None

    @property
    def interactions_address(self) -> tuple[str, int] | None:
        return parse_listen(self.interactions_listen) if self.interactions_listen else None

    @property
    def database_url_or_default(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'forumbot.sqlite3').as_posix()}"


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
