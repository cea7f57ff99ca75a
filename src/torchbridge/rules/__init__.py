"""Rule discovery: every ``Rule`` subclass with a code, in any module below this package."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache

from ..diagnostics.contract import ContractEntry, collected
from .base import (
    CATEGORIES,
    DOC_SECTIONS,
    Invalid,
    Rule,
    RuleContext,
    RuleOptions,
    Valid,
)

__all__ = ["CATEGORIES", "DOC_SECTIONS", "Invalid", "Rule", "RuleContext", "RuleOptions", "Valid", "all_rules", "contract_entries", "rule_by_code"]


@cache
def all_rules() -> tuple[type[Rule], ...]:
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
    return collected(rule.contract for rule in all_rules())
