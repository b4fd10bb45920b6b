"""Griffe extension: the declarations' docstrings as ``dmsproto.declare.describe`` completes them.

``ConnectOptions`` and ``QueryFilter`` declare each option once, with its help text, in
``Annotated[..., Opt(...)]``; ``describe()`` adds an ``Attributes:`` section listing them
to the class docstring when the module is imported.  Griffe reads the source, so without
this extension the API reference (and ``tests/package/test_docstrings.py``, which loads
the package with it) would see the docstring without the options.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import griffe


class DescribedDeclarations(griffe.Extension):
    """Replace a declaration's docstring by the one ``describe()`` completed at import."""

    def on_class_members(self, *, node: Any, cls: griffe.Class, agent: Any, **kwargs: Any) -> None:
        """Read the completed docstring of a ``TypedDict`` that ``describe()`` completed.

        Args:
            node: the class's syntax node (unused).
            cls: the class griffe has read.
            agent: the visitor or inspector (unused).
            **kwargs: further hook arguments (unused).
        """
        if not cls.path.startswith("dmsproto.") or "TypedDict" not in {
            str(base) for base in cls.bases
        }:
            return
        module = importlib.import_module(cls.module.path)
        completed = inspect.cleandoc(getattr(module, cls.name).__doc__ or "")
        if cls.docstring is not None and "\nAttributes:\n" in completed:
            cls.docstring = griffe.Docstring(
                completed, lineno=cls.docstring.lineno, endlineno=cls.docstring.endlineno,
                parent=cls, parser=cls.docstring.parser,
                parser_options=cls.docstring.parser_options,
            )
