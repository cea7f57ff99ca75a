"""Which rules run: codes and prefixes, Ruff-style specificity, off-by-default rules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from ..rules.catalog import CATALOG, RuleInfo

if TYPE_CHECKING:
    from ..rules import Rule

_SELECTOR = re.compile(r"^TNP[0-9]{0,3}$")
ALL = "TNP"


class SelectionError(ValueError):
    pass


def validate_selectors(selectors: Iterable[str], where: str) -> list[str]:
    """Upper-case and check each selector; an unknown code or prefix is an error."""
    known = [rule.code for rule in CATALOG]
    checked = []
    for raw in selectors:
        if not isinstance(raw, str):
            raise SelectionError(f"{where}: expected a rule code or prefix, got {raw!r}")
        selector = raw.strip().upper()
        if not _SELECTOR.match(selector) or not any(code.startswith(selector) for code in known):
            raise SelectionError(f"{where}: unknown rule code or prefix {raw!r}")
        checked.append(selector)
    return checked


@dataclass(frozen=True)
class Selection:
    """``select`` replaces the default set; ``extend_select`` adds to it; ``ignore`` removes.

    When a rule matches selectors on both sides, the longer (more specific) one wins, and
    ``ignore`` wins a tie. A rule that is off by default runs only when a selector more
    specific than ``TNP`` names it (``TNP3``, ``TNP30``, ``TNP308``).
    """

    select: Sequence[str] | None = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()

    def enabled(self, rule: RuleInfo | type[Rule]) -> bool:
        code = rule.code
        chosen = list(self.extend_select)
        if self.select is not None:
            chosen += self.select
        best_select = max((len(s) for s in chosen if code.startswith(s)), default=-1)
        if self.select is None and rule.default_enabled:
            best_select = max(best_select, 0)  # the default set
        if best_select < 0:
            return False
        if not rule.default_enabled and best_select <= len(ALL):
            return False
        best_ignore = max((len(s) for s in self.ignore if code.startswith(s)), default=-1)
        return best_select > best_ignore

    def codes(self) -> tuple[str, ...]:
        """The enabled rules' codes, known without loading a rule."""
        return tuple(rule.code for rule in CATALOG if self.enabled(rule))

    def rules(self) -> tuple[type[Rule], ...]:
        return rules_for_codes(self.codes())


@cache
def rules_for_codes(codes: tuple[str, ...]) -> tuple[type[Rule], ...]:
    """The rule classes of ``codes`` (this loads the rules)."""
    from ..rules import all_rules

    return tuple(rule for rule in all_rules() if rule.code in codes)


def unfixable_codes(fixable: Sequence[str] | None, unfixable: Sequence[str]) -> tuple[str, ...]:
    """The codes whose fixes are never offered (Ruff's ``fixable`` / ``unfixable``): every
    rule is fixable by default; where a code matches both lists the more specific selector
    wins, and ``unfixable`` wins a tie."""
    chosen = list(fixable) if fixable is not None else [ALL]

    def is_fixable(code: str) -> bool:
        best_fixable = max((len(s) for s in chosen if code.startswith(s)), default=-1)
        best_unfixable = max((len(s) for s in unfixable if code.startswith(s)), default=-1)
        return best_fixable > best_unfixable

    return tuple(rule.code for rule in CATALOG if not is_fixable(rule.code))
