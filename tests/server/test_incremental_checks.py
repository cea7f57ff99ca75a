"""A check that starts from the previous parse reports what a check from scratch reports.

The server re-parses only what an edit changed (``engine.incremental``); the findings, their
lines and columns, messages and fixes must not depend on that. Each case edits a file with
findings all through it, checks the edit from the previous check's parse, and compares with
a check of the same text from nothing.
"""

from __future__ import annotations

from pathlib import Path

from torchbridge.diagnostics.finding import SYNTAX_ERROR
from torchbridge.server.analysis import Analysis, analyze, file_unit
from torchbridge.server.settings import Configuration

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"
URI = "file:///t.py"


def dense_file() -> str:
    """The fixtures with findings, one after the other: findings all through the file."""
    paths = sorted((FIXTURES / "interop").glob("*.py")) + sorted((FIXTURES / "device").glob("*.py"))
    return "".join(path.read_text() for path in paths)


def check(text: str, previous: Analysis | None = None) -> Analysis:
    settings = Configuration([]).for_path(None)
    return analyze(file_unit(URI, "t.py", None, text), settings, (1, 0), previous.parsed if previous else None)


def findings(analysis: Analysis) -> list[tuple[object, ...]]:
    return [(p.finding.line, p.finding.column, p.finding.end_line, p.finding.end_column, p.finding.code,
             p.finding.message, p.finding.fix) for p in analysis.placed]


def test_edits_checked_from_the_previous_parse_report_what_a_fresh_check_reports() -> None:
    text = dense_file()
    analysis = check(text)
    assert analysis.placed and analysis.outcome is not None and analysis.outcome.kind == "full"
    lines = text.splitlines(keepends=True)
    middle = next(n for n in range(len(lines) // 2, len(lines)) if lines[n].startswith("def "))
    literal = next(n for n in range(middle, len(lines)) if lines[n].startswith("    ") and "2" in lines[n])
    edits = [
        (middle, lines[middle], "\n\n# two lines more: the findings below move\n" + lines[middle]),
        (3, lines[3], "import os\n" + lines[3]),
        (literal, lines[literal], lines[literal].replace("2", "3", 1)),  # a literal inside a function
        (len(lines) - 1, lines[-1], lines[-1] + "x = 1\n"),  # the last statement and the footer
        (middle, lines[middle], lines[middle]),  # and back
    ]
    kinds = []
    for n, _, new in edits:
        lines[n] = new
        text = "".join(lines)
        analysis = check(text, analysis)
        assert analysis.outcome is not None
        kinds.append(analysis.outcome.kind)
        assert findings(analysis) == findings(check(text))
    assert kinds.count("partial") >= 4


def test_a_syntax_error_keeps_the_last_parse_for_the_next_check() -> None:
    text = dense_file()
    good = check(text)
    broken = check(text + "def broken(:\n", good)
    assert [p.finding.name for p in broken.placed] == [SYNTAX_ERROR]
    assert broken.parsed is good.parsed  # nothing newer was parsed
    again = check(text + "def mended():\n    pass\n", broken)
    assert again.outcome is not None and again.outcome.kind == "partial"
    assert findings(again) == findings(check(text + "def mended():\n    pass\n"))
