"""Output formats: one module each, each a ``render(report, stream)`` function.

The formats people read (``full``, ``text``, ``concise``, ``grouped``) may be coloured;
the others are for programs and CI and never are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from ..diagnostics.finding import Finding
from . import (
    concise,
    full,
    github,
    gitlab,
    grouped,
    json_format,
    json_lines,
    sarif,
    statistics,
    text,
)
from .report import Report
from .sources import SourceLines
from .style import Style, use_color

Renderer = Callable[[Report, TextIO], None]
FORMATS: dict[str, Renderer] = {
    "full": full.render,
    "text": text.render,
    "concise": concise.render,
    "grouped": grouped.render,
    "json": json_format.render,
    "json-lines": json_lines.render,
    "sarif": sarif.render,
    "github": github.render,
    "gitlab": gitlab.render,
}
HUMAN_FORMATS = ("full", "text", "concise", "grouped")
# --statistics replaces the findings with a table, or JSON for the JSON formats; the CI
# formats have no place for it.
STATISTICS: dict[str, Renderer] = {
    **{name: statistics.render_text for name in HUMAN_FORMATS},
    "json": statistics.render_json,
    "json-lines": statistics.render_json_lines,
}


def default_format(stream: TextIO) -> str:
    """``full`` on a terminal; ``text`` for a pipe or a file, which scripts read."""
    isatty = getattr(stream, "isatty", None)
    return "full" if isatty is not None and isatty() else "text"


def write_report(
    output_format: str,
    findings: Sequence[Finding],
    stream: TextIO,
    *,
    unsafe: bool = False,
    fixed: int = 0,
    statistics: bool = False,
    given_sources: Mapping[str, bytes] | None = None,
) -> None:
    """Render ``findings`` to ``stream``; ``given_sources`` holds the bytes of inputs that
    are not files (standard input), for the formats that show or hash source lines."""
    style = Style(output_format in HUMAN_FORMATS and use_color(stream))
    report = Report(findings, unsafe=unsafe, fixed=fixed, sources=SourceLines(given_sources), style=style)
    (STATISTICS if statistics else FORMATS)[output_format](report, stream)
