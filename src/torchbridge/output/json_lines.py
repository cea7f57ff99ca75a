"""The JSON format's objects one per line (JSON Lines), for streaming and line tools."""

from __future__ import annotations

from typing import TextIO

from .json_text import dumps
from .report import Report


def render(report: Report, stream: TextIO) -> None:
    for f in report.findings:
        # json.dumps escapes the control characters a line would otherwise break on.
        stream.write(dumps(f.to_json(), stream) + "\n")
