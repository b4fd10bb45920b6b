"""A virtualenv with visitoolkit-connector, for tests that run it as a real third-party client.

visitoolkit-connector 0.1.2 (PyPI) is an older thread-based DMS client written
against real DMS servers.  It is GPL-licensed: tests only run it, in its own
process, and copy nothing of it.  It lives in a virtualenv of its own because its
dependency websocket-client-py3 installs a top-level ``websocket`` module that
clashes with websocket-client.

The venv is built once per machine under ``$XDG_CACHE_HOME/dmsproto-tests``
(default ``~/.cache``): made in a temporary folder and renamed into place when
complete, so an interrupted or concurrent build never leaves a broken one.
Without PyPI a test that needs it is skipped, with the reason, unless the
environment variable ``CI`` is set: then it fails.

Use from a conftest: ``from visitoolkit_venv import visitoolkit_python  # noqa: F401``
and take the ``visitoolkit_python`` fixture (the venv's interpreter).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PACKAGE = "visitoolkit-connector==0.1.2"
IMPORT_CHECK = "import visitoolkit_connector.connector"
INSTALL_TIMEOUT = 240.0


class VenvUnavailable(Exception):
    """The venv could not be built (no PyPI, or the package failed to install)."""


def venv_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "dmsproto-tests" / "visitoolkit-venv"


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _run(args: list[str], timeout: float) -> None:
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=timeout)
    except subprocess.CalledProcessError as exc:
        lines = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise VenvUnavailable(f"{' '.join(args[-2:])} failed: "
                              f"{lines[-1][:200] if lines else 'no output'}") from exc
    except subprocess.TimeoutExpired as exc:
        raise VenvUnavailable(f"{' '.join(args[-2:])} took over {timeout:.0f} s") from exc


def ensure_visitoolkit() -> Path:
    """The interpreter of a venv that has visitoolkit-connector, built if needed.

    Raises:
        VenvUnavailable: the venv could not be built.
    """
    venv = venv_dir()
    python = _python(venv)
    if python.exists():
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="building-", dir=venv.parent))
    try:
        _run([sys.executable, "-m", "venv", str(building)], 120)
        _run([str(_python(building)), "-m", "pip", "install", "-q",
              "--disable-pip-version-check", PACKAGE], INSTALL_TIMEOUT)
        _run([str(_python(building)), "-c", IMPORT_CHECK], 60)
        try:
            building.rename(venv)
        except OSError:
            if not python.exists():  # not someone else's finished build: a real failure
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return python


@pytest.fixture(scope="session")
def visitoolkit_python() -> Path:
    """The interpreter of the visitoolkit-connector venv (skip, or fail under ``CI``)."""
    try:
        return ensure_visitoolkit()
    except (VenvUnavailable, OSError) as exc:
        message = f"{PACKAGE} is not available: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
