"""Capture tests' shared parts: the fixture folder, tshark, and the validate command."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from dmsproto.capture.cli import add_validate_arguments, run_validate

FIXTURES = Path(__file__).resolve().parents[1] / "capture" / "fixtures"


def require_tshark() -> None:
    """pcap tests need Wireshark's tshark. CI installs it (``.ci/run``) and there a
    missing tshark is a failure; on a developer machine without it they are skipped,
    naming the package to install."""
    import os
    import shutil

    import pytest

    if shutil.which("tshark") is None:
        if os.environ.get("CI"):
            pytest.fail("tshark is not installed, but CI must run the pcap tests")
        pytest.skip("tshark not installed (Debian: apt-get install tshark)")


def cli(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="dmsproto validate")
    add_validate_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    code = run_validate(parser.parse_args(list(argv)), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()
