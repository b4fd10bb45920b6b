"""``dmsproto watch`` for daily work: filters, the alarm view, and honest reconnect lines."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.cli import Lines, Server, run, shut_down, spawn, start_server, stop


@contextmanager
def watching(*args: str) -> Iterator[tuple[subprocess.Popen[str], Lines, Lines]]:
    process = spawn("watch", *args)
    assert process.stdout is not None and process.stderr is not None
    out, err = Lines(process.stdout), Lines(process.stderr)
    try:
        yield process, out, err
    finally:
        if process.poll() is None:
            stop(process)


def test_filters_pick_the_alarm_datapoints(server: Server) -> None:
    url = ("--url", server.url)
    with watching("Plant", "--depth", "0", "--has-alarms", "--type", "bool", "--regex-path",
                  "Boiler", "--json", "--count", "1", *url) as (process, out, err):
        assert "watching Plant" in err.next()
        for path, value in [("Plant:HC1:TempFlowSet", "49"), ("Plant:HC1:Pump:Fault", "true"),
                            ("Plant:Boiler:Fault", "true")]:
            assert run("set", path, value, *url).returncode == 0
        event = json.loads(out.next())
        process.wait(timeout=10)
    assert process.returncode == 0
    assert (event["path"], event["value"]) == ("Plant:Boiler:Fault", True)
    for path in ("Plant:HC1:Pump:Fault", "Plant:Boiler:Fault"):
        assert run("set", path, "false", *url).returncode == 0


def test_the_alarm_view_shows_state_priority_and_text(server: Server) -> None:
    url = ("--url", server.url)
    with watching("Plant:AHU1", "--depth", "0", "--alarms", "--count", "2", *url) as (
            process, out, err):
        assert "watching Plant:AHU1" in err.next()
        for value in ("true", "false"):
            assert run("set", "Plant:AHU1:FanSupply:Fault", value, *url).returncode == 0
        occurred, left = out.next(), out.next()
        process.wait(timeout=10)
    assert "occurred" in occurred and "prio " in occurred and "Supply fan fault" in occurred
    assert "Plant:AHU1:FanSupply:Fault = true" in occurred
    assert "left" in left and "= false" in left
    with watching("Plant:AHU1", "--depth", "0", "--alarms", "--json", "--count", "1", *url) as (
            process, out, err):
        assert "watching" in err.next()
        assert run("set", "Plant:AHU1:FanSupply:Fault", "true", *url).returncode == 0
        doc = json.loads(out.next())
        process.wait(timeout=10)
    assert doc["path"] == "Plant:AHU1:FanSupply:Fault" and doc["value"] is True
    assert doc["alarm"]["state"] == "occurred" and doc["alarm"]["priority"] >= 0
    assert doc["alarm"]["text"]
    # the DMS leaves the path out of a log read for one datapoint; the output names it
    assert doc["alarm"]["path"] == "Plant:AHU1:FanSupply:Fault"
    assert run("set", "Plant:AHU1:FanSupply:Fault", "false", *url).returncode == 0


def test_alarm_view_needs_change_logs(server: Server) -> None:
    result = run("watch", "Plant", "--alarms", "--protocol", "1.3", "--url", server.url)
    assert result.returncode == 2 and "1.3" in result.stderr


def test_lost_when_lost_restored_when_restored() -> None:
    first = start_server("--tick", "0.2")
    port = first.url.rsplit(":", 1)[1].split("/")[0]
    with watching("System:Time", "--json", "--url", first.url) as (process, out, _err):
        assert json.loads(out.next())["path"] == "System:Time"
        shut_down(first)
        records = [json.loads(line) for line in out.none_within(2.0)]
        lost = [r for r in records if "connection" in r]
        assert [r["connection"] for r in lost] == ["lost"]          # once, at the loss
        assert not any("gap" in r for r in records)                  # nothing restored yet
        second = start_server("--tick", "0.2", "--port", port)
        try:
            record = json.loads(out.next())
            while "gap" not in record:
                record = json.loads(out.next())
            assert record["gap"] == "reconnect" and record["dropped"] is None
            assert record["since"] == lost[0]["stamp"] and record["until"] > record["since"]
            assert json.loads(out.next())["path"] == "System:Time"   # events flow again
        finally:
            _, tail = stop(process)
            shut_down(second)
    assert process.returncode == 0, tail


def test_lost_and_restored_lines_for_people() -> None:
    first = start_server("--tick", "0.2")
    port = first.url.rsplit(":", 1)[1].split("/")[0]
    with watching("System:Time", "System:Blinker:Blink1", "--url", first.url) as (
            process, out, err):
        assert "watching" in err.next()
        out.next()
        shut_down(first)
        notes = [n for n in err.none_within(1.5) if n.startswith("--")]
        assert len(notes) == 1 and "connection lost at" in notes[0]   # one for both paths
        second = start_server("--tick", "0.2", "--port", port)
        try:
            note = err.next()
            while not note.startswith("--"):
                note = err.next()
            assert "connection restored" in note and "are missing" in note
        finally:
            stop(process)
            shut_down(second)


def test_stopped_while_the_dms_is_away_does_not_claim_to_unsubscribe() -> None:
    gone = start_server("--tick", "0.2")
    with watching("System:Time", "--url", gone.url) as (process, out, err):
        assert "watching" in err.next()
        out.next()
        shut_down(gone)
        note = err.next()
        while not note.startswith("--"):
            note = err.next()
        assert "connection lost at" in note
        process.send_signal(signal.SIGINT)  # Ctrl-C; the pipes stay with the readers
        last = err.next()
        while not last.startswith("stopped after"):
            last = err.next()
        assert process.wait(timeout=15) == 0
    assert "nothing to unsubscribe" in last and "unsubscribed" not in last
