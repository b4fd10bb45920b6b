"""Fuzzing the simulator's request path: it never crashes, and answers something valid
or closes cleanly.

Requests are random JSON, random text and bytes, and the frames real clients and the
document send, mutated (members dropped, replaced by hostile values, deep nesting,
huge numbers, odd strings, text cut short). They go through the engine directly and
through a real socket (WebSocket text and binary frames, masked or not, and HTTP POST).

Cost and reproducibility: by default each test runs a fixed, derandomized set of
examples (a few seconds in all, the same examples on every run, no database). Set
``DMSPROTO_FUZZ=long`` for a long exploring run (random seeds, thousands of examples,
failures kept in hypothesis' database under ``.hypothesis/``); a failure prints the
``@reproduce_failure`` line that replays it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wsproto.events import CloseConnection

from dmsproto.sim.engine import Engine
from dmsproto.sim.plant import load_plant
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import StepClock, tiny_plant
from dmsproto.sim.wire import as_json
from dmsproto.validation import validate
from tests.support.wire_client import RawWebSocket, frame

LONG = os.environ.get("DMSPROTO_FUZZ") == "long"
_COMMON = {"deadline": None, "suppress_health_check": list(HealthCheck)}
ENGINE_RUN = (settings(max_examples=5000, **_COMMON) if LONG else
              settings(max_examples=150, derandomize=True, database=None, **_COMMON))
SERIES_RUN = (settings(max_examples=2000, **_COMMON) if LONG else
              settings(max_examples=50, derandomize=True, database=None, **_COMMON))
SOCKET_RUN = (settings(max_examples=1000, **_COMMON) if LONG else
              settings(max_examples=60, derandomize=True, database=None, **_COMMON))

FIXTURES = Path(__file__).parent.parent / "fixtures" / "v1.4" / "examples"
FIELD_FRAMES: list[dict[str, Any]] = [
    {"whois": "MyServiceName", "user": "", "set": [], "get": [],
     "subscribe": [{"path": "System", "event": "onChange", "query": {"maxDepth": 0}}]},
    {"subscribe": [{"path": "System:Time", "event": "*", "query": {"maxDepth": 0}}]},
    {"whois": "WriteToDms_Thu Jan 15 2026", "user": "", "set": [{"path": "B:X", "value": 3}]},
    {"whois": "vtk", "user": "", "tag": {"changelogGetGroups": ["a"]},
     "changelogGetGroups": [{"changelogGetGroups": []}]},
    {"whois": "vtk", "user": "", "get": [{"path": "A:Dbl", "showExtInfos": ["state", "unit"],
                                          "histData": {"start": "2026-01-14T11:00:00,000+01:00",
                                                       "format": "detail", "interval": 0},
                                          "tag": "t"}]},
    {"whois": "vtk", "user": "", "get": [{"path": "A:Int", "changelog": {
        "start": "2026-01-14T00:00:00Z"}, "query": {"regExPath": ".*", "maxDepth": 0}}]},
    {"whois": "vtk", "user": "", "set": [{"create": True, "type": "double", "path": "N:D",
                                          "value": 2.5, "tag": "u"}]},
    {"whois": "vtk", "user": "", "rename": [{"path": "A:Str", "newPath": "A:Str2"}]},
    {"whois": "vtk", "user": "", "delete": [{"path": "A:Sub", "recursive": True}]},
    {"unsubscribe": [{"path": "B:X", "tag": "u"}]},
    {"changelogRead": [{"group": "PROT", "start": "2026-01-14T00:00:00Z"}]},
    {"get": ["A:Arr[2]", "A:Bits[3]BIT", "A:Flt[1]FLT", "", "A"]},
    {"whois": "w", "user": "", "set": [{"path": "A:Arr[7]", "value": 5}]},
]


def _seeds() -> list[dict[str, Any]]:
    seeds = list(FIELD_FRAMES)
    for path in sorted(FIXTURES.glob("*-request.json")):
        seeds.append(json.loads(path.read_text(encoding="utf-8"))["message"])
    return seeds


SEEDS = _seeds()

HOSTILE_SCALARS = st.sampled_from([
    None, True, 0, -1, 1.5, -0.0, 2**31, 2**63, -(2**63) - 1, 2**64, 10**30, 1e308,
    "", ":", "A::B", "x" * 300, "A:Arr[0]", "A:Arr[99999]", "A[", "]", "\u00e9\u20ac", "*",
    "onChange,onFoo", ".*", "(", "(?R)", "a{99999999999}", "2015-02-30T25:61:61Z",
    "20260115T090000Z", "none,bool", "detail", "compact", "System:Time",
])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30) | HOSTILE_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["path", "value", "tag", "query", "get", "set", "x", "maxDepth",
                         "histData", "start", "interval", "event", "newPath", "create"])
        | st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A seed request with a few members dropped, replaced or added."""
    request = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        containers = _containers(request)
        target = draw(st.sampled_from(containers))
        action = draw(st.sampled_from(["drop", "replace", "add", "deep"]))
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        if action == "drop" and keys:
            del target[draw(st.sampled_from(keys))]
        elif action in ("replace", "deep") and keys:
            key = draw(st.sampled_from(keys))
            target[key] = (_nested(draw(st.integers(min_value=60, max_value=1100)))
                           if action == "deep" else draw(JSON_VALUES))
        elif isinstance(target, dict):
            target[draw(st.text(max_size=10))] = draw(JSON_VALUES)
        else:
            target.append(draw(JSON_VALUES))
    return request


