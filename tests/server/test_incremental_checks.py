"""A check that starts from the previous parse reports what a check from scratch reports.

The server re-parses only what an edit changed (``engine.incremental``); the findings, their
lines and columns, messages and fixes must not depend on that. Each case edits a file with
findings all through it, checks the edit from the previous check's parse, and compares with
a check of the same text from nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from torchbridge.diagnostics.finding import SYNTAX_ERROR, TOO_COMPLEX
from torchbridge.engine.lint import lint_source
from torchbridge.project.config import Settings
from torchbridge.server.analysis import Analysis, analyze, file_unit
from torchbridge.server.settings import Configuration

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"
URI = "file:///t.py"


def dense_file() -> str:
    """The fixtures with findings, one after the other: findings all through the file."""
    paths = sorted((FIXTURES / "interop").glob("*.py")) + sorted((FIXTURES / "device").glob("*.py"))
    return "".join(path.read_text() for path in paths)


def check(text: str, previous: Analysis | None = None, *, every_rule: bool = False) -> Analysis:
    settings = Configuration([]).for_path(None)
    if every_rule:  # TNP901 too, which reads the ``# noqa`` comments after the other rules
        settings = replace(settings, extend_select=("TNP901",))
    return analyze(file_unit(URI, "t.py", None, text), settings, (1, 0), previous.parsed if previous else None, previous)


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


def test_a_text_too_complex_to_parse_is_refused_as_a_fresh_check_refuses_it() -> None:
    # The pre-scan, too, starts from the last check's (``engine.incremental_prescan``).
    text = dense_file()
    good = check(text)
    assert good.parsed is not None and good.parsed.scanned is not None and good.parsed.scanned.text == text
    nested = text.replace("import torch\n", "import torch\nx = " + "(" * 250 + ")" * 250 + "\n", 2)
    refused = check(nested, good)
    assert findings(refused) == findings(check(nested)) and [p.finding.name for p in refused.placed] == [TOO_COMPLEX]
    mended = check(nested.replace("(" * 250 + ")" * 250, "()"), refused)
    assert mended.outcome is not None and mended.outcome.kind == "partial"
    assert findings(mended) == findings(check(nested.replace("(" * 250 + ")" * 250, "()")))


hypothesis = pytest.importorskip("hypothesis", reason="the property test needs hypothesis (in the test extra)")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# Statements whose findings hang on facts other statements give: a helper's return, a
# ``self.`` attribute's kind, the grad mode a helper is called in, a module-level device
# string, an import, a later rebinding, a CUDA guard or early exit, ``# noqa`` comments and
# the file-level text facts. The edits below change those facts.
PIECES = [
    "import numpy as np\n", "import torch\n", "from torch import tensor\n", "DEVICE = 'cuda'\n",
    "def helper():\n    return torch.ones(3, requires_grad=True)\n",
    "def use():\n    y = helper()\n    return y.numpy()\n",
    "def moved(x):\n    return torch.tensor(np.zeros(3)).to(DEVICE)\n",
    "with torch.no_grad():\n    z = use()\n",
    "class Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.w = torch.nn.Linear(2, 2)\n\n    def run(self, a):\n        return self.w(a).numpy()\n",
    "arr = np.ones((2, 3))[::-1]\nt = torch.from_numpy(arr)\n",
    "x = torch.zeros(3).cuda()  # noqa: TNP302\n", "y = torch.zeros(3).cuda()  # noqa: TNP101\n",
    "if torch.cuda.is_available():\n    g = torch.zeros(2).cuda()\n",
    "if not torch.cuda.is_available():\n    raise SystemExit\n",
    "for batch in range(3):\n    b = torch.tensor(batch).to('cuda')\n",
    "helper = None\n", "\n", "# c\n",
    # Comments the comment-only reuse (``server.comment_edits``) must see through: trailing,
    # in a body, in brackets, and words the whole-text searches look for.
    "def traced():\n    # the body\n    w = torch.ones(2, requires_grad=True)  # w\n    return w.numpy()  # x\n",
    "q = torch.tensor(np.zeros(3)).to(\n    'cuda'  # in brackets\n)\n",
    "# collate_fn = helper\n", "# data_on_device\n",
]
# Typed at a random place, or one word swapped for another through the whole text.
TYPED = ["x", "1", " ", "\n", "_", "(", "#", "    ", "  # noqa\n", "requires_grad = False\n"]
# Typed just after a ``#``: comment-only edits (a directive, a search's word, a line more).
IN_COMMENTS = ["x", " torch", " return torch", " c", " noqa", ": TNP201", " cuda", " DEVICE", " data_on_device", " global helper", " := ", "\n# moved", " collate_fn=use"]
SWAPS = [
    ("no_grad", "enable_grad"), ("'cuda'", "'cpu'"), ("requires_grad=True", "requires_grad=False"),
    ("helper", "helper2"), ("numpy()", "tolist()"), ("import torch", "import torch as th"),
    ("is_available()", "device_count()"), ("Linear", "Identity"), ("TNP302", "TNP301"), ("[::-1]", "[::1]"),
]


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, list[tuple[float, int, str | tuple[str, str]]]]:
    text = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=2, max_size=12)))
    steps = draw(st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 2), st.one_of(
            st.sampled_from(TYPED), st.sampled_from(SWAPS), st.sampled_from(IN_COMMENTS).map(lambda typed: ("#", typed)),
        )),
        min_size=1, max_size=5,
    ))
    return text, steps


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited())
def test_random_edits_checked_from_the_last_check_report_what_a_whole_check_reports(
    case: tuple[str, list[tuple[float, int, str | tuple[str, str]]]],
) -> None:
    text, steps = case
    analysis = check(text, every_rule=True)
    for where, removed, typed in steps:
        if isinstance(typed, tuple) and typed[0] == "#":
            marks = [n for n, c in enumerate(text) if c == "#"]
            if not marks:
                continue
            at = marks[int(where * len(marks)) % len(marks)] + 1  # typed in a comment, or after a quoted '#'
            text = text[:at] + typed[1] + text[at + min(removed, 1) :]
        elif isinstance(typed, tuple):
            text = text.replace(*typed)
        else:
            at = int(where * len(text))
            text = text[:at] + typed + text[at + removed :]
        analysis = check(text, analysis, every_rule=True)
        assert findings(analysis) == full_check(text, analysis.settings)


def full_check(text: str, settings: Settings) -> list[tuple[object, ...]]:
    """The findings of ``lint_source`` given the whole text, parsed whole (as the CLI checks it)."""
    found = lint_source(text, "t.py", settings.rules_for(None), options=settings.rule_options)
    return [(f.line, f.column, f.end_line, f.end_column, f.code, f.message, f.fix) for f in found]
