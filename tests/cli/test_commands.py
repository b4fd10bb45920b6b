"""Every subcommand run as ``python -m dmsproto ...`` against ``dmsproto serve``."""

from __future__ import annotations

import csv
import json
import socket
import time
from pathlib import Path

from dmsproto.cli import exits
from tests.support.cli import (
    PASSWORD,
    USER,
    Server,
    TlsServer,
    cli_env,
    read_line,
    run,
    run_many,
    shut_down,
    spawn,
    start_server,
    stop,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("dmsproto: "), stderr
    return lines[0]


# --- get / ls ---------------------------------------------------------------------


def test_get_prints_a_table_with_units(server: Server) -> None:
    result = run("get", "Plant:HC1:TempFlow", "Test:String", "--url", server.url)
    assert result.returncode == 0, result.stderr
    header, flow, text = result.stdout.splitlines()
    assert header.split() == ["PATH", "VALUE", "TYPE", "STAMP"]
    assert flow.startswith("Plant:HC1:TempFlow  ") and " °C " in flow and "double" in flow
    assert "some long example message" in text
    assert flow.index("double") == text.index("string")  # aligned columns


def test_get_json_over_http(server: Server) -> None:
    result = run("get", "Test:Int", "Plant:Boiler:Pressure", "--json", "-l",
                 "--url", server.http_url)
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert [i["path"] for i in items] == ["Test:Int", "Plant:Boiler:Pressure"]
    assert items[0]["value"] == 44 and items[0]["type"] == "int"
    assert items[1]["extInfos"]["unit"] == "bar"


def test_record_writes_a_capture_that_validates(server: Server, tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    result = run("get", "Test:Int", "--record", str(capture), "--protocol", "1.5",
                 "--url", server.url)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in capture.read_text(encoding="utf-8").splitlines()]
    assert "session" in lines[0]  # the recording session's marker comes first
    assert [f["dir"] for f in lines[1:]] == ["send", "recv"]
    checked = run("validate", str(capture))
    assert checked.returncode == 0, checked.stdout


def test_get_not_found_and_no_permission(server: Server) -> None:
    missing, hidden = run_many(("get", "Plant:Nothing", "--url", server.url),
                               ("get", "Test:Hidden", "--url", server.url))
    assert missing.returncode == exits.NOT_FOUND
    assert "not found" in one_error_line(missing.stderr)
    assert hidden.returncode == exits.NO_PERMISSION
    assert "no perm" in one_error_line(hidden.stderr)


def test_ls_draws_a_tree(server: Server) -> None:
    result = run("ls", "Plant:HC1", "--depth", "2", "--url", server.url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Plant:HC1"
    assert any(line.startswith("├── Pump") for line in lines)
    assert any("│   ├── Cmd" in line or "│   └── Cmd" in line for line in lines)
    assert any("TempFlow" in line and "°C" in line for line in lines)


def test_ls_filters_give_a_table(server: Server) -> None:
    result, alarms, history = run_many(
        ("ls", "Plant:Rooms", "--depth", "0", "--regex-path", ":Temp$", "--type", "double",
         "--url", server.url, "--json"),
        ("ls", "Plant", "--depth", "0", "--has-alarms", "--url", server.url),
        ("ls", "Plant:HC1", "--has-history", "--table", "--url", server.url))
    assert result.returncode == 0, result.stderr
    paths = [p["path"] for p in json.loads(result.stdout)]
    assert len(paths) == 20 and all(p.endswith(":Temp") for p in paths)
    assert alarms.returncode == 0
    assert alarms.stdout.splitlines()[0].split() == ["PATH", "VALUE", "TYPE", "NAME"]
    assert "Plant:Boiler:Fault" in alarms.stdout and "TempFlow" not in alarms.stdout
    assert "Plant:HC1:TempFlow" in history.stdout and "Mode" not in history.stdout


def test_ls_rejects_a_bad_type(server: Server) -> None:
    result = run("ls", "Plant", "--type", "float", "--url", server.url)
    assert result.returncode == exits.USAGE
    assert "float" in one_error_line(result.stderr)


# --- set / rename / delete ------------------------------------------------------------


def test_set_converts_to_the_datapoints_type(server: Server) -> None:
    result = run("set", "Plant:Rooms:R102:TempSet", "22", "--url", server.url,
                 "--stamp", "2026-01-02T03:04:05Z")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Plant:Rooms:R102:TempSet = 22.0 °C  (double, ")
    label = run("set", "Plant:Rooms:R102:Label", "123", "--url", server.url, "--json")
    assert json.loads(label.stdout)["value"] == "123"
    back = json.loads(run("get", "Plant:Rooms:R102:TempSet", "--json", "--url",
                          server.url).stdout)[0]
    assert back["value"] == 22.0 and back["type"] == "double"


def test_set_array_element_past_the_end(server: Server) -> None:
    url = ("--url", server.url)
    grown = run("set", "Test:Array[6]", "16", *url, "--json")
    assert grown.returncode == 0, grown.stderr
    bit = run("set", "Test:Bits[2]BIT", "false", *url, "--json")
    assert bit.returncode == 0, bit.stderr
    values = json.loads(run("get", "Test:Array", "Test:Bits[2]BIT", "--json", *url).stdout)
    assert values[0]["value"].endswith(",16)") and values[1]["value"] is False


def test_create_rename_delete(server: Server) -> None:
    url = ["--url", server.url]
    created = run("set", "Cli:Made:Value", "1.5", "--create", *url, "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["type"] == "double"
    typed = run("set", "Cli:Made:Count", "7", "--create", "--type", "double", *url, "--json")
    assert json.loads(typed.stdout)["value"] == 7.0
    renamed = run("rename", "Cli:Made", "Cli:Moved", *url)
    assert renamed.returncode == 0 and "Cli:Made -> Cli:Moved" in renamed.stdout
    assert run("get", "Cli:Moved:Count", *url).returncode == 0
    refused = run("delete", "Cli", *url)
    assert refused.returncode == exits.FAILURE
    assert "not empty" in one_error_line(refused.stderr)
    deleted = run("delete", "Cli", "--recursive", *url)
    assert deleted.returncode == 0 and "deleted Cli" in deleted.stdout
    assert run("get", "Cli:Moved:Count", *url).returncode == exits.NOT_FOUND


def test_set_failures(server: Server) -> None:
    url = ("--url", server.url)
    read_only, bad, missing, bad_time = run_many(
        ("set", "Test:ReadOnly", "2", *url), ("set", "Test:Int", "many", *url),
        ("set", "Nope:Nothing", "1", *url), ("set", "Test:Int", "1", "--stamp", "soon", *url))
    assert read_only.returncode == exits.NO_PERMISSION
    assert "no perm" in one_error_line(read_only.stderr)
    assert bad.returncode == exits.USAGE
    assert "not a valid int" in one_error_line(bad.stderr)
    assert missing.returncode == exits.NOT_FOUND
    assert bad_time.returncode == exits.USAGE
    assert "not a time" in one_error_line(bad_time.stderr)


# --- history ------------------------------------------------------------------------


def test_history_table_and_json(server: Server) -> None:
    result, as_json = run_many(
        ("history", "Plant:HC1:TempFlow", "--start", "-1d", "--url", server.url),
        ("history", "Plant:HC1:TempFlow", "--start", "-6h", "--interval", "3600", "--json",
         "--url", server.url))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["STAMP", "VALUE", "[°C]"]
    assert 95 <= len(lines) - 1 <= 97
    assert "values  min" in result.stderr
    doc = json.loads(as_json.stdout)
    assert doc["unit"] == "°C" and 5 <= len(doc["histData"]) <= 7
    assert set(doc["histData"][0]) == {"stamp", "value"}


def test_history_detail_csv(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "trend.csv"
    result = run("history", "Plant:Rooms:R101:CO2", "--start", "-2h", "--format", "detail",
                 "--csv", str(target), "--url", server.url)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0] == ["path", "stamp", "value", "unit", "state", "rec"]
    assert len(rows) >= 8 and all(r[4] in ("ok", "comErr", "inv") for r in rows[1:])
    assert {r[0] for r in rows[1:]} == {"Plant:Rooms:R101:CO2"} and rows[1][3] == "ppm"


def test_history_plot_writes_a_png(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "trend.png"
    result = run("history", "Plant:HC1:TempFlow", "--start", "-1d", "--plot", str(target),
                 "--url", server.url)
    assert result.returncode == 0, result.stderr
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1000, 400)
    assert f"chart written to {target}" in result.stderr


def test_history_plot_without_matplotlib(server: Server, tmp_path: Path) -> None:
    stub = tmp_path / "stub" / "matplotlib"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    env = cli_env()
    env["PYTHONPATH"] = str(stub.parent)
    result = run("history", "Plant:HC1:TempFlow", "--start", "-1d", "--plot",
                 str(tmp_path / "x.png"), "--url", server.url, env=env)
    assert result.returncode == exits.MISSING_EXTRA
    assert "pip install 'dmsproto[plot]'" in one_error_line(result.stderr)
    assert not (tmp_path / "x.png").exists()


def test_history_bad_input(server: Server) -> None:
    result, missing = run_many(
        ("history", "Plant:HC1:TempFlow", "--start", "last week", "--url", server.url),
        ("history", "Plant:HC1", "--url", server.url))
    assert result.returncode == exits.USAGE
    assert missing.returncode == exits.USAGE and "--start" in missing.stderr


# --- changelog ----------------------------------------------------------------------


def test_changelog_groups(server: Server) -> None:
    result, as_json = run_many(("changelog", "groups", "--url", server.url),
                               ("changelog", "groups", "--json", "--url", server.url))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ABS1", "ALARMS", "PROT"]
    doc = json.loads(as_json.stdout)
    assert doc == ["ABS1", "ALARMS", "PROT"]


def test_changelog_read_alarms(server: Server) -> None:
    result, as_json = run_many(
        ("changelog", "read", "ALARMS", "--start", "-7d", "--url", server.url),
        ("changelog", "read", "ALARMS", "--start", "-7d", "--end", "now", "--json",
         "--url", server.url))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["STAMP", "STATE", "PRIO", "PATH", "TEXT"]
    assert "occurred" in result.stdout and "Filter dirty" in result.stdout
    doc = json.loads(as_json.stdout)
    assert doc["group"] == "ALARMS"
    assert all("priority" in e for e in doc["changelog"]) and doc["changelog"]


# --- watch --------------------------------------------------------------------------


def test_watch_stops_cleanly_on_ctrl_c(server: Server) -> None:
    process = spawn("watch", "System:Time", "--json", "--debug", "--url", server.url)
    assert process.stdout is not None
    first = json.loads(read_line(process))
    assert first["path"] == "System:Time" and first["code"] == "onChange"
    assert first["trigger"] == "<SYS>"
    out, err = stop(process)
    assert process.returncode == 0, err
    for line in out.splitlines():
        assert json.loads(line)["path"] == "System:Time"
    assert '"unsubscribe"' in err                 # the frame went out (logged by --debug)
    assert "unsubscribed" in err and "Traceback" not in err


def test_watch_sees_writes_of_others(server: Server) -> None:
    process = spawn("watch", "Test:Double", "--events", "onSet", "--count", "1", "--json",
                    "--url", server.url)
    assert process.stderr is not None
    assert "watching Test:Double" in read_line(process, stream="stderr")
    assert run("set", "Test:Double", "5.25", "--whois", "tester", "--url",
               server.url).returncode == 0
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped after 1 event;" in err
    event = json.loads(out)
    assert event == {"code": "onSet", "path": "Test:Double", "value": 5.25, "type": "double",
                     "stamp": event["stamp"], "trigger": "tester"}


def test_watch_depth_and_count(server: Server) -> None:
    result = run("watch", "System:Blinker", "--depth", "1", "--count", "2", "--url", server.url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all("System:Blinker:Blink" in line for line in lines)
    assert "stopped after 2 events" in result.stderr


def test_watch_reconnects_after_a_server_restart() -> None:
    first = start_server("--tick", "0.2")
    port = first.url.rsplit(":", 1)[1].split("/")[0]
    process = spawn("watch", "System:Time", "--json", "--url", first.url)
    assert process.stdout is not None
    assert json.loads(read_line(process))["path"] == "System:Time"
    shut_down(first)
    second = start_server("--tick", "0.2", "--port", port)
    try:
        records = [json.loads(read_line(process)) for _ in range(6)]
        gaps = [r for r in records if "gap" in r]
        assert gaps and (gaps[0]["gap"], gaps[0]["dropped"]) == ("reconnect", None)
        assert records[-1]["path"] == "System:Time"  # events flow again
    finally:
        _, err = stop(process)
        shut_down(second)
    assert process.returncode == 0, err


def test_watch_over_http_is_refused(server: Server) -> None:
    result = run("watch", "System:Time", "--url", server.http_url)
    assert result.returncode == exits.FAILURE
    assert "WebSocket" in one_error_line(result.stderr)


# --- connection failures, TLS, auth ---------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused() -> None:
    result = run("get", "System:Time", "--url", f"ws://127.0.0.1:{_closed_port()}/json_data")
    assert result.returncode == exits.CONNECT
    one_error_line(result.stderr)


def test_ctrl_c_while_waiting_exits_130() -> None:
    with socket.socket() as silent:  # takes TCP connections but never answers the upgrade
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        silent.settimeout(20)
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}/json_data"
        process = spawn("get", "System:Time", "--url", url)
        connection, _ = silent.accept()  # the command now waits for the handshake
        with connection:
            _, err = stop(process)  # a person pressing Ctrl-C while it hangs
        assert process.returncode == exits.INTERRUPTED, err
        assert err.rstrip().endswith("dmsproto: interrupted")
        quick = run("get", "System:Time", "--timeout", "0.3", "--url", url)
        assert quick.returncode == exits.CONNECT
        assert "within 0.3 s" in one_error_line(quick.stderr)


def test_tls_failure_without_the_ca(tls_server: TlsServer) -> None:
    result = run("get", "System:Version", "--url", tls_server.url, "--user", USER,
                 env=cli_env(DMSPROTO_PASSWORD=PASSWORD))
    assert result.returncode == exits.TLS
    assert "certificate" in one_error_line(result.stderr).lower()


def test_auth_refused_and_accepted(tls_server: TlsServer) -> None:
    base = ("get", "System:Version", "--url", tls_server.url, "--cafile", str(tls_server.cafile))
    wrong = run(*base, "--user", USER, env=cli_env(DMSPROTO_PASSWORD="wrong"))
    assert wrong.returncode == exits.AUTH
    one_error_line(wrong.stderr)
    nobody, right = run_many(base, (*base, "--user", USER, "--debug"),
                             env=cli_env(DMSPROTO_PASSWORD=PASSWORD))
    assert nobody.returncode == exits.AUTH
    assert right.returncode == 0, right.stderr
    assert "ProMoS DMS" in right.stdout
    assert PASSWORD not in right.stdout + right.stderr      # never echoed or logged
    assert '"get"' in right.stderr                           # --debug shows the frames


def test_password_needs_env_or_terminal(tls_server: TlsServer) -> None:
    result = run("get", "System:Version", "--url", tls_server.url, "--user", USER, stdin="")
    assert result.returncode == exits.USAGE
    assert "DMSPROTO_PASSWORD" in one_error_line(result.stderr)


def test_settings_from_env_and_config_file(tls_server: TlsServer, tmp_path: Path) -> None:
    config = tmp_path / "dmsproto.toml"
    config.write_text(f'url = "{tls_server.url}"\ncafile = "{tls_server.cafile}"\n'
                      f'user = "{USER}"\n', encoding="utf-8")
    env = cli_env(DMSPROTO_CONFIG=str(config), DMSPROTO_PASSWORD=PASSWORD)
    assert run("get", "System:Version", env=env).returncode == 0
    env["DMSPROTO_URL"] = f"wss://127.0.0.1:{_closed_port()}/json_data"
    assert run("get", "System:Version", env=env).returncode == exits.CONNECT  # env > file
    flag = run("get", "System:Version", "--url", tls_server.url, env=env)
    assert flag.returncode == 0, flag.stderr                                 # flag > env


# --- usage, debug, serve, validate, demo ------------------------------------------------


def test_help_lists_every_subcommand() -> None:
    result = run("--help")
    assert result.returncode == 0
    for name in ("demo", "get", "ls", "set", "rename", "delete", "watch", "history",
                 "changelog", "serve", "validate"):
        assert name in result.stdout
    assert "130" in result.stdout  # exit codes documented
    assert run("frobnicate").returncode == exits.USAGE


def test_debug_shows_the_traceback(server: Server) -> None:
    result = run("set", "Plant:Nothing", "1", "--debug", "--url", server.url)
    assert result.returncode == exits.NOT_FOUND
    assert "Traceback" in result.stderr and '"get"' in result.stderr


def test_serve_refuses_a_bad_plant(tmp_path: Path) -> None:
    plant = tmp_path / "plant.json"
    plant.write_text("{not json", encoding="utf-8")
    result = run("serve", "--plant", str(plant), "--port", "0")
    assert result.returncode == exits.USAGE
    assert "plant" in one_error_line(result.stderr).lower()


def test_serve_port_in_use(server: Server) -> None:
    port = server.url.split(":")[2].split("/")[0]
    result = run("serve", "--port", port)
    assert result.returncode == exits.FAILURE
    assert "cannot listen" in one_error_line(result.stderr)


def test_validate_is_hosted(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    answer = {"get": [{"code": "ok", "path": "System:Time", "value": "12:00:00",
                       "type": "string", "stamp": "2026-11-23T12:00:00,000+01:00"}]}
    good.write_text(json.dumps({"time": 1.0, "dir": "send",
                                "data": {"get": [{"path": "System:Time"}]}}) + "\n"
                    + json.dumps({"time": 1.1, "dir": "recv", "data": answer}) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"time": 1.0, "dir": "send",
                               "data": {"get": [{"paht": "System:Time"}]}}) + "\n")
    helped, clean, dirty = run_many(("validate", "--help"), ("validate", str(good)),
                                    ("validate", str(bad)))
    assert helped.returncode == 0, helped.stderr
    assert "usage: dmsproto validate" in helped.stdout
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert dirty.returncode == 1
    assert "required" in dirty.stdout


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    target = tmp_path / "demo.png"
    started = time.monotonic()
    result = run("demo", "--plot", str(target), "--watch-seconds", "1.5", timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 30
    out = result.stdout
    for step in range(1, 8):
        assert f"[{step}/7]" in out
    assert "°C" in out and "onChange" in out and "Demo:Counter" in out
    assert "Filter dirty" in out and "Done in" in out
    assert target.read_bytes().startswith(PNG_SIGNATURE)
