"""``import dmsproto`` stays light: the validator, the capture tools, the simulator, the
proxy and the command line load only when used; a one-shot ``dmsproto get`` loads only
what it runs.

Each check runs in a fresh interpreter, so what other tests imported does not count.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Server, cli_env, shut_down, start_server

HEAVY = [
    "dmsproto.capture",
    "dmsproto.cli",
    "dmsproto.proxy",
    "dmsproto.sim",
    "dmsproto.validation",
    "jsonschema",
    "jsonschema_rs",
    "pcre2",
    "referencing",
]


def _run(code: str, env: dict[str, str] | None = None) -> Any:
    """Run ``code`` in a fresh interpreter; it prints JSON on its last line."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
        env=env,
    )
    return json.loads(done.stdout.splitlines()[-1])


def _heavy_loaded(statement: str) -> list[str]:
    loaded: list[str] = _run(
        "import json, sys\n"
        f"{statement}\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if any(m == h or m.startswith(h + '.') for h in heavy))))"
    )
    return loaded


def test_import_dmsproto_loads_nothing_heavy() -> None:
    assert _heavy_loaded("import dmsproto") == []


def test_import_dmsproto_loads_nothing_at_all() -> None:
    """Not even trio or msgspec: the command line's entry point, inside the package,
    answers Ctrl-C before they load (``tests/cli/test_ctrl_c_at_start.py``)."""
    result = _run(
        "import sys\n"
        "before = set(sys.modules)\n"
        "import dmsproto\n"
        "loaded = sorted(set(sys.modules) - before)\n"
        "import json\n"
        "print(json.dumps(loaded))"
    )
    assert result == ["dmsproto"]


