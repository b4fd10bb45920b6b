"""Options declared once: a ``TypedDict`` whose fields carry ``Annotated[type, Opt(...)]``.

A declaration (``dmsproto.options.ConnectOptions``, ``dmsproto.filters.QueryFilter``,
``dmsproto.sync.SyncOptions``) is the one place where an option's name, type,
default, help text and command-line exposure are written.  Everything else
derives from it:

- the functions that take the options say ``**options: Unpack[ConnectOptions]``,
  so mypy checks the keywords of every call;
- at run time :func:`resolve` fills in the declared defaults, applies the declared
  bounds and refuses an unknown keyword with a ``TypeError``;
- the CLI generates its flags, ``DMSPROTO_*`` environment variables and config
  file keys from the :class:`Cli` part (``dmsproto.cli.flags``);
- :func:`describe` writes the docstring section listing them.

Adding an option is adding one annotated field to the ``TypedDict``.
"""

from __future__ import annotations

import os
import types
from collections.abc import Mapping
from inspect import cleandoc
from typing import (
    Annotated,
    Any,
    Literal,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from msgspec import Struct

T = TypeVar("T")


class Cli(Struct, frozen=True):
    """How the command line offers an option (an option without one is library-only).

    Attributes:
        name: the option's name there: flag ``--<name>``, environment variable
            ``DMSPROTO_<NAME>`` (``-`` as ``_``) and config key ``<name>``; by
            default the option's own name with ``-`` for ``_``.
        metavar: the placeholder of the value in ``--help`` (e.g. ``FILE``).
        switch: for a ``bool`` option, the value a bare flag sets (``--insecure-auth``
            sets ``True``, ``--no-check-hostname`` sets ``False``).
        flag: offered as a command-line flag.
        env: read from the environment variable.
        config: read from the config file.
        help: what it does in the command line's terms, where the declared help
            speaks of Python (an object that may be passed, ``False``, an exception):
            the ``--help`` text and the command-line tables of the docs show this.
            By default the declared help.
    """

    name: str | None = None
    metavar: str | None = None
    switch: bool | None = None
    flag: bool = True
    env: bool = True
    config: bool = True
    help: str | None = None


class Opt(Struct, frozen=True):
    """The declared facts of one option, attached with ``Annotated[type, Opt(...)]``.

    Attributes:
        default: the value when the option is not given.
        help: what it does, in one sentence for people: the CLI's ``--help`` and the
            API docs show this text.
        cli: how the command line offers it; ``None``: not there.
        secret: never shown (``repr``, logs) and never a flag or config key.
        above: a number the value must exceed (``None`` passes when the type allows it).
        at_least: a number the value must reach.
        wire: for a query filter, its attribute in the version's generated ``Query``
            struct (by default the filter's own name).

    Raises:
        ValueError: a secret offered as a flag or config key.
    """

    default: Any
    help: str
    cli: Cli | None = None
    secret: bool = False
    above: float | None = None
    at_least: float | None = None
    wire: str | None = None

    def __post_init__(self) -> None:
        if self.secret and self.cli is not None and (self.cli.flag or self.cli.config):
            raise ValueError("a secret is never a flag or a config key (it would end up in "
                             "shell history or a readable file): give it Cli(flag=False, "
                             "config=False)")


class Declared(Struct, frozen=True):
    """One declared option, read off its declaration (see :func:`declared`).

    Attributes:
        name: the keyword.
        type: its type without the ``Annotated`` wrapper.
        opt: the declared facts.
    """

    name: str
    type: Any
    opt: Opt

    @property
    def members(self) -> tuple[Any, ...]:
        """The members of the type's union (the type itself when it is not one)."""
        return _members(self.type)

    @property
    def optional(self) -> bool:
        """Whether ``None`` is a valid value."""
        return type(None) in self.members

    @property
    def choices(self) -> tuple[str, ...] | None:
        """The strings of a ``Literal`` type (e.g. the shipped protocol versions)."""
        found = [a for m in self.members if get_origin(m) is Literal for a in get_args(m)]
        return tuple(str(a) for a in found) or None

    @property
    def kind(self) -> type[bool] | type[int] | type[float] | type[str]:
        """The scalar the value is written as on the command line or in a config file."""
        members = self.members
        for scalar in (float, int, bool):
            if scalar in members:
                return scalar
        return str

    @property
    def is_path(self) -> bool:
        """Whether the value may be a file path.

        A relative path in a config file is taken relative to that file.
        """
        return any(get_origin(m) is os.PathLike or m is os.PathLike for m in self.members)

    @property
    def cli_name(self) -> str | None:
        """The name on the command line (flag, variable, config key); ``None``: not there."""
        if self.opt.cli is None:
            return None
        return self.opt.cli.name or self.name.replace("_", "-")

    @property
    def cli_help(self) -> str:
        """What the option does, in the command line's terms (``Cli.help`` or the help)."""
        cli = self.opt.cli
        return (cli.help if cli is not None else None) or self.opt.help

    @property
    def wire(self) -> str:
        """The attribute of the generated ``Query`` struct (query filters only)."""
        return self.opt.wire or self.name

    def problem(self, value: Any) -> str | None:
        """Why ``value`` breaks the declared bounds, if it does.

        Args:
            value: the value given for the option.

        Returns:
            The problem in the user's terms (``timeout must be > 0, got -1``), or
            ``None`` when the value is fine.
        """
        opt = self.opt
        if (opt.above is None and opt.at_least is None) or (value is None and self.optional):
            return None
        integer = self.kind is int
        number = isinstance(value, int | float) and not isinstance(value, bool)
        fits = number and (not integer or isinstance(value, int))
        if fits and opt.above is not None:
            fits = value > opt.above
        if fits and opt.at_least is not None:
            fits = value >= opt.at_least
        if fits:
            return None
        bound = f"> {opt.above:g}" if opt.above is not None else f">= {opt.at_least:g}"
        also = " or None" if self.optional else ""
        return f"{self.name} must be {'an int' if integer else 'a number'} {bound}{also}, " \
               f"got {value!r}"


def _members(tp: Any) -> tuple[Any, ...]:
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return get_args(tp)
    return (tp,)


_DECLARED: dict[type[Any], Mapping[str, Declared]] = {}


def declared(declaration: type[Any]) -> Mapping[str, Declared]:
    """The options of a declaration, by keyword, in declaration order.

    Args:
        declaration: a ``TypedDict`` whose every field is ``Annotated[type, Opt(...)]``.

    Returns:
        ``{keyword: Declared}``.

    Raises:
        TypeError: a field without its ``Opt``.
    """
    found = _DECLARED.get(declaration)
    if found is not None:
        return found
    fields: dict[str, Declared] = {}
    for name, hint in get_type_hints(declaration, include_extras=True).items():
        opts = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Opt)]
        if get_origin(hint) is not Annotated or len(opts) != 1:
            raise TypeError(f"{declaration.__name__}.{name} needs Annotated[type, Opt(...)]")
        fields[name] = Declared(name, get_args(hint)[0], opts[0])
    _DECLARED[declaration] = fields
    return fields


