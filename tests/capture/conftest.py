"""Capture fixtures: where they are, and the exact findings the broken session must give."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


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