def _type_checking_imports() -> dict[str, str]:
    """What the ``if TYPE_CHECKING:`` block of ``dmsproto/__init__.py`` imports, and from where."""
    import ast

    import dmsproto

    tree = ast.parse(Path(dmsproto.__file__).read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    return {alias.asname or alias.name: "." * node.level + (node.module or "")
            for node in block.body if isinstance(node, ast.ImportFrom) and node.level
            for alias in node.names}


def test_every_public_name_is_declared_alike_for_type_checkers_and_at_run_time() -> None:
    import dmsproto

    declared = _type_checking_imports()
    assert set(declared) == set(dmsproto.__all__) == set(dmsproto._HOME_OF)
    assert declared == dmsproto._HOME_OF
    assert len(dmsproto.__all__) == len(set(dmsproto.__all__))


def test_each_public_name_is_its_home_modules_object() -> None:
    result = _run(
        "import importlib, json, dmsproto\n"
        "from dmsproto import *  # noqa: F403\n"
        "homes = dmsproto._HOME_OF\n"
        "print(json.dumps({name: getattr(dmsproto, name) is getattr(\n"
        "    importlib.import_module(home, 'dmsproto'), name) is globals()[name]\n"
        "    for name, home in homes.items()}))"
    )
    assert result == dict.fromkeys(result, True)
    assert len(result) > 40


def test_dir_lists_the_public_names_before_they_load() -> None:
    result = _run(
        "import json, sys, dmsproto\n"
        "listed = dir(dmsproto)\n"
        "print(json.dumps({'missing': sorted(set(dmsproto.__all__) - set(listed)),\n"
        "    'loaded': sorted(m for m in sys.modules if m.startswith('dmsproto.'))}))"
    )
    assert result == {"missing": [], "loaded": []}


def test_subpackages_are_attributes_as_before_the_package_became_lazy() -> None:
    result = _run(
        "import json, dmsproto\n"
        "print(json.dumps([dmsproto.errors.DMSProtoError.__name__,\n"
        "    dmsproto.sync.Client.__module__, dmsproto.results.Point.__name__]))"
    )
    assert result == ["DMSProtoError", "dmsproto.sync._client", "Point"]


def test_the_trio_client_and_the_blocking_facade_load_nothing_heavy() -> None:
    assert _heavy_loaded("import dmsproto.client, dmsproto.sync, dmsproto.protocol") == []


def test_validate_loads_the_validator_when_first_used() -> None:
    result = _run(
        "import json, sys, dmsproto\n"
        "before = 'dmsproto.validation' in sys.modules\n"
        "problems = dmsproto.validate(b'{\"tag\": 1}', direction='send')\n"
        "print(json.dumps({'before': before, 'after': 'dmsproto.validation' in sys.modules,\n"
        "    'rules': [p.rule for p in problems],\n"
        "    'violation': isinstance(problems[0], dmsproto.Violation),\n"
        "    'listed': 'validate' in dir(dmsproto) and 'Violation' in dir(dmsproto)}))"
    )
    assert result == {
        "before": False, "after": True, "rules": ["frame"], "violation": True, "listed": True,
    }


def test_version_comes_from_the_installed_metadata() -> None:
    from importlib.metadata import version

    import dmsproto

    assert dmsproto.__version__ == version("dmsproto")
    assert "__version__" in dir(dmsproto)


def test_unknown_attributes_still_raise() -> None:
    import dmsproto

    with pytest.raises(AttributeError, match="no_such_name"):
        dmsproto.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_request_checking_loads_the_validator_only_when_enabled() -> None:
    result = _run(
        "import json, sys\n"
        "from dmsproto.protocol import ClientCore, Get\n"
        "ClientCore().start_call([Get('A:B')])\n"
        "unchecked = 'dmsproto.validation' in sys.modules\n"
        "ClientCore(validate_requests=True).start_call([Get('A:B')])\n"
        "print(json.dumps({'unchecked': unchecked,\n"
        "    'checked': 'dmsproto.validation' in sys.modules}))"
    )
    assert result == {"unchecked": False, "checked": True}


CLI_GET_NEEDS_NOT = [
    *HEAVY[:1], *HEAVY[2:],  # the command line itself is loaded, of course
    "dmsproto.cli.cmd_",  # other commands' modules (``cmd_read`` is allowed below)
    "dmsproto.cli.demo",
    "dmsproto.cli.plot",
    "dmsproto.tables",
    "getpass",  # no user, so no password prompt
    "shtab",
    "tomllib",  # no config file to read
]


@pytest.fixture(scope="module")
def quiet_server() -> Any:
    srv: Server = start_server("--tick", "0")
    yield srv
    shut_down(srv)


def test_a_one_shot_get_loads_only_what_it_runs(quiet_server: Server) -> None:
    result = _run(
        "import sys\n"
        "started = set(sys.modules)  # what the interpreter's start-up loaded (e.g. coverage)\n"
        "import contextlib, io, json\n"
        "from dmsproto.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    code = main(['--url', {quiet_server.url!r}, 'get', 'System:Time'])\n"
        f"unwanted = {CLI_GET_NEEDS_NOT!r}\n"
        "print(json.dumps({'code': code, 'printed': 'System:Time' in out.getvalue(),\n"
        "    'loaded': sorted(m for m in set(sys.modules) - started\n"
        "                     if m != 'dmsproto.cli.cmd_read' and\n"
        "                     any(m == u or m.startswith(u) for u in unwanted))}))",
        env=cli_env(),
    )
    assert result == {"code": 0, "printed": True, "loaded": []}


def test_help_and_typos_still_see_every_command() -> None:
    from dmsproto.cli.command import COMMANDS, build_parser, command_of

    full = build_parser()
    sub = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == [c for commands, _ in COMMANDS.values() for c in commands]
    assert command_of(["--site", "get", "get", "X"]) == "get"
    assert command_of(["--json", "watch", "A:B"]) == "watch"
    for unclear in (["-h", "get"], ["--version"], ["gett", "X"], [], ["--timeout", "x", "get"]):
        assert command_of(unclear) is None
