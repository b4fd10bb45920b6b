"""Search the datapoint tree: list a branch, find datapoints by path, type and features.

    dmsproto serve
    python examples/search_tree.py

``DMSPROTO_URL`` points it at another DMS (default ``ws://127.0.0.1:9020/json_data``).
"""

from __future__ import annotations

import os

import trio

import dmsproto

URL = os.environ.get("DMSPROTO_URL", "ws://127.0.0.1:9020/json_data")


async def main() -> None:
    async with dmsproto.connect(URL) as dms:
        # The children of one node (max_depth=1, the DMS's default: one level down).
        for point in await dms.query("Plant:HC1", max_depth=1):
            marker = "+" if point.has_child else " "
            print(f"{marker} {point.path}")

        # Every room temperature, at any depth (max_depth=0), by a regular expression on
        # the path (the DMS speaks PCRE) and the value type.
        temps = await dms.query("Plant:Rooms", regex_path=":Temp$", types="double",
                                max_depth=0)
        warmest = max(temps, key=lambda p: p.value if isinstance(p.value, float) else 0.0)
        print(f"{len(temps)} room temperatures, warmest {warmest.path} = {warmest.value}")

        # Datapoints that record a trend, and those that raise alarms.
        trends = await dms.query("Plant", has_hist_data=True, max_depth=0)
        alarms = await dms.query("Plant", has_alarm_data=True, max_depth=0)
        print(f"{len(trends)} datapoints with history, {len(alarms)} alarm datapoints")
        for alarm in alarms:
            state = "ACTIVE" if alarm.value else "ok"
            print(f"  {alarm.path}: {state}")


if __name__ == "__main__":
    trio.run(main)
