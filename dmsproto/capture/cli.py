"""``dmsproto validate FILE...``: the command-line face of capture validation.

The CLI host adds the subcommand with :func:`add_validate_arguments` and calls
:func:`run_validate`.  Exit codes (also in ``--help``): 0 no errors (warnings
allowed unless ``--strict``), 1 errors found (or warnings with ``--strict``), 2
usage or input error (unreadable file, unknown format or protocol, a capture
without any DMS message), 3 tshark is needed for a pcap/pcapng file and is not
installed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from ..cli.progress import ProgressBar
from ..validation import RULES, placements
from ..validation.rules import SCOPES
from ..versions import DEFAULT_VERSION, VERSIONS, UnknownVersionError
from .har import BASE_PATH
from .model import CaptureError, TsharkMissing
from .runner import validate_files
from .tshark import DMS_PORT

EXIT_CLEAN = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
EXIT_NO_TSHARK = 3

EPILOG = f"""\
formats: JSON Lines ({{"time", "dir": "send"|"recv", "data"}} per line), HAR
(WebSocket messages and POSTs to the base path), tshark JSON export, pcap/pcapng
(needs tshark). severities: an error breaks the document in a way a DMS rejects
or misreads; a warning departs from it in a way real DMSs accept. exit codes: 0 no
errors (warnings allowed unless --strict), 1 errors found (or warnings with
--strict), 2 usage or input error, or a capture without any DMS message, 3 tshark
missing for a pcap/pcapng file. defaults: --port {DMS_PORT}, --base-path {BASE_PATH}."""

DEFAULTS: dict[str, Any] = {"protocol": DEFAULT_VERSION, "format": "text", "max_examples": 5,
                            "port": DMS_PORT, "base_path": BASE_PATH, "strict": False,
                            "list_rules": False}


def add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``validate`` options to ``parser`` (a subcommand parser)."""
    parser.description = "Validate captured DMS traffic against the protocol."
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="capture files: .jsonl, .har, tshark .json, .pcap/.pcapng")
    parser.add_argument("--protocol", default=DEFAULT_VERSION,
                        help=f"protocol version (default {DEFAULT_VERSION}; known: "
                             f"{', '.join(VERSIONS)})")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="report for people (text, default) or machines (json)")
    parser.add_argument("--max-examples", type=int, default=5, metavar="N",
                        help="examples shown per rule (default 5)")
    parser.add_argument("--strict", action="store_true",
                        help="fail (exit 1) on warnings too")
    parser.add_argument("--port", type=int, default=DMS_PORT,
                        help="DMS port for network-capture connections whose WebSocket "
                             f"handshake is not captured (default {DMS_PORT})")
    parser.add_argument("--base-path", default=BASE_PATH, metavar="PATH",
                        help=f"the DMS's URL path in HAR files and network captures "
                             f"(default {BASE_PATH})")
    parser.add_argument("--list-rules", action="store_true",
                        help="list every rule with its severity and where it applies, and exit")


def rules_table(protocol: str) -> str:
    """Every rule: name, severity, where it applies (from the schema), what it checks."""
    where = placements(protocol)
    rows = []
    for r in RULES.values():
        if r.kind == "annotation":
            applies = ", ".join(where.get(r.name, ())) or "nowhere in this version"
        else:
            applies = SCOPES[r.kind]
        rows.append(f"{r.name:<24} {r.severity:<8} {applies}\n    {r.summary}")
    rows.append("JSON Schema keywords (type, required, enum, ...): error, where the "
                f"schema of protocol {protocol} puts them")
    return "\n".join(rows)


def run_validate(args: argparse.Namespace | None = None, *, stdout: TextIO | None = None,
                 stderr: TextIO | None = None, **options: Any) -> int:
    """Validate, print the report, return the exit code.

    Takes the parsed namespace, or the same options as keywords
    (``run_validate(files=["a.jsonl"], format="json")``).
    """
    values = dict(DEFAULTS)
    if args is not None:
        values.update(vars(args))
    values.update(options)
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    if values["list_rules"]:
        try:
            out.write(rules_table(str(values["protocol"])) + "\n")
        except UnknownVersionError as exc:
            print(f"dmsproto validate: error: {exc}", file=err)
            return EXIT_INPUT
        return EXIT_CLEAN
    files = values.get("files") or []
    if not files:
        print("dmsproto validate: error: no capture files given", file=err)
        return EXIT_INPUT
    if int(values["max_examples"]) < 0:
        print("dmsproto validate: error: --max-examples must be 0 or more", file=err)
        return EXIT_INPUT
    bar = ProgressBar(err)
    try:
        report = validate_files(files, protocol=str(values["protocol"]),
                                max_examples=int(values["max_examples"]),
                                port=int(values["port"]), base_path=str(values["base_path"]),
                                progress=bar.capture if bar.enabled else None)
    except TsharkMissing as exc:
        print(f"dmsproto validate: error: {exc}", file=err)
        return EXIT_NO_TSHARK
    except (CaptureError, UnknownVersionError) as exc:
        print(f"dmsproto validate: error: {exc}", file=err)
        return EXIT_INPUT
    finally:
        bar.close()
    out.write((report.to_json() if values["format"] == "json" else report.to_text()) + "\n")
    if report.empty_files:
        print(f"dmsproto validate: error: no DMS messages in {', '.join(report.empty_files)} "
              f"(HAR: entries to {values['base_path']}; network captures: WebSocket "
              f"connections to {values['base_path']}, or port {values['port']} without a "
              "handshake; see --base-path and --port)", file=err)
        return EXIT_INPUT
    return EXIT_CLEAN if report.passed(strict=bool(values["strict"])) else EXIT_VIOLATIONS


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m dmsproto.capture.cli``)."""
    parser = argparse.ArgumentParser(prog="dmsproto validate")
    add_validate_arguments(parser)
    return run_validate(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["EXIT_CLEAN", "EXIT_INPUT", "EXIT_NO_TSHARK", "EXIT_VIOLATIONS",
           "add_validate_arguments", "main", "rules_table", "run_validate"]
