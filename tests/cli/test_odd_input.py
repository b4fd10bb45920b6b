"""What a demanding user types and where: odd URLs, values JSON cannot hold, broken
config and TLS files, times out of range, a terminal that is not UTF-8.

Each case must end with one line in our words (or the DMS's) and the documented exit
code: never a traceback, an encoding error or a library's message.
"""

from __future__ import annotations

import json
from pathlib import Path

from dmsproto.cli import exits
from tests.cli.test_errors_and_hints import one_error_line
from tests.support.cli import (
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


def test_url_flaws_are_named_in_our_words(server: Server) -> None:
    spaced = server.url.replace("/json_data", "/json data")
    bad_port, bad_host, spaced_path = run_many(
        ("get", "System:Time", "--url", "ws://127.0.0.1:99999/json_data"),
        ("get", "System:Time", "--url", "ws://[::1/json_data"),
        ("get", "System:Time", "--url", spaced))
    assert bad_port.returncode == bad_host.returncode == exits.USAGE
    assert "port must be a number" in one_error_line(bad_port.stderr)
    assert "IPv6 address is written in brackets" in one_error_line(bad_host.stderr)
    # sent percent-encoded as a browser does, so the DMS's refusal of the path comes back
    assert spaced_path.returncode == exits.CONNECT, spaced_path.stderr
    line = one_error_line(spaced_path.stderr)
    assert "/json%20data" in line and "Invalid path." in line


def test_a_wrong_http_post_path_points_at_the_url(server: Server) -> None:
    result = run("get", "System:Time", "--url", server.http_url.replace("/json_data", "/x"))
    assert result.returncode == exits.FAILURE
    line = one_error_line(result.stderr)
    assert "HTTP 404" in line and "check the path in --url" in line


def test_nan_and_infinity_are_refused_not_written_as_null(server: Server) -> None:
    env = cli_env(DMSPROTO_URL=server.url)
    created = run("set", "Odd:Number", "1.5", "--create", "--type", "double", env=env)
    assert created.returncode == 0, created.stderr
    nan, inf, text = run_many(("set", "Odd:Number", "nan"),
                              ("set", "Odd:Number", "inf", "--type", "double"),
                              ("set", "Odd:Word", "nan", "--create", "--json"), env=env)
    for refused in (nan, inf):
        assert refused.returncode == exits.USAGE, refused.stderr
        assert "finite number" in one_error_line(refused.stderr)
    assert json.loads(run("get", "Odd:Number", "--json", env=env).stdout)[0]["value"] == 1.5
    # a new datapoint of unknown type takes such a word as text
    assert text.returncode == 0, text.stderr
    assert json.loads(text.stdout)["value"] == "nan"
    assert json.loads(text.stdout)["type"] == "string"


def test_a_config_file_that_is_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b'whois = "B\xfcro"\n')  # Latin-1
    result = run("get", "System:Time", "--config", str(config))
    assert result.returncode == exits.USAGE
    assert "is not UTF-8 text" in one_error_line(result.stderr)


