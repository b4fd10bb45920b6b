"""Where the proxy listens, where it forwards to, and its limits: read and checked once.

The upstream is a DMS URL (``ws``, ``wss``, ``http`` or ``https``): the DMS serves
WebSocket and HTTP POST on one port, so the scheme only says plain or TLS, and
both kinds of client are forwarded to the same host and port.  A client's request
target is forwarded unchanged, except that the DMS base path ``/json_data`` maps to
the path of the upstream URL (so a DMS behind a gateway at ``/site1/json_data``
works).
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from ..client._options import DEFAULT_PATH, DEFAULT_PORTS, build_ssl_context
from ..errors import ConnectError

MiB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Every limit of the proxy, in one place.

    ``max_message`` bounds the memory per connection and direction: a message
    (or an HTTP body) is kept whole for validation only up to this size, and a
    single WebSocket frame larger than it is forwarded in pieces of this size.
    Larger messages pass through unchanged and unvalidated (a notice says so),
    except an HTTP request body, which the proxy answers with 413 (a DMS takes far
    less; a notice says so too).
    """

    max_message: int = 64 * MiB
    """Bytes of a message (or HTTP body) kept whole for validation."""
    receive_size: int = 65536
    """Bytes read from a socket at a time."""
    max_head: int = 64 * 1024
    """Largest HTTP request or response head (request line and headers)."""
    connect_timeout: float = 10.0
    """Connecting to the upstream, TLS and WebSocket handshake included."""
    handshake_timeout: float = 10.0
    """A client's TLS handshake and first request head."""
    close_timeout: float = 5.0
    """How long a WebSocket close handshake may take once a close frame passed."""
    idle_timeout: float = 60.0
    """How long a kept-alive HTTP client connection may wait for its next request."""
    body_timeout: float = 30.0
    """How long the body of a client's HTTP request may take after its head (as the
    DMS's own limit): a slower one is answered 408 and the connection closed."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """The DMS the proxy forwards to (``upstream_from_url`` makes one)."""

    scheme: str
    """``ws``, ``wss``, ``http`` or ``https``."""
    host: str
    """The DMS's host name or address."""
    port: int
    """The DMS's port."""
    path: str
    """The DMS's path (``/json_data``)."""
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    """The TLS context for ``wss``/``https``; ``None`` for a plain upstream."""
    client_certificate: str | None = None
    """The certificate file the proxy presents upstream (``--cert``), if any."""

    @property
    def tls(self) -> bool:
        """Whether the upstream speaks TLS."""
        return self.ssl_context is not None

    @property
    def url(self) -> str:
        """The WebSocket URL of the upstream (safe to show: it holds no credentials)."""
        return f"{'wss' if self.tls else 'ws'}://{self.authority}{self.path}"

    @property
    def authority(self) -> str:
        """``host:port`` (an IPv6 address in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def where(self) -> str:
        """The DMS in messages: ``the DMS at host:port``."""
        return f"the DMS at {self.authority}"

    @property
    def host_header(self) -> bytes:
        """The ``Host`` header for upstream requests."""
        return self.authority.encode("idna" if not self.host.isascii() else "ascii")

    def target(self, client_target: bytes) -> bytes:
        """The upstream request target for a client's.

        Args:
            client_target: the target of the client's request line.

        Returns:
            The same target, with ``/json_data`` mapped to the upstream's path.
        """
        path, sep, query = origin_form(client_target).partition(b"?")
        if path == DEFAULT_PATH.encode() and self.path != DEFAULT_PATH:
            path = self.path.encode("utf-8")
        return path + sep + query


def origin_form(target: bytes) -> bytes:
    """A request target as path and query: the absolute form cut to its path.

    A server must accept ``POST http://host:port/json_data`` (RFC 9112 3.2.2) as
    well as ``POST /json_data``; clients told to use the proxy as their HTTP proxy
    send it so.

    Args:
        target: the target of a client's request line.

    Returns:
        ``target`` without scheme and authority (``/`` when it names no path).
    """
    scheme, sep, rest = target.partition(b"://")
    if not sep or scheme.lower() not in (b"http", b"https", b"ws", b"wss") or b"/" in scheme:
        return target
    slash = min((i for i in (rest.find(b"/"), rest.find(b"?")) if i >= 0), default=-1)
    if slash < 0:
        return b"/"
    tail = rest[slash:]
    return tail if tail.startswith(b"/") else b"/" + tail


def upstream_from_url(
    url: str,
    *,
    cafile: str | os.PathLike[str] | None = None,
    certfile: str | os.PathLike[str] | None = None,
    keyfile: str | os.PathLike[str] | None = None,
    check_hostname: bool = True,
) -> Upstream:
    """Read and check the upstream URL and its TLS settings.

    Args:
        url: ``ws://``, ``wss://``, ``http://`` or ``https://`` URL of the DMS.
        cafile: trust this CA or certificate file for the DMS's certificate.
        certfile: a client certificate (PEM) the proxy presents to the DMS.
        keyfile: the key of ``certfile`` if it is not inside it.
        check_hostname: whether the DMS certificate must name the URL's host.

    Returns:
        The upstream, with its TLS context for ``wss``/``https``.

    Raises:
        ConnectError: a malformed URL, credentials inside it, TLS settings for a
            plain URL, or TLS files that cannot be loaded.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConnectError(f"bad upstream URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ConnectError(f"upstream URL scheme must be ws, wss, http or https, got {scheme!r}")
    if not parts.hostname:
        raise ConnectError("upstream URL has no host")
    if parts.username is not None or parts.password is not None:
        raise ConnectError("the upstream URL must not hold credentials: clients send their own")
    if parts.query or parts.fragment:
        raise ConnectError("the upstream URL must not have a query or fragment")
    tls = scheme in ("wss", "https")
    if not tls and (cafile is not None or certfile is not None or keyfile is not None):
        raise ConnectError(f"TLS files given for a plain {scheme}:// upstream")
    if keyfile is not None and certfile is None:
        raise ConnectError("a key file needs its certificate file")
    context = None
    if tls:
        context = build_ssl_context(ssl_context=None, cafile=cafile, certfile=certfile,
                                    keyfile=keyfile, check_hostname=check_hostname)
    return Upstream(
        scheme=scheme,
        host=parts.hostname,
        port=port if port is not None else DEFAULT_PORTS[scheme],
        path=parts.path or DEFAULT_PATH,
        ssl_context=context,
        client_certificate=os.fspath(certfile) if certfile is not None else None,
    )


def parse_listen(text: str, *, default_port: int) -> tuple[str, int]:
    """``HOST:PORT``, ``[V6]:PORT``, ``HOST`` or ``:PORT`` -> ``(host, port)``.

    Args:
        text: the address (``--listen``).
        default_port: the port when the text names none.

    Returns:
        The host (empty: every address) and the port.

    Raises:
        ValueError: not an address with an optional port from 0 to 65535.
    """
    text = text.strip()
    host, port_text = text, ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or (end + 1 < len(text) and text[end + 1] != ":"):
            raise ValueError(f"bad listen address {text!r} (expected [ADDRESS]:PORT)")
        host, port_text = text[1:end], text[end + 2:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if not host:
        host = "127.0.0.1"
    if any(c.isspace() for c in host) or "/" in host:
        raise ValueError(f"bad listen host {host!r}")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"bad listen port {port_text!r} (0 to 65535; 0 = any free port)")
    return host, int(port_text)


__all__ = ["Limits", "MiB", "Upstream", "origin_form", "parse_listen", "upstream_from_url"]
