"""``path:line:col: CODE [*] message`` (and ``  help: ...`` for a display-only suggestion),
then a summary, and what ``fix`` could do. The default when standard output is not a
terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from ..finding import Finding
from .report import Report, headline, plural


def render(report: Report, stream: TextIO) -> None:
    """``[*]`` marks a finding whose fix ``torchbridge fix`` would apply (with
    ``report.unsafe``, ``--unsafe-fixes`` is on)."""
    for f in report.findings:
        stream.write(headline(f, report) + "\n")
        if f.fix is not None and f.fix.applicability == "display":
            stream.write(f"  help: {f.fix.title}\n")  # a suggestion no fix run applies
    write_footer(report, stream)


def write_footer(report: Report, stream: TextIO) -> None:
    """What a fix run fixed, how many findings in how many files, and what ``fix`` could do."""
    if report.fixed:
        stream.write(f"Fixed {plural(report.fixed, 'finding')}.\n")
    line = summary(report.findings)
    stream.write((report.style.success(line) if not report.findings else line) + "\n")
    fixes = fix_summary(report.findings, report.unsafe)
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
        parts.append(f"Found {plural(len(problems), 'finding')} in {plural(files, 'file')}.")
    if unchecked:
        parts.append(f"{plural(unchecked, 'file')} could not be checked.")
    return " ".join(parts)


def fix_summary(findings: Sequence[Finding], unsafe: bool) -> str:
    """``[*] 2 fixable with `torchbridge fix` (1 hidden fix can be enabled with `--unsafe-fixes`).``"""
    fixable = sum(1 for f in findings if f.fix is not None and f.fix.applies(unsafe))
    hidden = 0 if unsafe else sum(1 for f in findings if f.fix is not None and f.fix.applies(True) and not f.fix.applies(False))
    command = "`torchbridge fix --unsafe-fixes`" if unsafe else "`torchbridge fix`"
    hint = f" ({plural(hidden, 'hidden fix', 'hidden fixes')} can be enabled with `--unsafe-fixes`)" if hidden else ""
    if fixable:
        return f"[*] {fixable} fixable with {command}{hint}."
    return f"No fixes available{hint}." if hidden else ""
