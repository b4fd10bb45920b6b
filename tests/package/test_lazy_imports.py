"""``import dmsproto`` stays light: the validator, the capture tools, the simulator, the
proxy and the command line load only when used.

Each check runs in a fresh interpreter, so what other tests imported does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

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


def _run(code: str) -> Any:
    """Run ``code`` in a fresh interpreter; it prints JSON on its last line."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
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
