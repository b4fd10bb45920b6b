"""Regenerate the capture fixtures: ``python tests/capture/make_fixtures.py`` (needs tshark
and permission to capture on the loopback interface, e.g. root in the CI container).

Two scripted sessions against the simulator on 127.0.0.1:9020 (a fixed clock keeps the
content stable): ``clean`` follows the protocol, ``broken`` breaks it on purpose (bad
requests from the client, bad frames injected through the simulator's fault hooks).
Each session is written four ways: JSON Lines (our Recorder, written as it runs), pcapng
(tshark on ``lo``), tshark's JSON export of that pcapng, and a Chrome-style HAR built
from the JSON Lines.  ``*-nohandshake.pcapng`` is the clean capture without its TCP and
HTTP handshake, as when a capture starts mid-connection.

``field`` (``python tests/capture/make_fixtures.py field``) is the frames of the two
public field clients (see ``tests/fixtures/field/``) on port 19020 (not the DMS
default), the vendor's Node-RED frames sent as binary frames as that client does,
answered by a scripted server with the answers a DMS gives; written as JSON Lines,
pcapng and HAR, plus ``field-nohandshake.pcapng``.

``closed`` (``python tests/capture/make_fixtures.py closed``) is a session whose second
request the simulator answers with a close frame (1009), the DMS's fatal-error form on
a WebSocket: written as JSON Lines and pcapng.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from dmsproto.capture.tshark import FIELDS
from dmsproto.recorder import Recorder, close_answer
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import StepClock

HERE = Path(__file__).parent / "fixtures"
PORT = 9020
STAMP = "2026-01-15T11:00:00,000+01:00"


async def exchange(ws: Any, rec: Recorder, request: dict[str, Any] | str,
                   replies: int = 1) -> None:
    text = request if isinstance(request, str) else json.dumps(request)
    rec.record("send", text)
    await ws.send_message(text)
    for _ in range(replies):
        rec.record("recv", await ws.get_message())


async def http_post(rec: Recorder, request: dict[str, Any]) -> None:
    body = json.dumps(request).encode()
    stream = await trio.open_tcp_stream("127.0.0.1", PORT)
    head = (f"POST /json_data HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    rec.record("send", body, conn="http")
    await stream.send_all(head + body)
    data = b""
    while chunk := await stream.receive_some(65536):
        data += chunk
    await stream.aclose()
    rec.record("recv", data.split(b"\r\n\r\n", 1)[1], conn="http")


async def clean_session(sim: Simulator, rec: Recorder) -> None:
    async with open_websocket_url(sim.url) as ws:
        await exchange(ws, rec, {"get": [{"path": "Plant:AHU1:TempSupply", "tag": 1}],
                                 "tag": "g1"})
        await exchange(ws, rec, {"get": [{"path": "Plant:AHU1:FanSupply",
                                          "query": {"maxDepth": 1}}], "tag": "q1"})
        await exchange(ws, rec, {"subscribe": [{"path": "Plant:AHU1:TempSupplySet",
                                                "tag": "s1"}], "tag": "sub"})
        await exchange(ws, rec, {"set": [{"path": "Plant:AHU1:TempSupplySet", "value": 21.5}],
                                 "whois": "fixture", "user": "", "tag": "w1"}, replies=2)
        await exchange(ws, rec, {"changelogGetGroups": [], "tag": "cg"})
        await exchange(ws, rec, {"unsubscribe": [{"path": "Plant:AHU1:TempSupplySet",
                                                  "tag": "s1"}], "tag": "uns"})
        await exchange(ws, rec, {"get": ["System:Version", "Plant:AHU1:TempReturn"]})
    await http_post(rec, {"get": [{"path": "Plant:AHU1:TempOutdoor"}], "tag": "h1"})


def event(tag: str) -> dict[str, Any]:
    return {"event": [{"code": "onChange", "path": "Plant:AHU1:TempSupplySet",
                       "trigger": "ghost", "value": 1.0, "type": "double", "stamp": STAMP,
                       "tag": tag}]}


async def broken_session(sim: Simulator, rec: Recorder) -> None:
    async with open_websocket_url(sim.url) as ws:
        # 1: an unknown member in a request
        await exchange(ws, rec, {"get": [{"path": "Plant:AHU1:TempSupply", "colour": "red"}],
                                 "tag": "g1"})
        # 2: subscribe, unsubscribe, then events for it and for a tag never subscribed
        await exchange(ws, rec, {"subscribe": [{"path": "Plant:AHU1:TempSupplySet",
                                                "tag": "s1"}], "tag": "sub"})
        await exchange(ws, rec, {"unsubscribe": [{"path": "Plant:AHU1:TempSupplySet",
                                                  "tag": "s1"}], "tag": "uns"})
        sim.faults.inject_event_before_response(event("s1"), match="get")
        sim.faults.inject_event_before_response(event("zz"), match="get")
        await exchange(ws, rec, {"get": ["System:Version"], "tag": "g2"}, replies=3)
        # 3: a write without whois
        await exchange(ws, rec, {"set": [{"path": "Plant:AHU1:TempSupplySet", "value": 22.0}],
                                 "user": "", "tag": "w1"})
        # 4: a response with a bad code and the wrong path, and one with too many items
        sim.faults.malformed_next('{"tag":"g3","get":[{"code":"fine","path":"Plant:Wrong"}]}',
                                  replace=True, match="get")
        await exchange(ws, rec, {"get": ["Plant:AHU1:TempSupply"], "tag": "g3"})
        sim.faults.malformed_next(
            '{"tag":"g4","get":[{"code":"ok","path":"System:Version","value":"1",'
            '"type":"string","stamp":null},{"code":"ok","path":"System:Time","value":"",'
            '"type":"string","stamp":null}]}', replace=True, match="get")
        await exchange(ws, rec, {"get": ["System:Version"], "tag": "g4"})
        # 5: text that is not JSON, and a response nobody asked for, before a response
        sim.faults.malformed_next("{this is not JSON", match="get")
        sim.faults.malformed_next('{"tag":"nobody","get":[]}', match="get")
        await exchange(ws, rec, {"get": ["System:Version"], "tag": "g5"}, replies=3)
        # 6: a request whose response never comes (held until the connection ends)
        sim.faults.hold_next(match="get")
        text = json.dumps({"get": ["System:Time"], "tag": "lost"})
        rec.record("send", text)
        await ws.send_message(text)
    await http_post(rec, {"set": [{"path": "Plant:AHU1:TempSupplySet", "value": 23}],
                          "user": ""})


def har(jsonl: Path) -> dict[str, Any]:
    """A Chrome-style HAR: one WebSocket entry, one entry per HTTP POST."""
    ws: list[dict[str, Any]] = []
    posts: list[tuple[str, str, str]] = []
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    for line in lines:
        when = datetime.fromisoformat(line["time"]).timestamp()
        if line.get("conn") == "http":
            if line["dir"] == "send":
                posts.append((line["time"], line["data"], ""))
            else:
                posts[-1] = (posts[-1][0], posts[-1][1], line["data"])
        else:
            ws.append({"type": "send" if line["dir"] == "send" else "receive",
                       "time": round(when, 6), "opcode": 1, "data": line["data"]})
    url = f"http://127.0.0.1:{PORT}/json_data"
    entries: list[dict[str, Any]] = [{
        "startedDateTime": lines[0]["time"], "time": 0,
        "request": {"method": "GET", "url": url.replace("http", "ws", 1),
                    "httpVersion": "HTTP/1.1", "headers": [], "queryString": [],
                    "cookies": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": 101, "statusText": "Switching Protocols",
                     "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                     "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "",
                     "headersSize": -1, "bodySize": 0},
        "cache": {}, "timings": {"send": 0, "wait": 0, "receive": 0},
        "_resourceType": "websocket", "_webSocketMessages": ws}]
    for started, body, reply in posts:
        entries.append({
            "startedDateTime": started, "time": 1,
            "request": {"method": "POST", "url": url, "httpVersion": "HTTP/1.1",
                        "headers": [{"name": "Content-Type", "value": "application/json"}],
                        "queryString": [], "cookies": [], "headersSize": -1,
                        "bodySize": len(body),
                        "postData": {"mimeType": "application/json", "text": body}},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                         "headers": [], "cookies": [],
                         "content": {"size": len(reply), "mimeType": "application/json",
                                     "text": reply},
                         "redirectURL": "", "headersSize": -1, "bodySize": len(reply)},
            "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0},
            "_resourceType": "fetch"})
    return {"log": {"version": "1.2", "creator": {"name": "dmsproto make_fixtures",
                                                  "version": "1"},
                    "pages": [], "entries": entries}}


async def closed_session(sim: Simulator, rec: Recorder) -> None:
    async with open_websocket_url(sim.url) as ws:
        await exchange(ws, rec, {"get": ["System:Version"], "tag": "g1"})
        # the DMS answers a request with its fatal-error form on a WebSocket: a close frame
        sim.faults.close_next(1009, "Message too big.", match="get")
        text = json.dumps({"get": ["System:Time"], "tag": "g2"})
        rec.record("send", text)
        await ws.send_message(text)
        with contextlib.suppress(ConnectionClosed):
            await ws.get_message()
        rec.settled(close_answer(1009), every=True)


@asynccontextmanager
async def capturing(name: str, port: int) -> AsyncIterator[None]:
    """tshark writes ``name.pcapng`` of the loopback traffic on ``port`` meanwhile."""
    pcap = HERE / f"{name}.pcapng"
    capture = await trio.lowlevel.open_process(
        ["tshark", "-i", "lo", "-f", f"tcp port {port}", "-w", str(pcap), "-q"],
        stderr=subprocess.PIPE)
    assert capture.stderr is not None
    seen = b""
    while b"Capturing on" not in seen:
        seen += await capture.stderr.receive_some(1024)
    await trio.sleep(0.5)  # dumpcap says "Capturing" a moment before it really captures
    yield
    await trio.sleep(0.5)
    capture.terminate()
    await capture.wait()


async def run_session(name: str, session: Any) -> None:
    async with capturing(name, PORT):
        with Recorder(HERE / f"{name}.jsonl", truncate=True) as rec:
            async with Simulator(port=PORT, clock=StepClock(), tick_interval=None,
                                 close_timeout=0.5) as sim:
                await session(sim, rec)


def export_json(name: str, fields: bool) -> None:
    """tshark's JSON export: whole layers (clean) or selected fields (broken), both small."""
    command = ["tshark", "-r", str(HERE / f"{name}.pcapng"), "-T", "json",
               "--no-duplicate-keys", "-Y", "websocket.payload.text || http.file_data"]
    if fields:
        for field in FIELDS:
            command += ["-e", field]
    else:
        command += ["-J", "frame websocket http"]
    out = subprocess.run(command, check=True, capture_output=True).stdout
    (HERE / f"{name}.tshark.json").write_bytes(out)


