"""What a fix is once positions are known: text edits, resolved from a rule's node edits.

Kept apart from ``diagnostics.fix`` (edits anchored on LibCST nodes) so that cached findings,
output formats and the fixer's text work never load LibCST.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from .contract import Applicability, ContractEntry


@dataclass(frozen=True)
class Edit:
    """One text edit: ``content`` replaces ``text[start:end]`` (offsets in code points)."""

    start: int
    end: int
    content: str
    line: int = 0  # 1-based, columns in code points, like findings
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    cell: int | None = None  # in a notebook: the cell ``line`` counts in
    # The source each anchor node must occupy, as (start, end, LibCST's code for it): the
    # fixer refuses an edit whose nodes are not where its offsets say (``misplaced``).
    expects: tuple[tuple[int, int, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        cell = {"cell": self.cell} if self.cell is not None else {}
        return {
            "content": self.content,
            "location": {**cell, "line": self.line, "column": self.column},
            "end_location": {**cell, "line": self.end_line, "column": self.end_column},
        }


@dataclass(frozen=True)
class ProbeText:
    """A probe as text: the two snippets (holes replaced by their names), and the rest."""

    original: str
    fixed: str
    holes: tuple[tuple[str, str, tuple[tuple[str, Any], ...]], ...]  # (name, role, facts)
    use: str
    prelude: tuple[str, ...]  # statements run first on both sides
    fixed_prelude: tuple[str, ...]  # statements the fix inserts, run first on the fixed side
    names: tuple[tuple[str, str], ...]  # (local name, qualified name) on both sides
    hole_sources: tuple[str, ...] = ()  # each hole's own text, where it is a plain name


@dataclass(frozen=True)
class Fix:
    title: str
    entry: ContractEntry
    edits: tuple[Edit, ...]
    probe: ProbeText | None = None

    @property
    def applicability(self) -> Applicability:
        return self.entry.applicability

    def applies(self, unsafe: bool) -> bool:
        return bool(self.edits) and (
            self.applicability is Applicability.SAFE or (unsafe and self.applicability is Applicability.UNSAFE)
        )

    def expectation(self) -> dict[str, Any]:
        return {
            "verdicts": dict(self.entry.expect),
            "allowed_differences": list(self.entry.allowed),
            "expected_differences": list(self.entry.differs),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "applicability": self.applicability,
            "title": self.title,
            "contract": self.entry.key,
            "expect": self.expectation(),
            "edits": [edit.to_json() for edit in self.edits],
        }


class TextIndex:
    """Turns (line, column) positions into offsets in one text, and back."""

    def __init__(self, lines: list[str], newline: str, text: str | None = None) -> None:
        self.text = text
        self.starts = [0]
        for line in lines:
            self.starts.append(self.starts[-1] + len(line))
        self.length = self.starts[-1]
        self.newline = newline
        self.ends_with_newline = bool(lines) and lines[-1].endswith(("\n", "\r"))

    def offset(self, line: int, column: int) -> int:
        if line - 1 >= len(self.starts):
            return self.length
        return min(self.starts[line - 1] + column, self.length)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset."""
        # The end of a text without a final newline is on its last line, not a new one.
        last = len(self.starts) - (1 if self.ends_with_newline or len(self.starts) == 1 else 2)
        line = min(bisect.bisect_right(self.starts, offset) - 1, last)
        return line + 1, offset - self.starts[line] + 1


def misplaced(text: str, edit: Edit) -> bool:
    """Whether an anchor node of ``edit`` is not where the edit's offsets put it in ``text``.

    Whitespace is left out of the comparison: LibCST drops some (a form feed in an
    indentation), and a range shifted by even one character still differs in a token."""
    return any(_squashed(text[start:end]) != _squashed(code) for start, end, code in edit.expects)


def _squashed(text: str) -> str:
    return "".join(text.split())


def apply_edits(text: str, edits: list[Edit]) -> str:
    """``text`` with non-overlapping, sorted edits applied."""
    out, cursor = [], 0
    for edit in edits:
        out.append(text[cursor : edit.start])
        out.append(edit.content)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out)


def compatible(accepted: list[Edit], candidate: tuple[Edit, ...]) -> bool:
    """Whether ``candidate``'s edits can join ``accepted`` ones: none overlaps another, except
    the very same edit (two fixes adding the same import)."""
    for new in candidate:
        for old in accepted:
            if new == old:
                continue
            if new.start < old.end and old.start < new.end:
                return False
            if new.start == old.start and (new.start == new.end or old.start == old.end):
                return False  # two insertions (or an insertion and a replacement) at one point
    return True
