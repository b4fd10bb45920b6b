"""The trio client's whole API in one program, type-checked by ``test_readme_example.py``
(mypy --strict); the README's own examples are run by ``tests/examples/test_readme.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import trio

import dmsproto
from dmsproto.errors import EventGap, NotFound
from dmsproto.protocol import Get, Query, Set
from dmsproto.results import Event, Gap, History, ItemError


async def main(url: str = "ws://127.0.0.1:9020/json_data") -> None:
    async with dmsproto.connect(url, whois="my-app") as dms:
        point = await dms.get("System:Time")  # typed result
        print(point.path, point.value, point.type, point.stamp)

        for result in await dms.get_many(["Site:Note", "Site:Count"], ext_infos={"unit", "name"}):
            if isinstance(result, ItemError):  # bulk calls return errors per item
                print("failed:", result.path, result.code, result.message)
            elif result.ext_infos is not None:
                print(result.path, result.value, result.ext_infos.unit)

        found = await dms.query("Plant", regex_path=":Temp$", max_depth=0)
        print([p.path for p in found])

        await dms.set("Site:Note", 21.5, type="double", create=True)
        await dms.rename("Site:Note", "Site:Remark")
        await dms.delete("Site", recursive=True)
        try:
            await dms.get("Site:Remark")
        except NotFound as exc:  # single calls raise typed exceptions
            print("gone:", exc.path)

        end = datetime.now(UTC)
        trend: History = await dms.history("Site:Note", start=end - timedelta(days=1), end=end,
                                           interval=900)
        print(len(trend), trend.values[:3])
        detail = await dms.history("Site:Note", start=end - timedelta(hours=1), format="detail")
        print([(e.stamp, e.value, e.state) for e in detail])

        groups = await dms.changelog_groups()
        log = await dms.changelog_read(groups[0], start=end - timedelta(days=7))
        for entry in log.entries:
            print(entry.stamp, entry.path, entry.text, entry.state)

        results = await dms.batch([Get("Site:Note"), Set("Site:Count", 1, create=True),
                                   Query("Site", {})])
        print([r.ok for r in results])

        async with dms.subscribe("Site", events={"onChange", "onRename"}, max_depth=0) as sub:
            with trio.move_on_after(10):
                try:
                    async for event in sub:
                        print(event.code, event.path, event.value, event.trigger)
                except EventGap:
                    print("connection was lost: some events are missing")

    policy = dmsproto.ReconnectPolicy(initial_delay=0.5, max_delay=30.0)
    async with (
        dmsproto.connect("wss://dms.example:9021/json_data", user="alice", password="secret",
                         cafile="dms-ca.pem", reconnect=policy) as dms,
        dms.subscribe("Plant", events="*", max_depth=0, gaps="yield") as sub,
    ):
        async for item in sub:
            if isinstance(item, Gap):
                print("gap:", item.reason, item.dropped)
                continue
            change: Event = item
            print(change.code, change.path)


if __name__ == "__main__":
    trio.run(main)