def check_names(declaration: type[Any], given: Mapping[str, Any], what: str) -> None:
    """Refuse a keyword the declaration does not have, as Python does for a signature.

    Args:
        declaration: the ``TypedDict`` that declares the keywords.
        given: the keywords of the call.
        what: the callable, for the message (``"connect()"``).

    Raises:
        TypeError: an unknown keyword (with the nearest known one, if any).
    """
    known = declared(declaration)
    for name in given:
        if name not in known:
            import difflib  # a mistake's hint only: not worth loading at start-up

            near = difflib.get_close_matches(name, list(known), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise TypeError(f"{what} got an unexpected keyword argument {name!r}{hint}")


def resolve(
    declaration: type[Any],
    given: Mapping[str, Any],
    *,
    what: str,
    error: type[Exception] = ValueError,
) -> dict[str, Any]:
    """Every declared option's value: the given one, else the declared default.

    Args:
        declaration: the ``TypedDict`` that declares the options.
        given: the keywords of the call.
        what: the callable, for messages (``"connect()"``).
        error: the exception a value outside its declared bounds raises.

    Returns:
        ``{keyword: value}`` for every declared option.

    Raises:
        TypeError: an unknown keyword.
        Exception: ``error``, for a value outside its declared bounds.
    """
    check_names(declaration, given, what)
    values: dict[str, Any] = {}
    for name, option in declared(declaration).items():
        if name in given:
            value = given[name]
            problem = option.problem(value)
            if problem is not None:
                raise error(problem)
            values[name] = value
        else:
            values[name] = option.opt.default
    return values


def pick(given: Mapping[str, Any], declaration: type[T]) -> T:
    """The keywords of ``given`` that ``declaration`` declares, typed as it.

    Args:
        given: keywords of a wider declaration (e.g. ``SyncOptions``).
        declaration: the part wanted (e.g. ``ConnectOptions``).

    Returns:
        A new dictionary with just those keywords.
    """
    known = declared(declaration)
    return cast(T, {k: v for k, v in given.items() if k in known})


def describe(declaration: type[T]) -> type[T]:
    """Complete the declaration's docstring with a Google-style ``Attributes:`` section.

    The section lists every option with its help text and default, so ``help()``
    and generated API docs show what the declaration holds, written once.

    Args:
        declaration: the ``TypedDict``.

    Returns:
        The same class (usable as a decorator).
    """
    lines = [cleandoc(declaration.__doc__ or ""), "", "Attributes:"]
    for name, option in declared(declaration).items():
        default = "" if option.opt.secret else f" (default: {option.opt.default!r})"
        lines.append(f"    {name}: {option.opt.help}{default}")
    declaration.__doc__ = "\n".join(lines).lstrip()
    return declaration


__all__ = ["Cli", "Declared", "Opt", "check_names", "declared", "describe", "pick", "resolve"]
