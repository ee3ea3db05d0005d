"""One HTTP POST to a checked address, with a short timeout and no redirects.

The standard library's http.client is used because it lets us connect to the address that the
SSRF check approved while still sending the real Host header and TLS server name; redirects are
simply never followed (a 3xx is a failed attempt, as the receiver's URL should be exact)."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from .addresses import Target

MAX_ERROR = 300


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None
    duration_ms: int
    error: str


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed address, verifying the certificate for the URL's host name."""

    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """Try the target's addresses in order until one connects; report what happened."""
    started = time.monotonic()
    error = "No address to connect to."
    for address in target.addresses:
        kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
        connection = kind(address, target.host, target.port, timeout)
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            excerpt = response.read(MAX_ERROR).decode("utf-8", "replace")
            ok = 200 <= response.status < 300
            return Outcome(ok, response.status, _ms(started),
                           "" if ok else _describe(response.status, response.reason, excerpt))
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        finally:
            connection.close()
    return Outcome(False, None, _ms(started), error)


def _describe(status: int, reason: str, excerpt: str) -> str:
    if 300 <= status < 400:
        return f"HTTP {status} {reason}: redirects are not followed; use the final URL."
    text = " ".join(excerpt.split())
    return f"HTTP {status} {reason}" + (f": {text}" if text else "")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
