"""What a transport concludes about its connection (``dmsproto.protocol.connection``).

The transports' tests meet these decisions over real sockets; here each one is
checked directly, with the exact error type and the message a user reads.
"""

from __future__ import annotations

import pytest

from dmsproto.errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    NotSent,
    ProtocolError,
    TLSError,
    WebSocketRefused,
)
from dmsproto.options import ReconnectPolicy
from dmsproto.protocol.connection import (
    ENDED,
    Attempts,
    closed_by_peer,
    connect_timeout,
    handshake_closed,
    message_too_big,
    not_tls,
    tls_closed,
    upgrade_refused,
    worth_waiting,
)

URL = "ws://dms:9020/json_data"


@pytest.mark.parametrize("code", [None, 1006])
def test_a_connection_that_ended_without_a_close_code_is_lost(code: int | None) -> None:
    for answered in (False, True):
        error = closed_by_peer(URL, code, "ignored", answered=answered)
        assert type(error) is ConnectionLost
        assert str(error) == f"connection to {URL} lost"


@pytest.mark.parametrize(("code", "said"), [
    (1002, "broke the WebSocket protocol"),
    (1007, "sent a text frame that is not UTF-8"),
])
def test_a_close_code_for_broken_frames_is_a_protocol_error(code: int, said: str) -> None:
    for answered in (False, True):
        error = closed_by_peer(URL, code, "why", answered=answered)
        assert type(error) is ProtocolError
        assert str(error) == f"{URL} {said} (close code {code}); connection closed"


def test_a_close_before_any_answer_is_a_refusal_with_its_code_and_reason() -> None:
    error = closed_by_peer(URL, 1003, "Invalid path.", answered=False)
    assert type(error) is WebSocketRefused
    assert isinstance(error, ConnectError)
    assert str(error) == f"{URL} refused the WebSocket: close 1003 Invalid path."
    assert (error.code, error.reason) == (1003, "Invalid path.")

    bare = closed_by_peer(URL, 4000, None, answered=False)
    assert type(bare) is WebSocketRefused
    assert str(bare) == f"{URL} refused the WebSocket: close 4000"
    assert (bare.code, bare.reason) == (4000, "")


def test_a_close_frame_without_a_code_is_not_said_to_carry_one() -> None:
    """wsproto reads an empty close payload as 1005, which no peer may send."""
    refused = closed_by_peer(URL, 1005, "", answered=False)
    assert type(refused) is WebSocketRefused
    assert str(refused) == f"{URL} refused the WebSocket: close without a status code (1005)"
    assert (refused.code, refused.reason) == (1005, "")
    lost = closed_by_peer(URL, 1005, "", answered=True)
    assert str(lost) == f"{URL} closed the connection without a status code (1005)"


@pytest.mark.parametrize("code", sorted(ENDED))
def test_a_dms_that_ends_or_fails_loses_the_connection_even_before_answering(code: int) -> None:
    error = closed_by_peer(URL, code, "bye", answered=False)
    assert type(error) is ConnectionLost
    assert str(error) == f"{URL} closed the connection: {code} bye"


def test_a_close_after_answers_is_a_lost_connection_whatever_the_code() -> None:
    error = closed_by_peer(URL, 1003, "Invalid path.", answered=True)
    assert type(error) is ConnectionLost
    assert str(error) == f"{URL} closed the connection: 1003 Invalid path."
    bare = closed_by_peer(URL, 1000, "", answered=True)
    assert str(bare) == f"{URL} closed the connection: 1000"


def test_the_fixed_messages_of_too_big_and_tls_failures() -> None:
    big = message_too_big(URL, 1000)
    assert type(big) is ProtocolError
    assert str(big) == (f"{URL} sent a message larger than max_message_size (1000 bytes); "
                        "connection closed")
    plain = not_tls("dms:9021")
    assert type(plain) is TLSError
    assert str(plain) == ("dms:9021 did not answer the TLS handshake: it answered something "
                          "else (a plain ws:// or http:// server?)")
    closed = tls_closed("dms:9021")
    assert type(closed) is TLSError
    assert str(closed) == ("dms:9021 closed the connection during the TLS handshake (not a TLS "
                           "port, or it refused us)")


