"""Round trips with the older thread-based client, visitoolkit-connector 0.1.2.

Runs inside the bench's own legacy virtualenv (never imported by the bench
itself): ``python _legacy_client.py HOST PORT PATH SEQUENTIAL THREADS PER_THREAD``.
Prints one JSON object: sequential requests/s and client CPU µs per request
(``time.process_time()`` of this process, all its threads), and the total
requests/s of THREADS threads each doing PER_THREAD gets on one shared client.

visitoolkit-connector is GPL-licensed: this script only calls its public API
(``DMSClient(whois, user, host, port).dp_get(path)``); nothing of it is copied.
Its ``dp_get`` is usable from many threads: the pending-response table is
guarded by a lock, each request waits on its own ``threading.Event`` (keyed
by a uuid4 item tag), and the one WebSocket thread dispatches the responses.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time


def main(argv: list[str]) -> None:
    host, port, path = argv[0], int(argv[1]), argv[2]
    sequential, threads, per_thread = int(argv[3]), int(argv[4]), int(argv[5])
    logging.getLogger("visitoolkit_connector").setLevel(logging.WARNING)
    from visitoolkit_connector.connector import DMSClient

    client = DMSClient("bench", "", host, port)

    def get() -> None:
        response = client.dp_get(path, timeout=30)
        if not response or response[0]["code"] != "ok":
            raise RuntimeError(f"unexpected response {response!r}")

    for _ in range(50):  # warm-up (the first call also waits for the connection)
        get()

    result: dict[str, float] = {}
    best_rps, best_cpu = 0.0, float("inf")
    for _ in range(5):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(sequential):
            get()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        best_rps = max(best_rps, sequential / wall)
        best_cpu = min(best_cpu, cpu / sequential * 1e6)
    result["seq_rps"], result["seq_cpu_us"] = best_rps, best_cpu

    errors: list[BaseException] = []

    def worker(start: threading.Barrier) -> None:
        start.wait()
        try:
            for _ in range(per_thread):
                get()
        except BaseException as exc:  # reported, not raised in a thread
            errors.append(exc)

    best_rps, best_cpu = 0.0, float("inf")
    for _ in range(3):
        barrier = threading.Barrier(threads + 1)
        pool = [threading.Thread(target=worker, args=(barrier,)) for _ in range(threads)]
        for t in pool:
            t.start()
        barrier.wait()
        c0, t0 = time.process_time(), time.perf_counter()
        for t in pool:
            t.join()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        best_rps = max(best_rps, threads * per_thread / wall)
        best_cpu = min(best_cpu, cpu / (threads * per_thread) * 1e6)
    result["conc_rps"], result["conc_cpu_us"] = best_rps, best_cpu
    result["errors"] = len(errors)
    if errors:
        result["error"] = repr(errors[0])  # type: ignore[assignment]
    print(json.dumps(result), flush=True)
    # its WebSocket thread blocks in select() forever and __del__ sleeps: leave at once
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
