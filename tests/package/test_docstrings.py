"""Every public name has a Google-style docstring that documents what the API reference shows.

ruff's pydocstyle rules (``D`` in pyproject.toml) require docstrings and check their
form, but cannot tell whether ``Args:`` names every parameter or whether a function
that returns something says what.  This test reads the package as the API reference
does (griffe, the library under mkdocstrings) and checks every public function,
method, property and class:

- it has a docstring (a class attribute that its base class documents shares that
  documentation, and so do the ``Args:`` and ``Returns:`` of a method that
  overrides a documented one: its own docstring may say only how it differs);
- ``Args:`` names each parameter, and only parameters (a class's constructor
  parameters are documented in the class docstring, as ``Args:``, or as
  ``Attributes:`` or field docstrings of a record class whose fields are its
  parameters);
- ``Returns:`` (``Yields:`` for a generator) says what it gives back, when it
  gives back anything (a function without parameters may say it in a one-line
  docstring: "The protocol version spoken.").

The public API is what each public module exports (its ``__all__``, else its names
without a leading underscore) for every top-level module and package of dmsproto
except the command line (an application: its documentation is its ``--help``), and
every module the API pages render (``::: dmsproto.x`` in docs/reference/api/).
Public module-level constants and aliases need a docstring too: without one the API
reference leaves them out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import griffe

ROOT = Path(__file__).resolve().parents[2]
#: the griffe extension the API reference uses (mkdocs.yml)
EXTENSION = f"{ROOT / 'docs' / 'griffe_declared.py'}:DescribedDeclarations"
API_PAGES = ROOT / "docs" / "reference" / "api"
#: top-level parts of the package that are applications, not APIs
NOT_API = {"cli"}
#: What the clients' constructors and the blocking facade still lack.  The test fails on
#: anything not listed here and on any entry that no longer applies, so the list only
#: shrinks.
CLIENTS_TO_DOCUMENT = frozenset({
    "dmsproto.Client: the class docstring's Args: does not name backend, proto, opts",
    "dmsproto.Client.transport: no docstring",
    "dmsproto.Subscription: the class docstring's Args: does not name client, state, gaps",
    "dmsproto.Subscription.path: no docstring",
    "dmsproto.Subscription.initial: no docstring",
    "dmsproto.sync.CallbackSubscription: the class docstring's Args: does not name loop, dispatcher, path, make, callback, on_gap",  # noqa: E501
    "dmsproto.sync.CallbackSubscription.path: no docstring",
    "dmsproto.sync.CallbackSubscription.tag: no docstring",
    "dmsproto.sync.CallbackSubscription.initial: no docstring",
    "dmsproto.sync.CallbackSubscription.active: no docstring",
    "dmsproto.sync.CallbackSubscription.describe: no docstring",
    "dmsproto.sync.CallbackSubscription.deliver: no docstring",
    "dmsproto.sync.CallbackSubscription.end: no docstring",
    "dmsproto.sync.CallbackSubscription.wait: Args: does not name timeout",
    "dmsproto.sync.CallbackSubscription.wait: returns bool but has no Returns: (or Yields:)",
    "dmsproto.sync.Client: the class docstring's Args: does not name loop, client, callback_queue_size, slow_callback",  # noqa: E501
    "dmsproto.sync.Client.transport: no docstring",
    "dmsproto.sync.Client.closed: no docstring",
    "dmsproto.sync.Client.get: Args: does not name path, ext_infos, tag, timeout",
    "dmsproto.sync.Client.get: returns Point but has no Returns: (or Yields:)",
    "dmsproto.sync.Client.get_many: Args: does not name paths, ext_infos, timeout",
    "dmsproto.sync.Client.get_many: returns list[Point | ItemError] but has no Returns: (or Yields:)",  # noqa: E501
    "dmsproto.sync.Client.set: Args: does not name path, value, type, create, stamp, tag, timeout",
    "dmsproto.sync.Client.set: returns SetResult but has no Returns: (or Yields:)",
    "dmsproto.sync.Client.rename: Args: does not name path, new_path, tag, timeout",
    "dmsproto.sync.Client.rename: returns RenameResult but has no Returns: (or Yields:)",
    "dmsproto.sync.Client.delete: Args: does not name path, recursive, tag, timeout",
    "dmsproto.sync.Client.delete: returns DeleteResult but has no Returns: (or Yields:)",
    "dmsproto.sync.Client.history: Args: does not name path, start, end, interval, format, tag, show_past, show_original, progress, timeout",  # noqa: E501
    "dmsproto.sync.Client.history: returns History | HistoryDetail but has no Returns: (or Yields:)",  # noqa: E501
    "dmsproto.sync.Client.changelog: Args: does not name path, start, end, tag, progress, timeout",
    "dmsproto.sync.Client.changelog: returns list[ChangelogEntry] but has no Returns: (or Yields:)",
    "dmsproto.sync.Client.changelog_groups: Args: does not name timeout",
    "dmsproto.sync.Client.changelog_groups: returns list[str] but has no Returns: (or Yields:)",
    "dmsproto.sync.Client.changelog_read: Args: does not name group, start, end, tag, progress, timeout",  # noqa: E501
    "dmsproto.sync.Client.changelog_read: returns ChangelogReadResult but has no Returns: (or Yields:)",  # noqa: E501
    "dmsproto.sync.Client.batch: Args: does not name ops, tag, timeout",
    "dmsproto.sync.Client.batch: returns list[ItemResult] but has no Returns: (or Yields:)",
    "dmsproto.sync.Subscription: the class docstring's Args: does not name loop, trio_sub, gaps, forget",  # noqa: E501
    "dmsproto.sync.Subscription.path: no docstring",
    "dmsproto.sync.Subscription.closed: no docstring",
    "dmsproto.sync.Subscription.get: Args: does not name timeout",
    "dmsproto.sync.Subscription.get: returns T but has no Returns: (or Yields:)",
    "dmsproto.sync.Subscription.events: Args: does not name timeout",
    "dmsproto.sync.Subscription.events: returns Iterator[T] but has no Returns: (or Yields:)",
    "dmsproto.aio.Client: the class docstring's Args: does not name backend, args",
    "dmsproto.aio.Subscription: the class docstring's Args: does not name client, state, gaps",
})
#: the sections that document a class's fields
FIELD_SECTIONS = (griffe.DocstringSectionKind.parameters, griffe.DocstringSectionKind.attributes)
#: return annotations that give nothing back
NO_VALUE = {"None", "NoReturn", "Never"}
#: sections that say what a function gives back
RESULT_SECTIONS = {
    griffe.DocstringSectionKind.returns,
    griffe.DocstringSectionKind.yields,
}


@cache
def _package() -> griffe.Module:
    loaded = griffe.load(
        "dmsproto",
        search_paths=[str(ROOT)],
        docstring_parser=griffe.Parser.google,
        resolve_aliases=True,
        resolve_external=False,
        extensions=griffe.load_extensions(EXTENSION),
    )
    assert isinstance(loaded, griffe.Module)
    return loaded


def _api_modules() -> list[str]:
    package = _package()
    names = ["dmsproto"] + [
        f"dmsproto.{name}"
        for name, member in package.members.items()
        if isinstance(member, griffe.Module) and not name.startswith("_") and name not in NOT_API
    ]
    for page in sorted(API_PAGES.glob("*.md")):
        for match in re.finditer(r"^::: (dmsproto[\w.]*)", page.read_text(), re.MULTILINE):
            target = package.modules_collection[match.group(1)]
            if isinstance(target, griffe.Module) and target.path not in names:
                names.append(target.path)
    return names


def _target(member: griffe.Object | griffe.Alias) -> griffe.Object | None:
    """The object a name stands for, if dmsproto defines it."""
    try:
        target = member.final_target if isinstance(member, griffe.Alias) else member
    except griffe.AliasResolutionError:
        return None
    return target if target.path.startswith("dmsproto.") else None


def _sections(obj: griffe.Object) -> list[griffe.DocstringSection]:
    return obj.docstring.parse(griffe.Parser.google) if obj.docstring else []


def _documented(obj: griffe.Object, *kinds: griffe.DocstringSectionKind) -> set[str]:
    names: set[str] = set()
    for section in _sections(obj):
        if section.kind in kinds:
            names.update(item.name.lstrip("*") for item in section.value)
    return names


def _parameters(function: griffe.Function) -> list[str]:
    return [p.name for p in function.parameters if p.name not in ("self", "cls")]


def _check_function(function: griffe.Function, name: str) -> Iterator[str]:
    if not function.docstring:
        yield f"{name}: no docstring"
        return
    if "property" in function.labels:
        return
    parameters = _parameters(function)
    documented = _documented(function, griffe.DocstringSectionKind.parameters)
    missing = [p for p in parameters if p not in documented]
    if missing:
        yield f"{name}: Args: does not name {', '.join(missing)}"
    has_var_keyword = any(p.kind is griffe.ParameterKind.var_keyword for p in function.parameters)
    unknown = sorted(documented - set(parameters))
    if unknown and not has_var_keyword:
        yield f"{name}: Args: names {', '.join(unknown)}, which it does not take"
    returns = str(function.returns) if function.returns is not None else "None"
    gives_back = returns not in NO_VALUE and not function.name.startswith("__")
    one_line = "\n" not in function.docstring.value.strip()
    says_what = any(s.kind in RESULT_SECTIONS for s in _sections(function))
    if gives_back and (parameters or not one_line) and not says_what:
        yield f"{name}: returns {returns} but has no Returns: (or Yields:)"


def _check_class(cls: griffe.Class, name: str, seen: set[str]) -> Iterator[str]:
    if not cls.docstring:
        yield f"{name}: no docstring"
    init = cls.all_members.get("__init__")
    init_target = _target(init) if init is not None else None
    if isinstance(init_target, griffe.Function):
        documented = _documented(
            cls, griffe.DocstringSectionKind.parameters, griffe.DocstringSectionKind.attributes
        ) | _documented(init_target, griffe.DocstringSectionKind.parameters)
        owner = init_target.parent
        if isinstance(owner, griffe.Class) and owner is not cls:  # inherited: documented there
            documented |= _documented(owner, *FIELD_SECTIONS)
        missing = [
            p for p in _parameters(init_target)
            if p not in documented and not _has_own_docstring(cls, p)
        ]
        if missing:
            yield f"{name}: the class docstring's Args: does not name {', '.join(missing)}"
    for member_name, member in cls.all_members.items():
        if member_name.startswith("_"):
            continue
        target = _target(member)
        if target is None:  # inherited from outside dmsproto (Exception, msgspec.Struct, ...)
            continue
        if _summary_only(target) and _documented_in_a_base(cls, member_name):
            continue  # an override or a class constant that the base class documents
        yield from _check(target, f"{name}.{member_name}", seen, in_class=cls)


def _has_own_docstring(cls: griffe.Class, attribute: str) -> bool:
    """Whether ``attribute`` is a field with a docstring of its own (a dataclass's)."""
    member = cls.members.get(attribute)
    return isinstance(member, griffe.Attribute) and member.docstring is not None


def _summary_only(obj: griffe.Object) -> bool:
    return all(s.kind is griffe.DocstringSectionKind.text for s in _sections(obj))


def _documented_in_a_base(cls: griffe.Class, member_name: str) -> bool:
    for base in cls.mro():
        if not base.path.startswith("dmsproto."):
            continue
        member = base.members.get(member_name)
        target = _target(member) if member is not None else None
        if (target is not None and target.docstring) or member_name in _documented(
            base, griffe.DocstringSectionKind.attributes
        ):
            return True
    return False


def _check(
    obj: griffe.Object, name: str, seen: set[str], in_class: griffe.Class | None = None
) -> Iterator[str]:
    if obj.path in seen:
        return
    seen.add(obj.path)
    if isinstance(obj, griffe.Function):
        yield from _check_function(obj, name)
    elif isinstance(obj, griffe.Class):
        yield from _check_class(obj, name, seen)
    elif (
        isinstance(obj, griffe.Attribute)
        and not obj.docstring
        # a field listed in its class's Attributes: (or Args:, a dataclass's constructor)
        # is documented there
        and (in_class is None or obj.name not in _documented(in_class, *FIELD_SECTIONS))
    ):
        yield f"{name}: no docstring"


def _exports(module: griffe.Module) -> list[str]:
    if module.exports is not None:
        return [str(name) for name in module.exports]
    return [name for name in module.members if not name.startswith("_")]


def _problems() -> list[str]:
    package = _package()
    seen: set[str] = set()
    problems: list[str] = []
    for module_name in _api_modules():
        module = package.modules_collection[module_name]
        assert isinstance(module, griffe.Module)
        for export in _exports(module):
            member = module.members.get(export)
            assert member is not None, f"{module_name}.__all__ names {export}, which is not there"
            target = _target(member)
            if target is not None and not isinstance(target, griffe.Module):
                problems.extend(_check(target, f"{module_name}.{export}", seen))
    return problems


def test_the_api_modules_include_every_page_of_the_api_reference() -> None:
    modules = _api_modules()
    assert {"dmsproto", "dmsproto.errors", "dmsproto.sim", "dmsproto.sim.limits"} <= set(modules)
    assert "dmsproto.cli" not in modules


def test_every_public_name_documents_its_arguments_and_result() -> None:
    problems = _problems()
    new = [p for p in problems if p not in CLIENTS_TO_DOCUMENT]
    assert not new, f"{len(new)} docstrings to complete:\n" + "\n".join(new)
    done = sorted(CLIENTS_TO_DOCUMENT - set(problems))
    assert not done, "documented now: remove from CLIENTS_TO_DOCUMENT:\n" + "\n".join(done)


def test_the_check_catches_a_missing_argument_and_a_missing_returns() -> None:
    module = griffe.visit(
        "sample",
        Path("sample.py"),
        '''
def documented(a: int, *, b: str) -> int:
    """Add.

    Args:
        a: the first.
        b: the second.

    Returns:
        The sum.
    """

def half(a: int, b: str) -> int:
    """Add.

    Args:
        a: the first.
        c: not a parameter.
    """
''',
        docstring_parser=griffe.Parser.google,
    )
    documented, half = module["documented"], module["half"]
    assert isinstance(documented, griffe.Function) and isinstance(half, griffe.Function)
    assert list(_check_function(documented, "documented")) == []
    assert list(_check_function(half, "half")) == [
        "half: Args: does not name b",
        "half: Args: names c, which it does not take",
        "half: returns int but has no Returns: (or Yields:)",
    ]