def export_ek(name: str) -> None:
    """tshark's full ``-T ek`` export (no ``-e``): field names repeat the protocol."""
    command = ["tshark", "-r", str(HERE / f"{name}.pcapng"), "-T", "ek",
               "-J", "frame tcp websocket http",
               "-Y", "websocket.payload.text || http.file_data || http.upgrade"]
    out = subprocess.run(command, check=True, capture_output=True).stdout
    (HERE / f"{name}.tshark-ek.json").write_bytes(out)


def cut_handshake(name: str) -> None:
    """Drop everything up to and including the 101 answer and its ACK."""
    first = subprocess.run(
        ["tshark", "-r", str(HERE / f"{name}.pcapng"), "-Y", "websocket", "-T", "fields",
         "-e", "frame.number"], check=True, capture_output=True, text=True)
    start = int(first.stdout.split()[0])
    subprocess.run(["editcap", "-r", str(HERE / f"{name}.pcapng"),
                    str(HERE / f"{name}-nohandshake.pcapng"), f"{start}-1000000"], check=True)


FIELD_PORT = 19020
FIELD_STAMP = "2026-01-15T11:00:00,000+01:00"
FIELD_FRAMES = Path(__file__).parents[1] / "fixtures" / "field"


def _ok(path: str, value: Any, vtype: str, **extra: Any) -> dict[str, Any]:
    stamp = None if vtype == "none" else FIELD_STAMP
    return {"code": "ok", "path": path, "value": value, "type": vtype, "stamp": stamp, **extra}


