r"""Rule ``regex``: query patterns in the DMS's regular-expression dialect.

The document names it (3.2.2): "Perl 5 syntax and semantics ... corresponding the
used library (PCRE in version 8.35)".  Python's ``re`` is another dialect (it
refuses ``\Q...\E``, possessive quantifiers before 3.11, ``(*UTF8)``, ``(?|...)``,
``\p{L}`` and more), so it cannot judge.  No maintained binding of PCRE 8.x
exists; its successor PCRE2 (same Perl 5 syntax) is on PyPI with wheels for every
platform (``pcre2``), so a pattern is compiled by PCRE2, with the few known
differences evened out here, before compiling:

- accepted by PCRE 8.35, refused by PCRE2 or by the binding: ``\C`` (one code
  unit; the binding locks it out) and ``\K`` inside a lookaround (PCRE2 >= 10.38):
  replaced by an equivalent PCRE2 accepts;
- refused by PCRE 8.35, accepted by PCRE2 or by the binding's options: ``\U``,
  ``\u`` (the binding reads them JavaScript-style), ``\N{...}``, the PCRE2-only
  groups ``(*pla:...)``-style alpha assertions and ``(*atomic:...)``, non-atomic
  lookarounds ``(?*...)``/``(?<*...)``, and the options ``n`` and ``^``: reported here.

Not detected (PCRE2 accepts what PCRE 8.35 refused, so a miss, never a false
alarm): variable-length lookbehind (PCRE2 >= 10.43) and PCRE2's newer escapes in
character classes.  ``pcre2`` is imported on first use only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Protocol

from .model import Violation, short
from .rules import found

_PCRE2_ONLY = (
    (re.compile(r"\(\*[a-z_]+:"), "(*name: ...) groups are PCRE2 syntax, not PCRE 8.35"),
    (re.compile(r"\(\?<?\*"), "non-atomic lookarounds (?* ...) are PCRE2 syntax, not PCRE 8.35"),
    (re.compile(r"\(\?\^|\(\?[a-zA-Z]*n[a-zA-Z-]*[:)]"),
     "the options ^ and n are PCRE2 syntax, not PCRE 8.35"),
)


def _adapt(pattern: str) -> tuple[str, str | None]:
    """The pattern as PCRE2 should compile it, or why PCRE 8.35 refuses it."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                stop = n if end < 0 else end + 2
                out.append(pattern[i:stop])
                i = stop
                continue
            if nxt in "Uu" or (nxt == "N" and pattern.startswith("{", i + 2)):
                return pattern, f"PCRE 8.35 does not support \\{nxt} (3.2.2)"
            if not in_class and nxt == "C":
                out.append(".")
            elif not in_class and nxt == "K":
                out.append("(?:)")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                if end >= 0:
                    out.append(pattern[i:end + 2])
                    i = end + 2
                    continue
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            start = i + 1 + (pattern.startswith("^", i + 1))
            if pattern.startswith("]", start):  # a leading ] is literal
                out.append(pattern[i:start + 1])
                i = start + 1
                continue
        elif pattern.startswith("(?#", i):
            end = pattern.find(")", i)
            stop = n if end < 0 else end + 1
            out.append(pattern[i:stop])
            i = stop
            continue
        elif c == "(":
            for rx, why in _PCRE2_ONLY:
                if rx.match(pattern, i):
                    return pattern, why
        out.append(c)
        i += 1
    return "".join(out), None


class Matcher(Protocol):
    """A compiled pattern: what matching a query needs of it."""

    def search(self, text: str) -> object | None:
        """A match of the pattern in ``text``, or ``None``."""
        ...


class PatternRefused(ValueError):
    """PCRE 8.35 refuses the pattern; the message says why."""


@lru_cache(maxsize=1024)
def compile_pcre(pattern: str) -> Matcher:
    """``pattern`` compiled as the DMS compiles it (PCRE 8.35 semantics, via PCRE2).

    Raises:
        PatternRefused: PCRE 8.35 does not accept the pattern (the message says why).
    """
    import pcre2  # first use only: a query pattern is rare in traffic

    adapted, why = _adapt(pattern)
    if why is not None:
        raise PatternRefused(why)
    try:
        compiled: Matcher = pcre2.compile(adapted, jit=False)
    except pcre2.PatternError as exc:
        text = str(exc)
        raise PatternRefused(text.split("; ", 1)[-1] if "; " in text else text) from None
    except (ValueError, TypeError) as exc:  # e.g. NUL characters the binding refuses
        raise PatternRefused(str(exc)) from None
    return compiled


def pcre_error(pattern: str) -> str | None:
    """Why PCRE 8.35 refuses ``pattern``, if it does.

    Args:
        pattern: the query's regular expression.

    Returns:
        The reason in PCRE's words, or ``None`` when the pattern compiles.
    """
    try:
        compile_pcre(pattern)
    except PatternRefused as exc:
        return str(exc)
    return None


def check_regex(value: Any, ptr: str, params: Mapping[str, Any], ctx: Any,
                out: list[Violation]) -> None:
    """Rule ``regex``: a pattern PCRE 8.35 compiles."""
    if type(value) is not str:
        return
    why = pcre_error(value)
    if why is not None:
        out.append(found("regex", ptr, value,
                         f"{short(value)} is not a valid PCRE 8.35 pattern: {why}"))


#: For the fast validator: patterns this simple always compile.
SAFE_REGEX = r"^\^?([A-Za-z0-9_:. -]|\.\*|\.\+)*\$?$"

__all__ = ["SAFE_REGEX", "Matcher", "PatternRefused", "check_regex", "compile_pcre", "pcre_error"]
