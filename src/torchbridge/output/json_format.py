"""A JSON array of finding objects; the field names are stable (other tools build on them)."""

from __future__ import annotations

import json
from typing import TextIO

from .report import Report


def render(report: Report, stream: TextIO) -> None:
    """Each finding's ``fix`` holds its applicability, title, contract expectation and edits."""
    json.dump([f.to_json() for f in report.findings], stream, indent=2, ensure_ascii=False)
    stream.write("\n")
