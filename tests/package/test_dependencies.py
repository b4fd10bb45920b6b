"""Every third-party module dmsproto imports is declared in pyproject.toml, and back.

The imports are read from the source (``ast``), so a module that only a rarely
used path imports is counted too.  A module imported at module scope must come
from ``[project.dependencies]``; one imported inside a function (an optional
feature such as ``--plot``) may instead come from a feature extra.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dmsproto"
#: extras for developing dmsproto, not features of it
DEVELOPMENT_EXTRAS = {"test", "codegen", "docs", "dev"}
#: packages that are data, never imported (zoneinfo reads tzdata where the OS has no zone files)
DATA_ONLY = {"tzdata"}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match is not None, requirement
    return _normalize(match.group(1))


def _project() -> dict[str, object]:
    project: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def _declared() -> tuple[set[str], set[str]]:
    """(names in [project.dependencies], names in the feature extras)."""
    project = _project()
    required = {_requirement_name(r) for r in project["dependencies"]}  # type: ignore[attr-defined]
    extras: dict[str, list[str]] = project["optional-dependencies"]  # type: ignore[assignment]
    features = {
        _requirement_name(r)
        for name, reqs in extras.items() if name not in DEVELOPMENT_EXTRAS
        for r in reqs
    }
    return required, features


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Top-level names of absolute imports: (at module scope, inside functions)."""
    module_scope: set[str] = set()
    lazy: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            return  # never executed
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            (lazy if in_function else module_scope).add(name.partition(".")[0])
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return module_scope, lazy


def _third_party(names: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and n != "dmsproto"}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    """Module name -> the distribution(s) that provide it (normalized names)."""
    provided = packages_distributions()
    return {m: {_normalize(d) for d in provided.get(m, [m])} for m in modules}


def _scan() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(third-party module -> files), for module-scope and function-local imports."""
    eager: dict[str, set[str]] = {}
    lazy: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        top, inner = _imports(ast.parse(path.read_text(encoding="utf-8")))
        where = str(path.relative_to(ROOT))
        for name in _third_party(top):
            eager.setdefault(name, set()).add(where)
        for name in _third_party(inner):
            lazy.setdefault(name, set()).add(where)
    return eager, lazy


def _undeclared(imports: dict[str, set[str]], declared: set[str]) -> dict[str, list[str]]:
    """The imported modules no declared distribution provides, with the files importing them."""
    provided = _distributions(set(imports))
    return {m: sorted(files) for m, files in imports.items() if not provided[m] & declared}


def test_module_scope_imports_are_required_dependencies() -> None:
    required, _ = _declared()
    eager, _ = _scan()
    missing = _undeclared(eager, required)
    assert not missing, f"imported at module scope but not in [project.dependencies]: {missing}"


def test_function_local_imports_are_declared() -> None:
    required, features = _declared()
    _, lazy = _scan()
    missing = _undeclared(lazy, required | features)
    assert not missing, f"imported but declared nowhere: {missing}"


def test_every_dependency_is_used() -> None:
    required, features = _declared()
    eager, lazy = _scan()
    used = set().union(*_distributions(set(eager) | set(lazy)).values())
    unused = (required | features) - used - DATA_ONLY
    assert not unused, f"declared but never imported by dmsproto: {sorted(unused)}"


def test_tzdata_only_where_the_os_has_no_zone_database() -> None:
    tzdata = [r for r in _project()["dependencies"]  # type: ignore[attr-defined]
              if _requirement_name(r) == "tzdata"]
    assert tzdata, "tzdata must stay declared for Windows"
    assert all("sys_platform == 'win32'" in r for r in tzdata), tzdata


def test_the_scanner_sees_each_kind_of_import() -> None:
    tree = ast.parse(
        "import a.b\nfrom c import d\nfrom . import e\n"
        "if TYPE_CHECKING:\n    import f\n"
        "def g():\n    import h\n"
        "class K:\n    async def m(self):\n        from i.j import k\n"
    )
    assert _imports(tree) == ({"a", "c"}, {"h", "i"})
