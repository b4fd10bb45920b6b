"""Watch every alarm datapoint of the plant, and keep watching when the DMS restarts.

With ``reconnect`` the client reconnects by itself (exponential backoff with jitter) and
renews the subscription; the subscription then yields a ``Gap`` marker where events may
be missing, and this program reads the alarm states again.

    dmsproto serve
    python examples/watch_alarms.py            # until Ctrl-C
    python examples/watch_alarms.py --count 5  # stop after five alarm changes

Try stopping and restarting ``dmsproto serve`` while it runs, and raising an alarm:
``dmsproto set Plant:Boiler:Fault true``.
``DMSPROTO_URL`` points it at another DMS (default ``ws://127.0.0.1:9020/json_data``).
"""

from __future__ import annotations

import argparse
import os

import trio

import dmsproto
from dmsproto import Client, Event, Gap

URL = os.environ.get("DMSPROTO_URL", "ws://127.0.0.1:9020/json_data")
BRANCH = "Plant"


async def print_states(dms: Client) -> None:
    alarms = await dms.query(BRANCH, has_alarm_data=True, max_depth=0)
    active = [p.path for p in alarms if p.value]
    print(f"{len(alarms)} alarm datapoints, active: {', '.join(active) or 'none'}", flush=True)


def show(event: Event) -> None:
    when = f"{event.stamp:%H:%M:%S}" if event.stamp else "--:--:--"
    state = "RAISED" if event.value else "cleared"
    print(f"{when}  {event.path} {state} (by {event.trigger})", flush=True)


async def watch(count: int | None) -> None:
    policy = dmsproto.ReconnectPolicy(initial_delay=0.2, max_delay=5.0)
    async with dmsproto.connect(URL, whois="example-alarms", reconnect=policy) as dms:
        await print_states(dms)
        # One subscription for the whole branch: the DMS applies the query to each event,
        # so only alarm datapoints are reported. gaps="yield" hands over lost events as
        # Gap markers in the stream instead of raising EventGap.
        async with dms.subscribe(BRANCH, has_alarm_data=True, max_depth=0,
                                 events="onChange", gaps="yield") as sub:
            print("watching (Ctrl-C to stop)", flush=True)
            seen = 0
            async for item in sub:
                if isinstance(item, Gap):
                    print(f"connection lost and renewed ({item.reason}): reading states again",
                          flush=True)
                    await print_states(dms)
                    continue
                show(item)
                seen += 1
                if count is not None and seen >= count:
                    break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, help="stop after this many alarm changes")
    args = parser.parse_args()
    try:
        trio.run(watch, args.count)
    except KeyboardInterrupt:
        print("stopped")


if __name__ == "__main__":
    main()
