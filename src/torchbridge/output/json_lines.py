"""The JSON format's objects one per line (JSON Lines), for streaming and line tools."""

from __future__ import annotations

import json
from typing import TextIO

from .report import Report


def render(report: Report, stream: TextIO) -> None:
    for f in report.findings:
        # json.dumps escapes the control characters a line would otherwise break on.
        stream.write(json.dumps(f.to_json(), ensure_ascii=False) + "\n")
