"""Exit codes of the ``dmsproto`` command, and how exceptions map to them.

Scripts branch on these, so they are stable and documented (README, ``--help``):

===  =====================================================================
 0   success
 1   any other failure (server answered ``error``, protocol error, I/O)
 2   usage error or invalid input (bad option, URL, time, value, plant file)
 3   connection refused, unreachable or lost
 4   TLS failure (untrusted certificate, handshake failed)
 5   authentication refused (wrong user/password or client certificate)
 6   datapoint not found
 7   no permission (read or write refused by the DMS)
 8   timeout (no response in time)
 9   an optional extra is missing (e.g. ``--plot`` without matplotlib)
130  interrupted by Ctrl-C (``watch`` and ``serve`` stop cleanly with 0)
===  =====================================================================

``validate`` keeps the codes of :mod:`dmsproto.capture.cli`: 0 no errors (warnings
allowed unless ``--strict``), 1 errors found (or warnings with ``--strict``), 2 usage
or input error or a capture without any DMS message, 3 tshark missing for a pcap file.
"""

from __future__ import annotations

from typing import Final

from ..errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    DMSError,
    DMSProtoError,
    EncodeError,
    HTTPStatusError,
    InvalidOptions,
    MissingExtraError,
    NoPermission,
    NotFound,
    RequestTimeout,
    TLSError,
)

OK: Final = 0
FAILURE: Final = 1
USAGE: Final = 2
CONNECT: Final = 3
TLS: Final = 4
AUTH: Final = 5
NOT_FOUND: Final = 6
NO_PERMISSION: Final = 7
TIMEOUT: Final = 8
MISSING_EXTRA: Final = 9
INTERRUPTED: Final = 130


class CliError(Exception):
    """A failure the command reports as one line on stderr with a chosen exit code."""

    def __init__(self, message: str, code: int = FAILURE) -> None:
        super().__init__(message)
        self.code = code


def usage(message: str) -> CliError:
    """Invalid input from the person typing (exit code 2)."""
    return CliError(message, USAGE)


def code_for_item(code: str) -> int:
    """Exit code for a non-ok item code of the protocol."""
    return {"not found": NOT_FOUND, "no perm": NO_PERMISSION}.get(code, FAILURE)


def exit_code(exc: BaseException) -> int:
    """The documented exit code for an exception that ended a command."""
    if isinstance(exc, CliError):
        return exc.code
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(exc, NotFound):
        return NOT_FOUND
    if isinstance(exc, NoPermission):
        return NO_PERMISSION
    if isinstance(exc, DMSError):
        return FAILURE
    if isinstance(exc, InvalidOptions):
        return USAGE
    if isinstance(exc, MissingExtraError):
        return MISSING_EXTRA
    if isinstance(exc, TLSError):
        return TLS
    if isinstance(exc, AuthenticationError):
        return AUTH
    if isinstance(exc, HTTPStatusError):
        return AUTH if exc.status in (401, 403) else FAILURE
    if isinstance(exc, ConnectError | ConnectionLost):
        return CONNECT
    if isinstance(exc, RequestTimeout):
        return TIMEOUT
    if isinstance(exc, EncodeError):
        return USAGE
    if isinstance(exc, DMSProtoError):
        return FAILURE
    return FAILURE
