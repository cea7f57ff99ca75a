"""Findings under their file's name, one indented line each (``line:col CODE [*] message``),
then the summary."""

from __future__ import annotations

from typing import TextIO

from ..diagnostics.contract import Applicability
from ..diagnostics.filenames import for_text
from .report import Report, by_file, fixable, label, write_footer


def render(report: Report, stream: TextIO) -> None:
    style = report.style
    for filename, findings in by_file(report.findings).items():
        stream.write(style.path(for_text(filename)) + ":\n")
        width = max(len(f.position) for f in findings)
        for f in findings:
            marker = " " + style.fixable("[*]") if fixable(f, report.unsafe) else ""
            stream.write(f"  {f.position.ljust(width)} {style.code(label(f))}{marker} {f.message}\n")
            if f.fix is not None and f.fix.applicability is Applicability.DISPLAY:
                stream.write(f"  {' ' * width} help: {f.fix.title}\n")
        stream.write("\n")
    write_footer(report, stream)
