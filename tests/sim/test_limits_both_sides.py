"""Limits not covered beside their feature: the limit itself passes, one past it does not.

The written array index (``x-dms-maxIndex``) and path length (``x-dms-maxLength``) in
the simulator and in the validator, the HTTP request head, the idle timeout of an HTTP
connection (on a fake clock), and a subscription's event buffer in the client core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
import trio
import trio.testing

from dmsproto import validate
from dmsproto.protocol import ClientCore
from dmsproto.results import Event, Gap
from dmsproto.sim.limits import IDLE_TIMEOUT, MAX_REQUEST_HEAD_BYTES
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import Harness, tiny_plant
from dmsproto.versions import DEFAULT_VERSION

MAX_INDEX = 1024
MAX_PATH = 160


def _set(h: Harness, path: str, value: Any) -> dict[str, Any]:
    reply = h.request(h.session(), {"whois": "w", "user": "", "set": [
        {"path": path, "value": value}]})
    assert reply.response is not None
    item: dict[str, Any] = reply.response["set"][0]
    return item


@pytest.mark.parametrize("validating", [True, False])
def test_writing_the_highest_array_index_is_accepted_and_one_past_it_is_not(
    validating: bool,
) -> None:
    h = Harness()
    h.engine.validating = validating
    assert _set(h, f"A:Arr[{MAX_INDEX}]", 7)["code"] == "ok"
    assert _set(h, "A:Arr[1]", 5)["code"] == "ok"
    node = h.engine.tree.get("A:Arr")
    assert node is not None
    elements = str(node.value).strip("()").split(",")
    assert len(elements) == MAX_INDEX and elements[0] == "5" and elements[-1] == "7"
    over = _set(h, f"A:Arr[{MAX_INDEX + 1}]", 1)
    assert over["code"] == "error"
    if not validating:
        assert over["message"] == f"Array index {MAX_INDEX + 1} out of range (1..{MAX_INDEX})"
    assert len(str(h.engine.tree.get("A:Arr").value).split(",")) == MAX_INDEX  # type: ignore[union-attr]


def _rules(frame: dict[str, Any]) -> list[tuple[str, str]]:
    found = validate(orjson.dumps(frame), direction="send", protocol=DEFAULT_VERSION)
    return [(v.pointer, v.rule) for v in found]


def test_the_validator_takes_the_highest_written_index_and_refuses_the_next() -> None:
    assert _rules({"whois": "w", "user": "", "set": [
        {"path": f"A:B[{MAX_INDEX}]", "value": 1}, {"path": "A:B[1]", "value": 1}]}) == []
    assert _rules({"whois": "w", "user": "", "set": [
        {"path": f"A:B[{MAX_INDEX + 1}]", "value": 1}, {"path": "A:B[0]", "value": 1}]}) == [
        ("/set/0/path", "array-index"), ("/set/1/path", "array-index")]


def test_the_validator_takes_the_longest_written_path_and_refuses_a_longer_one() -> None:
    assert _rules({"whois": "w", "user": "", "set": [
        {"path": "A" * MAX_PATH, "value": 1}]}) == []
    assert _rules({"whois": "w", "user": "", "set": [
        {"path": "A" * (MAX_PATH + 1), "value": 1}]}) == [("/set/0/path", "path-length")]


def _head(size: int) -> bytes:
    """A POST head of exactly ``size`` bytes, padded by one header."""
    start = b"POST /json_data HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nX-Pad: "
    end = b"\r\n\r\n"
    head = start + b"p" * (size - len(start) - len(end)) + end
    assert len(head) == size
    return head


async def _exchange(port: int, *pieces: bytes) -> bytes:
    """Send ``pieces`` one by one, each read by the server before the next, then read the
    answer's head."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    received = b""
    async with stream:
        for piece in pieces:
            await stream.send_all(piece)
            await trio.sleep(1)  # fake time: the server has read what is there
        with trio.fail_after(10):
            while b"\r\n\r\n" not in received and (chunk := await stream.receive_some(65536)):
                received += chunk
    return received


def _status(answer: bytes) -> bytes:
    return answer.split(b"\r\n")[0].split(b" ")[1]


async def test_an_unfinished_request_head_may_reach_the_limit_but_not_pass_it(
    make_sim: Callable[..., Simulator], autojump_clock: trio.testing.MockClock,
) -> None:
    """The head is limited where it waits for more data: a complete head in one read
    is parsed whatever its size."""
    del autojump_clock
    head = _head(MAX_REQUEST_HEAD_BYTES + 100)
    async with make_sim(tiny_plant()) as sim:
        at_limit = await _exchange(sim.port, head[:MAX_REQUEST_HEAD_BYTES],
                                   head[MAX_REQUEST_HEAD_BYTES:])
        assert _status(at_limit) == b"200"
        over = await _exchange(sim.port, head[:MAX_REQUEST_HEAD_BYTES + 1])
        assert _status(over) == b"431"


async def test_an_idle_http_connection_is_served_until_the_idle_timeout(
    make_sim: Callable[..., Simulator], autojump_clock: trio.testing.MockClock,
) -> None:
    del autojump_clock
    body = b'{"get":["B:X"]}'
    request = (b"POST /json_data HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    async with make_sim(tiny_plant()) as sim:
        for wait, answered in ((IDLE_TIMEOUT - 0.5, True), (IDLE_TIMEOUT + 0.5, False)):
            stream = await trio.open_tcp_stream("127.0.0.1", sim.port)
            async with stream:
                opened = trio.current_time()
                await trio.sleep(wait)
                try:
                    await stream.send_all(request)
                    with trio.fail_after(5):
                        reply = await stream.receive_some(65536)
                except trio.BrokenResourceError:
                    reply = b""
                assert reply.startswith(b"HTTP/1.1 200 ") is answered, (wait, reply)
                assert trio.current_time() - opened == pytest.approx(wait, abs=0.01)


def _events(core: ClientCore, count: int, tag: str) -> None:
    core.receive(orjson.dumps({"event": [
        {"code": "onChange", "path": "A", "value": v, "tag": tag} for v in range(count)]}))


def _drain(sub: Any) -> list[Any]:
    out = []
    while (item := sub.pop()) is not None:
        out.append(item.value if isinstance(item, Event) else item)
    return out


def test_a_subscription_buffer_holds_its_size_and_reports_the_next_event_as_lost() -> None:
    core = ClientCore()
    full = core.add_subscription("A", tag="full", maxlen=3)
    over = core.add_subscription("A", tag="over", maxlen=3)
    _events(core, 3, "full")
    _events(core, 4, "over")
    assert _drain(full) == [0, 1, 2]
    assert _drain(over) == [0, 1, 2, Gap("overflow", 1)]
    with pytest.raises(ValueError, match=">= 1"):
        core.add_subscription("B", maxlen=0)
    assert core.add_subscription("B", maxlen=1).maxlen == 1
