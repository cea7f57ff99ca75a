"""A JSON array of finding objects; the field names are stable (other tools build on them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from ..finding import Finding


def render(findings: Sequence[Finding], stream: TextIO, *, unsafe: bool = False, fixed: int = 0) -> None:
    """Each finding's ``fix`` holds its applicability, title, contract expectation and edits;
    ``unsafe`` and ``fixed`` only shape the text format."""
    json.dump([f.to_json() for f in findings], stream, indent=2, ensure_ascii=False)
    stream.write("\n")
