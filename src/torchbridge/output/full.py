"""Each finding's line, the source line under it with carets beneath the reported code, and
the fix's title; then the summary. The default on a terminal::

    a.py:2:23: TNP301 Hard-coded CUDA device 'cuda' crashes on machines without CUDA; ...
      |
    2 | x = torch.zeros(3).to("cuda")
      |                       ^^^^^^
      = help: Use a device chosen at run time [unsafe fix: needs --unsafe-fixes]
"""

from __future__ import annotations

import unicodedata
from typing import TextIO

from ..diagnostics.contract import Applicability
from ..diagnostics.edits import Fix
from ..diagnostics.finding import Finding
from .report import Report, headline, write_footer

TAB_WIDTH = 4


def render(report: Report, stream: TextIO) -> None:
    style = report.style
    for f in report.findings:
        stream.write(headline(f, report) + "\n")
        line = report.source_line(f)
        gutter = " " * len(str(f.line))
        if line is not None:
            shown, start, width = _underline(f, line)
            bar = style.gutter("|")
            stream.write(f"{gutter} {bar}\n")
            stream.write(f"{style.gutter(str(f.line))} {bar} {shown}".rstrip() + "\n")
            stream.write(f"{gutter} {bar} {' ' * start}{style.caret('^' * width)}\n")
        if f.fix is not None:
            stream.write(f"{gutter} {style.help('= help')}: {f.fix.title} [{_how_applied(f.fix, report.unsafe)}]\n")
        stream.write("\n")
    write_footer(report, stream)


def _how_applied(fix: Fix, unsafe: bool) -> str:
    if fix.applicability is Applicability.SAFE and fix.applies(unsafe):
        return "safe fix"
    if fix.applies(True):
        return "unsafe fix" if unsafe else "unsafe fix: needs --unsafe-fixes"
    return "suggestion only"


def _underline(finding: Finding, line: str) -> tuple[str, int, int]:
    """The line as it is shown, and where the carets start and how many there are, in
    terminal cells: columns count code points, but a tab, a wide character or a combining
    mark does not take one cell."""
    start = min(finding.column, len(line) + 1) - 1
    end = finding.end_column - 1 if finding.end_line == finding.line else len(line.rstrip())
    end = max(start, min(end, len(line)))
    before = _cells(line[:start], 0)
    marked = _cells(line[start:end], _width(before))
    after = _cells(line[end:], _width(before + marked))
    return before + marked + after, _width(before), max(1, _width(marked))


def _cells(text: str, column: int) -> str:
    """``text`` made safe to print from terminal cell ``column`` on: tabs expanded, control
    characters (an escape sequence in a string literal) shown as symbols, never sent."""
    out = []
    for char in text:
        if char == "\t":
            spaces = TAB_WIDTH - column % TAB_WIDTH
            out.append(" " * spaces)
            column += spaces
            continue
        if unicodedata.category(char) == "Cc":
            char = chr(0x2400 + ord(char)) if ord(char) < 0x20 else "\u2421" if ord(char) == 0x7F else "\ufffd"
        out.append(char)
        column += _char_width(char)
    return "".join(out)


def _width(text: str) -> int:
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
