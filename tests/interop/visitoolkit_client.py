"""visitoolkit-connector driving a DMS; runs in the visitoolkit virtualenv only.

``python visitoolkit_client.py HOST PORT``: uses the client's public API (nothing of it
is copied; it is GPL-licensed) for get (plain, extended infos, query, history, change
log), set with create, rename, delete, a subscription of one datapoint with a query,
changelogGetGroups and changelogRead, then prints one JSON object with what came back.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from typing import Any

WAIT = 10  # seconds for each call


def items(answer: Any) -> list[dict[str, Any]]:
    """The response items as plain values (history and logs as their lengths)."""
    out = []
    for item in answer:
        plain: dict[str, Any] = {}
        for key in ("code", "path", "newPath", "value", "type", "message", "groups", "group"):
            if item.get(key) is not None:
                plain[key] = item[key]
        for key in ("histData", "changelog"):
            if item.get(key) is not None:
                plain[key] = len(item[key])
        ext = item.get("extInfos")
        if ext is not None:
            plain["extInfos"] = {k: v for k, v in dict(ext).items() if v is not None}
        out.append(plain)
    return out


def main(host: str, port: int) -> None:
    logging.basicConfig(level=logging.CRITICAL)
    from visitoolkit_connector.connector import (
        INFO_ALL,
        ON_ALL,
        Changelog,
        DMSClient,
        HistData,
        Query,
    )

    client = DMSClient("visitoolkit-interop", "", host, port)
    result: dict[str, Any] = {}
    result["get"] = items(client.dp_get(path="Test:Int", timeout=WAIT))
    result["ext"] = items(client.dp_get(path="Plant:HC1:TempFlow", showExtInfos=INFO_ALL,
                                        timeout=WAIT))
    result["query"] = items(client.dp_get(path="Plant:HC1", timeout=WAIT,
                                          query=Query(regExPath=".*Temp", maxDepth=0)))
    result["history"] = items(client.dp_get(
        path="Plant:HC1:TempFlow", timeout=WAIT,
        histData=HistData(start="2000-01-01T00:00:00,000+01:00", format="detail",
                          interval=0)))
    result["changelog"] = items(client.dp_get(
        path="Plant:HC1:Pump:Cmd", timeout=WAIT,
        changelog=Changelog(start="2000-01-01T00:00:00,000+01:00")))
    result["create"] = items(client.dp_set(path="Interop:Value", value=2.5, create=True,
                                           type="double", timeout=WAIT))

    events: list[dict[str, Any]] = []
    seen = threading.Event()

    def on_event(event: Any) -> None:
        events.append({"code": event["code"], "path": event["path"], "value": event["value"],
                       "trigger": event["trigger"]})
        if len(events) >= 2:
            seen.set()

    sub = client.get_dp_subscription(path="Interop:Value", event=ON_ALL,
                                     query=Query(maxDepth=0), timeout=WAIT)
    sub += on_event
    result["set"] = items(client.dp_set(path="Interop:Value", value=7.5, timeout=WAIT))
    result["events"] = events if seen.wait(WAIT) else events[:]
    sub.unsubscribe()
    result["rename"] = items(client.dp_ren(path="Interop:Value", newPath="Interop:Renamed",
                                           timeout=WAIT))
    result["delete"] = items(client.dp_del(path="Interop", recursive=True, timeout=WAIT))
    result["gone"] = items(client.dp_get(path="Interop:Renamed", timeout=WAIT))
    result["groups"] = items(client.changelog_GetGroups(timeout=WAIT))
    result["read"] = items(client.changelog_Read(group="ABS1",
                                                 start="2000-01-01T00:00:00Z", timeout=WAIT))
    print(json.dumps(result, default=str), flush=True)
    os._exit(0)  # its WebSocket thread blocks in select() for ever: leave at once


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
