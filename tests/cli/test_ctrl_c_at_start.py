"""Ctrl-C while a command starts (loading trio, msgspec, the generated modules, the
parser) ends it with one line and exit 130, never a traceback.

A person's Ctrl-C lands at a random moment of the first tenth of a second, so a
delay after spawning would hit something different on every machine (and the first
milliseconds belong to the interpreter's own start-up, which prints its own
traceback). Here each run sends the SIGINT itself, from an audit hook, at the start
of its N-th import made by dmsproto code; N is taken across every import the same
command makes when left alone, first to last, for the installed console script and
``python -m dmsproto``; ``demo`` makes its last imports while its own simulator and
client run. Only the imports of the three modules the entry point is made of
(``dmsproto``, ``dmsproto.cli``, ``dmsproto.cli.main``, which import nothing) are left
out: no code of ours runs yet to answer.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from dmsproto.cli import exits
from tests.support.cli import WORKDIR, cli_env

HOOK = '''\
"""Ctrl-C (SIGINT to this process) at the start of the N-th import made by dmsproto code."""
import os
import signal
import sys

ENTRY = {"dmsproto", "dmsproto.cli", "dmsproto.cli.main", "dmsproto.__main__"}
PACKAGE = os.environ["CTRL_C_PACKAGE"] + os.sep
AT = int(os.environ.get("CTRL_C_AT_IMPORT", "-1"))
LOG = os.environ.get("CTRL_C_IMPORT_LOG")
made = 0


def ours(frame):
    while frame is not None:
        if frame.f_code.co_filename.startswith(PACKAGE):
            return True
        frame = frame.f_back
    return False


def hook(event, args):
    global made
    if event != "import" or args[0] in ENTRY or not ours(sys._getframe().f_back):
        return
    made += 1
    if LOG:
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(args[0] + "\\n")
    if made - 1 == AT:  # the KeyboardInterrupt may come before this hook returns
        os.kill(os.getpid(), signal.SIGINT)


sys.addaudithook(hook)
'''

def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SCRIPT = Path(sys.executable).with_name("dmsproto")
CLOSED_URL = f"ws://127.0.0.1:{_closed_port()}/json_data"
COMMANDS = {
    "script --help": [str(SCRIPT), "--help"],
    "script demo": [str(SCRIPT), "demo", "--watch-seconds", "0"],
    "-m get": [sys.executable, "-m", "dmsproto", "get", "System:Time", "--url", CLOSED_URL],
}


@pytest.fixture(scope="module")
def hook_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ctrl-c-hook")
    (folder / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    return folder


def _env(hook_folder: Path, **extra: str) -> dict[str, str]:
    import dmsproto

    env = cli_env(CTRL_C_PACKAGE=str(Path(dmsproto.__file__).parent), **extra)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(hook_folder), os.environ.get("PYTHONPATH", "")) if p)
    return env


def _imports_made(command: list[str], hook_folder: Path) -> list[str]:
    log = hook_folder / f"imports-{os.getpid()}-{abs(hash(tuple(command)))}.txt"
    log.unlink(missing_ok=True)
    done = subprocess.run(command, env=_env(hook_folder, CTRL_C_IMPORT_LOG=str(log)),
                          cwd=WORKDIR, capture_output=True, text=True, timeout=60, check=False)
    return log.read_text(encoding="utf-8").splitlines() if log.is_file() else [done.stderr]


#: imports always among the picks: the heavy libraries, and ``datetime``, whose import
#: interrupted inside msgspec's extension module crashed the process (SIGSEGV)
NOTABLE = ("datetime", "trio", "msgspec", "dmsproto._generated")


def _picks(imports: list[str], spread: int = 10) -> list[int]:
    """The first few imports, the notable ones, the last, and evenly spaced ones between."""
    last = len(imports) - 1
    notable = {imports.index(name) for name in NOTABLE if name in imports}
    return sorted({0, 1, 2, last, *notable, *(i * last // spread for i in range(spread))})


@pytest.mark.parametrize("name", list(COMMANDS))
def test_ctrl_c_at_any_import_of_the_start_is_exit_130_without_traceback(
        name: str, hook_folder: Path) -> None:
    assert SCRIPT.is_file(), "the console script is installed beside the interpreter"
    command = COMMANDS[name]
    imports = _imports_made(command, hook_folder)
    assert len(imports) > 100, imports  # trio, msgspec, the generated modules, the parser
    assert {"trio", "msgspec"} <= set(imports)  # (datetime: unless loaded before, e.g. by coverage)
    picks = _picks(imports)
    processes = [
        subprocess.Popen(command, env=_env(hook_folder, CTRL_C_AT_IMPORT=str(at)), cwd=WORKDIR,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for at in picks]
    ended = [(at, process.communicate(timeout=60)[1], process)
             for at, process in zip(picks, processes, strict=True)]
    for at, err, process in ended:
        code = process.returncode
        where = f"Ctrl-C at import {at} ({imports[at]}) of {name!r}"
        assert "Traceback" not in err, f"{where}:\n{err}"
        assert code == exits.INTERRUPTED, f"{where}: {code}\n{err}"
        assert err.rstrip().endswith("dmsproto: interrupted"), f"{where}:\n{err}"
