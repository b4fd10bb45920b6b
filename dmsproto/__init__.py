"""dmsproto: client, simulator and validator for the DMS JSON Data Exchange protocol.

The protocol is JSON over WebSocket (and HTTP POST) to the data server (DMS)
of ProMoS NT / Saia Visi.Plus.

Importing the package loads nothing: each public name (``dmsproto.Client``,
``from dmsproto import connect``) loads its module when first used (PEP 562), and
so do the subpackages (``dmsproto.errors``). A program pays only for what it uses,
and the command line, whose entry point lives in this package, is running (and
answers Ctrl-C) before trio, msgspec and the generated modules load.
"""

# No ``from __future__ import annotations`` here: it imports ``__future__`` while the
# command line's entry point is still loading, before it can answer Ctrl-C.

TYPE_CHECKING = False  # type checkers and the API reference read the block below
if TYPE_CHECKING:
    from ._generated.decoding import decode
    from .client import Client, ReconnectPolicy, Subscription, connect
    from .codec import encode
    from .errors import (
        AuthenticationError,
        ConnectError,
        ConnectionLost,
        DecodeError,
        DMSError,
        DMSProtoError,
        EncodeError,
        EventGap,
        HTTPStatusError,
        NoPermission,
        NotFound,
        NotInVersionError,
        ProtocolError,
        RequestTimeout,
        SubscriptionOverflow,
        TLSError,
        TransportError,
    )
    from .results import (
        ChangelogEntry,
        ChangelogReadResult,
        DeleteResult,
        Event,
        ExtInfos,
        Gap,
        History,
        HistoryDetail,
        HistoryDetailEntry,
        HistoryEntry,
        ItemError,
        ItemResult,
        Point,
        RenameResult,
        SetResult,
        SubscribeResult,
    )
    from .timestamps import format_stamp, parse_stamp
    from .validation import Violation, validate
    from .versions import VERSIONS

    __version__: str

_HOMES = {
    "._generated.decoding": ("decode",),
    ".client": ("Client", "ReconnectPolicy", "Subscription", "connect"),
    ".codec": ("encode",),
    ".errors": (
        "AuthenticationError", "ConnectError", "ConnectionLost", "DecodeError", "DMSError",
        "DMSProtoError", "EncodeError", "EventGap", "HTTPStatusError", "NoPermission",
        "NotFound", "NotInVersionError", "ProtocolError", "RequestTimeout",
        "SubscriptionOverflow", "TLSError", "TransportError",
    ),
    ".results": (
        "ChangelogEntry", "ChangelogReadResult", "DeleteResult", "Event", "ExtInfos", "Gap",
        "History", "HistoryDetail", "HistoryDetailEntry", "HistoryEntry", "ItemError",
        "ItemResult", "Point", "RenameResult", "SetResult", "SubscribeResult",
    ),
    ".timestamps": ("format_stamp", "parse_stamp"),
    ".validation": ("Violation", "validate"),
    ".versions": ("VERSIONS",),
}
"""The module each public name is defined in (the block above says the same to type
checkers; ``tests/package/test_lazy_imports.py`` holds the two and ``__all__`` equal)."""

_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


if not TYPE_CHECKING:  # type checkers see the names above, and no others

    def __getattr__(name: str) -> object:
        """Load a public name, or a subpackage, on first use; then it is a plain attribute."""
        from importlib import import_module

        if name in _HOME_OF:
            value = getattr(import_module(_HOME_OF[name], __name__), name)
        elif name == "__version__":
            from importlib.metadata import version

            value = version(__name__)
        elif not name.startswith("__") and _is_submodule(name):
            value = import_module(f"{__name__}.{name}")
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value
        return value


def _is_submodule(name: str) -> bool:
    from importlib.util import find_spec

    return name.isidentifier() and find_spec(f"{__name__}.{name}") is not None


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "__version__"})


__all__ = [
    "VERSIONS",
    "ChangelogEntry",
    "ChangelogReadResult",
    "Client",
    "DeleteResult",
    "Event",
    "ExtInfos",
    "Gap",
    "HTTPStatusError",
    "History",
    "HistoryDetail",
    "HistoryDetailEntry",
    "HistoryEntry",
    "ItemError",
    "ItemResult",
    "Point",
    "ReconnectPolicy",
    "RenameResult",
    "SetResult",
    "SubscribeResult",
    "Subscription",
    "connect",
    "AuthenticationError",
    "ConnectError",
    "ConnectionLost",
    "DMSError",
    "DMSProtoError",
    "DecodeError",
    "EncodeError",
    "EventGap",
    "NoPermission",
    "NotFound",
    "ProtocolError",
    "NotInVersionError",
    "RequestTimeout",
    "SubscriptionOverflow",
    "TLSError",
    "TransportError",
    "Violation",
    "decode",
    "encode",
    "format_stamp",
    "parse_stamp",
    "validate",
]
