"""Typed decoding: user programs type-check under mypy --strict, and the entry points
behind the types decode what their types say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import dmsproto
from dmsproto import codec, frames
from dmsproto.versions import VERSIONS

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
PROGRAMS = HERE / "typed_programs"
ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")

GET = b'{"get":[{"code":"ok","path":"A","value":1.5,"type":"double","stamp":null}]}'
EVENT = b'{"event":[{"code":"onSet","path":"A","value":2}]}'
REQUEST = b'{"whois":"w","user":"","get":["A"]}'


def _mypy_errors(*programs: Path) -> dict[tuple[str, int], list[str]]:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--follow-imports=silent", "--no-error-summary", *map(str, programs)],
        capture_output=True, text=True, cwd=ROOT, timeout=600, check=False,
    )
    assert result.stderr == "", result.stderr
    errors: dict[tuple[str, int], list[str]] = {}
    for line in result.stdout.splitlines():
        m = ERROR.match(line)
        if m:
            key = (Path(m["file"]).name, int(m["line"]))
            errors.setdefault(key, []).append(m["message"])
    return errors


def _expected(program: Path) -> dict[tuple[str, int], str]:
    """``# E: text`` markers of a program: line -> text an error there must contain."""
    out = {}
    for number, line in enumerate(program.read_text("utf-8").splitlines(), start=1):
        if "# E: " in line:
            out[(program.name, number)] = line.split("# E: ", 1)[1].strip()
    return out


def test_user_programs_type_check_exactly_as_marked() -> None:
    good, bad = PROGRAMS / "decode_ok.py", PROGRAMS / "decode_errors.py"
    errors = _mypy_errors(good, bad)
    expected = _expected(bad)
    assert len(expected) >= 10
    # the correct program (every direction and version, assert_type on each) is clean
    assert not [key for key in errors if key[0] == good.name], errors
    # the faulty one fails on the marked lines only, each for the marked reason (first of
    # all the attribute a response item does not have, which type-checked when decode
    # returned Any)
    assert set(errors) == set(expected), errors
    for key, text in expected.items():
        assert any(text in message for message in errors[key]), (key, errors[key])


@pytest.mark.parametrize("version", VERSIONS)
def test_each_version_module_decodes_into_its_own_structs(version: str) -> None:
    module = getattr(frames, "v" + version.replace(".", "_"))
    assert version == module.VERSION
    package = f"dmsproto._generated.v{version.replace('.', '_')}"
    request = module.decode_request(REQUEST)
    response = module.decode_response(GET)
    event = module.decode_event(EVENT)
    assert type(request) is module.RequestFrame and type(request).__module__ == package + ".request"
    assert type(response) is module.ResponseFrame and response.get[0].value == 1.5
    assert type(event) is module.EventFrame and event.event[0].value == 2
    assert type(module.decode_server_frame(EVENT)) is module.EventFrame
    assert type(module.decode_server_frame(GET)) is module.ResponseFrame
    for frame, direction in ((request, "send"), (response, "recv"), (event, "recv")):
        again = dmsproto.decode(dmsproto.encode(frame), direction=direction,  # type: ignore[call-overload]
                                protocol=version)
        assert again == frame


def test_kind_decoders_refuse_the_other_kind() -> None:
    with pytest.raises(dmsproto.DecodeError) as info:
        frames.v1_4.decode_response(b'{"x":1,"event":[]}')
    assert info.value.pointer == "/event"
    assert info.value.reason == "an event frame, not a response frame"
    with pytest.raises(dmsproto.DecodeError) as info:
        frames.v1_4.decode_event(GET)
    assert info.value.pointer == "" and "event" in info.value.reason
    with pytest.raises(dmsproto.DecodeError) as info:
        frames.v1_4.decode_request(GET)
    assert info.value.pointer == "/get/0"  # a result item is no request item


def test_frames_names_every_shipped_version_and_nothing_else() -> None:
    assert frames.__all__ == ["AnyFrame", *("v" + v.replace(".", "_") for v in VERSIONS)]


def test_decode_keeps_its_signature_and_behaviour() -> None:
    assert type(dmsproto.decode(GET, direction="recv")) is frames.v1_4.ResponseFrame
    assert type(dmsproto.decode(EVENT, direction="recv")) is frames.v1_4.EventFrame
    assert type(dmsproto.decode(REQUEST.decode(), direction="send", protocol="1.5")) is (
        frames.v1_5.RequestFrame)
    with pytest.raises(ValueError, match="direction must be"):
        dmsproto.decode(GET, direction="both")  # type: ignore[call-overload]
    with pytest.raises(dmsproto.errors.UnknownVersionError):
        dmsproto.decode(GET, direction="recv", protocol="0.1")  # type: ignore[call-overload]


def test_codec_helpers_are_public_and_documented() -> None:
    for name in ("decode_as", "decode_error", "decode_frame", "encode", "frame_decoders",
                 "frame_kind", "hist_entry_hook", "msgspec_path_to_pointer"):
        helper = getattr(codec, name)
        assert name in codec.__all__ and helper.__doc__, name
    assert codec.frame_kind(b' {"event": []}') == "event"
    assert codec.frame_kind(b'{"tag": 1, "event": []}') == "event"
    assert codec.frame_kind(b'{"get": []}') == "response"
    decoders = codec.frame_decoders("1.5")
    assert decoders is codec.frame_decoders("1.5")  # built once per version
    assert decoders.of("response") is decoders.response
    with pytest.raises(dmsproto.DecodeError):
        codec.frame_kind(b"[]")
