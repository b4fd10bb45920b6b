"""Real third-party clients against ``dmsproto serve``: what they need, installed at test time.

- visitoolkit-connector 0.1.2 from PyPI, in a virtualenv of its own (its dependency
  websocket-client-py3 installs a top-level ``websocket`` module that clashes with
  websocket-client). It is GPL-licensed: the tests only run it, copying nothing.
- ``ws`` 7 from npm (the WebSocket library of the vendor's Node-RED nodes), installed
  into a folder of its own and used by our own small replay client, run with this
  machine's ``node``.

Both are installed once per machine under ``$XDG_CACHE_HOME/dmsproto-tests`` (default
``~/.cache``): built in a temporary folder and renamed into place when complete, so an
interrupted or concurrent install never leaves a broken one. When the registry (or
``node``/``npm``) is unreachable a test that needs them is skipped, with the reason;
when the environment variable ``CI`` is set it fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sim.serve_process import Served, serving

VISITOOLKIT = "visitoolkit-connector==0.1.2"
NODE_WS = "ws@7"
INSTALL_TIMEOUT = 300.0


class Unavailable(Exception):
    """A third-party client could not be installed."""


def cache_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "dmsproto-tests"


def _run(args: list[str], timeout: float, cwd: Path | None = None) -> None:
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=timeout, cwd=cwd,
                       stdin=subprocess.DEVNULL)
    except subprocess.CalledProcessError as exc:
        lines = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise Unavailable(f"{' '.join(args[:3])}... failed: "
                          f"{lines[-1][:200] if lines else 'no output'}") from exc
    except subprocess.TimeoutExpired as exc:
        raise Unavailable(f"{' '.join(args[:3])}... took over {timeout:.0f} s") from exc
    except OSError as exc:
        raise Unavailable(f"{args[0]}: {exc.strerror}") from exc


def _installed(name: str, ready: Path, build: Callable[[Path], None]) -> Path:
    """``cache_dir()/name``, made by ``build(folder)`` once; ``ready`` proves it complete."""
    target = cache_dir() / name
    if (target / ready).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=target.parent))
    try:
        build(building)
        try:
            building.rename(target)
        except OSError:
            if not (target / ready).exists():  # not a concurrent finished build
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


def _build_visitoolkit(folder: Path) -> None:
    _run([sys.executable, "-m", "venv", str(folder)], 120)
    python = str(folder / "bin" / "python")
    _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", VISITOOLKIT],
         INSTALL_TIMEOUT)
    _run([python, "-c", "import visitoolkit_connector.connector"], 60)


def _build_node_ws(folder: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise Unavailable("node and npm are needed")
    _run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(folder),
          NODE_WS], INSTALL_TIMEOUT, cwd=folder)
    _run(["node", "-e", "require('ws')"], 60, cwd=folder)


def _provide(what: str, get: Callable[[], Path]) -> Path:
    try:
        return get()
    except (Unavailable, OSError) as exc:
        message = f"{what} is not available: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def visitoolkit_python() -> Path:
    """The interpreter of a virtualenv with visitoolkit-connector (skip, or fail under CI)."""
    return _provide(VISITOOLKIT, lambda: _installed(
        "visitoolkit-venv", Path("bin/python"), _build_visitoolkit) / "bin" / "python")


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """A ``node_modules`` folder holding ``ws`` 7 (skip, or fail under CI)."""
    return _provide(NODE_WS, lambda: _installed(
        "node-ws7", Path("node_modules/ws/package.json"), _build_node_ws) / "node_modules")


@pytest.fixture(params=["1.4", "1.5"])
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    """``dmsproto serve`` (demo plant, 1 s ticks) as a subprocess, speaking 1.4 and 1.5
    (the field clients were written for 1.4; a DMS they meet may be newer)."""
    with serving(tmp_path, "--tick", "1", "--protocol", request.param) as running:
        yield running