def test_a_connect_timeout_names_the_stage_it_stopped_at() -> None:
    tls = connect_timeout(URL, "dms:9021", "tls", 2.5)
    assert type(tls) is TLSError
    assert str(tls) == ("dms:9021 did not answer the TLS handshake within 2.5 s (is it a TLS "
                        "port? a plain ws:// or http:// server stays silent)")
    ws = connect_timeout(URL, "dms:9020", "websocket", 3)
    assert type(ws) is ConnectError
    assert str(ws) == f"no answer to the WebSocket handshake from {URL} within 3 s"
    tcp = connect_timeout(URL, "dms:9020", "tcp", 1.0)
    assert type(tcp) is ConnectError
    assert str(tcp) == "no connection to dms:9020 within 1.0 s"


@pytest.mark.parametrize(("status", "body", "kind", "message"), [
    (401, b"  Unauthorized\r\n", AuthenticationError,
     f"{URL} refused the credentials (HTTP 401: Unauthorized)"),
    (403, b"", AuthenticationError, f"{URL} refused the credentials (HTTP 403)"),
    (402, b"pay first", ConnectError,
     f"{URL} rejected the WebSocket upgrade (HTTP 402: pay first)"),
    (404, b"\xffNot Found", ConnectError,
     f"{URL} rejected the WebSocket upgrade (HTTP 404: \ufffdNot Found)"),
    (500, b"x" * 199 + b"yz", ConnectError,
     f"{URL} rejected the WebSocket upgrade (HTTP 500: {'x' * 199}y)"),
])
def test_an_upgrade_answered_with_a_status_quotes_the_start_of_the_body(
    status: int, body: bytes, kind: type[ConnectError], message: str
) -> None:
    error = upgrade_refused(URL, status, body)
    assert type(error) is kind
    assert str(error) == message


def test_a_handshake_that_ends_without_a_word_blames_the_certificate_only_over_tls() -> None:
    over_tls = handshake_closed("dms:9021", tls=True)
    assert type(over_tls) is TLSError
    assert str(over_tls) == ("dms:9021 closed the TLS connection during the WebSocket handshake "
                             "(client certificate refused?)")
    plain = handshake_closed("dms:9020", tls=False)
    assert type(plain) is ConnectError
    assert str(plain) == "dms:9020 closed the connection during the WebSocket handshake"


@pytest.mark.parametrize(("error", "wait"), [
    (ConnectError("refused"), True),
    (ConnectionLost("dropped"), False),
    (NotSent("x"), False),
    (WebSocketRefused("wrong path"), False),
    (TLSError("bad certificate"), False),
    (AuthenticationError("bad password"), False),
    (OSError("other"), False),
])
def test_which_first_failures_are_worth_waiting_for(error: BaseException, wait: bool) -> None:
    assert worth_waiting(error) is wait


def test_attempts_follow_the_policy_and_start_afresh_once_connected() -> None:
    policy = ReconnectPolicy(initial_delay=1.0, multiplier=3.0, max_delay=100.0, jitter=0.0,
                             max_attempts=2)
    attempts = Attempts(policy)
    assert (attempts.policy, attempts.failures, attempts.last) == (policy, 0, None)
    first, second, third = ConnectError("1"), ConnectError("2"), ConnectError("3")
    assert attempts.failed(first) == 1.0
    assert (attempts.failures, attempts.last) == (1, first)
    assert attempts.failed(second) == 3.0
    assert attempts.failed(third) is None  # the policy gives up after max_attempts
    assert (attempts.failures, attempts.last) == (3, third)
    attempts.connected()
    assert (attempts.failures, attempts.last) == (0, None)
    assert attempts.failed(first) == 1.0


def test_attempts_without_a_limit_go_on_and_without_a_policy_never_retry() -> None:
    forever = Attempts(ReconnectPolicy(initial_delay=1.0, multiplier=2.0, max_delay=8.0,
                                       jitter=0.0))
    assert [forever.failed(ConnectError("x")) for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0,
                                                                      8.0]
    never = Attempts(None)
    error = ConnectError("x")
    assert never.failed(error) is None
    assert (never.failures, never.last) == (0, error)
