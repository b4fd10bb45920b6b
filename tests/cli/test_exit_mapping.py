"""The mapping from exceptions to the documented exit codes, in-process and exhaustively.

The subprocess tests prove the codes reach the shell; here every branch of
``exit_code`` is taken, including the order of the subclasses (a TLS failure and a
refused login are connection errors too, but have codes of their own).
"""

from __future__ import annotations

import pytest

from dmsproto.cli import exits
from dmsproto.errors import (
    AuthenticationError,
    Closed,
    ConnectError,
    ConnectionLost,
    DecodeError,
    DMSError,
    DMSProtoError,
    EncodeError,
    HTTPStatusError,
    InvalidOptions,
    MissingExtraError,
    NoPermission,
    NotFound,
    NotInVersionError,
    ProtocolError,
    RequestTimeout,
    TLSError,
)


@pytest.mark.parametrize(("exc", "code"), [
    (exits.CliError("told", exits.MISSING_EXTRA), exits.MISSING_EXTRA),
    (exits.CliError("plain"), exits.FAILURE),
    (exits.usage("bad flag"), exits.USAGE),
    (KeyboardInterrupt(), exits.INTERRUPTED),
    (NotFound("A", "not found", "gone"), exits.NOT_FOUND),
    (NoPermission("A", "no perm", "no"), exits.NO_PERMISSION),
    (DMSError("A", "error", "broken"), exits.FAILURE),
    (TLSError("untrusted"), exits.TLS),
    (AuthenticationError("refused"), exits.AUTH),
    (HTTPStatusError(401, ""), exits.AUTH),
    (HTTPStatusError(403, "Forbidden"), exits.AUTH),
    (HTTPStatusError(400, ""), exits.FAILURE),
    (HTTPStatusError(500, "oops"), exits.FAILURE),
    (ConnectError("refused"), exits.CONNECT),
    (InvalidOptions("bad url"), exits.USAGE),
    (MissingExtraError("plot", "matplotlib"), exits.MISSING_EXTRA),
    (ConnectionLost("gone"), exits.CONNECT),
    (Closed("closed"), exits.CONNECT),
    (RequestTimeout("slow"), exits.TIMEOUT),
    (EncodeError("no JSON"), exits.USAGE),
    (NotInVersionError("not in 1.3"), exits.USAGE),
    (ProtocolError("garbage"), exits.FAILURE),
    (DecodeError("/x", "bad"), exits.FAILURE),
    (DMSProtoError("other"), exits.FAILURE),
    (ValueError("anything else"), exits.FAILURE),
])
def test_exit_code_of_each_kind_of_failure(exc: BaseException, code: int) -> None:
    assert exits.exit_code(exc) == code


def test_a_cli_error_keeps_its_message_and_code() -> None:
    error = exits.usage("--start needs a time")
    assert str(error) == "--start needs a time" and error.code == exits.USAGE == 2
    assert exits.CliError("x").code == exits.FAILURE == 1


@pytest.mark.parametrize(("item_code", "code"), [
    ("not found", exits.NOT_FOUND), ("no perm", exits.NO_PERMISSION), ("error", exits.FAILURE),
    ("", exits.FAILURE),
])
def test_exit_code_of_an_item_code(item_code: str, code: int) -> None:
    assert exits.code_for_item(item_code) == code


def test_the_codes_are_the_documented_numbers() -> None:
    assert (exits.OK, exits.FAILURE, exits.USAGE, exits.CONNECT, exits.TLS, exits.AUTH,
            exits.NOT_FOUND, exits.NO_PERMISSION, exits.TIMEOUT, exits.MISSING_EXTRA,
            exits.INTERRUPTED) == (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 130)
