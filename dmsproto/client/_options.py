"""The connection options resolved: ``connect()``'s keywords checked once, as ``Options``.

The options are declared in :class:`dmsproto.options.ConnectOptions`; this module
reads a call's keywords against that declaration (defaults, bounds, unknown names)
and derives what the transports need: the URL's parts, the TLS context, the
Authorization header and the reconnect policy.
"""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from msgspec import Struct

from ..declare import resolve
from ..errors import InvalidOptions
from ..options import ConnectOptions, PathArg, ReconnectPolicy
from ..recorder import Recorder
from ..versions import Version

DEFAULT_PORTS = {"ws": 9020, "http": 9020, "wss": 9021, "https": 9021}
DEFAULT_PATH = "/json_data"
_TARGET_SAFE = "/%:@!$&'()*+,;=-._~"
"""What stays as it is in the path of a request target (RFC 3986 pchar and ``/``)."""


class Options(Struct, frozen=True):
    """The options of one connection, resolved and checked; never shows the password.

    Attributes named like a declared option hold its value (given or default);
    the others are derived: ``scheme``/``host``/``port``/``path`` from ``url``,
    ``ssl_context`` from the TLS options, ``reconnect`` as a policy (``None``:
    none), ``authorization`` from ``user`` and ``password``.
    """

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
    wait_for_server: bool
    buffer_size: int
    chunk_size: int
    max_message_size: int
    protocol: Version
    validate_requests: bool
    record: PathArg | Recorder | None
    record_truncate: bool
    authorization: bytes | None = None

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__struct_fields__
                          if name != "authorization")  # it carries the password
        return f"Options({shown})"

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
            raise InvalidOptions("give either ssl_context or cafile/certfile/keyfile, not both")
        return ssl_context
    try:
        ctx = ssl.create_default_context(cafile=os.fspath(cafile) if cafile else None)
    except (OSError, ssl.SSLError) as exc:
        raise _tls_files_failure(f"CA file {os.fspath(cafile or '')}", exc,
                                 "it holds no PEM certificate") from exc
    if not check_hostname:
        ctx.check_hostname = False
    if certfile is not None:
        try:
            ctx.load_cert_chain(os.fspath(certfile),
                                os.fspath(keyfile) if keyfile is not None else None)
        except (OSError, ssl.SSLError) as exc:
            raise InvalidOptions(f"cannot load TLS files: "
                                 f"{cert_chain_failure(certfile, keyfile, exc)}") from exc
    return ctx


#: OpenSSL's reasons for a TLS file it cannot use, in words a user can act on
_TLS_FILE_REASONS = {
    "NO_CERTIFICATE_OR_CRL_FOUND": "it holds no PEM certificate",
    "KEY_VALUES_MISMATCH": "the key does not belong to the certificate",
}


def _tls_files_failure(what: str, exc: OSError, unreadable: str) -> InvalidOptions:
    return InvalidOptions(f"cannot load TLS files: {_tls_file_reason(what, exc, unreadable)}")


def _tls_file_reason(what: str, exc: OSError, unreadable: str) -> str:
    if isinstance(exc, ssl.SSLError):
        why = _TLS_FILE_REASONS.get(str(exc.reason), unreadable)
    else:
        why = exc.strerror or str(exc)
    return f"{what}: {why}"


def cert_chain_failure(certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str] | None,
                       exc: OSError) -> str:
    """Why ``load_cert_chain(certfile, keyfile)`` failed: which file, in plain words.

    Args:
        certfile: the certificate (PEM), with its key unless ``keyfile`` is given.
        keyfile: the key (PEM), if apart.
        exc: what ``load_cert_chain`` raised.

    Returns:
        ``certificate FILE [with key FILE]: why``.
    """
    if keyfile is None:
        return _tls_file_reason(f"certificate {os.fspath(certfile)}", exc,
                                "no PEM certificate and key in it (is the key in a file "
                                "of its own?)")
    return _tls_file_reason(f"certificate {os.fspath(certfile)} with key {os.fspath(keyfile)}",
                            exc, "not a PEM certificate and its PEM key")


def make_options(url: str | None, given: Mapping[str, Any]) -> Options:
    """Read ``connect()``'s arguments against :class:`ConnectOptions` and check them.

    Args:
        url: the positional URL, or ``None`` (then ``url=`` or the declared default).
        given: the keyword options.

    Returns:
        The resolved ``Options``.

    Raises:
        TypeError: an unknown option, or the URL given twice.
        InvalidOptions: a bad URL, value or combination, or TLS files that do not load
            (a ``ConnectError``).
    """
    if url is not None:
        if "url" in given:
            raise TypeError("connect() got the url twice (positional and url=)")
        given = {**given, "url": url}
    values = resolve(ConnectOptions, given, what="connect()", error=InvalidOptions)
    text = values["url"]
    try:
        parts = urlsplit(text)
    except ValueError:
        raise InvalidOptions(
            f"bad URL {text!r}: the host is not a name or address (an IPv6 address "
            "is written in brackets: ws://[::1]:9020/json_data)") from None
    try:
        port = parts.port
    except ValueError:
        raise InvalidOptions(
            f"bad URL {text!r}: the port must be a number from 0 to 65535") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        example = text if "://" not in text else text.split("://", 1)[1]
        raise InvalidOptions(
            f"bad URL {text!r}: the scheme must be ws://, wss://, http:// or https:// "
            f"(e.g. ws://{example.split('/', 1)[0] or '127.0.0.1:9020'}/json_data)"
        )
    host = parts.hostname
    if not host:
        raise InvalidOptions(f"bad URL {text!r}: no host")
    user, password = values["user"], values["password"]
    if parts.username is not None and user is None:
        user = unquote(parts.username)
    if parts.password is not None and password is None:
        password = unquote(parts.password)
    # a request target is visible ASCII: spaces and other characters are sent
    # percent-encoded, as a browser sends them
    path = quote(parts.path or DEFAULT_PATH, safe=_TARGET_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_TARGET_SAFE + "?")
    tls = scheme in ("wss", "https")
    authorization = None
    if password is not None:
        if user is None:
            raise InvalidOptions("password given without user")
        if not tls and not values["allow_insecure_auth"]:
            raise InvalidOptions(
                f"refusing to send Basic credentials over plain {scheme}:// "
                "(use wss/https, or pass allow_insecure_auth=True)"
            )
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        authorization = b"Basic " + token.encode("ascii")
    ctx = None
    if tls:
        ctx = build_ssl_context(
            ssl_context=values["ssl_context"],
            cafile=values["cafile"],
            certfile=values["certfile"],
            keyfile=values["keyfile"],
            check_hostname=values["check_hostname"],
        )
    elif values["ssl_context"] is not None or values["certfile"] is not None:
        raise InvalidOptions(f"TLS settings given for a plain {scheme}:// URL")
    reconnect = values["reconnect"]
    derived: dict[str, Any] = {
        "scheme": scheme,
        "host": host,
        "port": port if port is not None else DEFAULT_PORTS[scheme],
        "path": path,
        "user": user,
        "ssl_context": ctx,
        "reconnect": ReconnectPolicy() if reconnect is True else (reconnect or None),
        "authorization": authorization,
    }
    kept = {name: values[name] for name in Options.__struct_fields__
            if name in values and name not in derived}
    return Options(**derived, **kept)


__all__ = ["Options", "build_ssl_context", "cert_chain_failure", "make_options"]
