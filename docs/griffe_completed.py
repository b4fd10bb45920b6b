"""Griffe extension: the docstrings dmsproto completes at import, as the objects carry them.

Griffe reads the source, so a docstring the package completes when a module is
imported would reach the API reference (and ``tests/package/test_docstrings.py``,
which loads the package with this extension) without what was added.  Two kinds
are completed:

- ``ConnectOptions``, ``QueryFilter`` and the other declarations declare each
  option once, with its help text, in ``Annotated[..., Opt(...)]``;
  ``dmsproto.declare.describe()`` adds an ``Attributes:`` section listing them to
  the class docstring.
- The blocking client's calls are documented once, on the async client;
  ``dmsproto.sync._docs.blocking_doc`` gives each blocking method that docstring
  with what blocking changes.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import griffe

#: decorators that set the docstring of the function they decorate
COMPLETING_DECORATORS = {"dmsproto.sync._docs.blocking_doc"}


def _imported(obj: griffe.Object) -> Any:
    """The object itself, from its imported module."""
    found: Any = importlib.import_module(obj.module.path)
    for name in obj.path.removeprefix(obj.module.path).split(".")[1:]:
        found = getattr(found, name)
    return found


def _replace_docstring(obj: griffe.Object, text: str, agent: Any) -> None:
    """Give ``obj`` the docstring ``text``, parsed as the loader parses docstrings."""
    old = obj.docstring
    obj.docstring = griffe.Docstring(
        text,
        lineno=old.lineno if old else obj.lineno,
        endlineno=old.endlineno if old else obj.lineno,
        parent=obj,
        parser=agent.docstring_parser,
        parser_options=agent.docstring_options,
    )


class CompletedDocstrings(griffe.Extension):
    """Replace a docstring dmsproto completes at import by the completed one."""

    def on_class_members(self, *, node: Any, cls: griffe.Class, agent: Any, **kwargs: Any) -> None:
        """Read the completed docstring of a ``TypedDict`` that ``describe()`` completed.

        Args:
            node: the class's syntax node (unused).
            cls: the class griffe has read.
            agent: the visitor or inspector (its docstring parser is used).
            **kwargs: further hook arguments (unused).
        """
        if not cls.path.startswith("dmsproto.") or "TypedDict" not in {
            str(base) for base in cls.bases
        }:
            return
        completed = inspect.cleandoc(_imported(cls).__doc__ or "")
        if cls.docstring is not None and "\nAttributes:\n" in completed:
            _replace_docstring(cls, completed, agent)

    def on_function_instance(
        self, *, node: Any, func: griffe.Function, agent: Any, **kwargs: Any
    ) -> None:
        """Read the docstring a completing decorator gave the function.

        Args:
            node: the function's syntax node (unused).
            func: the function griffe has read.
            agent: the visitor or inspector (its docstring parser is used).
            **kwargs: further hook arguments (unused).
        """
        if any(d.callable_path in COMPLETING_DECORATORS for d in func.decorators):
            _replace_docstring(func, inspect.cleandoc(_imported(func).__doc__ or ""), agent)
