"""The simulator's per-item helpers where a looser test lets a difference slip.

An answer budget that ran out stays at zero; a missing history start or end is
named in the refusal.
"""

from __future__ import annotations

import pytest
from msgspec import UNSET

from dmsproto.sim.items import AnswerTooLarge, Budget, ItemRefused, stamp_field


def test_a_used_up_entry_budget_stays_empty() -> None:
    budget = Budget(items=5, entries=3)
    with pytest.raises(AnswerTooLarge) as caught:
        budget.take_entries(4)
    assert str(caught.value) == ("Aborted: more than 3 history and change-log entries; refine "
                                 "the request")
    assert budget.entries == 0
    with pytest.raises(AnswerTooLarge):
        budget.take_entries(1)


def test_a_missing_start_is_named_and_a_missing_end_takes_its_default() -> None:
    with pytest.raises(ItemRefused) as caught:
        stamp_field(UNSET, None)
    assert caught.value.message == "Missing field 'start'"
    with pytest.raises(ItemRefused) as named:
        stamp_field(None, None, "end")
    assert named.value.message == "Missing field 'end'"
