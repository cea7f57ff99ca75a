"""Rule discovery: every ``Rule`` subclass with a code, in any module below this package.

The rule API (``Rule``, ``RuleContext``...) is loaded on first use, not on import: the
package also holds the light tables the command line starts with (``catalog``,
``options``), and importing those must not load LibCST.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from .catalog import CATEGORIES
from .options import RuleOptions

if TYPE_CHECKING:
    from ..diagnostics.contract import ContractEntry
    from .base import DOC_SECTIONS, Invalid, Rule, RuleContext, Valid

__all__ = ["CATEGORIES", "DOC_SECTIONS", "Invalid", "Rule", "RuleContext", "RuleOptions", "Valid", "all_rules", "contract_entries", "rule_by_code"]

_FROM_BASE = frozenset({"DOC_SECTIONS", "Invalid", "Rule", "RuleContext", "Valid"})


def __getattr__(name: str) -> Any:
    if name in _FROM_BASE:
        return getattr(importlib.import_module(".base", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def all_rules() -> tuple[type[Rule], ...]:
    import pkgutil

    from .base import Rule

    for info in pkgutil.walk_packages(__path__, prefix=__name__ + "."):
        importlib.import_module(info.name)
    found: dict[str, type[Rule]] = {}
    pending = list(Rule.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        code = cls.__dict__.get("code")
        if code is None:
            continue
        if code in found and found[code] is not cls:
            raise RuntimeError(f"two rules claim {code}: {found[code].__name__} and {cls.__name__}")
        found[code] = cls
    return tuple(found[code] for code in sorted(found))


def rule_by_code(code: str) -> type[Rule] | None:
    return next((r for r in all_rules() if r.code == code), None)


@cache
def contract_entries() -> Mapping[str, ContractEntry]:
    """Every rule's contract entries, by key (the shared device entries once)."""
    from ..diagnostics.contract import collected

    return collected(rule.contract for rule in all_rules())