def test_tls_files_that_do_not_load_are_named(tls_server: TlsServer, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("no certificate here\n", encoding="utf-8")
    no_ca, no_cert, missing = run_many(
        ("get", "System:Time", "--url", tls_server.url, "--cafile", str(text)),
        ("get", "System:Time", "--url", tls_server.url, "--cafile", str(tls_server.cafile),
         "--cert", str(text)),
        ("get", "System:Time", "--url", tls_server.url, "--cafile", str(tmp_path / "gone.pem")))
    for result, words in ((no_ca, f"CA file {text}: it holds no PEM certificate"),
                          (no_cert, f"certificate {text}: no PEM certificate and key in it"),
                          (missing, "gone.pem: No such file or directory")):
        assert result.returncode == exits.USAGE, result.stderr
        line = one_error_line(result.stderr)
        assert words in line and "_ssl.c" not in line and "Errno" not in line


def test_times_out_of_range_are_usage_errors(server: Server) -> None:
    far_back, far_ahead = run_many(
        ("history", "Plant:HC1:TempFlow", "--start=-99999999d"),
        ("history", "Plant:HC1:TempFlow", "--start", "-1d", "--end", "9999-12-31T23:59:59Z"),
        env=cli_env(DMSPROTO_URL=server.url))
    assert far_back.returncode == exits.USAGE
    assert "time out of range" in one_error_line(far_back.stderr)
    # an end at the edge of the calendar is read like any other (up to now)
    assert far_ahead.returncode == 0, far_ahead.stderr


def test_a_terminal_that_is_not_utf8_gets_text_it_can_show(server: Server) -> None:
    ascii_terminal = cli_env(PYTHONIOENCODING="ascii", DMSPROTO_URL=server.url)
    tree, table, as_json = run_many(("ls", "Plant:HC1", "--depth", "1"),
                                    ("get", "Plant:HC1:TempFlow"),
                                    ("get", "Plant:HC1:TempFlow", "--json"),
                                    env=ascii_terminal)
    for result in (tree, table, as_json):
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
    assert "TempFlow" in tree.stdout and "? C" not in table.stdout and "?C" in table.stdout
    assert json.loads(as_json.stdout)[0]["extInfos"]["unit"] == "°C"  # escaped, not lost


def test_names_typed_in_utf8_under_the_c_locale_reach_the_dms(server: Server) -> None:
    created = run("set", "Odd:Bür", "1", "--create", env=cli_env(DMSPROTO_URL=server.url))
    assert created.returncode == 0, created.stderr
    c_locale = cli_env(LC_ALL="C", LANG="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0",
                       DMSPROTO_URL=server.url)
    result = run("get", "Odd:Bür", "--json", env=c_locale)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["path"] == "Odd:Bür"


def test_a_connection_the_dms_closes_under_a_call_is_one_error_line() -> None:
    faulty = start_server("--tick", "0", "--fault", "close:1011:Internal error.:false:get")
    try:
        result = run("get", "System:Time", "--url", faulty.url)
    finally:
        shut_down(faulty)
    assert result.returncode == exits.CONNECT
    line = one_error_line(result.stderr)   # not also a warning saying the same
    assert "closed the connection: 1011 Internal error." in line


def test_serve_names_the_file_that_does_not_load(tmp_path: Path) -> None:
    latin1 = tmp_path / "users.cfg"
    latin1.write_bytes(b"J\xfcrg:*\n")
    missing, not_utf8, no_plant = run_many(
        ("serve", "--port", "0", "--users", str(tmp_path / "gone.cfg"), "--no-auth-required"),
        ("serve", "--port", "0", "--users", str(latin1)),
        ("serve", "--port", "0", "--plant", str(tmp_path / "gone.json")))
    for result in (missing, not_utf8, no_plant):
        assert result.returncode == exits.USAGE, result.stderr
    assert one_error_line(missing.stderr) == (
        f"dmsproto: cannot read the users file {tmp_path / 'gone.cfg'}: No such file or directory")
    assert "users.cfg: not UTF-8 text" in one_error_line(not_utf8.stderr)
    assert one_error_line(no_plant.stderr) == (
        f"dmsproto: cannot load plant file {tmp_path / 'gone.json'}: No such file or directory")


def test_an_export_cut_by_a_lost_connection_comes_out_whole(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    results = []
    for out in (str(target), "-", str(tmp_path / "clean.csv")):
        # the first request is answered, then the DMS drops the connection (the last
        # run: it does not): the command reconnects and reads both paths whole
        faults = ("--fault", "drop-after:get") if out != str(tmp_path / "clean.csv") else ()
        faulty = start_server("--tick", "0", *faults)
        try:
            results.append(run("history", "Plant:HC1:TempFlow", "Plant:HC1:TempReturn",
                               "--start", "-1d", "--interval", "3600", "--url", faulty.url,
                               "--csv", out))
        finally:
            shut_down(faulty)
    assert [r.returncode for r in results] == [exits.OK] * 3, [r.stderr for r in results]
    assert "lost" in results[0].stderr and "lost" in results[1].stderr  # said, not hidden
    clean = (tmp_path / "clean.csv").read_text(encoding="utf-8")
    assert clean.count("Plant:HC1:TempReturn") >= 24
    assert target.read_text(encoding="utf-8") == clean
    assert results[1].stdout.replace("\r\n", "\n") == clean.replace("\r\n", "\n")


def test_a_filter_the_protocol_version_lacks_is_named_by_its_flag(server: Server) -> None:
    result = run("ls", "Plant", "--has-changelog", "--protocol", "1.3", "--url", server.url)
    assert result.returncode == exits.USAGE
    line = one_error_line(result.stderr)
    assert "'--has-changelog' is not part of protocol 1.3" in line


def test_ctrl_c_during_a_write_says_it_may_have_been_done() -> None:
    holding = start_server("--tick", "0", "--fault", "hold:set")
    try:
        process = spawn("set", "Plant:Rooms:R101:TempSet", "23", "--url", holding.url, "--debug")
        line = read_line(process, stream="stderr")
        while '"set"' not in line or " send " not in line:  # the write went out
            line = read_line(process, stream="stderr")
        _, err = stop(process)
    finally:
        shut_down(holding)
    assert process.returncode == exits.INTERRUPTED
    assert ("dmsproto: interrupted: the set of 'Plant:Rooms:R101:TempSet' may or may not "
            "have been done") in err
