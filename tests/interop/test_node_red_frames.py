"""The vendor's Node-RED nodes' exact frames, replayed with their WebSocket library (ws 7
from npm) by our own client, against ``dmsproto serve``.

The nodes themselves are only on GitHub (not on npm), which CI cannot reach; their
library is on npm, so the frames go over the wire exactly as the nodes send them:
binary frames, empty command arrays, queries on single datapoints, the payload sent
again after a reconnect. docs/interop.md says how to run the real nodes by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.serve_process import serving

SCRIPT = Path(__file__).with_name("node_red_replay.js")


def events(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for f in frames for e in f.get("event", [])]


def answer(frames: list[dict[str, Any]], key: str) -> dict[str, Any]:
    found = [f for f in frames if key in f]
    assert len(found) == 1, frames
    return found[0]


@pytest.mark.timeout(300)
def test_node_red_nodes_frames(node_ws_modules: Path, tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None  # the node_ws_modules fixture needs it too
    with serving(tmp_path, "--tick", "1", "--debug") as served:
        done = subprocess.run([node, str(SCRIPT), served.url], capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL,
                              env={**os.environ, "NODE_PATH": str(node_ws_modules)})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    system = {"code": "ok", "path": "System", "value": None, "type": "none", "stamp": None,
              "query": {"maxDepth": 0}}
    for phase in ("handler", "reconnected"):  # the same answer after the reconnect
        response = answer(result[phase], "subscribe")
        assert response == {"set": [], "get": [], "subscribe": [system]}
        assert "System:Time" in {e["path"] for e in events(result[phase])}

    subscribed = answer(result["subscriber"], "subscribe")["subscribe"]
    assert [(i["code"], i["path"], i["query"]) for i in subscribed] == [
        ("ok", "System:Time", {"maxDepth": 0}), ("ok", "Test:Int", {"maxDepth": 0})]
    [written] = [e for e in events(result["subscriber"]) if e["path"] == "Test:Int"]
    assert written["code"] == "onChange" and written["value"] == 45
    assert written["trigger"].startswith("WriteToDms_")
    assert "tag" not in written  # the nodes never tag
    assert answer(result["writer"], "set")["set"][0]["code"] == "ok"

    received = [line for line in served.stderr.splitlines() if " recv (" in line]
    assert len(received) == 4 and all(" recv (binary) " in line for line in received)
