"""GitHub Actions workflow commands, which GitHub shows as annotations on the pull request::

    ::warning title=TNP101,file=a.py,line=5,col=10,endLine=5,endColumn=22::`x` is an ndarray...

The level follows the rule's class (correctness: error; portability, performance: warning;
style: notice); a file that could not be checked is an error titled with the diagnostic's
name. Columns are given only for a finding on one line, as GitHub's annotations require.
"""

from __future__ import annotations

from typing import TextIO

from ..diagnostics.filenames import decodable
from ..diagnostics.finding import Finding
from .report import Report, has_position, located_message, severity
from .sources import relative_path


def render(report: Report, stream: TextIO) -> None:
    for f in report.findings:
        stream.write(command(f) + "\n")


def command(finding: Finding) -> str:
    # GitHub reads commands as UTF-8: undecodable bytes can only be shown, as \xNN.
    properties = {"title": finding.code or finding.name, "file": decodable(relative_path(finding.filename))}
    if has_position(finding) and finding.cell is None:  # a cell's line is not a line of the .ipynb file
        properties["line"] = str(finding.line)
        if finding.end_line == finding.line:
            properties["col"] = str(finding.column)
        properties["endLine"] = str(finding.end_line)
        if finding.end_line == finding.line and finding.end_column > finding.column:
            properties["endColumn"] = str(finding.end_column)
    listed = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{severity(finding).github} {listed}::{escape_data(located_message(finding))}"


def escape_data(text: str) -> str:
    """A message: ``%`` first (it introduces the escapes), then the line breaks that would
    end the command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as a message, and ``:`` and ``,``, which end a value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
