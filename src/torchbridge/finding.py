"""The public result types: a finding, and a diagnostic for a file that could not be checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .filenames import for_text

if TYPE_CHECKING:
    from .fixes import Fix


@dataclass(frozen=True, order=True)
class Finding:
    """One reported problem.

    Lines and columns are 1-based; columns count Unicode code points (Ruff's convention),
    so a finding after ``"é"`` is one column left of where UTF-8 bytes would put it.
    ``end_line``/``end_column`` point just past the reported node.

    A finding whose ``code`` is ``None`` is a *diagnostic*: the file could not be checked
    (``name`` says why: ``syntax-error``, ``decode-error``, ``io-error``, ``too-complex``,
    ``internal-error``).
    """

    filename: str
    line: int
    column: int
    code: str | None
    name: str
    message: str
    end_line: int
    end_column: int
    fix: Fix | None = field(default=None, compare=False)  # as the rule proposes it (``fixes.Fix``)
    cell: int | None = None  # in a notebook: the cell (1-based among all cells), and lines count within it

    @property
    def position(self) -> str:
        """``line:col``, or ``cell N:line:col`` in a notebook."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{cell}{self.line}:{self.column}"

    @property
    def location(self) -> str:
        """``path:line:col``, or ``path:cell N:line:col`` in a notebook, as people read it:
        the path as ``filenames.for_text`` writes it (undecodable bytes and control
        characters as escapes)."""
        return f"{for_text(self.filename)}:{self.position}"

    @property
    def is_diagnostic(self) -> bool:
        return self.code is None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "filename": self.filename,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "fix": self.fix.to_json() if self.fix is not None else None,
            **({"cell": self.cell} if self.cell is not None else {}),
        }


def diagnostic(filename: str, name: str, message: str, line: int = 1, column: int = 1) -> Finding:
    return Finding(filename, line, column, None, name, message, line, column)
