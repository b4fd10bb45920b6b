"""``dmsproto proxy`` as a command: the URL line, live violations, the summary, exit codes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trio

import dmsproto
from dmsproto.proxy import LiveChecker, Proxy, Witness, exit_status, upstream_from_url
from dmsproto.sim.server import Simulator
from dmsproto.sim.testing import tiny_plant
from tests.support.cli import WORKDIR
from tests.support.proxy import STEP, RawClient
from tests.support.proxy_command import env, proxy_command, stop


async def test_violations_print_live_and_the_summary_on_ctrl_c(
        make_sim: Callable[..., Simulator], tmp_path: Path) -> None:
    record = tmp_path / "capture.jsonl"
    sim = make_sim(tiny_plant())
    async with sim, proxy_command("--listen", "127.0.0.1:0", "--upstream", sim.url,
                                  "--record", str(record)) as (process, out, err):
        url = await out.line()
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/json_data")
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert (await err.line()).startswith("HTTP POST http://127.0.0.1:")
        async with RawClient.connect(port) as client:
            await client.text('{"get": [{"path": 5}]}')
            await client.message()
            live = await out.line()  # printed while the client is still connected
            await client.close()
        await err.until(lambda line: " c1 close: " in line)
        assert await stop(process) == 1
        summary = await out.rest()
        notes = await err.rest()
    assert " c1 send #1 error type /get/0/path = 5: 5 is not a string" in live
    assert "1 error, 0 warnings in 1 rule\n  type (error): 1" in summary
    assert "1 client connection; 1 error, 0 warnings" in summary
    stderr = "\n".join([*err.seen, notes])
    assert f"recording to {record}" in stderr
    assert " c1 open: from 127.0.0.1:" in stderr
    assert err.seen[-1].endswith(" c1 close: client closed with 1000")
    # the recording reads as the same verdict in `dmsproto validate`
    done = subprocess.run([sys.executable, "-m", "dmsproto", "validate", str(record)],
                          capture_output=True, text=True, env=env(), timeout=60, cwd=WORKDIR)
    assert done.returncode == 1 and "type (error): 1" in done.stdout
    markers = [line for line in map(json.loads, record.read_text("utf-8").splitlines())
               if "session" in line and "conn" not in line]
    assert [m["label"] for m in markers] == ["dmsproto proxy"]


async def test_json_lines_and_a_clean_exit(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, proxy_command("--listen", ":0", "--upstream", sim.http_url,
                                  "--json") as (process, out, _):
        listening = json.loads(await out.line())
        assert listening["kind"] == "listening" and listening["upstream"] == sim.url
        async with dmsproto.connect(listening["http_url"], timeout=STEP) as dms:
            assert (await dms.get("A:Int")).value == 44
        await out.until(lambda line: json.loads(line).get("event") == "close")
        assert await stop(process) == 0
        records = [json.loads(line) for line in (await out.rest()).splitlines()]
    summary = records[-1]
    assert summary["kind"] == "summary"
    assert (summary["errors"], summary["warnings"], summary["connections"]) == (0, 0, 1)
    assert summary["report"]["clean"] is True
    assert summary["report"]["counts"] == {"send": {"get": 1}, "recv": {"get": 1}}


async def test_a_self_signed_listener(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, proxy_command("--listen", "127.0.0.1:0", "--upstream", sim.url,
                                  "--tls-self-signed") as (process, out, err):
        note = await err.until(lambda line: "self-signed certificate" in line)
        cafile = note.split("--cafile ", 1)[1].split(" ")[0]
        url = await out.line()
        assert url.startswith("wss://")
        async with dmsproto.connect(url, cafile=cafile, timeout=STEP) as dms:
            assert (await dms.get("A:Int")).value == 44
        assert await stop(process) == 0
        await err.rest()
    assert not Path(cafile).exists()  # the temporary certificate went with the proxy


async def test_self_signed_files_in_a_folder_stay(make_sim: Callable[..., Simulator],
                                                  tmp_path: Path) -> None:
    """The proxy makes its certificate as `serve --tls-self-signed DIR` does."""
    sim = make_sim(tiny_plant())
    folder = tmp_path / "tls"
    async with sim, proxy_command("--listen", "127.0.0.1:0", "--upstream", sim.url,
                                  "--tls-self-signed", str(folder)) as (process, out, err):
        note = await err.until(lambda line: "self-signed certificate" in line)
        assert f"--cafile {folder / 'cert.pem'} " in note
        url = await out.line()
        async with dmsproto.connect(url, cafile=folder / "cert.pem", timeout=STEP) as dms:
            assert (await dms.get("A:Int")).value == 44
        assert await stop(process) == 0
        await err.rest()
    assert (folder / "cert.pem").exists() and (folder / "key.pem").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--upstream", "ftp://dms/json_data"], "scheme must be ws, wss, http or https"),
    (["--upstream", "ws://u:p@dms/json_data"], "must not hold credentials"),
    (["--upstream", "ws://dms/json_data", "--cafile", "x.pem"], "TLS files given for a plain"),
    (["--upstream", "ws://dms", "--listen", "127.0.0.1:70000"], "bad listen port"),
    (["--upstream", "ws://dms", "--tls-key", "k.pem"], "--tls-key needs --tls-cert"),
    (["--upstream", "ws://dms", "--tls-cert", "missing.pem"],
     "cannot load the TLS certificate: certificate missing.pem: No such file or directory"),
    (["--upstream", "ws://dms", "--tls-cert", __file__],
     f"cannot load the TLS certificate: certificate {__file__}: no PEM certificate and key"),
])
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "dmsproto", "proxy", *args],
                          capture_output=True, text=True, env=env(), timeout=60, cwd=WORKDIR)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr


def test_a_port_in_use_exits_2_not_1_which_means_errors_seen() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "dmsproto", "proxy", "--upstream",
                               "ws://127.0.0.1:9/json_data", "--listen", f"127.0.0.1:{port}"],
                              capture_output=True, text=True, env=env(), timeout=60,
                              cwd=WORKDIR)
    assert done.returncode == 2, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr


def test_self_signed_without_cryptography_exits_9(tmp_path: Path) -> None:
    fake = tmp_path / "cryptography"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('not installed here')\n")
    done = subprocess.run([sys.executable, "-m", "dmsproto", "proxy", "--upstream", "ws://dms",
                           "--tls-self-signed"], capture_output=True, text=True,
                          env=env(PREPEND=str(tmp_path)), timeout=60, cwd=WORKDIR)
    assert done.returncode == 9
    assert "pip install 'dmsproto[tls]'" in done.stderr


def test_exit_status_is_validates() -> None:
    assert exit_status(0, 0) == 0
    assert exit_status(0, 3) == 0
    assert exit_status(0, 3, strict=True) == 1
    assert exit_status(2, 0) == 1


async def test_output_whose_reader_went_away_stops_the_proxy_quietly(
        make_sim: Callable[..., Simulator], http_request: Any) -> None:
    sim = make_sim(tiny_plant())
    async with sim, proxy_command("--upstream", sim.url, "--listen", "127.0.0.1:0") as (
            process, out, err):
        url = await out.line()
        assert process.stdout is not None
        await process.stdout.aclose()  # as `| head -1` does once it has its line
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        await http_request(port, "POST", "/json_data", b'{"get": [{"path": 5}]}')
        with trio.fail_after(STEP):
            code = await process.wait()
        text = await err.rest()
    assert code == 1  # as every dmsproto command whose output is cut off
    assert "Traceback" not in text and "internal error" not in text


async def test_a_listener_that_fails_never_breaks_a_connection(
        make_sim: Callable[..., Simulator], http_request: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    def failing(item: object) -> None:
        raise RuntimeError("the listener's own bug")

    sim = make_sim(tiny_plant())
    witness = Witness(LiveChecker("1.4"), listener=failing)
    async with sim, Proxy(upstream_from_url(sim.url), witness) as proxy:
        for _ in range(2):
            reply = await http_request(proxy.port, "POST", "/json_data",
                                       b'{"get": [{"path": 5}]}')
            assert reply is not None and reply.status == 200
    assert witness.errors >= 2 and not witness.notices["error"]  # checked all the same
    assert [r.getMessage() for r in caplog.records if r.exc_info] == [
        "the proxy's listener failed; it is told nothing more"]


def test_every_connection_event_is_documented() -> None:
    from dmsproto.proxy import NOTICES

    docs = (Path(__file__).parents[2] / "docs" / "proxy.md").read_text(encoding="utf-8")
    assert [event for event in NOTICES if f"`{event}`" not in docs] == []


async def test_the_protocol_version_is_also_spelled_version(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tiny_plant())
    async with sim, proxy_command("--listen", "127.0.0.1:0", "--upstream", sim.url, "--json",
                                  "--version", "1.5") as (process, out, _):
        listening = json.loads(await out.line())
        assert await stop(process) == 0
    assert listening["protocol"] == "1.5"
