"""visitoolkit-connector as a client of the proxy; runs in the visitoolkit venv only.

``python visitoolkit_script.py HOST PORT``: reads, writes, lists change-log groups
and subscribes with the client's public API (nothing of it is copied; it is
GPL-licensed), then prints one JSON object with what came back.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading


def main(host: str, port: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    from visitoolkit_connector.connector import ON_ALL, DMSClient

    client = DMSClient("visitoolkit-test", "", host, port)
    result: dict[str, object] = {}
    result["get"] = [dict(item) for item in client.dp_get(path="A:Int", timeout=10)]
    result["set"] = [dict(item) for item in client.dp_set(path="A:Dbl", value=2.5,
                                                          timeout=10)]
    result["groups"] = [dict(item) for item in client.changelog_GetGroups(timeout=10)]
    event = threading.Event()
    values: list[object] = []

    def on_event(ev: object) -> None:
        values.append(ev["value"])  # type: ignore[index]
        event.set()

    sub = client.get_dp_subscription(path="A:Int", event=ON_ALL, timeout=10)
    sub += on_event
    client.dp_set(path="A:Int", value=45, timeout=10)
    result["event"] = values[0] if event.wait(10) else None
    print(json.dumps(result, default=str), flush=True)
    # its WebSocket thread blocks in select() forever: leave at once
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
