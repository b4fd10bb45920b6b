"""Options and filters are declared once: every front door derives from the declaration.

Introspection compares ``ConnectOptions``/``QueryFilter`` with what each front door
takes (the trio and blocking ``connect``, ``query``/``subscribe`` of both clients,
``query_object`` and the CLI's flags, environment variables and config keys), and
a declaration built on the spot shows the generated CLI parts follow it.
"""

from __future__ import annotations

import argparse
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict, Unpack, get_args, get_origin, get_type_hints

import pytest

import dmsproto
import dmsproto.client as dc
import dmsproto.sync as ds
from dmsproto.cli import build_parser
from dmsproto.cli.connection import resolve
from dmsproto.cli.exits import CliError
from dmsproto.cli.flags import add_flags, config_key, env_name, flag_values, from_text, offered
from dmsproto.client._options import Options, make_options
from dmsproto.declare import Cli, Opt, declared
from dmsproto.declare import resolve as resolve_options
from dmsproto.errors import ConnectError, EncodeError, NotInVersionError
from dmsproto.filters import QueryFilter
from dmsproto.options import ConnectOptions, call_timeout
from dmsproto.protocol import Query, Subscribe, query_object
from dmsproto.protocol.core import ClientCore
from dmsproto.sync import CallbackOptions, SyncOptions
from dmsproto.versions import DEFAULT_VERSION, VERSIONS

CONNECT = declared(ConnectOptions)
FILTERS = declared(QueryFilter)


