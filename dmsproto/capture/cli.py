"""``dmsproto validate FILE...``: the command-line face of capture validation.

The CLI host adds the subcommand with :func:`add_validate_arguments` and calls
:func:`run_validate`.  Exit codes (also in ``--help``): 0 clean, 1 violations found,
2 usage or input error (unreadable file, unknown format or protocol), 3 tshark is
needed for a pcap/pcapng file and is not installed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from ..versions import DEFAULT_VERSION, VERSIONS, UnknownVersionError
from .model import CaptureError, TsharkMissing
from .progress import ProgressBar
from .runner import validate_files

EXIT_CLEAN = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
EXIT_NO_TSHARK = 3

EPILOG = """\
formats: JSON Lines ({"time", "dir": "send"|"recv", "data"} per line), HAR
(WebSocket messages and POSTs to /json_data), tshark JSON export, pcap/pcapng
(needs tshark). exit codes: 0 clean, 1 violations found, 2 usage or input
error, 3 tshark missing for a pcap/pcapng file."""


def add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``validate`` options to ``parser`` (a subcommand parser)."""
    parser.description = "Validate captured DMS traffic against the protocol."
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="capture files: .jsonl, .har, tshark .json, .pcap/.pcapng")
    parser.add_argument("--protocol", default=DEFAULT_VERSION,
                        help=f"protocol version (default {DEFAULT_VERSION}; known: "
                             f"{', '.join(VERSIONS)})")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="report for people (text, default) or machines (json)")
    parser.add_argument("--max-examples", type=int, default=5, metavar="N",
                        help="examples shown per rule (default 5)")
    parser.add_argument("--port", type=int, default=9020,
                        help="DMS port in pcap/tshark captures (default 9020)")


def run_validate(args: argparse.Namespace | None = None, *, stdout: TextIO | None = None,
                 stderr: TextIO | None = None, **options: Any) -> int:
    """Validate, print the report, return the exit code.

    Takes the parsed namespace, or the same options as keywords
    (``run_validate(files=["a.jsonl"], format="json")``).
    """
    values: dict[str, Any] = {"protocol": DEFAULT_VERSION, "format": "text", "max_examples": 5,
              "port": 9020}
    if args is not None:
        values.update(vars(args))
    values.update(options)
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    files = values.get("files") or []
    if not files:
        print("dmsproto validate: error: no capture files given", file=err)
        return EXIT_INPUT
    if int(values["max_examples"]) < 0:
        print("dmsproto validate: error: --max-examples must be 0 or more", file=err)
        return EXIT_INPUT
    bar = ProgressBar(err) if ProgressBar.wanted(err) else None
    try:
        report = validate_files(files, protocol=str(values["protocol"]),
                                max_examples=int(values["max_examples"]),
                                port=int(values["port"]), progress=bar)
    except TsharkMissing as exc:
        print(f"dmsproto validate: error: {exc}", file=err)
        return EXIT_NO_TSHARK
    except (CaptureError, UnknownVersionError) as exc:
        print(f"dmsproto validate: error: {exc}", file=err)
        return EXIT_INPUT
    finally:
        if bar is not None:
            bar.close()
    out.write((report.to_json() if values["format"] == "json" else report.to_text()) + "\n")
    return EXIT_CLEAN if report.clean else EXIT_VIOLATIONS


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m dmsproto.capture.cli``) until the CLI hosts it."""
    parser = argparse.ArgumentParser(prog="dmsproto validate")
    add_validate_arguments(parser)
    return run_validate(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["EXIT_CLEAN", "EXIT_INPUT", "EXIT_NO_TSHARK", "EXIT_VIOLATIONS",
           "add_validate_arguments", "main", "run_validate"]
