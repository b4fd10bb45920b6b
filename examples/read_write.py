"""Read and write datapoints with the trio client.

Run a DMS simulator with the demo plant in one terminal and this program in another:

    dmsproto serve
    python examples/read_write.py

``DMSPROTO_URL`` points it at another DMS (default ``ws://127.0.0.1:9020/json_data``).
"""

from __future__ import annotations

import os

import trio

import dmsproto
from dmsproto import ItemError, NotFound

URL = os.environ.get("DMSPROTO_URL", "ws://127.0.0.1:9020/json_data")


async def main() -> None:
    # whois names this program: it becomes the trigger of the events our writes cause.
    async with dmsproto.connect(URL, whois="example-read-write") as dms:
        # One datapoint: a typed Point (path, value, type, stamp as an aware datetime).
        flow = await dms.get("Plant:HC1:TempFlow", ext_infos={"unit", "name"})
        unit = flow.ext_infos.unit if flow.ext_infos else ""
        print(f"{flow.path} = {flow.value} {unit} at {flow.stamp:%H:%M:%S}")

        # Many datapoints in one request. Bulk calls never raise for one item: a missing
        # datapoint comes back as an ItemError in its place.
        paths = ["Plant:Rooms:R101:Temp", "Plant:Rooms:R101:TempSet", "Plant:Nowhere"]
        for result in await dms.get_many(paths):
            if isinstance(result, ItemError):
                print(f"{result.path}: {result.code} ({result.message})")
            else:
                print(f"{result.path} = {result.value}")

        # Write a setpoint. The DMS answers with the value it stored.
        written = await dms.set("Plant:Rooms:R101:TempSet", 21.5)
        print(f"set {written.path} = {written.value} ({written.type})")

        # Create a datapoint (type="double": an int alone would make an int datapoint),
        # rename it, then delete its branch.
        await dms.set("Examples:Note:Value", 1.0, type="double", create=True)
        await dms.rename("Examples:Note", "Examples:Memo")
        await dms.delete("Examples", recursive=True)

        # Single calls raise typed exceptions for an item that is not ok.
        try:
            await dms.get("Examples:Memo:Value")
        except NotFound as exc:
            print(f"deleted: {exc.path} is gone")


if __name__ == "__main__":
    trio.run(main)
