"""In-process checks of the CLI's pure parts: time parsing, option precedence, output."""

from __future__ import annotations

import argparse
import io
import logging
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dmsproto.cli import build_parser, main
from dmsproto.cli.connection import resolve
from dmsproto.cli.exits import USAGE, CliError
from dmsproto.cli.output import Output, sparkline, want_color
from dmsproto.cli.timeparse import parse_time
from dmsproto.errors import ConnectionLost
from dmsproto.wording import count
from tests.support.cli import Server, get_args

if TYPE_CHECKING:
    from conftest import Extension

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("-1d", NOW - timedelta(days=1)),
        ("-3h", NOW - timedelta(hours=3)),
        ("-1d12h", NOW - timedelta(days=1, hours=12)),
        ("-90m", NOW - timedelta(minutes=90)),
        ("today", datetime(2026, 11, 23, tzinfo=UTC)),
        ("yesterday", datetime(2026, 11, 22, tzinfo=UTC)),
        ("2026-11-23T08:00:00Z", datetime(2026, 11, 23, 8, tzinfo=UTC)),
        ("2015-03-20T08:49:19,000+01:00", datetime(2015, 3, 20, 7, 49, 19, tzinfo=UTC)),
    ],
)
def test_times(text: str, expected: datetime, local_zone: Callable[[str], None]) -> None:
    local_zone("UTC")
    assert parse_time(text, now=NOW) == expected


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set this process's local time zone (``TZ``) for a test; the old one comes back."""
    if not hasattr(time, "tzset"):
        pytest.skip("choosing the local zone needs time.tzset (POSIX)")

    def choose(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield choose
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(("now", "word", "midnight"), [
    # the night summer time begins (02:00 -> 03:00): today began at 00:00+01:00
    (datetime(2026, 3, 29, 8, 0, tzinfo=UTC), "today", datetime(2026, 3, 28, 23, tzinfo=UTC)),
    (datetime(2026, 3, 30, 8, 0, tzinfo=UTC), "yesterday", datetime(2026, 3, 28, 23, tzinfo=UTC)),
    # the night it ends (03:00 -> 02:00): today began at 00:00+02:00
    (datetime(2026, 10, 25, 8, 0, tzinfo=UTC), "today", datetime(2026, 10, 24, 22, tzinfo=UTC)),
    (datetime(2026, 10, 26, 8, 0, tzinfo=UTC), "yesterday", datetime(2026, 10, 24, 22, tzinfo=UTC)),
])
def test_today_and_yesterday_are_local_midnight_across_daylight_saving_time(
    now: datetime, word: str, midnight: datetime, local_zone: Callable[[str], None]
) -> None:
    local_zone("Europe/Zurich")
    assert parse_time(word, now=now.astimezone()) == midnight


def test_local_times_get_this_machines_zone() -> None:
    day = parse_time("2026-11-23")
    assert day.tzinfo is not None
    assert (day.year, day.month, day.day, day.hour) == (2026, 11, 23, 0)
    assert parse_time("2026-11-23T08:00").hour == 8


@pytest.mark.parametrize("text", ["", "tomorrow-ish", "-1y", "2026-13-01", "1d",
                                  "-99999999d", "-99999999999999w", "0001-01-01"])
def test_bad_times_are_usage_errors(text: str) -> None:
    with pytest.raises(CliError) as info:
        parse_time(text, now=NOW)
    assert info.value.code == USAGE


def test_precedence_flag_env_file_default(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('url = "ws://file:1/json_data"\nwhois = "from-file"\n'
                      'timeout = 3\ncafile = "ca.pem"\n', encoding="utf-8")
    env = {"DMSPROTO_CONFIG": str(config), "DMSPROTO_URL": "ws://env:2/json_data"}
    settings = resolve(get_args(), env)
    assert settings.options["url"] == "ws://env:2/json_data"  # env beats file
    assert settings.options["whois"] == "from-file"  # file beats default
    assert settings.options["timeout"] == 3.0
    assert settings.options["cafile"] == str(tmp_path / "ca.pem")  # relative to the file
    assert settings.options["protocol"] == "1.4"  # default
    flagged = resolve(get_args("--url", "ws://flag:3/json_data"), env)
    assert flagged.options["url"] == "ws://flag:3/json_data"  # flag beats env
    after = build_parser().parse_args(["get", "X", "--whois", "late"])
    assert resolve(after, env).options["whois"] == "late"  # flags after the command too


def test_config_file_refuses_passwords(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('password = "x"\n', encoding="utf-8")
    with pytest.raises(CliError, match="DMSPROTO_PASSWORD"):
        resolve(get_args("--config", str(config)), {})


def test_missing_named_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CliError) as info:
        resolve(get_args("--config", str(tmp_path / "nope.toml")), {})
    assert info.value.code == USAGE


def test_password_from_env_is_kept_out_of_repr() -> None:
    settings = resolve(get_args("--user", "u"), {"DMSPROTO_PASSWORD": "hunter2"})
    assert settings.options["password"] == "hunter2"
    assert "hunter2" not in repr(settings)


def test_an_added_option_and_filter_reach_the_command_line(
    extended_declarations: Extension, server: Server, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ext = extended_declarations
    config = tmp_path / "c.toml"
    config.write_text(f"{ext.option} = 2\n", encoding="utf-8")
    env = {"DMSPROTO_CONFIG": str(config)}
    assert resolve(get_args(), env).options[ext.option] == 2  # type: ignore[literal-required]
    env[ext.option_env] = "4"
    assert resolve(get_args(), env).options[ext.option] == 4  # type: ignore[literal-required]
    flagged = get_args(ext.option_flag, "7")
    assert resolve(flagged, env).options[ext.option] == 7  # type: ignore[literal-required]
    with pytest.raises(CliError, match=f"{ext.option} must be an int >= 0"):
        resolve(get_args(ext.option_flag, "-1"), {})
    # end to end, in this process: the option reaches connect(), the filter the ops
    logger = logging.getLogger("dmsproto")
    handlers, level = list(logger.handlers), logger.level
    try:
        assert main(["get", "System:Version", ext.option_flag, "1", "--url", server.url]) == 0
        for command in ("ls", "watch"):
            assert main([command, "Plant", ext.filter_flag, "--url", server.url]) == USAGE
            # named by its flag: the command line's words
            assert f"'{ext.filter_flag}' is not part of protocol" in capsys.readouterr().err
    finally:  # main() sets up the logger of a command run
        logger.handlers[:] = handlers
        logger.setLevel(level)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert want_color(_Terminal())
    assert not want_color(io.StringIO())
    assert not want_color(_Terminal(), disabled=True)
    assert Output(stream=_Terminal(), err=_Terminal()).style("x", "red") == "\x1b[31mx\x1b[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert not want_color(_Terminal())
    assert Output(stream=_Terminal(), err=_Terminal()).style("x", "red") == "x"


def test_table_aligns_and_sparkline_scales() -> None:
    stream = io.StringIO()
    Output(stream=stream, color=False).table(["A", "BB"], [["xxx", "1"], ["y", "22"]],
                                             align="lr")
    assert stream.getvalue().splitlines() == ["A    BB", "xxx   1", "y    22"]
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([]) == ""


@pytest.mark.parametrize(("n", "noun", "plural", "text"), [
    (1, "event", None, "1 event"),
    (0, "event", None, "0 events"),
    (2, "client connection", None, "2 client connections"),
    (1, "entry", "entries", "1 entry"),
    (12_500, "entry", "entries", "12,500 entries"),
])
def test_counts_read_right_in_singular_and_plural(n: int, noun: str, plural: str | None,
                                                  text: str) -> None:
    assert count(n, noun, plural) == text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_work_that_takes_a_while_and_nothing_else() -> None:
    from dmsproto.cli.progress import ProgressBar

    quick = _Terminal()
    bar = ProgressBar(quick, "P")
    bar.capture(100, 100, 3)   # complete at its first report: nothing to watch
    bar.close()
    assert quick.getvalue() == ""
    slow = _Terminal()
    bar = ProgressBar(slow, "P", interval=3600)
    bar.capture(10, 100, 1)
    bar.capture(20, 100, 2)    # too soon after the first: not redrawn
    bar.capture(100, 100, 3)   # complete: always drawn
    bar.close()
    drawn = slow.getvalue()
    assert drawn.count("\r") == 3 and drawn.endswith("\r\x1b[2K")
    assert "P [###-" in drawn and "1 message" in drawn and "3 messages" in drawn
    assert "2 messages" not in drawn and "100%" in drawn
    piped = io.StringIO()
    ProgressBar(piped).capture(10, 100, 1)
    assert piped.getvalue() == ""


def test_ctrl_c_while_a_command_starts_is_one_line_and_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(**_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules["dmsproto.cli.command"], "build_parser", interrupted)
    assert main(["get", "X"]) == 130
    assert capsys.readouterr().err == "dmsproto: interrupted\n"


def test_ctrl_c_in_one_task_is_exit_130_whatever_its_siblings_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``demo`` runs a simulator beside the client: Ctrl-C landing in the simulator's task
    stops it, and the client then fails with a lost connection, all in one group."""

    def handler(args: object, out: object) -> int:
        lost = ConnectionLost("connection to ws://127.0.0.1:1/json_data lost")
        raise BaseExceptionGroup("nursery", [BaseExceptionGroup("inner", [KeyboardInterrupt()]),
                                             lost])

    parser = argparse.ArgumentParser()
    parser.set_defaults(handler=handler)
    monkeypatch.setattr(sys.modules["dmsproto.cli.command"], "build_parser",
                        lambda **_: parser)
    logger = logging.getLogger("dmsproto")
    handlers, level = list(logger.handlers), logger.level
    try:
        assert main([]) == 130
    finally:  # main() sets up the logger of a command run
        logger.handlers[:] = handlers
        logger.setLevel(level)
    assert capsys.readouterr().err == "dmsproto: interrupted\n"
