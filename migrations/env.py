"""Alembic environment (async). Serves SQLite and PostgreSQL.

URL, in order: a connection handed over by forumbot.storage.db (`config.attributes["connection"]`),
`config.attributes["url"]`, the ini option `sqlalchemy.url`, then forumbot's settings
(FORUMBOT_DATABASE_URL, default a SQLite file under the data dir).
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from forumbot.storage.models import Base

config = context.config
target_metadata = Base.metadata

# Full-text search objects are created with dialect-specific DDL in 0001_archive, 0004_search
# and 0016_search_pairs (the pair index and its two bookkeeping tables) and are not modelled;
# keep them out of autogenerate / `alembic check`.
FTS_TABLE_PREFIXES = ("passages_fts", "articles_fts", "passage_pairs")
UNMODELLED_COLUMNS = {("passages", "search_vector"), ("articles", "search_vector")}
UNMODELLED_INDEXES = {"ix_passages_search_vector", "ix_articles_search_vector"}


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE_PREFIXES):
        return False
    return not (type_ == "index" and name in UNMODELLED_INDEXES)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, _compare: Any) -> bool:
    if type_ == "column" and reflected:
        return (obj.table.name, name) not in UNMODELLED_COLUMNS
    return include_name(name, type_, None)


def _configure_kwargs() -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "render_as_batch": True,
        "compare_type": True,
        "include_name": include_name,
        "include_object": include_object,
    }


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    from forumbot.config import get_settings

    return get_settings().database_url_or_default


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, **_configure_kwargs())
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    from forumbot.storage.db import make_engine

    engine = make_engine(_url(), foreign_keys=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_url(), literal_binds=True, **_configure_kwargs())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    asyncio.run(run_async_migrations())


# Only the alembic command line configures logging; inside forumbot it would reset the app's.
if config.attributes.get("connection") is None and config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
