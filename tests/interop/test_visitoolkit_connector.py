"""visitoolkit-connector (PyPI, a client written against real DMS servers) against
``dmsproto serve``: every command it has, answered as it expects."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.serve_process import Served

SCRIPT = Path(__file__).with_name("visitoolkit_client.py")


@pytest.mark.timeout(300)
def test_visitoolkit_connector_drives_every_command(visitoolkit_python: Path,
                                                    served: Served) -> None:
    address = urlsplit(served.url)
    done = subprocess.run([str(visitoolkit_python), str(SCRIPT), address.hostname or "",
                           str(address.port)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["get"] == [{"code": "ok", "path": "Test:Int", "value": 44, "type": "int"}]
    [ext] = result["ext"]
    assert ext["extInfos"]["unit"] == "°C" and ext["extInfos"]["accType"] == "double32"
    assert {i["path"] for i in result["query"]} == {
        "Plant:HC1:TempFlow", "Plant:HC1:TempFlowSet", "Plant:HC1:TempReturn"}
    assert result["history"][0]["code"] == "ok" and result["history"][0]["histData"] > 600
    assert result["changelog"][0]["changelog"] >= 3
    assert result["create"] == [{"code": "ok", "path": "Interop:Value", "value": 2.5,
                                 "type": "double"}]
    # a single datapoint subscribed with a query: its events arrive, with the whois
    assert result["set"][0]["value"] == 7.5
    assert result["events"][:2] == [
        {"code": "onChange", "path": "Interop:Value", "value": 7.5,
         "trigger": "visitoolkit-interop"},
        {"code": "onSet", "path": "Interop:Value", "value": 7.5,
         "trigger": "visitoolkit-interop"}]
    assert result["rename"] == [{"code": "ok", "path": "Interop:Value",
                                 "newPath": "Interop:Renamed"}]
    assert result["delete"] == [{"code": "ok", "path": "Interop"}]
    assert result["gone"][0]["code"] == "not found"
    # its tagless changelogGetGroups item, answered with the groups and the root tag back
    assert result["groups"] == [{"code": "ok", "groups": ["ABS1", "ALARMS", "PROT"]}]
    assert result["read"][0]["code"] == "ok" and result["read"][0]["changelog"] >= 1
