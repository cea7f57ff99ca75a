"""The ``# noqa`` token runs of a text parsed in parts, found statement by statement, are the
runs of the whole text (``engine.noqa_runs``), and a segment the previous check tokenized is
not tokenized again."""

from __future__ import annotations

import libcst as cst
import pytest

from torchbridge.diagnostics import noqa
from torchbridge.engine import noqa_runs
from torchbridge.engine.incremental import parse, reparse
from torchbridge.engine.noqa_runs import runs_by_statement
from torchbridge.engine.source import python_lines
from torchbridge.model.memo import SubtreeMemo

BASE = '''\
"""Doc."""
import torch  # noqa: F401

x = torch.zeros(3).cuda()  # noqa: TNP302
s = """
a # noqa
"""


def f(a):
    if a:
        return a.numpy()  # noqa
    # a comment at the end of the block


# a column-0 comment before a statement
y = (1,
     2)  # noqa: E1
z = 1 + \\
    2  # noqa: TNP301
'''


def whole(text: str) -> list[noqa.TokenRun] | None:
    return noqa.token_runs(python_lines(text))


def test_the_runs_of_the_segments_are_the_runs_of_the_whole_text() -> None:
    parsed = parse(BASE)
    assert parsed.incremental
    assert runs_by_statement(parsed, SubtreeMemo()) == whole(BASE)


def test_after_an_edit_only_the_changed_segment_is_tokenized(monkeypatch: pytest.MonkeyPatch) -> None:
    memo = SubtreeMemo()
    parsed = parse(BASE)
    memo.begin()
    runs_by_statement(parsed, memo)
    tokenized: list[str] = []
    real = noqa_runs.token_runs

    def counting(lines: list[str]) -> list[noqa.TokenRun] | None:
        tokenized.append("".join(lines))
        return real(lines)

    monkeypatch.setattr(noqa_runs, "token_runs", counting)
    after = BASE.replace("zeros(3)", "zeros(33)")
    parsed, _ = reparse(parsed, after)
    memo.begin()
    assert runs_by_statement(parsed, memo) == whole(after)
    assert len(tokenized) == 1 and "zeros(33)" in tokenized[0]


def test_a_segment_that_does_not_tokenize_makes_the_text_one_that_does_not() -> None:
    # LibCST reads f-strings that Python 3.11's tokenizer rejects (nested quotes of 3.12).
    text = 'import torch\nx = 1\ny = f"{"a"}"\n'
    try:
        parsed = parse(text)
    except cst.ParserSyntaxError:
        pytest.skip("this LibCST does not read the 3.12 f-string")
    assert runs_by_statement(parsed, SubtreeMemo()) == whole(text)


hypothesis = pytest.importorskip("hypothesis", reason="the property test needs hypothesis (in the test extra)")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = [
    "import torch\n", "x = 1  # noqa: TNP301\n", "\n", "# c\n", "    # indented c\n", "  \n", "\t# tab c\n",
    "def f(a):\n    return a + 1  # noqa\n", "def g():\n\tpass\n", "class C:\n  def m(self):\n    pass\n  # end\n",
    "@d\n", "@d(1)\ndef h(): pass\n", "if a:\n    b = 1\nelif c:\n    b = 2\nelse:\n    b = 3\n",
    "a = (1,  # noqa: E1\n     2)\n", "s = '''\nq = 1 # noqa\n'''\n", "a = 1; b = 2  # noqa:TNP2\n",
    "x = 1\r\n", "y = \\\n  2  # noqa\n", "while x:\n    # c\n    x -= 1\n", "\x0c\n",
]
TYPED = ["x", "1", " ", "\n", "(", ")", ":", "#", "'", "\t", "\\", "    ", "\r\n", "  # noqa\n", '"""\n']


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, list[tuple[float, int, str]]]:
    text = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12)))
    steps = draw(st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 3), st.sampled_from(TYPED)), min_size=1, max_size=6,
    ))
    return text, steps


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_random_edits_give_the_runs_of_the_whole_text(case: tuple[str, list[tuple[float, int, str]]]) -> None:
    text, steps = case
    try:
        previous = parse(text)
    except cst.ParserSyntaxError:
        return
    memo = SubtreeMemo()
    for where, removed, typed in steps:
        at = int(where * len(previous.text))
        after = previous.text[:at] + typed + previous.text[at + removed :]
        try:
            parsed, _ = reparse(previous, after)
        except cst.ParserSyntaxError:
            continue
        if parsed.incremental:
            memo.begin()
            assert runs_by_statement(parsed, memo) == whole(after)
        previous = parsed
