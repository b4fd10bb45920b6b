"""Check a HAR file saved from the browser's developer tools against the specification.

A web visualisation that talks to the DMS shows its WebSocket frames and HTTP POST
bodies in the developer tools (Network tab, "Save all as HAR"). This program validates
every DMS message in such a file, each against the schema of its direction, and across
messages (answers that match no request, events for a subscription that was ended, ...):

    python examples/validate_har.py                      # the sample in examples/data/
    python examples/validate_har.py my-session.har --protocol 1.5

It exits with status 1 when it finds violations, like ``dmsproto validate``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dmsproto.capture import CaptureError, validate_files

SAMPLE = Path(__file__).parent / "data" / "devtools.har"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("har", nargs="?", default=str(SAMPLE), help="the HAR file")
    parser.add_argument("--protocol", default="1.4", help="protocol version (default 1.4)")
    args = parser.parse_args()
    try:
        report = validate_files([args.har], protocol=args.protocol, max_examples=2)
    except CaptureError as exc:  # not a HAR file, or not readable
        print(f"cannot read {args.har}: {exc}", file=sys.stderr)
        return 2
    print(f"{report.messages} DMS messages checked")
    if report.clean:
        print("no violations")
        return 0
    # Each rule with how often it was broken and its first examples; report.to_text()
    # gives the same report as the command line, report.to_json() one for machines.
    for rule, group in sorted(report.rules.items()):
        print(f"{rule}: {group.count}")
        for example in group.examples:
            print(f"    {example.direction or '-'} {example.pointer or '/'}: {example.message}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
