"""Validate DMS frames against their version's schema and the named rules.

``validate(message, direction=..., protocol=...)`` returns every
:class:`Violation` (errors and warnings); :data:`RULES` lists each named rule
with its severity; :func:`placements` says where the schema applies each
annotation rule.  See :mod:`dmsproto.validation.rules` for the rule kinds.
"""

from __future__ import annotations

from .frame import placements, validate
from .model import SEVERITIES, Severity, Violation, pointer_of
from .paths import Element, array_elements
from .regex import pcre_error
from .rules import RULES, Rule, rule
from .stamps import parse_iso8601

__all__ = ["RULES", "SEVERITIES", "Element", "Rule", "Severity", "Violation", "array_elements",
           "parse_iso8601", "pcre_error", "placements", "pointer_of", "rule", "validate"]
