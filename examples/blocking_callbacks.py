"""Subscribe from an ordinary (blocking) script and handle events in callbacks.

``dmsproto.sync`` runs the trio client in a background thread; the callbacks run one at
a time in one callback thread of their own, each subscription's events in order.

    dmsproto serve
    python examples/blocking_callbacks.py --seconds 5

``DMSPROTO_URL`` points it at another DMS (default ``ws://127.0.0.1:9020/json_data``).
"""

from __future__ import annotations

import argparse
import os
import threading
from collections import Counter

import dmsproto.sync
from dmsproto import Event, Gap

URL = os.environ.get("DMSPROTO_URL", "ws://127.0.0.1:9020/json_data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to listen")
    args = parser.parse_args()

    counts: Counter[str] = Counter()
    lock = threading.Lock()  # the callbacks run in another thread than main()

    def on_event(event: Event) -> None:
        with lock:
            counts[event.path] += 1
        print(f"{event.path} = {event.value}", flush=True)

    def on_gap(gap: Gap) -> None:
        print(f"events lost: {gap.reason}", flush=True)

    with dmsproto.sync.connect(URL, whois="example-callbacks") as dms:
        # The DMS's own blinkers and clock change by themselves, every second or faster.
        blinkers = dms.subscribe("System:Blinker", max_depth=0, callback=on_event,
                                 on_gap=on_gap)
        clock = dms.subscribe("System:Time", callback=on_event, on_gap=on_gap)
        # Meanwhile the main thread is free: here it makes a blocking call of its own.
        print("DMS version:", dms.get("System:Version").value, flush=True)
        # wait() blocks until the subscription ends (Ctrl-C, or the connection is gone for
        # good); with a timeout it returns after that many seconds at the latest.
        clock.wait(timeout=args.seconds)
        blinkers.close()
        clock.close()

    with lock:
        for path, n in sorted(counts.items()):
            print(f"{path}: {n} events")


if __name__ == "__main__":
    main()
