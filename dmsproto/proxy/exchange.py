"""HTTP through the proxy: each request of a client connection passed to the DMS and back.

A client connection gets one upstream connection, opened on its first request and
kept alive as long as both sides keep theirs (an idle one the DMS closed is
replaced before it is used).  The request body is read whole and validated before
it is forwarded; the response is streamed back as it arrives and kept for
validation up to the limit.  Only ``POST /json_data`` carries protocol messages;
anything else (a ``GET``, which the DMS answers with 405, another path) passes
unchecked.  Each POST is a stream of its own for the pairing checks, as in a HAR
file.  An answer with an HTTP error status is the DMS's fatal-error form, not a
protocol message: a notice says so, and the request is not reported as unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import h11
import trio

from ..client._http import _alive
from ..errors import ConnectError, ConnectionLost, ProtocolError
from ..recorder import http_status_answer
from .config import Limits, Upstream
from .http1 import (
    BASE_PATH,
    JSON_TYPE,
    Body,
    Peer,
    decode_content,
    end_to_end,
    header,
    raw_headers,
    target_path,
    text_response,
)
from .live import Finding
from .refusal import blocked_notice, refusal
from .upstream import describe_failure, open_upstream
from .witness import STOPPED, Witness, unchecked_answer

_OWN_REQUEST: Final = frozenset({b"host", b"content-length", b"expect"})


def _as_text(body: bytes) -> str | bytes:
    """A body as the text it is, or the bytes when they are not UTF-8.

    ``bytes`` stand for binary frames in checking, so the ``json`` rule reports them.
    """
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


def _has_body(request: h11.Request) -> bool:
    """Whether the client framed a body (maybe an empty one) in its request head.

    A chunked body is forwarded with a ``Content-Length``; a request without either
    header (``GET``, a CORS preflight ``OPTIONS``) has none, and is forwarded so.
    """
    return (header(request.headers, b"content-length") is not None
            or header(request.headers, b"transfer-encoding") is not None)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How a forwarded request ended: may the client go on, the DMS's status, the body."""

    keep: bool
    status: int | None = None
    body: bytes | None = None
    reached: bool = True
    """False when the request never reached the DMS (the proxy answered 502)."""
    coding: bytes | None = None
    """The answer's ``Content-Encoding``, if any."""


class _Sending:
    """The request's bytes on their way to the DMS, while its answer is awaited.

    A DMS may answer before it has read the whole request (413 for a body over its
    limit) and close: its answer reaches the client even when the rest of the
    request can no longer be written.  A connection whose request was not written
    whole is not used again.
    """

    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = False
        self.error: ConnectionLost | ProtocolError | None = None

    async def run(self, dms: Peer, data: bytes) -> None:
        try:
            await dms.send_bytes(data)
        except ConnectionLost as exc:
            self.error = exc
        else:
            self.done = True


