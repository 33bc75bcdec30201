"""Which addresses a fetch may reach: public unicast only, unless the host is allow-listed.

Checked on every resolved address of every hop (a redirect is a new hop), so neither a link
nor a redirect nor a DNS answer can point the bot at its own network."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def refusal(address: str) -> str | None:
    """Why `address` may not be fetched from ("loopback", "private", ...), or None if public."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and 64:ff9b::/96-style embeddings reach the IPv4 address inside.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return refusal(str(embedded))
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_private:
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


@dataclass(frozen=True, slots=True)
class AllowList:
    """FORUMBOT_FETCH_ALLOW_HOSTS: `host` (any port) or `host:port` entries, fetched even when
    they resolve to a non-public address (an intranet wiki, the tests' local server)."""

    entries: frozenset[tuple[str, int | None]] = frozenset()

    @classmethod
    def parse(cls, value: str | None) -> AllowList:
        entries: set[tuple[str, int | None]] = set()
        for raw in (value or "").split(","):
            item = raw.strip().lower()
            if not item:
                continue
            host, port = _split_host_port(item)
            entries.add((host, port))
        return cls(frozenset(entries))

    def allows(self, host: str, port: int) -> bool:
        host = host.lower().strip("[]").rstrip(".")
        return (host, None) in self.entries or (host, port) in self.entries


def _split_host_port(item: str) -> tuple[str, int | None]:
    if item.startswith("["):  # [::1]:8080
        host, _, rest = item[1:].partition("]")
        port_text = rest.lstrip(":")
    elif item.count(":") == 1:
        host, _, port_text = item.partition(":")
    else:  # a bare host or a bare IPv6 address
        host, port_text = item, ""
    if port_text and (not port_text.isdigit() or not 0 < int(port_text) < 65536):
        raise ValueError(f"expected host or host:port, got {item!r}")
    if not host:
        raise ValueError(f"expected host or host:port, got {item!r}")
    return host.rstrip("."), int(port_text) if port_text else None
