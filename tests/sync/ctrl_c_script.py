"""Run by test_sync_faults.py in a subprocess: block in a held call until SIGINT.

Prints ``BLOCKED`` once the simulator holds the answer (the main thread is then
waiting in ``dms.get``), ``INTERRUPTED`` when the call raised KeyboardInterrupt and
``THREADS [...]`` with the dmsproto threads still alive after the block; then lets
the KeyboardInterrupt end the process.
"""

from __future__ import annotations

import threading

import dmsproto.sync as ds
from tests.support.sync import SimThread


def main() -> None:
    with SimThread() as sim:
        hold = sim.hold_next("get")

        def announce() -> None:
            sim.wait(hold.reached.wait, timeout=30)
            print("BLOCKED", flush=True)

        threading.Thread(target=announce, daemon=True).start()
        try:
            try:
                with ds.connect(sim.url, timeout=None) as dms:
                    dms.get("Test:Int")  # held, no timeout: only Ctrl-C ends it
            except KeyboardInterrupt:
                print("INTERRUPTED", flush=True)
                raise
            finally:
                names = [t.name for t in threading.enumerate() if t.name.startswith("dmsproto")]
                print("THREADS", names, flush=True)
        finally:
            sim.release(hold)


if __name__ == "__main__":
    main()
