"""Real third-party clients for tests, installed at test time: visitoolkit-connector from
PyPI in a virtualenv of its own, and ``ws`` 7 from npm; and a web browser, Debian's
Chromium, which the machine has to have (``.ci/run`` installs it with apt).

visitoolkit-connector 0.1.2 (PyPI) is an older thread-based DMS client written
against real DMS servers.  It is GPL-licensed: tests only run it, in its own
process, and copy nothing of it.  It lives in a virtualenv of its own because its
dependency websocket-client-py3 installs a top-level ``websocket`` module that
clashes with websocket-client.  ``ws`` 7 is the WebSocket library of the vendor's
Node-RED nodes (which are not on npm themselves); tests drive it with our own client
under this machine's ``node``.

Each is installed once per machine under ``$XDG_CACHE_HOME/dmsproto-tests``
(default ``~/.cache``): made in a temporary folder and renamed into place when
complete, so an interrupted or concurrent build never leaves a broken one.
Without the registry (or without ``node`` and ``npm``) a test that needs it is
skipped, with the reason, unless the environment variable ``CI`` is set: then it
fails.

Chromium and NSS's ``certutil`` (Debian packages ``chromium`` and ``libnss3-tools``)
need root to install, so tests only look for them: without them a test that needs
them is skipped, naming the packages, or fails when ``CI`` is set.

The root conftest loads this module as a pytest plugin, so every test can ask for
the ``visitoolkit_python`` fixture (the venv's interpreter), ``node_ws_modules``
(a ``node_modules`` folder holding ``ws``), ``chromium`` (the browser's command) or
``certutil`` (to make that browser trust a CA, see ``tests/support/browser.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

PACKAGE = "visitoolkit-connector==0.1.2"
IMPORT_CHECK = "import visitoolkit_connector.connector"
NODE_WS = "ws@7"
INSTALL_TIMEOUT = 240.0


class VenvUnavailable(Exception):
    """A client could not be installed (no registry, or the install failed)."""


def cache_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "dmsproto-tests"


def venv_dir() -> Path:
    return cache_dir() / "visitoolkit-venv"


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _run(args: list[str], timeout: float, cwd: Path | None = None) -> None:
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=timeout, cwd=cwd,
                       stdin=subprocess.DEVNULL)
    except subprocess.CalledProcessError as exc:
        lines = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise VenvUnavailable(f"{' '.join(args[-2:])} failed: "
                              f"{lines[-1][:200] if lines else 'no output'}") from exc
    except subprocess.TimeoutExpired as exc:
        raise VenvUnavailable(f"{' '.join(args[-2:])} took over {timeout:.0f} s") from exc


def installed_once(target: Path, done: Path, build: Callable[[Path], None]) -> None:
    """Make ``target`` with ``build(folder)`` unless ``done`` (inside it) exists already.

    Raises:
        VenvUnavailable: the build failed.
    """
    if done.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="building-", dir=target.parent))
    try:
        build(building)
        try:
            building.rename(target)
        except OSError:
            if not done.exists():  # not someone else's finished build: a real failure
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _build_venv(folder: Path) -> None:
    _run([sys.executable, "-m", "venv", str(folder)], 120)
    _run([str(_python(folder)), "-m", "pip", "install", "-q",
          "--disable-pip-version-check", PACKAGE], INSTALL_TIMEOUT)
    _run([str(_python(folder)), "-c", IMPORT_CHECK], 60)


def ensure_visitoolkit() -> Path:
    """The interpreter of a venv that has visitoolkit-connector, built if needed.

    Raises:
        VenvUnavailable: the venv could not be built.
    """
    venv = venv_dir()
    installed_once(venv, _python(venv), _build_venv)
    return _python(venv)


def _build_node_ws(folder: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise VenvUnavailable("node and npm are needed")
    _run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(folder),
          NODE_WS], INSTALL_TIMEOUT, cwd=folder)
    _run(["node", "-e", "require('ws')"], 60, cwd=folder)


def ensure_node_ws() -> Path:
    """A ``node_modules`` folder that has ``ws`` 7, installed if needed.

    Raises:
        VenvUnavailable: it could not be installed.
    """
    folder = cache_dir() / "node-ws7"
    installed_once(folder, folder / "node_modules" / "ws" / "package.json", _build_node_ws)
    return folder / "node_modules"


def _command(name: str, package: str) -> Path:
    """The installed command ``name``.

    Raises:
        VenvUnavailable: it is not installed (the message names the Debian package).
    """
    found = shutil.which(name)
    if found is None:
        raise VenvUnavailable(f"{name} is not installed (Debian: apt-get install {package})")
    return Path(found)


def _provided(what: str, ensure: Callable[[], Path]) -> Path:
    """``ensure()``; when that fails, skip with the reason (fail under ``CI``)."""
    try:
        return ensure()
    except (VenvUnavailable, OSError) as exc:
        message = f"{what} is not available: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def visitoolkit_python() -> Path:
    """The interpreter of the visitoolkit-connector venv (skip, or fail under ``CI``)."""
    return _provided(PACKAGE, ensure_visitoolkit)


@pytest.fixture(scope="session")
def node_ws_modules() -> Path:
    """A ``node_modules`` folder holding ``ws`` 7 (skip, or fail under ``CI``)."""
    return _provided(NODE_WS, ensure_node_ws)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The ``chromium`` command (skip, or fail under ``CI``, when it is not installed)."""
    return _provided("Chromium", lambda: _command("chromium", "chromium"))


@pytest.fixture(scope="session")
def certutil() -> Path:
    """NSS's ``certutil`` (skip, or fail under ``CI``, when it is not installed)."""
    return _provided("certutil", lambda: _command("certutil", "libnss3-tools"))
