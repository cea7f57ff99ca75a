"""One line per finding, ``path:line:col: CODE [*] message``, and nothing else: no help
lines, no summary, no output at all when nothing is found. For editors' error formats and
grep; the exit code says the rest."""

from __future__ import annotations

from typing import TextIO

from .report import Report, headline


def render(report: Report, stream: TextIO) -> None:
    for f in report.findings:
        stream.write(headline(f, report) + "\n")
