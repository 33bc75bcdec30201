"""Fetching web pages and feeds without letting a link reach the bot's own network.

Infrastructure (aiohttp), no Discord and no database: the links and feeds services use it."""

from .addresses import AllowList, refusal
from .charset import as_utf8
from .client import Fetched, Fetcher, FetchLimits
from .errors import FetchError

__all__ = ["AllowList", "FetchError", "FetchLimits", "Fetched", "Fetcher", "as_utf8", "refusal"]