def _containers(value: Any) -> list[Any]:
    found: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | list):
            found.append(item)
            stack.extend(item.values() if isinstance(item, dict) else item)
    return found


@st.composite
def request_texts(draw: st.DrawFn) -> str | bytes:
    """What a client may send: mutated and random JSON, cut text, random text and bytes."""
    kind = draw(st.sampled_from(["mutated", "mutated", "json", "cut", "text", "bytes"]))
    if kind == "text":
        return draw(st.text(max_size=200))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    value = draw(mutated()) if kind != "json" else draw(JSON_VALUES)
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    if kind == "cut":
        return text[: draw(st.integers(min_value=0, max_value=len(text)))]
    return text


def assert_valid_answer(frame_: Any) -> None:
    """The simulator's frame breaks no rule the validator calls an error."""
    errors = [v for v in validate(frame_, direction="recv")
              if getattr(v, "severity", "error") == "error"]
    assert errors == [], (frame_, errors)


def new_engine() -> Engine:
    return Engine(load_plant(tiny_plant()), clock=StepClock())


ENGINE = new_engine()
SESSION = ENGINE.open_session()


@ENGINE_RUN
@given(request_texts())
def test_engine_answers_every_request(text: str | bytes) -> None:
    reply = ENGINE.handle(SESSION, text)
    response = as_json(reply.response)
    assert isinstance(response, dict) and response
    assert_valid_answer(response)
    for delivery in reply.deliveries:
        assert_valid_answer(as_json(delivery.frame))
    for delivery in ENGINE.tick():  # the engine still works afterwards
        assert_valid_answer(as_json(delivery.frame))


@SERIES_RUN
@given(st.lists(mutated(), min_size=1, max_size=5))
def test_engine_state_survives_a_series_of_hostile_requests(requests: list[Any]) -> None:
    engine = new_engine()
    watcher = engine.open_session()
    engine.handle_message(watcher, {"subscribe": [{"path": "", "event": "*",
                                                   "query": {"maxDepth": 0}}]})
    for request in requests:
        reply = engine.handle_message(engine.open_session(), request)
        assert_valid_answer(as_json(reply.response))
    probe = as_json(engine.handle_message(watcher, {"get": [{"path": "", "query": {
        "maxDepth": 0}}]}).response)
    assert_valid_answer(probe)
    paths = [item["path"] for item in probe["get"]]
    assert len(paths) == len(set(paths)) == len(engine.tree) - 1 - sum(
        1 for n in engine.tree.nodes() if n.ext.perm == "none")


async def _ws_exchange(sim: Simulator, payload: bytes, how: str) -> None:
    raw = await RawWebSocket.connect(sim.port)
    try:
        if how == "binary":
            await raw.send_binary(payload)
        elif how == "unmasked":
            await raw.send_raw(frame(payload))
        else:
            await raw.send_raw(frame(payload, mask=b"\x11\x22\x33\x44"))
        with trio.fail_after(10):
            answer = await raw.receive()
        if isinstance(answer, CloseConnection):
            assert answer.code in (1002, 1007, 1009), answer  # the transport's own refusals
            return
        assert_valid_answer(json.loads(answer))
        await raw.send_binary(b'{"get":["B:X"]}')  # the connection still works
        with trio.fail_after(10):
            after = await raw.receive()
        assert isinstance(after, str) and json.loads(after)["get"][0]["code"] == "ok"
    finally:
        await trio.aclose_forcefully(raw.stream)


@SOCKET_RUN
@given(request_texts(), st.sampled_from(["text", "binary", "unmasked"]))
async def test_server_answers_or_closes_cleanly(text: str | bytes, how: str) -> None:
    payload = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    async with Simulator(tiny_plant(), tick_interval=None, clock=StepClock(),
                         validate_outgoing=True) as sim:
        await _ws_exchange(sim, payload, how)
        client = await trio.open_tcp_stream("127.0.0.1", sim.port)
        try:
            head = (f"POST /json_data HTTP/1.1\r\nHost: x\r\nContent-Length: {len(payload)}"
                    "\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
            await client.send_all(head.encode() + payload)
            received = b""
            with trio.fail_after(10):
                while chunk := await client.receive_some(65536):
                    received += chunk
        finally:
            await client.aclose()
        status_line, _, rest = received.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 200 "), status_line
        assert_valid_answer(json.loads(rest.partition(b"\r\n\r\n")[2]))
    assert sim.errors == [] and sim.violations == []
