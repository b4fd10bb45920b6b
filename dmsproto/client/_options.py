"""Connection options: the URL, security and timing settings, checked once at connect()."""

from __future__ import annotations

import base64
import os
import random
import ssl
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from ..errors import ConnectError

DEFAULT_PORTS = {"ws": 9020, "http": 9020, "wss": 9021, "https": 9021}
DEFAULT_PATH = "/json_data"


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Automatic reconnection: exponential backoff with jitter.

    The n-th retry waits ``min(max_delay, initial_delay * multiplier**(n-1))``
    reduced by a random fraction up to ``jitter`` (0..1).  ``max_attempts``
    ``None`` retries forever; after the last failed attempt the client gives up
    and every waiting call and subscription gets ``ConnectionLost``.
    """

    initial_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5
    max_attempts: int | None = None

    def delay(self, attempt: int) -> float:
        base = min(self.max_delay, self.initial_delay * self.multiplier ** max(0, attempt - 1))
        return base * (1.0 - self.jitter * random.random())


@dataclass(frozen=True, slots=True)
class Options:
    """Everything ``connect()`` was given, validated; never shows the password."""

    scheme: str
    host: str
    port: int
    path: str
    whois: str | None
    user: str | None
    ssl_context: ssl.SSLContext | None
    timeout: float | None
    connect_timeout: float
    close_timeout: float
    ping_interval: float | None
    ping_timeout: float
    reconnect: ReconnectPolicy | None
    buffer_size: int
    chunk_size: int
    max_message_size: int
    authorization: bytes | None = field(default=None, repr=False)

    @property
    def tls(self) -> bool:
        return self.scheme in ("wss", "https")

    @property
    def websocket(self) -> bool:
        return self.scheme in ("ws", "wss")

    @property
    def url(self) -> str:
        """The URL without credentials (safe to log)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = DEFAULT_PORTS.get(self.scheme)
        return host if self.port == default and self.scheme in ("http", "https") else (
            f"{host}:{self.port}"
        )


def build_ssl_context(
    *,
    ssl_context: ssl.SSLContext | None,
    cafile: str | os.PathLike[str] | None,
    certfile: str | os.PathLike[str] | None,
    keyfile: str | os.PathLike[str] | None,
    check_hostname: bool,
) -> ssl.SSLContext:
    """The context for wss/https: the given one, or one trusting ``cafile`` (the DMS's cert)."""
    if ssl_context is not None:
        if cafile is not None or certfile is not None:
            raise ConnectError("give either ssl_context or cafile/certfile/keyfile, not both")
        return ssl_context
    try:
        ctx = ssl.create_default_context(cafile=os.fspath(cafile) if cafile else None)
        if not check_hostname:
            ctx.check_hostname = False
        if certfile is not None:
            ctx.load_cert_chain(
                os.fspath(certfile), os.fspath(keyfile) if keyfile is not None else None
            )
    except (OSError, ssl.SSLError) as exc:
        raise ConnectError(f"cannot load TLS files: {exc}") from exc
    return ctx


def make_options(
    url: str,
    *,
    whois: str | None,
    user: str | None,
    password: str | None,
    ssl_context: ssl.SSLContext | None,
    cafile: str | os.PathLike[str] | None,
    certfile: str | os.PathLike[str] | None,
    keyfile: str | os.PathLike[str] | None,
    check_hostname: bool,
    allow_insecure_auth: bool,
    timeout: float | None,
    connect_timeout: float,
    close_timeout: float,
    ping_interval: float | None,
    ping_timeout: float,
    reconnect: bool | ReconnectPolicy,
    buffer_size: int,
    chunk_size: int,
    max_message_size: int,
) -> Options:
    """Parse and check the connect() arguments (``ConnectError`` on bad input)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConnectError(f"bad URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ConnectError(f"URL scheme must be ws, wss, http or https, got {scheme!r}")
    host = parts.hostname
    if not host:
        raise ConnectError("URL has no host")
    if parts.username is not None and user is None:
        user = unquote(parts.username)
    if parts.password is not None and password is None:
        password = unquote(parts.password)
    path = parts.path or DEFAULT_PATH
    if parts.query:
        path += "?" + parts.query
    tls = scheme in ("wss", "https")
    authorization = None
    if password is not None:
        if user is None:
            raise ConnectError("password given without user")
        if not tls and not allow_insecure_auth:
            raise ConnectError(
                f"refusing to send Basic credentials over plain {scheme}:// "
                "(use wss/https, or pass allow_insecure_auth=True)"
            )
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        authorization = b"Basic " + token.encode("ascii")
    ctx = None
    if tls:
        ctx = build_ssl_context(
            ssl_context=ssl_context,
            cafile=cafile,
            certfile=certfile,
            keyfile=keyfile,
            check_hostname=check_hostname,
        )
    elif ssl_context is not None or certfile is not None:
        raise ConnectError(f"TLS settings given for a plain {scheme}:// URL")
    if timeout is not None and timeout <= 0:
        raise ConnectError("timeout must be > 0 or None")
    if ping_interval is not None and ping_interval <= 0:
        raise ConnectError("ping_interval must be > 0 or None")
    if buffer_size < 1 or chunk_size < 1:
        raise ConnectError("buffer_size and chunk_size must be >= 1")
    policy = ReconnectPolicy() if reconnect is True else (reconnect or None)
    return Options(
        scheme=scheme,
        host=host,
        port=port if port is not None else DEFAULT_PORTS[scheme],
        path=path,
        whois=whois,
        user=user,
        ssl_context=ctx,
        timeout=timeout,
        connect_timeout=connect_timeout,
        close_timeout=close_timeout,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        reconnect=policy,
        buffer_size=buffer_size,
        chunk_size=chunk_size,
        max_message_size=max_message_size,
        authorization=authorization,
    )


__all__ = ["Options", "ReconnectPolicy", "build_ssl_context", "make_options"]
