"""Developer sessions, one per check CI runs, and the long ones CI samples.

Tests, lint, typecheck, codegen (``-- --check``), docs, fuzz, bench, mutants (mutation
testing) and coverage (with subprocesses).
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "codegen_check", "docs"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff over everything hand-written."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy: strict on hand-written code (see pyproject.toml)."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session(python=PYTHON)
def codegen(session: nox.Session) -> None:
    """Regenerate dmsproto/_generated from schema/ (``-- --check`` to verify only)."""
    session.install("-e", ".[codegen]")
    session.run("python", "-m", "codegen", *session.posargs)


@nox.session(python=PYTHON)
def codegen_check(session: nox.Session) -> None:
    """Fail when the committed generated code is stale."""
    session.install("-e", ".[codegen]")
    session.run("python", "-m", "codegen", "--check")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ with --strict (``-- serve`` to preview)."""
    session.install("-e", ".[docs]")
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    if session.posargs[:1] == ["serve"]:
        session.run("python", "-m", "mkdocs", "serve", "--strict", *session.posargs[1:])
    else:
        session.run("python", "-m", "mkdocs", "build", "--strict", *session.posargs)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """Long fuzzing (DMSPROTO_FUZZ=long) of the client's receive path and the simulator."""
    session.install("-e", ".[test]")
    session.env["DMSPROTO_FUZZ"] = "long"
    # a long run: more than the two minutes pyproject.toml allows one test
    session.run("python", "-m", "pytest", "--timeout=3600", "tests/protocol/test_receive_fuzz.py",
                "tests/protocol/test_frame_triage.py", "tests/sim/test_fuzz.py", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks with ratios to baselines measured in the same run (``-- --quick``)."""
    session.install("-e", ".[dev]")  # dev: websockets for the asyncio comparison rows
    session.run("python", "-m", "bench", *session.posargs)


MUTMUT = "mutmut==3.8.1"


@nox.session(python=PYTHON)
def mutants(session: nox.Session) -> None:
    """Mutation testing of the hand-written core (``[tool.mutmut]`` in pyproject.toml).

    ``nox -s mutants`` runs every mutant of the listed modules (about an hour on two
    cores) and lists the survivors; ``nox -s mutants -- "dmsproto.cli.exits.*"`` runs
    only the mutants whose names match. Survivors are explained in
    docs/guide/testing.md, equivalent or killed by a named test.
    """
    session.install("-e", ".[test]", MUTMUT)
    session.run("mutmut", "run", "--max-children", "2", *session.posargs)
    session.run("mutmut", "results")


@nox.session(python=PYTHON)
def coverage(session: nox.Session) -> None:
    """The test suite with line coverage of every Python process it starts.

    Coverage's start-up hook (installed with it) measures each process that sees
    ``COVERAGE_PROCESS_START``: pytest itself and every ``dmsproto`` command, server or
    script the tests run as a subprocess.
    """
    session.install("-e", ".[test]", "coverage>=7.10")
    session.run("coverage", "erase")
    session.run("python", "-m", "pytest", *session.posargs,
                env={"COVERAGE_PROCESS_START": str(Path.cwd() / "pyproject.toml"),
                     "COVERAGE_FILE": str(Path.cwd() / ".coverage")})
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report")
