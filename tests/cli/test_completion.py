"""Shell completion generated from the parser: the scripts, and bash completing for real."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dmsproto.cli import build_parser
from tests.support.cli import run, run_many

SUBCOMMANDS = ("get", "ls", "set", "watch", "history", "changelog", "serve", "validate",
               "sites", "users", "completion", "demo")


def complete_in_bash(script: Path, *words: str) -> list[str]:
    """What bash offers for the last of ``words`` (the program name first)."""
    quoted = " ".join(f"'{w}'" for w in words)
    program = (f"source '{script}'; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
               f"COMP_LINE={quoted!r}; COMP_POINT=${{#COMP_LINE}}; _shtab_dmsproto; "
               'printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True,
                          text=True, timeout=20, check=True)
    return done.stdout.split()


def test_scripts_name_every_subcommand_and_flag() -> None:
    bash, zsh, fish, bad = run_many(("completion", "bash"), ("completion", "zsh"),
                                    ("completion", "fish"), ("completion", "tcsh-ish"))
    for result in (bash, zsh, fish):
        assert result.returncode == 0, result.stderr
        for name in SUBCOMMANDS:
            assert name in result.stdout
        for flag in ("start", "has-alarms", "site", "insecure-auth", "wide"):
            written = f"-l {flag}" if result is fish else f"--{flag}"   # fish: -l NAME
            assert written in result.stdout, (flag, result.stdout[:200])
    assert zsh.stdout.startswith("#compdef dmsproto")
    assert "complete -c dmsproto" in fish.stdout
    assert bad.returncode == 2


def test_bash_completes_commands_flags_and_choices(tmp_path: Path) -> None:
    script = tmp_path / "dmsproto.bash"
    script.write_text(run("completion", "bash").stdout, encoding="utf-8")
    assert "history" in complete_in_bash(script, "dmsproto", "hi")
    assert complete_in_bash(script, "dmsproto", "history", "--sta") == ["--start"]
    assert set(complete_in_bash(script, "dmsproto", "history", "P", "--format", "")) == {
        "compact", "detail"}
    assert set(complete_in_bash(script, "dmsproto", "changelog", "")) >= {"groups", "read"}
    (tmp_path / "trend-export.csv").write_text("x")
    offered = complete_in_bash(script, "dmsproto", "history", "P", "--csv",
                               str(tmp_path / "trend-"))
    assert offered == [str(tmp_path / "trend-export.csv")]         # file names for FILE


def test_the_script_follows_the_parser() -> None:
    """A flag added to the parser is in the script: nothing is written by hand."""
    bash = run("completion", "bash").stdout
    parser = build_parser(load_validate=True)
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():  # type: ignore[union-attr]
        assert name in bash
        for action in command._actions:
            for flag in action.option_strings:
                assert flag in bash, (name, flag)
