"""The flake8 plugin (``flake8 --select TNP``): a thin adapter over the engine.

It takes flake8's ``lines`` (editors pipe unsaved buffers through standard input, so the
file is never re-read) and reports exactly what ``torchbridge check`` reports for the same
source, in flake8's 0-based column form. Selection, ignores and ``# noqa`` are flake8's;
rules that are off by default are added to flake8's default ignore list.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from .engine.lint import lint_source
from .rules import all_rules
from .version import __version__

# flake8 needs a code for everything a plugin yields; this one says "torchbridge could not
# check this file" (the CLI reports such files as diagnostics without a code).
NOT_CHECKED_CODE = "TNP999"


class TorchbridgeChecker:
    name = "torchbridge"
    version = __version__

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        # ``tree`` is unused, but flake8 classifies a plugin by its parameters and
        # ``tree`` marks a whole-file checker.
        self.lines = lines
        self.filename = filename

    _options: Any = None

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.extend_default_ignore([r.code for r in all_rules() if not r.default_enabled])

    @classmethod
    def parse_options(cls, options: Any) -> None:
        # Kept by reference and read at run time: flake8's Python API (get_style_guide)
        # sets ``select`` on this object after parse_options has run.
        cls._options = options

    @classmethod
    def rules(cls) -> list[type]:
        """flake8 lets an explicit ``--select TNP`` beat its default ignore list, which would
        turn on every off-by-default rule. torchbridge's rule is that only a selector more
        specific than ``TNP`` (``TNP3``, ``TNP308``) enables one; applying it here makes both
        front ends report the same set for the same selection."""
        options = cls._options
        selectors = [*(getattr(options, "select", None) or ()), *(getattr(options, "extend_select", None) or ())]
        selectors = [s.strip().upper() for s in selectors]
        return [
            r for r in all_rules()
            if r.default_enabled or any(len(s) > len("TNP") and r.code.startswith(s) for s in selectors)
        ]

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        findings = lint_source("".join(self.lines), self.filename, self.rules(), apply_noqa=False)
        for finding in findings:
            if finding.code is None:
                text = f"{NOT_CHECKED_CODE} torchbridge could not check this file ({finding.name}): {finding.message}"
            else:
                text = f"{finding.code} {finding.message}"
            yield finding.line, finding.column - 1, text, type(self)
