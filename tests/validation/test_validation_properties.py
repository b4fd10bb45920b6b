"""Property tests for what the validator parses: ISO 8601 stamps, PCRE patterns, frames.

- every instant, written in any ISO 8601 form the document allows, reads back as itself;
- any text is either a stamp or a ``ValueError`` (never another exception);
- any text is either a PCRE pattern or a reason (never an exception);
- the fast path never hides a violation: a generated frame that the strict twin of
  the schema accepts has no violation when checked the exact way.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from dmsproto.validation import parse_iso8601, pcre_error, validate
from dmsproto.validation.frame import compiled
from dmsproto.validation.plan import strict_twin
from dmsproto.validation.stamps import DMS_FORM, SAFE_STAMP
from dmsproto.versions import get_version
from tests.support.schemas import for_hypothesis

FAST = settings(max_examples=300, deadline=None, database=None)
ZONES = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
INSTANTS = st.builds(
    lambda d, tz: d.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.one_of(st.just(UTC), ZONES))


def _zone(value: datetime, extended: bool) -> str:
    offset = value.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0 and value.tzinfo is UTC:
        return "Z"
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}" if extended else f"{sign}{hours:02d}{rest:02d}"


def _forms(value: datetime) -> list[str]:
    """The instant (to the microsecond) in calendar, ordinal and week dates, both formats."""
    frac = f"{value.microsecond:06d}"
    year, week, weekday = value.isocalendar()
    ordinal = value.timetuple().tm_yday
    ext_time = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d},{frac}"
    bas_time = f"{value.hour:02d}{value.minute:02d}{value.second:02d}.{frac}"
    y, m, d = f"{value.year:04d}", f"{value.month:02d}", f"{value.day:02d}"
    return [
        f"{y}-{m}-{d}T{ext_time}{_zone(value, True)}",
        f"{y}{m}{d}T{bas_time}{_zone(value, False)}",
        f"{value.year:04d}-{ordinal:03d}T{ext_time}{_zone(value, True)}",
        f"{year:04d}-W{week:02d}-{weekday}T{ext_time}{_zone(value, True)}",
        f"{year:04d}W{week:02d}{weekday}T{bas_time}{_zone(value, False)}",
    ]


@FAST
@given(INSTANTS)
def test_every_iso_form_of_an_instant_reads_back(value: datetime) -> None:
    for text in _forms(value):
        parsed = parse_iso8601(text)
        assert parsed == value, text
        assert parsed.utcoffset() == value.utcoffset(), text


@FAST
@given(INSTANTS)
def test_the_dms_form_is_valid_and_recognised(value: datetime) -> None:
    offset = value.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    text = (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d},{value.microsecond // 1000:03d}"
            f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")
    assert DMS_FORM.fullmatch(text)
    assert parse_iso8601(text) == value.replace(microsecond=value.microsecond // 1000 * 1000)


STAMP_ALPHABET = st.sampled_from([*"0123456789-:T,.Z+W ", "24", "60", "99"])


@FAST
@given(st.one_of(st.text(max_size=40), st.lists(STAMP_ALPHABET, max_size=30).map("".join)))
def test_any_text_is_a_stamp_or_a_value_error(text: str) -> None:
    try:
        parsed = parse_iso8601(text)
    except ValueError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert parsed.tzinfo is not None


REGEX_ALPHABET = st.sampled_from([*"ab.*+?()[]{}|^$\\-:0123,<=!#PKCQEUuN",
                                  "(?", "(*", "\\Q", "\\E", "[:alpha:]", "(?<", "(?#"])


@settings(max_examples=500, deadline=None, database=None)
@given(st.one_of(st.text(max_size=30), st.lists(REGEX_ALPHABET, max_size=20).map("".join)))
def test_any_text_is_a_pattern_or_a_reason(pattern: str) -> None:
    why = pcre_error(pattern)
    assert why is None or (isinstance(why, str) and why)


@pytest.mark.parametrize("pattern", ["^(?!BMO).*$", "^(?!(BMO|System)).*$", ".*:Istwert", "[0]",
                                     "true", "a\\Cb", "(?x) a # comment", "[]a]", "[^]a]",
                                     "(?#note)x", "\\Q(*pla:\\E"])
def test_document_and_pcre1_patterns_compile(pattern: str) -> None:
    """The document's own query patterns (3.2.2.1), and PCRE 8.35 forms PCRE2 treats otherwise."""
    assert pcre_error(pattern) is None


def _closed(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _closed(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


@pytest.mark.parametrize("protocol", ["1.3", "1.4", "1.5"])
@pytest.mark.parametrize(("kind", "direction"),
                         [("request", "send"), ("response", "recv"), ("event", "recv")])
def test_the_fast_path_never_hides_a_violation(protocol: str, kind: str, direction: str) -> None:
    schema = get_version(protocol).schemas[kind]
    twin = jsonschema_rs.Draft202012Validator(strict_twin(schema))
    exact = compiled(protocol, kind)

    @settings(max_examples=10, deadline=None, database=None,
              phases=(Phase.explicit, Phase.reuse, Phase.generate),
              suppress_health_check=list(HealthCheck))
    @given(from_schema(for_hypothesis(copy.deepcopy(schema))))
    def check(frame: Any) -> None:
        if not isinstance(frame, dict) or not twin.is_valid(frame):
            return
        found: list[Any] = []
        from dmsproto.validation.plan import apply_plan

        apply_plan(exact.plan, frame, [], exact.ctx, found)
        assert found == [], found
        assert list(exact.full.iter_errors(frame)) == []
        if kind == "event" or not exact.commands.isdisjoint(frame):
            assert validate(frame, direction=direction, protocol=protocol) == []  # type: ignore[arg-type]

    check()


@FAST
@given(st.from_regex(SAFE_STAMP, fullmatch=True))
def test_every_stamp_the_fast_pattern_passes_is_valid(text: str) -> None:
    parse_iso8601(text)  # a stamp the fast path lets through must not be refused later


@FAST
@given(INSTANTS.filter(lambda v: v.utcoffset() == timedelta(0)), st.sampled_from(
    ["-00:00", "-00", "-0000"]))
def test_a_zero_offset_never_carries_a_minus(value: datetime, zone: str) -> None:
    v = value
    text = (f"{v.year:04d}{v.month:02d}{v.day:02d}T{v.hour:02d}{v.minute:02d}{zone}"
            if zone == "-0000" else
            f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}{zone}")
    with pytest.raises(ValueError, match="zero offset"):
        parse_iso8601(text)
    for direction, frame in (("send", {"get": [{"path": "A", "histData": {"start": text}}]}),
                             ("recv", {"event": [{"code": "onSet", "path": "A", "stamp": text}]})):
        assert [v.rule for v in validate(frame, direction=direction)] == ["timestamp"]
