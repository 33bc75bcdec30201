"""The one error the fetcher raises: a kind (for code) and a one-line reason (for people)."""

from __future__ import annotations

from typing import Literal

FetchErrorKind = Literal[
    "url",  # not an http(s) URL, or unusable
    "dns",  # the name does not resolve
    "blocked",  # resolves to (or is) a loopback/private/link-local/multicast/reserved address
    "refused",  # the connection failed
    "timeout",
    "too_large",
    "content_type",
    "http",  # a 4xx/5xx answer (`status`, and `retry_after` when the server named one)
    "redirects",
    "encoding",  # a compressed body that does not decompress
]


class FetchError(Exception):
    """A fetch that failed; `str(error)` is one line naming the URL's host and the reason."""

    def __init__(
        self,
        kind: FetchErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: FetchErrorKind = kind
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """Worth trying again later (a feed poll backs off): the network, timeouts, 429/5xx."""
        if self.kind in ("dns", "refused", "timeout"):
            return True
        return self.kind == "http" and (self.status == 429 or (self.status or 0) >= 500)
