"""SSRF guard: webhook URLs must be http(s) and resolve only to public addresses.

Checked when an endpoint is saved and again before every attempt (DNS may have changed since);
the sender then connects to the very address that was checked, so a second lookup cannot swap in
a private one (DNS rebinding)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class UnsafeUrl(ValueError):
    """The URL may not be called; the message says why, for the admin."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for loopback, private, link-local, shared (CGNAT), reserved, unspecified.
    return ip.is_global and not ip.is_multicast


def parse(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("Use an http:// or https:// URL.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host name.")
    if parts.username or parts.password:
        raise UnsafeUrl("Leave user names and passwords out of the URL; the signature "
                        "authenticates deliveries.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("The port in the URL is not a number between 1 and 65535.") from None
    path = parts.path or "/"
    return parts.scheme, parts.hostname, port, path + (f"?{parts.query}" if parts.query else "")


def resolve(url: str, allow_private: bool) -> Target:
    """The URL's parts and the addresses to connect to, or UnsafeUrl."""
    scheme, host, port, path = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(f"The host name “{host}” does not resolve.") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        blocked = [address for address in addresses if not _is_public(address)]
        if blocked:
            raise UnsafeUrl(f"“{host}” resolves to a private, loopback or reserved address "
                            f"({blocked[0]}); webhooks may only call public addresses.")
    return Target(scheme, host, port, path, addresses)