def unpacked(fn: Callable[..., Any]) -> tuple[type[Any], set[str]]:
    """The ``TypedDict`` of ``fn``'s ``**kwargs: Unpack[...]``, and its named keywords."""
    fn = inspect.unwrap(fn)
    hints = get_type_hints(fn, include_extras=True)
    params = inspect.signature(fn).parameters.values()
    [var] = [p for p in params if p.kind is p.VAR_KEYWORD]
    hint = hints[var.name]
    assert get_origin(hint) is Unpack, hint
    named = {p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    return get_args(hint)[0], named - {"self"}


def with_overloads(fn: Callable[..., Any]) -> list[Callable[..., Any]]:
    return [fn, *typing.get_overloads(fn)]


# --- connection options -------------------------------------------------------------


def test_both_connects_take_exactly_the_declared_options() -> None:
    trio_kind, trio_named = unpacked(dc.connect)
    assert trio_kind is ConnectOptions and trio_named == set()  # url is positional-only
    sync_kind, sync_named = unpacked(ds.connect)
    assert sync_kind is SyncOptions and sync_named == set()
    assert dmsproto.connect is dc.connect
    # the facade adds its own options and repeats none of the connection options
    sync = declared(SyncOptions)
    assert dict(sync) == {**CONNECT, **declared(CallbackOptions)}
    assert set(declared(CallbackOptions)) == {"callback_queue_size", "slow_callback"}


def test_resolved_options_come_from_the_declaration() -> None:
    values = resolve_options(ConnectOptions, {"timeout": 3.0}, what="connect()")
    assert values == {**{n: o.opt.default for n, o in CONNECT.items()}, "timeout": 3.0}
    assert values["protocol"] == DEFAULT_VERSION
    with pytest.raises(TypeError, match="connect\\(\\) got an unexpected keyword argument "
                                        "'timout'; did you mean 'timeout'"):
        resolve_options(ConnectOptions, {"timout": 3.0}, what="connect()")
    with pytest.raises(ConnectError, match="timeout must be a number > 0 or None"):
        resolve_options(ConnectOptions, {"timeout": 0}, what="connect()", error=ConnectError)
    with pytest.raises(ValueError, match=r"buffer_size must be an int >= 1, got 2\.5"):
        resolve_options(ConnectOptions, {"buffer_size": 2.5}, what="connect()")


def test_every_option_reaches_the_resolved_options() -> None:
    """An option is kept in ``Options`` under its name, or folded into a derived value."""
    kept = set(Options.__struct_fields__)
    folded = {"url": "scheme/host/port/path", "password": "authorization",
              "cafile": "ssl_context", "certfile": "ssl_context", "keyfile": "ssl_context",
              "check_hostname": "ssl_context", "allow_insecure_auth": "a check"}
    assert set(CONNECT) - kept == set(folded)
    opts = make_options(None, {"timeout": 2.5, "record": "x.jsonl", "protocol": "1.3"})
    assert (opts.timeout, opts.record, opts.protocol, opts.url) == (
        2.5, "x.jsonl", "1.3", "ws://127.0.0.1:9020/json_data")


def test_the_docstrings_list_every_option_with_its_help() -> None:
    for declaration in (ConnectOptions, SyncOptions, QueryFilter):
        doc = declaration.__doc__ or ""
        for option in declared(declaration).values():
            assert f"    {option.name}: {option.opt.help}" in doc
    assert "(default: " not in ConnectOptions.__doc__.split("    password:")[1].split("\n")[0]


def test_the_protocol_option_is_the_version_literal() -> None:
    protocol = CONNECT["protocol"]
    assert protocol.type is dmsproto.versions.Version
    assert protocol.choices == VERSIONS and protocol.opt.default == DEFAULT_VERSION


async def test_the_trio_connect_refuses_unknown_and_bad_options() -> None:
    with pytest.raises(TypeError, match="'whoami'; did you mean 'whois'"):
        async with dc.connect("ws://127.0.0.1:1/json_data", whoami="x"):  # type: ignore[call-arg]
            pass  # pragma: no cover
    with pytest.raises(TypeError, match="url twice"):
        async with dc.connect("ws://a/json_data", url="ws://b/json_data"):
            pass  # pragma: no cover
    with pytest.raises(ConnectError, match="ping_interval must be a number > 0 or None"):
        async with dc.connect("ws://127.0.0.1:1/json_data", ping_interval=-1):
            pass  # pragma: no cover


def test_the_blocking_connect_refuses_before_starting_a_thread() -> None:
    unknown = r"dmsproto\.sync\.connect\(\) got an unexpected keyword argument 'callback_size'"
    with (pytest.raises(TypeError, match=unknown),
          ds.connect("ws://127.0.0.1:1/json_data", callback_size=3)):  # type: ignore[call-arg]
        pass  # pragma: no cover
    with (pytest.raises(ValueError, match="callback_queue_size must be an int >= 1, got 0"),
          ds.connect("ws://127.0.0.1:1/json_data", callback_queue_size=0)):
        pass  # pragma: no cover


def _actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {flag: a for a in parser._actions for flag in a.option_strings}


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    found: argparse.ArgumentParser = sub.choices[name]
    return found


def test_cli_connection_flags_are_the_declared_ones() -> None:
    """Today's flag names stay; options the CLI does not offer say so in the declaration."""
    expected = {"--url", "--whois", "--user", "--cafile", "--cert", "--key",
                "--no-check-hostname", "--insecure-auth", "--timeout", "--protocol",
                "--record", "--record-truncate", "--wait-for-server"}
    for parser in (build_parser(), _subparser("get"), _subparser("watch")):
        actions = _actions(parser)
        flags = {f: a for f, a in actions.items() if a.dest in CONNECT}
        assert set(flags) == expected
        for option in CONNECT.values():
            cli = option.opt.cli
            if cli is None or not cli.flag:
                assert option.name not in {a.dest for a in actions.values()}, option.name
                continue
            action = actions[f"--{option.cli_name}"]
            assert action.dest == option.name
            assert action.help is not None and action.help.startswith(
                ("do not " if cli.switch is False else "") + option.cli_help[:30])
        assert "--password" not in actions and "--config" in actions
    assert tuple(_actions(build_parser())["--protocol"].choices or ()) == VERSIONS


def test_cli_environment_and_config_keys_are_the_declared_ones(tmp_path: Path) -> None:
    env_names = {env_name(o) for o in offered(ConnectOptions, "env")}
    assert env_names == {"DMSPROTO_URL", "DMSPROTO_CAFILE", "DMSPROTO_CERT", "DMSPROTO_KEY",
                         "DMSPROTO_USER", "DMSPROTO_WHOIS", "DMSPROTO_TIMEOUT",
                         "DMSPROTO_PROTOCOL", "DMSPROTO_RECORD", "DMSPROTO_RECORD_TRUNCATE",
                         "DMSPROTO_WAIT_FOR_SERVER", "DMSPROTO_PASSWORD"}
    keys = {config_key(o) for o in offered(ConnectOptions, "config")}
    assert keys == {"url", "cafile", "cert", "key", "user", "whois", "timeout", "protocol",
                    "record", "record-truncate", "wait-for-server"}
    # every key is read from a config file, and every variable from the environment
    values = {"url": "ws://h:1/json_data", "cafile": "ca.pem", "cert": "c.pem",
              "key": "k.pem", "user": "u", "whois": "w", "timeout": 4, "protocol": "1.3",
              "record": "r.jsonl", "record-truncate": True, "wait-for-server": True}
    config = tmp_path / "c.toml"
    config.write_text("".join(f"{k} = {str(v).lower() if v is True else repr(v)}\n"
                              .replace("'", '"') for k, v in values.items()),
                      encoding="utf-8")
    args = build_parser().parse_args(["get", "X"])
    from_file = resolve(args, {"DMSPROTO_CONFIG": str(config)}, ask_password=False).options
    by_key = {config_key(o): o.name for o in offered(ConnectOptions, "config")}
    for key, value in values.items():
        got = from_file[by_key[key]]  # type: ignore[literal-required]
        assert got == (str(tmp_path / str(value)) if CONNECT[by_key[key]].is_path else value)
    env = {env_name(CONNECT[by_key[k]]): str(v) for k, v in values.items()}
    from_env = resolve(args, env, ask_password=False).options
    for key, value in values.items():
        got = from_env[by_key[key]]  # type: ignore[literal-required]
        assert got == (float(value) if key == "timeout" else value)


def test_a_secret_is_never_a_flag_or_config_key() -> None:
    assert [o.name for o in CONNECT.values() if o.opt.secret] == ["password"]
    with pytest.raises(ValueError, match="never a flag or a config key"):
        Opt(None, "a token", cli=Cli(), secret=True)
    with pytest.raises(ValueError, match="never a flag or a config key"):
        Opt(None, "a token", cli=Cli(flag=False), secret=True)


# --- query filters ------------------------------------------------------------------

QUERY_FRONT_DOORS: list[Callable[..., Any]] = [
    query_object,
    *with_overloads(dc.Client.query),
    *with_overloads(dc.Client.subscribe),
    *with_overloads(ds.Client.query),
    *with_overloads(ds.Client.subscribe),
]


@pytest.mark.parametrize("front_door", QUERY_FRONT_DOORS,
                         ids=lambda f: f"{f.__module__}.{f.__qualname__}")
def test_every_query_front_door_takes_the_declared_filters(
    front_door: Callable[..., Any],
) -> None:
    kind, named = unpacked(front_door)
    assert kind is QueryFilter
    assert not named & set(FILTERS)  # no filter is also spelled out as a parameter


def test_the_ops_take_the_filters() -> None:
    core = ClientCore()
    wire = core.wire
    struct = query_object(regex_path=":T$", types=["int", "double"], has_alarm_data=1,
                          max_depth=0)
    assert struct == wire.common.Query(reg_ex_path=":T$", is_type="double,int",
                                       has_alarm_data=True, max_depth=0)
    # the ops read a filter mapping as the same struct
    for op in (Query("A", {"regex_path": ":T$", "types": "int,double", "has_alarm_data": True,
                           "max_depth": 0}),
               Subscribe("A", "t", query={"regex_path": ":T$", "types": ["double", "int"],
                                          "has_alarm_data": True, "max_depth": 0})):
        [item] = op.items(wire)
        assert item.query == struct
    with pytest.raises(TypeError, match="'regexp_path'; did you mean 'regex_path'"):
        query_object(regexp_path="x")  # type: ignore[call-arg]
    with pytest.raises(EncodeError, match="max_depth must be an int >= 0"):
        query_object(max_depth=-1)


def test_each_filter_names_an_attribute_of_some_versions_query_struct() -> None:
    """The wire attribute is declared once; the version decides whether it exists."""
    for option in FILTERS.values():
        having = [v for v in VERSIONS if option.wire in ClientCore(protocol=v).wire.query_fields]
        assert having, option.name
        for version in set(VERSIONS) - set(having):
            with pytest.raises(NotInVersionError, match=option.name):
                query_object(protocol=version, **{option.name: option.opt.default or "x"})


def test_ls_and_watch_filter_flags_are_the_declared_ones() -> None:
    offered_filters = {o.name: o for o in offered(QueryFilter, "flag")}
    assert {f"--{o.cli_name}" for o in offered_filters.values()} == {
        "--regex-path", "--regex-value", "--type", "--has-history", "--has-changelog",
        "--has-alarms", "--depth"}
    for command in ("ls", "watch"):
        actions = _actions(_subparser(command))
        by_dest = {a.dest: f for f, a in actions.items() if a.dest in FILTERS}
        assert by_dest == {n: f"--{o.cli_name}" for n, o in offered_filters.items()}
    ls = _subparser("ls").parse_args(["P", "--has-alarms", "--type", "int"])
    assert flag_values(ls, QueryFilter) == {"has_alarm_data": True, "types": "int",
                                            "max_depth": 1}
    watch = _subparser("watch").parse_args(["P", "--depth", "0"])
    assert flag_values(watch, QueryFilter) == {"max_depth": 0}
    with pytest.raises(CliError, match="--depth: max_depth must be an int >= 0"):
        flag_values(_subparser("ls").parse_args(["--depth", "-1"]), QueryFilter)


#: Python words that mean nothing on the command line: the values of Python, the API's
#: classes (``NotInVersionError``, ``Recorder``), "call"
PYTHON_WORDS = r"\b(True|False|None|\w+Error|\w+Policy|Recorder|calls?)\b"


@pytest.mark.parametrize("command", ["ls", "watch", "get"])
def test_cli_help_speaks_of_the_command_line(command: str) -> None:
    import re

    for flag, action in _actions(_subparser(command)).items():
        if action.dest in CONNECT or action.dest in FILTERS:
            assert not re.search(PYTHON_WORDS, action.help or ""), (flag, action.help)


# --- a declaration made on the spot ---------------------------------------------------


class Gadget(TypedDict, total=False):
    """A declaration that exists only in this test."""

    speed: Annotated[float, Opt(1.5, "how fast", cli=Cli(metavar="X"), above=0)]
    mode: Annotated[typing.Literal["a", "b"], Opt("a", "which mode", cli=Cli("gadget-mode"))]
    quiet: Annotated[bool, Opt(False, "say nothing (False: talk)",
                               cli=Cli(switch=True, env=False, help="say nothing"))]
    token: Annotated[str | None, Opt(None, "secret", cli=Cli(flag=False, config=False),
                                     secret=True)]
    internal: Annotated[int, Opt(7, "library only")]


def test_flags_env_and_config_keys_follow_any_declaration() -> None:
    parser = argparse.ArgumentParser()
    add_flags(parser, Gadget)
    actions = _actions(parser)
    assert set(actions) - {"-h", "--help"} == {"--speed", "--gadget-mode", "--quiet"}
    assert actions["--speed"].help == "how fast"
    assert actions["--quiet"].help == "say nothing"  # the command line's own help
    assert actions["--gadget-mode"].choices == ("a", "b")
    args = parser.parse_args(["--speed", "2", "--quiet"])
    assert flag_values(args, Gadget) == {"speed": 2.0, "quiet": True}
    with pytest.raises(CliError, match="--speed: speed must be a number > 0"):
        flag_values(parser.parse_args(["--speed", "0"]), Gadget)
    assert [env_name(o) for o in offered(Gadget, "env")] == [
        "DMSPROTO_SPEED", "DMSPROTO_GADGET_MODE", "DMSPROTO_TOKEN"]
    assert [config_key(o) for o in offered(Gadget, "config")] == ["speed", "gadget-mode",
                                                                     "quiet"]
    gadget = declared(Gadget)
    assert from_text(gadget["speed"], "2.5", "$X") == 2.5
    assert from_text(gadget["quiet"], "yes", "$X") is True
    with pytest.raises(CliError, match="\\$X: 'c' is not one of a, b"):
        from_text(gadget["mode"], "c", "$X")
    merged = argparse.ArgumentParser()
    add_flags(merged, Gadget, merge=True)
    assert vars(merged.parse_args([])) == {}  # absent flags stay out of the namespace
    assert "[1.5]" in (_actions(merged)["--speed"].help or "")  # the default is shown


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan"), "5"])
def test_a_calls_timeout_is_checked_against_the_declared_option(timeout: Any) -> None:
    with pytest.raises(EncodeError) as refused:
        call_timeout(timeout)
    assert str(refused.value) == f"timeout must be a number > 0 or None, got {timeout!r}"
    assert call_timeout(None) is None
    assert call_timeout(2.5) == 2.5
