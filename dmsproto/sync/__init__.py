"""A blocking facade over the trio client, for scripts and programs that are not trio.

    import dmsproto.sync

    with dmsproto.sync.connect("ws://dms:9020/json_data", whois="my-script") as dms:
        print(dms.get("Plant:T1:Istwert").value)
        with dms.subscribe("Plant", max_depth=0) as sub:
            for event in sub:          # blocks; Ctrl-C works
                print(event.path, event.value)

Same calls, typed results and exceptions as the trio client (``dmsproto.connect``);
every call takes ``timeout``.  Subscriptions are read by iteration (``for event in
sub``, ``sub.get(timeout=...)``, ``sub.events(timeout=...)``) or delivered to a
callback: ``dms.subscribe(path, callback=fn)``.

Design: one trio run in one dedicated thread per connection.
    ``connect()`` starts a thread that runs ``trio.run``; the trio client lives
    there and nowhere else.  A blocking call hands its coroutine to the run with
    ``TrioToken.run_sync_soon`` (thread-safe), where it becomes a task with its
    own cancel scope, and waits on a ``threading.Event`` for the outcome.  We
    chose this over ``trio.lowlevel.start_guest_run`` because guest mode needs a
    host event loop to drive it, and a synchronous program has none: we would
    have to write one, in a thread of its own, plus guest mode's own I/O thread.
    We wrote our own small portal instead of ``trio.from_thread.run`` because the
    latter cannot cancel the task when the waiting caller is interrupted.

Ctrl-C: trio installs no signal handler outside the main thread, so SIGINT raises
    ``KeyboardInterrupt`` in the main thread, inside the blocking wait
    (``threading.Event.wait`` is interruptible on POSIX; on Windows a wait ends
    at the call's ``timeout``).  The waiting caller then cancels its call in the
    loop, waits briefly for the cancellation, and re-raises; leaving the
    ``with`` block then closes everything.  (CPython acts on a signal that lands
    in the microseconds while a thread enters a lock wait only when the wait
    ends: in that rare case, press Ctrl-C again.)

Callbacks: one background thread per client (started on the first callback
    subscription) runs every callback, one at a time, each subscription's
    events in order.  An exception in a callback is logged (logger
    ``dmsproto``) and counted; delivery continues.  At most
    ``callback_queue_size`` events wait for the thread: then the loop stops
    taking events, each subscription's bounded buffer (``buffer_size``) fills
    and further events are dropped and reported as a ``Gap`` (to ``on_gap`` or
    the log).  Callbacks that take ``slow_callback`` seconds or more, and a full
    queue, are logged as warnings.  A callback may call the client (also
    ``close()``): it runs in its own thread, not in the loop.

Threads: the facade is safe to use from many threads at once.  Leaving the
    ``with`` block unsubscribes, closes the connection, stops the loop and joins
    both threads.  No thread polls: every wait blocks on a primitive.

asyncio: use ``dmsproto.aio.connect()``, the asyncio client (same calls, no
    threads).  Should you call this facade from asyncio anyway, never call blocking
    methods in the event loop's thread.  Run them in a
    worker thread: ``await asyncio.to_thread(dms.get, "A:B")``, with the client
    opened by ``stack.enter_context(dmsproto.sync.connect(url))`` (also via
    ``to_thread``) and closed by ``await asyncio.to_thread(dms.close)``; close
    it when the program is cancelled, so that worker threads blocked in a call
    end (they raise ``Closed``) and ``asyncio.run`` can join them.

trio: inside a trio run every blocking entry point raises ``TrioContextError``;
    use the trio client there.
"""

from __future__ import annotations

from ..errors import Closed, TrioContextError
from ._client import Client, connect
from ._options import CallbackOptions, SyncOptions
from ._subs import CallbackSubscription, Subscription

__all__ = [
    "CallbackOptions",
    "CallbackSubscription",
    "Client",
    "Closed",
    "Subscription",
    "SyncOptions",
    "TrioContextError",
    "connect",
]
