"""Several bot processes on one database: leases (singleton work, shard ownership), claims
(screen a message once, answer an interaction once) and cache versions (see another process's
writes before the next screening)."""

from forumbot.services.coordination.claims import Claims
from forumbot.services.coordination.leases import LeaseKeeper, Leases, process_identity
from forumbot.services.coordination.versions import (
    GUILD_SCOPE,
    CacheVersions,
    StaleGuard,
    bump_version,
)

__all__ = [
    "GUILD_SCOPE",
    "CacheVersions",
    "Claims",
    "LeaseKeeper",
    "Leases",
    "StaleGuard",
    "bump_version",
    "process_identity",
]
