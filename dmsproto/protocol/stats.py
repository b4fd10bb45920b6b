"""What became of the frames a client received: the counters behind ``Client.stats``.

Every frame the DMS sent is counted once, by what the client did with it (so
``frames`` is the sum of the five frame counters); the items of event frames
are counted one by one as well.  Nothing the client drops goes uncounted: a
frame or event item counted under ``dropped_frames``, ``dropped_responses``,
``invalid_events`` or ``unrouted_events`` was logged (logger ``dmsproto.protocol``)
and thrown away.  The guide's page on broken frames says which frame lands where.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ReceiveStats:
    """Counters of one client's received frames, over all its connections.

    Attributes:
        answers: frames that answered a call in flight (including those that
            failed it, counted again in ``failed_calls``).
        failed_calls: calls failed by an answer that breaks the protocol
            (``ProtocolError`` naming where and why).
        event_frames: event frames (their items are counted below).
        events: event items queued for a subscription.
        unrouted_events: event items whose tag names no live subscription (dropped).
        invalid_events: event items that break the schema (dropped).
        dropped_responses: answers to no call in flight, e.g. to a call that
            was cancelled or timed out (dropped).
        dropped_frames: frames of no use, e.g. no known member, or a response
            that breaks the schema and names no call in flight (dropped).
        fatal_frames: frames that could not be read at all and closed the
            connection (a reconnect policy then applies).
    """

    answers: int = 0
    failed_calls: int = 0
    event_frames: int = 0
    events: int = 0
    unrouted_events: int = 0
    invalid_events: int = 0
    dropped_responses: int = 0
    dropped_frames: int = 0
    fatal_frames: int = 0

    @property
    def frames(self) -> int:
        """Every frame received."""
        return (self.answers + self.event_frames + self.dropped_responses
                + self.dropped_frames + self.fatal_frames)


__all__ = ["ReceiveStats"]
