"""Write the tables of the docs that restate a declaration: options, filters, rules, ...

The connection options (:class:`dmsproto.options.ConnectOptions`), the blocking
facade's own options, the query filters (:class:`dmsproto.filters.QueryFilter`),
the command line's flags, environment variables and config keys, its exit codes
(:mod:`dmsproto.cli.exits`) and the validator's named rules
(:data:`dmsproto.validation.RULES`, placed by the schemas) are each declared once
in the package.  A page
that lists one of them holds a *generated block* instead of a hand-written table::

    <!-- generated: connect-options cafile certfile -->
    | keyword | default | what |
    ...
    <!-- end generated -->

The first comment names the table and, optionally, which of its rows to show.
``python -m codegen.tables`` rewrites every block under ``docs/`` from the
declarations; ``--check`` fails when a committed block differs (a test runs the
same comparison, so a changed declaration with a stale page fails the suite).
``python -m codegen`` does both along with the generated code.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS_DIR = ROOT / "docs"

#: a generated block: its opening comment (table name, optional row names), body, end
BLOCK = re.compile(
    r"(?P<open><!-- generated: (?P<name>[a-z-]+)(?P<args>(?: [a-z0-9_-]+)*) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- end generated -->)",
    re.DOTALL,
)
_OPENING = re.compile(r"<!-- generated:")


class TableError(ValueError):
    """A generated block that names no known table, or rows its table lacks."""


def _cell(text: str) -> str:
    """Text for one Markdown table cell (a ``|`` would end the cell)."""
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`"


def _literal(value: Any) -> str:
    """A default as the Python literal a user would write (``100_000``, ``None``)."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return f"{value:_}"
    return repr(value)


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _chosen(options: dict[str, Any], names: list[str], table: str) -> list[Any]:
    if not names:
        return list(options.values())
    unknown = [n for n in names if n not in options]
    if unknown:
        raise TableError(f"table {table!r} has no rows {', '.join(unknown)}")
    return [options[n] for n in names]


def _keyword_table(declaration: type[Any], names: list[str], table: str) -> str:
    from dmsproto.declare import declared

    rows = []
    for option in _chosen(dict(declared(declaration)), names, table):
        default = "" if option.opt.secret else _code(_literal(option.opt.default))
        rows.append((_code(option.name), default, _cell(option.opt.help)))
    return _table(("keyword", "default", "what"), rows)


def connect_options(names: list[str]) -> str:
    """The keywords of ``connect()`` (both clients), with their defaults."""
    from dmsproto.options import ConnectOptions

    return _keyword_table(ConnectOptions, names, "connect-options")


def callback_options(names: list[str]) -> str:
    """The keywords only ``dmsproto.sync.connect()`` has."""
    from dmsproto.sync import CallbackOptions

    return _keyword_table(CallbackOptions, names, "callback-options")


def query_filters(names: list[str]) -> str:
    """The filters of ``query``/``subscribe``: keyword, flag, DMS member and versions."""
    import msgspec

    from dmsproto.declare import declared
    from dmsproto.filters import QueryFilter
    from dmsproto.versions import VERSIONS, get_version

    members = {
        version: {f.name: f.encode_name
                  for f in msgspec.structs.fields(get_version(version).common.Query)}
        for version in VERSIONS
    }
    rows = []
    for option in _chosen(dict(declared(QueryFilter)), names, "query-filters"):
        flag = f"`--{option.cli_name}`" if option.cli_name else ""
        wire = sorted({m[option.wire] for m in members.values() if option.wire in m})
        having = [v for v in VERSIONS if option.wire in members[v]]
        versions = "all" if len(having) == len(VERSIONS) else ", ".join(having)
        rows.append((_code(option.name), flag, ", ".join(map(_code, wire)), versions,
                     _cell(option.opt.help)))
    return _table(("keyword", "flag of `ls`, `watch`", "DMS member", "protocol", "what"),
                  rows)


def cli_options(names: list[str]) -> str:
    """The command line's connection settings: flag, variable, config key, ``--help`` text."""
    from dmsproto.cli import connection
    from dmsproto.cli.flags import config_key, env_name
    from dmsproto.declare import declared
    from dmsproto.options import ConnectOptions

    parser = argparse.ArgumentParser(add_help=False)
    connection.add_arguments(parser)
    helps = {action.dest: action for action in parser._actions}
    options = {
        name: option
        for declaration in (ConnectOptions, connection.ProfileOptions)
        for name, option in declared(declaration).items()
        if option.opt.cli is not None
    }
    rows = []
    for option in _chosen(options, names, "cli-options"):
        cli = option.opt.cli
        action = helps.get(option.name)
        if action is not None:
            metavar = action.metavar if isinstance(action.metavar, str) else ""
            flag = _code(f"{action.option_strings[0]} {metavar}".strip())
            text = (action.help or "").replace("%%", "%")
        else:  # not a flag (the password): the help in the command line's words
            flag, text = "", connection.cli_wording(option.cli_help)
        rows.append((
            flag,
            _code(env_name(option)) if cli.env else "",
            _code(config_key(option)) if cli.config else "",
            _cell(text),
        ))
    return _table(("flag", "environment", "config key", "what"), rows)


