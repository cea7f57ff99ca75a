"""A JSON array of finding objects; the field names are stable (other tools build on them)."""

from __future__ import annotations

from typing import TextIO

from .json_text import dumps
from .report import Report


def render(report: Report, stream: TextIO) -> None:
    """Each finding's ``fix`` holds its applicability, title, contract expectation and edits.
    A file name with bytes its file-system encoding cannot decode has a ``\\udcXX`` escape
    for each (see ``json_text``)."""
    stream.write(dumps([f.to_json() for f in report.findings], stream, indent=2) + "\n")
