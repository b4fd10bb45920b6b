"""The document's caps on answer arrays (3.2.3: histData "limited to max. 610'000
entries"; 3.2.4: changelog "to max. 100'000 entries"): an answer of exactly the cap is
valid, one entry more is one ``maxItems`` error at the array. The simulator cuts its
answers to the same caps, read from the schema."""

from __future__ import annotations

from typing import Any

import pytest

import dmsproto
from dmsproto.sim.limits import MAX_CHANGELOG_ENTRIES, MAX_HIST_ENTRIES
from dmsproto.validation.frame import compiled

HIST = {"2015-04-03T04:33:20,000+02:00": 0.95}
LOG = {"stamp": "2016-03-01T11:54:48,536+01:00", "text": "Heizungsventil Aus", "path": "A"}


def test_the_simulator_cuts_to_the_documents_caps() -> None:
    assert (MAX_HIST_ENTRIES, MAX_CHANGELOG_ENTRIES) == (610_000, 100_000)


@pytest.mark.parametrize(("protocol", "member"), [
    ("1.3", "histData"), ("1.4", "histData"), ("1.5", "histData"), ("1.5", "histDataPast")])
def test_hist_data_holds_at_most_610000_entries(protocol: str, member: str) -> None:
    # the schema itself, in its compiled jsonschema-rs form (test_long_arrays takes an
    # answer one entry over the cap through validate, findings and all)
    schema = compiled(protocol, "response").plain

    def answer(n: int) -> dict[str, Any]:
        return {"get": [{"code": "ok", "path": "A", "value": 1.0, "type": "double",
                         "stamp": None, member: [HIST] * n}]}
    assert schema.is_valid(answer(610_000))
    assert not schema.is_valid(answer(610_001))


def test_a_changelog_holds_at_most_100000_entries() -> None:
    def verdicts(message: dict[str, Any]) -> list[tuple[str, str]]:
        return [(v.pointer, v.rule) for v in dmsproto.validate(message, direction="recv")]

    assert verdicts({"changelogRead": [{"code": "ok", "group": "ABS1",
                                        "changelog": [LOG] * 100_000}]}) == []
    assert verdicts({"changelogRead": [{"code": "ok", "group": "ABS1",
                                        "changelog": [LOG] * 100_001}]}) == [
        ("/changelogRead/0/changelog", "maxItems")]
    schema = compiled("1.5", "response").plain
    assert schema.is_valid({"get": [{"code": "ok", "path": "A", "changelog": [LOG] * 100_000}]})
    assert not schema.is_valid({"get": [{"code": "ok", "path": "A",
                                         "changelog": [LOG] * 100_001}]})
