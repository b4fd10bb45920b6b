"""A user program with connection options and query filters, type-checked by
``test_readme_example.py`` (mypy --strict): keywords come from the declarations."""

from __future__ import annotations

import trio

import dmsproto
import dmsproto.sync
from dmsproto.filters import QueryFilter
from dmsproto.options import ConnectOptions
from dmsproto.results import Event, Gap, Point


async def main(url: str = "wss://dms.example:9021/json_data") -> None:
    options: ConnectOptions = {"whois": "my-app", "timeout": 5.0, "protocol": "1.5",
                               "cafile": "dms-ca.pem"}
    options["reconnect"] = dmsproto.ReconnectPolicy(max_delay=5.0)
    async with dmsproto.connect(url, **options) as dms:
        found: list[Point] = await dms.query("Plant", regex_path=":Istwert$", max_depth=0,
                                             types=["int", "double"], has_alarm_data=False)
        print([p.path for p in found])
        alarms: QueryFilter = {"has_alarm_data": True, "max_depth": 0}
        print(len(await dms.query("Plant", timeout=2.0, **alarms)))
        async with dms.subscribe("Plant", events="*", max_depth=0, gaps="yield",
                                 regex_value="^1") as sub:
            async for item in sub:
                if isinstance(item, Gap):
                    continue
                change: Event = item
                print(change.path, change.value)
        async with dms.subscribe("Plant", tag="alarms", **alarms) as events:
            first: Event = await events.__anext__()
            print(first.code)
    async with dmsproto.connect(url="http://127.0.0.1:9020/json_data", timeout=None) as http:
        print(http.transport)


def blocking(url: str = "ws://127.0.0.1:9020/json_data") -> None:
    with dmsproto.sync.connect(url, whois="my-script", callback_queue_size=100,
                               slow_callback=0.5, chunk_size=500) as dms:
        print([p.path for p in dms.query("Plant", regex_path=".*", max_depth=0)])
        with dms.subscribe("Plant", events="onChange", max_depth=0) as sub:
            for event in sub:
                print(event.path)
        handle = dms.subscribe("Plant", callback=print, has_changelog=True)
        handle.close()


if __name__ == "__main__":
    trio.run(main)
    blocking()