def _frame(name: str) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads((FIELD_FRAMES / f"{name}.json").read_text())["message"]
    return frame


#: per connection: (binary?, request, the DMS's answers), in order.
FIELD: dict[str, list[tuple[bool, dict[str, Any], list[dict[str, Any]]]]] = {
    "visitoolkit": [
        (False, _frame("visitoolkit-get"),
         [{"get": [_ok("System:Time", "11:00:00", "string", tag="vtk-1")]}]),
        (False, _frame("visitoolkit-get-extinfos"),
         [{"get": [_ok("Plant:AHU1:TempSupply", 21.4, "double", tag="vtk-2",
                       extInfos={"state": "ok", "accType": "double64", "unit": "°C"})]}]),
        (False, _frame("visitoolkit-get-query"),
         [{"get": [_ok("Plant:AHU1", None, "none", tag="vtk-3", hasChild=True),
                   _ok("Plant:AHU1:TempSupply", 21.4, "double", tag="vtk-3")]}]),
        (False, _frame("visitoolkit-get-histdata"),
         [{"get": [_ok("Plant:AHU1:TempSupply", 21.4, "double", tag="vtk-4", histData=[
             {"stamp": FIELD_STAMP, "value": 21.4, "state": "ok", "rec": "change"}])]}]),
        (False, _frame("visitoolkit-set-create"),
         [{"set": [_ok("Plant:New", 2.5, "double", tag="vtk-6")]}]),
        (False, _frame("visitoolkit-subscribe-query"),
         [{"subscribe": [_ok("System:Blinker:Blink1.0", True, "bool", tag="vtk-9",
                             query={"maxDepth": 0})]},
          {"event": [{"code": "onChange", "path": "System:Blinker:Blink1.0", "trigger": "<SYS>",
                      "value": False, "type": "bool", "stamp": FIELD_STAMP, "tag": "vtk-9"}]}]),
        (False, _frame("visitoolkit-changeloggetgroups"),
         [{"tag": {"changelogGetGroups": ["vtk-11"]},
           "changelogGetGroups": [{"code": "ok", "groups": ["ABS1", "ALARM"]}]}]),
        (False, _frame("visitoolkit-changelogread"),
         [{"changelogRead": [{"code": "ok", "group": "ABS1", "tag": "vtk-12", "changelog": [
             {"path": "Plant:AHU1:Fan", "stamp": FIELD_STAMP, "text": "Fan on"}]}]}]),
        (False, _frame("visitoolkit-rename"),
         [{"rename": [{"code": "ok", "path": "Plant:New", "newPath": "Plant:Newer",
                       "tag": "vtk-7"}]}]),
        (False, _frame("visitoolkit-delete"),
         [{"delete": [{"code": "ok", "path": "Plant:Newer", "tag": "vtk-8"}]}]),
        (False, _frame("visitoolkit-unsubscribe"),
         [{"unsubscribe": [_ok("System:Blinker:Blink1.0", False, "bool", tag="vtk-9")]}]),
    ],
    "nodered": [
        (True, _frame("nodered-subscribe"),
         [{"subscribe": [_ok("System:Time", "11:00:00", "string", query={"maxDepth": 0})]}]),
        (True, _frame("nodered-handler-default"),
         [{"set": [], "get": [], "subscribe": [_ok("System", None, "none", hasChild=True,
                                                    query={"maxDepth": 0})]}]),
        (True, _frame("nodered-write"),
         [{"set": [_ok("Plant:AHU1:TempSupplySet", 21.5, "double")]},
          {"event": [{"code": "onChange", "path": "System:Time", "trigger": "<SYS>",
                      "value": "11:00:01", "type": "string", "stamp": FIELD_STAMP}]}]),
    ],
}


