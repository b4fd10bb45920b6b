"""The older client as a baseline: its own virtualenv, and running it in a subprocess.

visitoolkit-connector 0.1.2 (PyPI, GPL) is installed with ``python -m venv`` +
pip into ``$XDG_CACHE_HOME/dmsproto-bench/legacy-venv`` (default ``~/.cache``),
never into the project's environment: its dependency websocket-client-py3
installs a top-level module ``websocket`` that clashes with websocket-client.
A marker file records a finished install, so a half-made venv is rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PACKAGE = "visitoolkit-connector==0.1.2"
NAME = "visitoolkit-connector 0.1.2"
SCRIPT = Path(__file__).resolve().parent / "_legacy_client.py"


def venv_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "dmsproto-bench" / "legacy-venv"


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(create: bool) -> tuple[Path | None, str]:
    """The legacy venv's python, or ``None`` and why not (``create=False``: do not build)."""
    venv = venv_dir()
    marker = venv / ".dmsproto-bench-ok"
    if marker.exists() and _python(venv).exists():
        return _python(venv), ""
    if not create:
        return None, "legacy venv not built yet (skipped in quick mode; a full run builds it)"
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    print(f"# creating {venv} and installing {PACKAGE} ...", file=sys.stderr, flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                       capture_output=True, timeout=300)
        subprocess.run([str(_python(venv)), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", PACKAGE],
                       check=True, capture_output=True, timeout=600)
        subprocess.run([str(_python(venv)), "-c", "import visitoolkit_connector.connector"],
                       check=True, capture_output=True, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = ""
        if isinstance(exc, subprocess.CalledProcessError):
            lines = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            detail = f": {lines[-1][:120]}" if lines else ""
        shutil.rmtree(venv, ignore_errors=True)
        return None, f"could not install {PACKAGE} (no network?){detail}"
    marker.write_text(PACKAGE + "\n")
    return _python(venv), ""


def run_legacy(python: Path, url: str, path: str, sequential: int, threads: int,
               per_thread: int, timeout: float = 600.0) -> dict[str, Any]:
    """Run the legacy client against ``url``; its measured figures (or ``{"error": ...}``)."""
    parts = urlsplit(url)
    args = [str(python), str(SCRIPT), parts.hostname or "127.0.0.1", str(parts.port),
            path, str(sequential), str(threads), str(per_thread)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"error": f"timed out after {timeout:.0f} s"}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (err.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {proc.returncode}: {tail[:160]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result
