"""What every output format is handed, the small readings of a finding they share, and the footer of the formats people read."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TextIO

from ..diagnostics.filenames import for_text
from ..diagnostics.finding import SYNTAX_ERROR, Finding
from ..rules.catalog import BY_CODE
from .sources import SourceLines, relative_path
from .style import PLAIN, Style


@dataclass
class Report:
    findings: Sequence[Finding]
    unsafe: bool = False  # --unsafe-fixes is on: ``[*]`` marks unsafe fixes too
    fixed: int = 0  # findings a fix run already fixed
    sources: SourceLines = field(default_factory=SourceLines)
    style: Style = PLAIN

    def source_line(self, finding: Finding) -> str | None:
        """The text of the finding's first line (in its cell, in a notebook), where the file
        can be read and the position is one in it."""
        if not has_position(finding):
            return None
        return self.sources.line(finding.filename, finding.line, finding.cell)

    def fingerprints(self) -> list[str]:
        """One fingerprint per finding that survives unrelated edits: a hash of the path,
        the code, the finding's line with its whitespace normalized, and which of the
        identical (path, code, line) findings it is, in source order (a notebook's: cell by
        cell). No line or cell number goes in, so lines or cells inserted or deleted above
        leave it alone. Where the line cannot be read (a vanished file) its place stands in.
        """
        seen: Counter[tuple[str, ...]] = Counter()
        prints = []
        for finding in self.findings:
            text = self.source_line(finding)
            anchor = " ".join(text.split()) if text is not None else f"{finding.position} unread"
            key = (relative_path(finding.filename), finding.code or finding.name, anchor)
            occurrence = seen[key]
            seen[key] += 1
            # surrogateescape: a name that is not UTF-8 hashes as its own bytes
            prints.append(hashlib.sha256("\0".join([*key, str(occurrence)]).encode("utf-8", "surrogateescape")).hexdigest())
        return prints


def has_position(finding: Finding) -> bool:
    """Diagnostics such as ``io-error`` or ``write-error`` are about the whole file and sit
    at 1:1 only because a position is required; those are not shown as places."""
    return not finding.is_diagnostic or finding.name == SYNTAX_ERROR or (finding.line, finding.column) != (1, 1)


def located_message(finding: Finding) -> str:
    """The message, led by the cell and line for a notebook finding, for the formats whose
    positions can only point into the file."""
    cell = finding.cell
    return finding.message if cell is None else f"cell {cell}, line {finding.line}: {finding.message}"


def label(finding: Finding) -> str:
    """The rule code, or a diagnostic's name followed by a colon."""
    return finding.code if finding.code is not None else f"{finding.name}:"


def fixable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and finding.fix.applies(unsafe)


def headline(finding: Finding, report: Report) -> str:
    """``path:line:col: CODE [*] message``: the line the text, concise and full formats share."""
    style = report.style
    marker = " " + style.fixable("[*]") if fixable(finding, report.unsafe) else ""
    where = f"{style.path(for_text(finding.filename))}:{finding.position}:"
    return f"{where} {style.code(label(finding))}{marker} {finding.message}"


class Severity(NamedTuple):
    sarif: str  # result level: error, warning, note
    github: str  # workflow command: error, warning, notice
    gitlab: str  # code quality severity: info, minor, major, critical, blocker
    codeclimate: str  # Code Climate category


# By the rule's class: a crash is an error, portability and speed are warnings, style a note.
SEVERITIES = {
    "correctness": Severity("error", "error", "major", "Bug Risk"),
    "portability": Severity("warning", "warning", "minor", "Compatibility"),
    "performance": Severity("warning", "warning", "minor", "Performance"),
    "style": Severity("note", "notice", "info", "Style"),
}
DIAGNOSTIC = Severity("error", "error", "major", "Bug Risk")  # a file that could not be checked


def severity(finding: Finding) -> Severity:
    rule = BY_CODE.get(finding.code or "")
    return DIAGNOSTIC if rule is None else SEVERITIES.get(rule.category, SEVERITIES["correctness"])


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural_form or word + 's')}"


def by_file(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    """Findings per file, files in the order they first appear."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.filename, []).append(finding)
    return groups


def rule_name(finding: Finding) -> str:
    rule = BY_CODE.get(finding.code or "")
    return rule.name if rule is not None else finding.name


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
