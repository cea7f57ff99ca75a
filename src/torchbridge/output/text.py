"""``path:line:col: CODE [*] message`` (and ``  help: ...`` for a display-only suggestion),
then a summary, and what ``fix`` could do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from ..finding import Finding


def render(findings: Sequence[Finding], stream: TextIO, *, unsafe: bool = False, fixed: int = 0) -> None:
    """``[*]`` marks a finding whose fix ``torchbridge fix`` would apply (with ``unsafe``,
    ``--unsafe-fixes`` is on); ``fixed`` counts the findings a fix run already fixed."""
    for f in findings:
        label = f.code if f.code is not None else f"{f.name}:"
        marker = " [*]" if f.fix is not None and f.fix.applies(unsafe) else ""
        stream.write(f"{f.filename}:{f.line}:{f.column}: {label}{marker} {f.message}\n")
        if f.fix is not None and f.fix.applicability == "display":
            stream.write(f"  help: {f.fix.title}\n")  # a suggestion no fix run applies
    if fixed:
        stream.write(f"Fixed {_plural(fixed, 'finding')}.\n")
    stream.write(summary(findings) + "\n")
    fixes = fix_summary(findings, unsafe)
    if fixes:
        stream.write(fixes + "\n")


def summary(findings: Sequence[Finding]) -> str:
    problems = [f for f in findings if not f.is_diagnostic]
    unchecked = len({f.filename for f in findings if f.is_diagnostic})
    if not findings:
        return "All checks passed!"
    parts = []
    if problems:
        files = len({f.filename for f in problems})
        parts.append(f"Found {_plural(len(problems), 'finding')} in {_plural(files, 'file')}.")
    if unchecked:
        parts.append(f"{_plural(unchecked, 'file')} could not be checked.")
    return " ".join(parts)


def fix_summary(findings: Sequence[Finding], unsafe: bool) -> str:
    """``[*] 2 fixable with `torchbridge fix` (1 hidden fix can be enabled with `--unsafe-fixes`).``"""
    fixable = sum(1 for f in findings if f.fix is not None and f.fix.applies(unsafe))
    hidden = 0 if unsafe else sum(1 for f in findings if f.fix is not None and f.fix.applies(True) and not f.fix.applies(False))
    command = "`torchbridge fix --unsafe-fixes`" if unsafe else "`torchbridge fix`"
    hint = f" ({_plural(hidden, 'hidden fix', 'hidden fixes')} can be enabled with `--unsafe-fixes`)" if hidden else ""
    if fixable:
        return f"[*] {fixable} fixable with {command}{hint}."
    return f"No fixes available{hint}." if hidden else ""


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"
