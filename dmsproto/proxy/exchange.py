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
from .config import Limits, Upstream
from .http1 import (
    BASE_PATH,
    JSON_TYPE,
    Body,
    Peer,
    end_to_end,
    header,
    raw_headers,
    target_path,
    text_response,
)
from .live import Finding
from .refusal import blocked_notice, refusal
from .upstream import describe_failure, open_upstream
from .witness import Witness

_OWN_REQUEST: Final = frozenset({b"host", b"content-length", b"expect"})


def _as_text(body: bytes) -> str | bytes:
    """A body as the text it is, or the bytes when they are not UTF-8.

    ``bytes`` stand for binary frames in checking, so the ``json`` rule reports them.
    """
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How a forwarded request ended: may the client go on, the DMS's status, the body."""

    keep: bool
    status: int | None = None
    body: bytes | None = None


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

        Raises:
            ConnectionLost: the client went away (the caller drops its connection).
            ProtocolError: the client sent something that is not HTTP/1.1.
        """
        self.count += 1
        body = await self._request_body(request)
        if body is None:
            return False
        if request.method != b"POST" or target_path(request.target) != BASE_PATH:
            return (await self._forward(request, body, keep_body=False)).keep
        stream = f"{self.name}.{self.count}"
        self.witness.open_stream(stream)
        answered = True
        try:
            findings = self.witness.message(stream, "send", _as_text(body), http=True)
            if self.block_invalid and any(f.severity == "error" for f in findings):
                await self._refuse(stream, body, findings)
                return self.client.reusable
            outcome = await self._forward(request, body, keep_body=True)
            if outcome.status == 200 and outcome.body is not None:
                self.witness.message(stream, "recv", _as_text(outcome.body), http=True)
            elif outcome.status == 200:
                self.witness.notice(stream, "unvalidated",
                                    f"a response over {self.limits.max_message:,} bytes "
                                    "passed unchecked")
            elif outcome.status is not None:
                answered = False
                self.witness.notice(stream, "http-status",
                                    f"the DMS answered POST {self.count} with HTTP "
                                    f"{outcome.status}")
            return outcome.keep
        finally:
            self.witness.end_stream(stream, answered=answered)

    # --- request --------------------------------------------------------------------

    async def _request_body(self, request: h11.Request) -> bytes | None:
        """The whole request body; None after answering 413 (larger than the limit)."""
        client = self.client
        if client.conn.they_are_waiting_for_100_continue:
            await client.send(h11.InformationalResponse(status_code=100, headers=[]))
        declared = header(request.headers, b"content-length")
        body = Body(self.limits.max_message)
        if declared is None or not declared.isdigit() or int(declared) <= body.limit:
            while True:
                event = await client.next_event()
                if isinstance(event, h11.Data):
                    body.add(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise ConnectionLost("the client went away in the middle of a request")
            data = body.data
            if data is not None:
                return data
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
            return _Outcome(False)
        headers = [(b"Host", self.upstream.host_header),
                   *end_to_end(raw_headers(request), drop=_OWN_REQUEST),
                   (b"Content-Length", str(len(body)).encode())]
        try:
            await dms.send(h11.Request(method=request.method,
                                       target=self.upstream.target(bytes(request.target)),
                                       headers=headers),
                           *([h11.Data(data=body)] if body else []), h11.EndOfMessage())
            response = await self._response_head(dms)
        except (ConnectionLost, ProtocolError) as exc:
            return await self._dms_lost(exc, "before it answered")
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
        if dms.reusable:
            dms.conn.start_next_cycle()
        else:
            await self.aclose()
        return _Outcome(True, response.status_code, kept.data if keep_body else None)

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
