"""The public result types: a finding, and a diagnostic for a file that could not be checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .filenames import for_text

if TYPE_CHECKING:
    from .fix import Fix

# What a diagnostic's ``name`` says: why a file could not be checked, fixed or written.
SYNTAX_ERROR = "syntax-error"
DECODE_ERROR = "decode-error"  # the bytes are not text in the declared encoding (or not a notebook)
IO_ERROR = "io-error"
TOO_COMPLEX = "too-complex"  # LibCST's parser could crash on it, or cannot parse it
TOO_LARGE = "too-large"  # over max-file-size
INTERNAL_ERROR = "internal-error"  # a bug of ours: exit code 2, never cached
FIX_ERROR = "fix-error"  # a fix was refused; the file is unchanged
WRITE_ERROR = "write-error"
NOQA_NOT_ADDED = "noqa-not-added"  # --add-noqa found no place for a comment

BUG_REPORT = "please report it at https://github.com/torchbridge/torchbridge/issues"


@dataclass(frozen=True, order=True)
class Finding:
    """One reported problem.

    Lines and columns are 1-based; columns count Unicode code points (Ruff's convention),
    so a finding after ``"é"`` is one column left of where UTF-8 bytes would put it.
    ``end_line``/``end_column`` point just past the reported node.

    A finding whose ``code`` is ``None`` is a *diagnostic*: the file could not be checked,
    fixed or written (``name`` says why: one of the kinds above).
    """

    filename: str
    line: int
    column: int
    code: str | None
    name: str
    message: str
    end_line: int
    end_column: int
    fix: Fix | None = field(default=None, compare=False)  # as the rule proposes it (``diagnostics.fix.Fix``)
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

    @property
    def is_internal_error(self) -> bool:
        return self.code is None and self.name == INTERNAL_ERROR

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
