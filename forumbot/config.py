"""Typed settings, read from FORUMBOT_* environment variables (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
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

    @property
    def database_url_or_default(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'forumbot.sqlite3').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