class HttpForwarder:
    """The HTTP requests of one client connection (``client`` is its h11 peer)."""

    def __init__(self, name: str, client: Peer, upstream: Upstream, witness: Witness, *,
                 limits: Limits, block_invalid: bool = False) -> None:
        self.name = name
        self.client = client
        self.upstream = upstream
        self.witness = witness
        self.limits = limits
        self.block_invalid = block_invalid
        self.count = 0
        self._dms: Peer | None = None

    async def aclose(self) -> None:
        """Close the upstream connection, if one is open."""
        if self._dms is not None:
            await trio.aclose_forcefully(self._dms.stream)
            self._dms = None

    async def exchange(self, request: h11.Request) -> bool:
        """Forward one request and its answer; True when the client may send another.

        The client's connection carries another request only when both the DMS's
        side allowed it and the client's own (an HTTP/1.0 client, or one that
        sent ``Connection: close``, gets its answer and then the connection ends).

        Raises:
            ConnectionLost: the client went away (the caller drops its connection).
            ProtocolError: the client sent something that is not HTTP/1.1.
        """
        return await self._exchange(request) and self.client.reusable

    async def _exchange(self, request: h11.Request) -> bool:
        self.count += 1
        body = await self._request_body(request)
        if body is None:
            return False
        if request.method != b"POST" or target_path(request.target) != BASE_PATH:
            return (await self._forward(request, body, keep_body=False)).keep
        stream = f"{self.name}.{self.count}"
        self.witness.open_stream(stream)
        unanswered: str | None = None
        try:
            findings = self.witness.message(stream, "send", _as_text(body), http=True)
            if self.block_invalid and any(f.severity == "error" for f in findings):
                await self._refuse(stream, body, findings)
                return True
            outcome = await self._forward(request, body, keep_body=True)
            if outcome.status == 200:
                unanswered = self._check_response(stream, outcome)
            elif not outcome.reached:  # not the client's fault: it got the proxy's 502
                unanswered = "the DMS was not reached: the proxy answered 502"
            elif outcome.status is not None:
                unanswered = http_status_answer(outcome.status)
                self.witness.notice(stream, "http-status",
                                    f"the DMS answered POST {self.count} with HTTP "
                                    f"{outcome.status}")
            return outcome.keep
        except BaseException as exc:
            if not isinstance(exc, Exception):  # cancelled (also in a group): the proxy stopped
                unanswered = STOPPED  # the request was cut off by nobody's fault
            raise
        finally:
            self.witness.end_stream(stream, unanswered=unanswered)

    def _check_response(self, stream: str, outcome: _Outcome) -> str | None:
        """Check the DMS's answer as the client reads it; why not, when it passed unchecked.

        An answer that cannot be checked (over the limit, or in a content coding the
        proxy does not undo) leaves its request unpaired without that being the
        client's or the DMS's fault: the stream is then not checked for orphans.
        """
        limit = self.limits.max_message
        if outcome.body is None:
            why = f"over {limit:,} bytes"
        else:
            decoded = decode_content(outcome.body, outcome.coding, limit)
            if isinstance(decoded, bytes):
                self.witness.message(stream, "recv", _as_text(decoded), http=True)
                return None
            why = decoded
        self.witness.notice(stream, "unvalidated",
                            f"the answer to POST {self.count}, {why}, passed unchecked")
        return unchecked_answer(why)

    # --- request --------------------------------------------------------------------

    async def _request_body(self, request: h11.Request) -> bytes | None:
        """The whole request body; None after answering 413 (larger than the limit) or 408.

        A client waiting for ``100 Continue`` gets it only when its body will be read:
        one that declared a body over the limit gets the 413 at once instead.  A body
        that takes longer than ``body_timeout`` gets 408, as from the DMS.
        """
        client = self.client
        declared = header(request.headers, b"content-length")
        body = Body(self.limits.max_message)
        method = request.method.decode("latin-1")
        if declared is None or not declared.isdigit() or int(declared) <= body.limit:
            if client.conn.they_are_waiting_for_100_continue:
                await client.send(h11.InformationalResponse(status_code=100, headers=[]))
            with trio.move_on_after(self.limits.body_timeout):
                while True:
                    event = await client.next_event()
                    if isinstance(event, h11.Data):
                        body.add(bytes(event.data))
                    elif isinstance(event, h11.EndOfMessage):
                        data = body.data
                        if data is not None:
                            return data
                        break
                    else:
                        raise ConnectionLost("the client went away in the middle of a request")
            if not body.too_big:
                self.witness.notice(self.name, "slow-request",
                                    f"the body of request {self.count} ({method}) did not "
                                    f"arrive within {self.limits.body_timeout:g} s: answered "
                                    "408, not forwarded")
                await client.send(*text_response(408, "Request timeout."))
                return None
        self.witness.notice(self.name, "too-large",
                            f"request {self.count} ({method}) has a body over "
                            f"{body.limit:,} bytes: answered 413, not forwarded")
        await client.send(*text_response(413, "Request too large."))
        return None

    async def _refuse(self, stream: str, body: bytes, findings: list[Finding]) -> None:
        reply = refusal(body, findings)
        self.witness.notice(stream, "blocked", blocked_notice(f"POST {self.count}", findings))
        data = reply.encode("utf-8")
        await self.client.send(
            h11.Response(status_code=200, headers=[
                (b"Content-Type", JSON_TYPE), (b"Content-Length", str(len(data)).encode())]),
            h11.Data(data=data), h11.EndOfMessage())
        self.witness.message(stream, "recv", reply, http=True)

    # --- upstream -------------------------------------------------------------------

    async def _upstream(self) -> Peer | None:
        """The kept-alive DMS connection, or a new one; None after answering 502."""
        if self._dms is not None and not _alive(self._dms.stream):
            await self.aclose()
        if self._dms is None:
            try:
                with trio.fail_after(self.limits.connect_timeout):
                    stream = await open_upstream(self.upstream)
            except (ConnectError, trio.TooSlowError) as exc:
                text = describe_failure(exc, self.upstream.where) if isinstance(exc, ConnectError) \
                    else f"no connection to the DMS at {self.upstream.authority} within " \
                         f"{self.limits.connect_timeout:g} s"
                self.witness.notice(self.name, "upstream-failed", text)
                await self.client.send(*text_response(502, f"Bad gateway: {text}."))
                return None
            self._dms = Peer(h11.CLIENT, stream, max_head=self.limits.max_head,
                             receive_size=self.limits.receive_size)
        return self._dms

    async def _forward(self, request: h11.Request, body: bytes, *, keep_body: bool) -> _Outcome:
        dms = await self._upstream()
        if dms is None:
            return _Outcome(False, reached=False)
        headers = [(b"Host", self.upstream.host_header),
                   *end_to_end(raw_headers(request), drop=_OWN_REQUEST)]
        if body or _has_body(request):  # a request without one (a preflight) gets none
            headers.append((b"Content-Length", str(len(body)).encode()))
        data = dms.encode(h11.Request(method=request.method,
                                      target=self.upstream.target(bytes(request.target)),
                                      headers=headers),
                          *([h11.Data(data=body)] if body else []), h11.EndOfMessage())
        sent = _Sending()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sent.run, dms, data)
            try:
                response: h11.Response | None = await self._response_head(dms)
            except (ConnectionLost, ProtocolError) as exc:
                response, sent.error = None, sent.error or exc
            nursery.cancel_scope.cancel()  # an early answer: the rest is not wanted
        if response is None:
            assert sent.error is not None
            return await self._dms_lost(sent.error, "before it answered")
        await self.client.send(h11.Response(status_code=response.status_code,
                                            reason=response.reason,
                                            headers=end_to_end(raw_headers(response))))
        kept = Body(self.limits.max_message)
        while True:
            try:
                event = await dms.next_event()
            except (ConnectionLost, ProtocolError) as exc:
                return await self._dms_lost(exc, "in the middle of its answer")
            if isinstance(event, h11.Data):
                if keep_body:
                    kept.add(bytes(event.data))
                await self.client.send(h11.Data(data=event.data))
            elif isinstance(event, h11.EndOfMessage):
                await self.client.send(h11.EndOfMessage())
                break
            else:
                return await self._dms_lost(ConnectionLost("closed"), "in the middle of its answer")
        if dms.reusable and sent.done:
            dms.conn.start_next_cycle()
        else:
            await self.aclose()
        return _Outcome(True, response.status_code, kept.data if keep_body else None,
                        coding=header(response.headers, b"content-encoding"))

    @staticmethod
    async def _response_head(dms: Peer) -> h11.Response:
        while True:
            event = await dms.next_event()
            if isinstance(event, h11.Response):
                return event
            if not isinstance(event, h11.InformationalResponse):
                raise ConnectionLost("the DMS closed the connection")

    async def _dms_lost(self, exc: BaseException, when: str) -> _Outcome:
        """The DMS connection broke: tell, and drop the client's too (as it would have seen)."""
        why = describe_failure(exc, self.upstream.where)
        self.witness.notice(self.name, "upstream-lost", f"the DMS connection broke {when}: {why}")
        await self.aclose()
        return _Outcome(False)


__all__ = ["HttpForwarder"]
