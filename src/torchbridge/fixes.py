"""What a rule attaches to a finding: a fix, as edits anchored on nodes, resolved to text.

A rule builds edits against the nodes it looks at (``replace(node, "as_tensor")``,
``insert_after(arg, ".copy()")``); the engine resolves them to text offsets once positions
are known, only for files with findings. Edits are text, not trees: whatever lies outside
them (formatting, comments, newline style) stays byte for byte, and two fixes that make
the same edit (the same import, the same inserted statement) can be applied together.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst._position import CodeRange

from .contract import ContractEntry


@dataclass(frozen=True)
class Anchor:
    node: cst.CSTNode
    side: str  # "start", "end", or "next-line": the start of the line after the node ends


@dataclass(frozen=True)
class NodeEdit:
    start: Anchor
    end: Anchor
    content: str  # "\n" in it becomes the file's newline


def replace(node: cst.CSTNode, content: str) -> NodeEdit:
    return NodeEdit(Anchor(node, "start"), Anchor(node, "end"), content)


def insert_before(node: cst.CSTNode, content: str) -> NodeEdit:
    return NodeEdit(Anchor(node, "start"), Anchor(node, "start"), content)


def insert_after(node: cst.CSTNode, content: str) -> NodeEdit:
    return NodeEdit(Anchor(node, "end"), Anchor(node, "end"), content)


def replace_span(first: Anchor, last: Anchor, content: str) -> NodeEdit:
    return NodeEdit(first, last, content)


def insert_line_after(statement: cst.CSTNode, line: str) -> NodeEdit:
    """A new line after ``statement``'s last line (after its trailing comment)."""
    anchor = Anchor(statement, "next-line")
    return NodeEdit(anchor, anchor, line + "\n")


def insert_line_before(statement: cst.CSTNode, line: str) -> NodeEdit:
    """A new line where ``statement`` starts (a module-level statement starts its line)."""
    return insert_before(statement, line + "\n")


@dataclass(frozen=True)
class FixSpec:
    """A fix as a rule states it: the contract entry it meets, and its edits."""

    entry: ContractEntry
    edits: tuple[NodeEdit, ...]
    title: str | None = None  # the entry's title unless given

    def anchors(self) -> list[cst.CSTNode]:
        return [a.node for edit in self.edits for a in (edit.start, edit.end)]


@dataclass(frozen=True, order=True)
class Edit:
    """One text edit: ``content`` replaces ``text[start:end]`` (offsets in code points)."""

    start: int
    end: int
    content: str
    line: int = 0  # 1-based, columns in code points, like findings
    column: int = 0
    end_line: int = 0
    end_column: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "location": {"line": self.line, "column": self.column},
            "end_location": {"line": self.end_line, "column": self.end_column},
        }


@dataclass(frozen=True)
class Fix:
    title: str
    entry: ContractEntry
    edits: tuple[Edit, ...]

    @property
    def applicability(self) -> str:
        return self.entry.applicability

    def applies(self, unsafe: bool) -> bool:
        return bool(self.edits) and (self.applicability == "safe" or (unsafe and self.applicability == "unsafe"))

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

    def __init__(self, lines: list[str], newline: str) -> None:
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


def resolve(spec: FixSpec, positions: Mapping[cst.CSTNode, CodeRange], index: TextIndex) -> Fix | None:
    """The fix's edits as text; None when a node's position is unknown (it never should be)."""
    edits = []
    for edit in spec.edits:
        start = _offset(edit.start, positions, index)
        end = _offset(edit.end, positions, index)
        if start is None or end is None or end < start:
            return None
        content = edit.content.replace("\n", index.newline)
        if edit.start.side == "next-line" and start == index.length and not index.ends_with_newline:
            # After the last line of a file without a final newline: start a line, add none.
            content = index.newline + content[: -len(index.newline)]
        line, column = index.position(start)
        end_line, end_column = index.position(end)
        edits.append(Edit(start, end, content, line, column, end_line, end_column))
    return Fix(spec.title or spec.entry.title, spec.entry, tuple(edits))


def _offset(anchor: Anchor, positions: Mapping[cst.CSTNode, CodeRange], index: TextIndex) -> int | None:
    where = positions.get(anchor.node)
    if where is None:
        return None
    if anchor.side == "start":
        return index.offset(where.start.line, where.start.column)
    if anchor.side == "end":
        return index.offset(where.end.line, where.end.column)
    return index.offset(where.end.line + 1, 0)


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


# Expressions a trailer (``.copy()``) binds to as a whole, without parentheses.
_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Tuple, cst.Dict, cst.Set)


def append_method(expr: cst.BaseExpression, call: str) -> tuple[NodeEdit, ...]:
    """Edits that call ``call`` (``"copy()"``) on ``expr``, parenthesizing it when needed.

    A node's range excludes its own parentheses, so ``(a + b)`` is wrapped again:
    ``((a + b).copy())``, which is still right."""
    if isinstance(expr, _ATOMS):
        return (insert_after(expr, f".{call}"),)
    return insert_before(expr, "("), insert_after(expr, f").{call}")


def wrap_call(expr: cst.BaseExpression, function: str) -> tuple[NodeEdit, ...]:
    """Edits that pass ``expr`` to ``function``: ``f(expr)``."""
    return insert_before(expr, f"{function}("), insert_after(expr, ")")
