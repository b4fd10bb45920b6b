"""How the operating system schedules a proxy process: beside its peers, not ahead of them.

A proxy on the same machine as its client or its DMS shares their cores.  Under
load, every frame that arrives wakes it, and a normally scheduled process that
wakes up preempts whichever peer is running: on a busy machine the proxy then
runs many times per request, reads one or two frames each time, and the
switching costs the peers as much as the proxy's own work.  Scheduled as a
*batch* process (Linux ``SCHED_BATCH``: the same share of the CPU, by the same
``nice`` value, but a wake-up never preempts), it runs when a core comes free
and reads what arrived meanwhile in one go: far fewer wake-ups, larger reads,
less CPU per message for everyone.  On a machine with a core to spare nothing
changes; on a machine whose every core is busy the proxy's messages may wait for
a core a little longer.

A program decides this for its own process: the library's :class:`~.server.Proxy`
never changes the scheduling of the program that embeds it; ``dmsproto proxy``
(a process of its own) does, by default, with ``--scheduling``.
"""

from __future__ import annotations

import os
from typing import Final, Literal, get_args

SchedulingPolicy = Literal["batch", "normal"]
"""``batch``: never preempt on wake-up (where the system offers it); ``normal``: as started."""
POLICIES: Final[tuple[SchedulingPolicy, ...]] = get_args(SchedulingPolicy)
"""Every policy, as ``--scheduling`` offers them."""
DEFAULT_POLICY: Final[SchedulingPolicy] = "batch" if hasattr(os, "SCHED_BATCH") else "normal"
"""``batch`` where the system has it (Linux), else ``normal``."""


def schedule_process(policy: SchedulingPolicy) -> str | None:
    """Ask the system to schedule the calling process (its current thread) by ``policy``.

    Threads started afterwards inherit the policy, so call this before the event
    loop starts.

    Args:
        policy: ``batch`` or ``normal`` (leaves the scheduling as it is).

    Returns:
        None when the process is scheduled as asked, else why not, in a sentence
        (the system has no batch scheduling, or refused it): the proxy works the
        same, only with more CPU per message on a busy machine.

    Raises:
        ValueError: an unknown policy.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown scheduling policy {policy!r} (one of {', '.join(POLICIES)})")
    if policy == "normal":
        return None
    batch = getattr(os, "SCHED_BATCH", None)
    if batch is None or not hasattr(os, "sched_setscheduler"):
        return "this system has no batch scheduling: the proxy is scheduled as started"
    try:
        if os.sched_getscheduler(0) == os.SCHED_OTHER:  # a policy chosen at start stays
            os.sched_setscheduler(0, batch, os.sched_param(0))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return f"the system refused batch scheduling ({reason}): the proxy is scheduled " \
               "as started"
    return None


__all__ = ["DEFAULT_POLICY", "POLICIES", "SchedulingPolicy", "schedule_process"]