async def field_server(request: Any) -> None:
    ws = await request.accept()
    connection = request.path.rsplit("/", 1)[-1]
    for _binary, frame, answers in FIELD[connection]:
        received = json.loads(await ws.get_message())
        assert received == frame, (received, frame)
        for answer in answers:
            await ws.send_message(json.dumps(answer))


async def field_session(rec: Recorder) -> None:
    from trio_websocket import serve_websocket

    async with trio.open_nursery() as nursery:
        await nursery.start(serve_websocket, field_server, "127.0.0.1", FIELD_PORT, None)
        for connection, exchanges in FIELD.items():
            url = f"ws://127.0.0.1:{FIELD_PORT}/json_data?c=/{connection}"
            async with open_websocket_url(url) as ws:
                for binary, frame, answers in exchanges:
                    text = json.dumps(frame)
                    rec.record("send", text, conn=connection, binary=binary)
                    await ws.send_message(text.encode() if binary else text)
                    for _ in answers:
                        rec.record("recv", await ws.get_message(), conn=connection)
        nursery.cancel_scope.cancel()


async def run_field() -> None:
    async with capturing("field", FIELD_PORT):
        with Recorder(HERE / "field.jsonl", truncate=True, label="make_fixtures field") as rec:
            await field_session(rec)


def field_har(jsonl: Path) -> dict[str, Any]:
    """A HAR with one WebSocket entry per connection; binary messages as base64 (Chrome)."""
    import base64

    entries: dict[str, list[dict[str, Any]]] = {}
    for line in (json.loads(x) for x in jsonl.read_text().splitlines()):
        if "dir" not in line:
            continue
        data = line["data"]
        message = {"type": "send" if line["dir"] == "send" else "receive",
                   "time": round(datetime.fromisoformat(line["time"]).timestamp(), 6),
                   "opcode": 2 if line.get("binary") else 1,
                   "data": base64.b64encode(data.encode()).decode() if line.get("binary")
                   else data}
        entries.setdefault(line["conn"], []).append(message)
    other = {"request": {"method": "GET", "url": f"http://127.0.0.1:{FIELD_PORT}/index.html"},
             "response": {"status": 200, "content": {"text": "<html></html>"}}}
    return {"log": {"version": "1.2", "creator": {"name": "dmsproto make_fixtures",
                                                  "version": "1"}, "pages": [],
                    "entries": [other] + [
                        {"request": {"method": "GET", "url":
                                     f"ws://127.0.0.1:{FIELD_PORT}/json_data?c=/{conn}"},
                         "response": {"status": 101}, "_resourceType": "websocket",
                         "_webSocketMessages": messages}
                        for conn, messages in entries.items()]}}


def main() -> int:
    if shutil.which("tshark") is None:
        print("tshark is needed", file=sys.stderr)
        return 2
    HERE.mkdir(exist_ok=True)
    if sys.argv[1:] == ["closed"]:
        trio.run(run_session, "closed", closed_session)
        return 0
    if sys.argv[1:] == ["field"]:
        trio.run(run_field)
        (HERE / "field.har").write_text(json.dumps(field_har(HERE / "field.jsonl"), indent=1))
        cut_handshake("field")
        return 0
    for name, session in (("clean", clean_session), ("broken", broken_session)):
        trio.run(run_session, name, session)
        export_json(name, fields=name == "broken")
        (HERE / f"{name}.har").write_text(json.dumps(har(HERE / f"{name}.jsonl"), indent=1))
    cut_handshake("clean")
    export_ek("clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
