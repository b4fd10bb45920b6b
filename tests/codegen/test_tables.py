"""The docs' tables of declared things are generated from the declarations and fail the
suite when a page is stale; the tables say what the declarations and ``--help`` say.

None of these needs the code generator."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from codegen import tables
from dmsproto.cli import build_parser
from dmsproto.cli.flags import env_name
from dmsproto.declare import declared
from dmsproto.filters import QueryFilter
from dmsproto.options import ConnectOptions
from dmsproto.validation import RULES
from dmsproto.versions import VERSIONS, at_least

PAGE = """# A page

<!-- generated: exit-codes 0 9 -->
stale text
<!-- end generated -->

Prose stays.

<!-- generated: connect-options whois -->
<!-- end generated -->
"""


def _rows(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split(" | ")]
            for line in table.splitlines()[2:]]


def test_the_committed_pages_are_up_to_date() -> None:
    assert tables.stale() == [], "run `python -m codegen.tables`"


def test_the_docs_use_every_table() -> None:
    text = "".join(page.read_text("utf-8") for page in tables.pages())
    used = set(re.findall(r"<!-- generated: ([a-z-]+)", text))
    assert used == set(tables.TABLES)


def test_render_replaces_each_block_and_keeps_the_rest() -> None:
    out = tables.render(PAGE)
    assert "stale text" not in out
    assert "| 0 | success |" in out and "| 9 | an optional extra is missing" in out
    assert "| 2 |" not in out  # only the rows asked for
    assert "| `whois` | `'dmsproto'` | who writes:" in out
    assert out.count("<!-- end generated -->") == 2 and "Prose stays." in out
    assert tables.render(out) == out


def test_a_stale_page_is_found_and_rewritten(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "guide").mkdir(parents=True)
    page = docs / "guide" / "page.md"
    page.write_text(PAGE, "utf-8")
    (docs / "plain.md").write_text("# no blocks\n", "utf-8")
    assert tables.stale(docs) == [page]
    assert tables.write(docs) == [page]
    assert tables.stale(docs) == []
    assert list(tables.pages(docs)) == [page]


def test_check_fails_on_a_stale_committed_page(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(tables.DOCS_DIR / "guide", docs / "guide")
    page = docs / "guide" / "cli.md"
    text = page.read_text("utf-8")
    page.write_text(text.replace("| `--url` |", "| `--uri` |", 1), "utf-8")
    monkeypatch.setattr(tables, "DOCS_DIR", docs)
    monkeypatch.setattr(tables, "ROOT", tmp_path)
    assert tables.main(["--check"]) == 1
    assert tables.main([]) == 0
    assert page.read_text("utf-8") == text
    assert tables.main(["--check"]) == 0


@pytest.mark.parametrize(("page", "problem"), [
    ("<!-- generated: no-such-table -->\n<!-- end generated -->", "no generated table"),
    ("<!-- generated: exit-codes 77 -->\n<!-- end generated -->", "no rows 77"),
    ("<!-- generated: connect-options nope -->\n<!-- end generated -->", "no rows nope"),
    ("<!-- generated: exit-codes -->\nnever closed\n", "without its end comment"),
])
def test_bad_blocks_are_refused(page: str, problem: str) -> None:
    with pytest.raises(tables.TableError, match=problem):
        tables.render(page, "x.md")


def test_the_option_table_has_every_declared_option() -> None:
    rows = _rows(tables.connect_options([]))
    assert [row[0] for row in rows] == [f"`{name}`" for name in declared(ConnectOptions)]
    password = next(row for row in rows if row[0] == "`password`")
    assert password[1] == ""  # a secret shows no default


def test_the_cli_table_is_what_help_offers() -> None:
    connection = next(group for group in build_parser()._action_groups
                      if group.title and group.title.startswith("connection"))
    flags = {action.option_strings[0] for action in connection._group_actions}
    rows = _rows(tables.cli_options([]))
    listed = {row[0].strip("`").split()[0] for row in rows if row[0]}
    assert listed == flags
    variables = {row[1].strip("`") for row in rows if row[1]}
    assert {env_name(o) for o in declared(ConnectOptions).values() if o.opt.cli
            and o.opt.cli.env} <= variables
    assert "DMSPROTO_PASSWORD" in variables and "DMSPROTO_SITE" in variables
    password = next(row for row in rows if "DMSPROTO_PASSWORD" in row[1])
    assert "--insecure-auth" in password[3] and "allow_insecure_auth" not in password[3]


def _from(minimum: str) -> str:
    """The shipped versions from ``minimum`` on, as the tables list them."""
    return ", ".join(v for v in VERSIONS if at_least(v, minimum))


def test_the_filter_table_names_flags_members_and_versions() -> None:
    rows = {row[0].strip("`"): row for row in _rows(tables.query_filters([]))}
    assert list(rows) == list(declared(QueryFilter))
    assert rows["max_depth"][1:4] == ["`--depth`", "`maxDepth`", "all"]
    assert rows["has_changelog"][2:4] == ["`hasChangelog`", _from("1.4")]
    assert rows["has_prot_data"][1:4] == ["", "`hasProtData`", "1.3"]


def test_the_rule_table_has_every_rule_with_its_severity_and_place() -> None:
    rows = {row[0].strip("`"): row for row in _rows(tables.validation_rules([]))}
    assert list(rows) == list(RULES)
    assert all(rows[name][1] == rule.severity for name, rule in RULES.items())
    assert rows["timestamp"][2] == "request, response, event (`x-rules`)"
    assert rows["changelog-groups-item"][2] == f"request (`x-rules`), protocol {_from('1.4')}"
    assert rows["whois"][2] == "across the messages of a connection"
