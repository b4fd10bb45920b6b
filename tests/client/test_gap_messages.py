"""The one wording of a lost-events error, shared by the async clients and the blocking facade."""

from __future__ import annotations

from dmsproto.client._base import gap_error
from dmsproto.errors import EventGap, SubscriptionOverflow
from dmsproto.results import Gap


def test_an_overflow_counts_the_dropped_events_in_words() -> None:
    one = gap_error("A:B", Gap("overflow", 1))
    many = gap_error("A:B", Gap("overflow", 12_500), buffer_size=100_000)
    assert isinstance(one, SubscriptionOverflow) and isinstance(many, SubscriptionOverflow)
    assert str(one) == "subscription to 'A:B': consumer fell behind, 1 event dropped"
    assert str(many) == (
        "subscription to 'A:B': consumer fell behind, 12,500 events dropped"
        " (buffer size 100,000)"
    )


def test_an_overflow_without_a_count_says_it_is_unknown() -> None:
    assert "an unknown number of events dropped" in str(gap_error("A:B", Gap("overflow")))


def test_a_reconnect_gap_says_events_are_missing() -> None:
    error = gap_error("A:B", Gap("reconnect"))
    assert isinstance(error, EventGap)
    assert str(error) == (
        "subscription to 'A:B': connection was lost and the subscription renewed; "
        "events in between are missing"
    )
