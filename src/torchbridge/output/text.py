"""``path:line:col: CODE [*] message`` (and ``  help: ...`` for a display-only suggestion),
then a summary, and what ``fix`` could do. The default when standard output is not a
terminal."""

from __future__ import annotations

from typing import TextIO

from ..diagnostics.contract import Applicability
from .report import Report, headline, write_footer


def render(report: Report, stream: TextIO) -> None:
    """``[*]`` marks a finding whose fix ``torchbridge fix`` would apply (with
    ``report.unsafe``, ``--unsafe-fixes`` is on)."""
    for f in report.findings:
        stream.write(headline(f, report) + "\n")
        if f.fix is not None and f.fix.applicability is Applicability.DISPLAY:
            stream.write(f"  help: {f.fix.title}\n")  # a suggestion no fix run applies
    write_footer(report, stream)
