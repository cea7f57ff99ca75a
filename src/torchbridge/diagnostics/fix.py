"""What a rule attaches to a finding: a fix, as edits anchored on nodes, resolved to text.

A rule builds edits against the nodes it looks at (``replace(node, "as_tensor")``,
``insert_after(arg, ".copy()")``); the engine resolves them to text offsets once positions
are known, only for files with findings (``engine.resolve``). Edits are text, not trees:
whatever lies outside them (formatting, comments, newline style) stays byte for byte, and
two fixes that make the same edit (the same import, the same inserted statement) can be
applied together.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

import libcst as cst

from .contract import Applicability, ContractEntry


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


# In an edit's content: the indentation of the line the edit starts on.
INDENT = "\x00indent\x00"


def insert_statement_before(statement: cst.CSTNode, line: str) -> NodeEdit:
    """A new statement just before ``statement``, at its indentation, in any block."""
    return insert_before(statement, line + "\n" + INDENT)


@dataclass(frozen=True)
class Hole:
    """A part of the probed code the verifier replaces by generated inputs: ``role`` says
    what it may be ("array", "tensor", "receiver": a tensor or a module), ``facts`` what the
    model proved about it (kind, layout, grad, placement) as plain data."""

    node: cst.BaseExpression
    role: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class Probe:
    """What the verifier runs for a fix: ``subject`` before and after the edits that fall
    inside it, with the holes filled by inputs, used as ``use`` says (``"{}"``: as it is;
    ``"torch.zeros(2).to({})"``: as a device), after ``prelude`` (module-level definitions
    the code relies on, such as an existing device variable). ``names`` maps the other free
    names to what they import (``{"th": "torch"}``)."""

    subject: cst.CSTNode
    holes: tuple[Hole, ...] = ()
    use: str = "{}"
    prelude: tuple[cst.CSTNode, ...] = ()
    names: tuple[tuple[str, str], ...] = ()

    def anchors(self) -> list[cst.CSTNode]:
        return [self.subject, *(h.node for h in self.holes), *self.prelude]


@dataclass(frozen=True)
class FixSpec:
    """A fix as a rule states it: the contract entry it meets, its edits, and what the
    verifier runs to prove it (None: not verifiable)."""

    entry: ContractEntry
    edits: tuple[NodeEdit, ...]
    title: str | None = None  # the entry's title unless given
    probe: Probe | None = None

    def anchors(self) -> list[cst.CSTNode]:
        nodes = [a.node for edit in self.edits for a in (edit.start, edit.end)]
        return nodes + (self.probe.anchors() if self.probe is not None else [])


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


# Expressions a trailer (``.copy()``) binds to as a whole, without parentheses. Not a tuple:
# its range excludes its parentheses, and ``a, b`` may have none.
_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Dict, cst.Set)


def needs_parentheses(expr: cst.BaseExpression) -> bool:
    """Whether a trailer (``.copy()``) appended to ``expr`` would bind to only part of it."""
    return not isinstance(expr, _ATOMS)


def append_method(expr: cst.BaseExpression, call: str) -> tuple[NodeEdit, ...]:
    """Edits that call ``call`` (``"copy()"``) on ``expr``, parenthesizing it when needed.

    A node's range excludes its own parentheses, so ``(a + b)`` is wrapped again:
    ``((a + b).copy())``, which is still right."""
    if not needs_parentheses(expr):
        return (insert_after(expr, f".{call}"),)
    return insert_before(expr, "("), insert_after(expr, f").{call}")


def wrap_call(expr: cst.BaseExpression, function: str) -> tuple[NodeEdit, ...]:
    """Edits that pass ``expr`` to ``function``: ``f(expr)``."""
    return insert_before(expr, f"{function}("), insert_after(expr, ")")