def exit_codes(names: list[str]) -> str:
    """The exit codes of ``dmsproto``, from :mod:`dmsproto.cli.exits`."""
    from dmsproto.cli import exits

    codes = {}
    for line in (exits.__doc__ or "").splitlines():
        code, _, text = line.strip().partition(" ")
        if code.isdigit():
            codes[code] = (code, _cell(text.replace("``", "`")))
    return _table(("code", "meaning"), _chosen(codes, names, "exit-codes"))


def validation_rules(names: list[str]) -> str:
    """The validator's named rules: severity, where they apply, what they check."""
    from dmsproto.validation import RULES, placements
    from dmsproto.validation.rules import SCOPES
    from dmsproto.versions import VERSIONS

    placed = {version: placements(version) for version in VERSIONS}
    rows = []
    for rule in _chosen(dict(RULES), names, "validation-rules"):
        if rule.kind == "annotation":
            having = [v for v in VERSIONS if rule.name in placed[v]]
            kinds = sorted({k for v in having for k in placed[v][rule.name]},
                           key=("request", "response", "event").index)
            where = ", ".join(kinds) + " (`x-rules`)"
            if len(having) < len(VERSIONS):
                where += f", protocol {', '.join(having)}"
        else:
            where = SCOPES[rule.kind]
        rows.append((_code(rule.name), rule.severity, where, _cell(rule.summary)))
    return _table(("rule", "severity", "where", "what"), rows)


TABLES: dict[str, Callable[[list[str]], str]] = {
    "connect-options": connect_options,
    "callback-options": callback_options,
    "query-filters": query_filters,
    "cli-options": cli_options,
    "exit-codes": exit_codes,
    "validation-rules": validation_rules,
}
"""Every table a page may hold, by the name its generated block gives."""


def render(text: str, where: str = "page") -> str:
    """``text`` with every generated block written afresh.

    Args:
        text: a Markdown page.
        where: the page's name, for errors.

    Returns:
        The page with each block's body replaced by its table.

    Raises:
        TableError: a block naming an unknown table or rows, or one left unclosed.
    """
    if len(_OPENING.findall(text)) != len(BLOCK.findall(text)):
        raise TableError(f"{where}: a generated block without its end comment")

    def table(match: re.Match[str]) -> str:
        name = match["name"]
        make = TABLES.get(name)
        if make is None:
            raise TableError(f"{where}: no generated table {name!r} "
                             f"(known: {', '.join(TABLES)})")
        try:
            body = make(match["args"].split())
        except TableError as exc:
            raise TableError(f"{where}: {exc}") from None
        return match["open"] + body + match["close"]

    return BLOCK.sub(table, text)


def pages(docs: Path | None = None) -> Iterator[Path]:
    """The Markdown pages under ``docs`` (default: the docs folder) that hold a generated block."""
    for page in sorted((docs or DOCS_DIR).rglob("*.md")):
        if "<!-- generated:" in page.read_text("utf-8"):
            yield page


def stale(docs: Path | None = None) -> list[Path]:
    """The pages whose generated blocks differ from the declarations."""
    root = docs or DOCS_DIR
    found = []
    for page in pages(root):
        text = page.read_text("utf-8")
        if render(text, str(page.relative_to(root))) != text:
            found.append(page)
    return found


def write(docs: Path | None = None) -> list[Path]:
    """Rewrite every stale page; return the pages written."""
    written = stale(docs)
    for page in written:
        page.write_text(render(page.read_text("utf-8")), "utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with ``--check`` compare) the generated tables of the docs."""
    parser = argparse.ArgumentParser(prog="python -m codegen.tables", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="fail when a generated table in docs/ is stale")
    args = parser.parse_args(argv)
    if args.check:
        behind = stale()
        if behind:
            print("codegen.tables --check: stale tables; run `python -m codegen.tables`:",
                  file=sys.stderr)
            for page in behind:
                print(f"  {page.relative_to(ROOT)}", file=sys.stderr)
            return 1
        print("codegen.tables --check: the tables in docs/ are up to date")
        return 0
    for page in write():
        print(f"codegen.tables: wrote {page.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
