"""Property: odd whitespace and non-ASCII text never move a finding or a fix.

Every rule's examples are rewritten in ways that keep their meaning for Python: form feeds
before a line's indentation and between tokens, tabs and backslash continuations between
tokens, CRLF or lone-CR newlines, non-ASCII comments at line ends and a non-ASCII statement
before a statement on its line. A fix of the rewritten code must then be the example's
fix: the same text once the additions are taken out again, with no fix refused. A
finding must point at the same token. A position that forgets a character (LibCST does
not count a form feed in an indentation) turns ``torch.tensor`` into ``torchas_tensorr``,
which compiles; this catches it.
"""

from __future__ import annotations

import io
import re
import tokenize

import pytest

pytest.importorskip("hypothesis", reason="the property tests need hypothesis (in the test extra)")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from torchbridge import check_source, fix_source
from torchbridge.rules import all_rules

COMMENT = "  # é€ 😀𝔘"
STATEMENT = 'ñ = "é😀"; '
CONTINUATION = " \\\n    "
# Lines that open or continue a compound statement, or that must stay where they are.
_KEEP_START = {
    "if", "elif", "else", "for", "while", "try", "except", "finally", "with", "def", "class",
    "async", "match", "case", "import", "from", "global", "nonlocal", "@",
}


def _cases(kind: str):
    for rule in all_rules():
        for index, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.code}-{kind.lower()}-{index}")


def _places(code: str):
    """Where the rewrites may go, as (line, column) in ``code``'s own lines (1-based lines)."""
    tokens = [
        t for t in tokenize.generate_tokens(io.StringIO(code).readline)
        if t.type not in (tokenize.NL, tokenize.ENDMARKER)
    ]
    starts, simple_starts, ends, gaps = [], [], [], []
    at_start = True
    for previous, token in zip([None, *tokens], tokens):
        if token.type in (tokenize.INDENT, tokenize.DEDENT):
            continue
        if token.type == tokenize.COMMENT:
            continue
        if at_start:
            starts.append((token.start[0], 0))
            if token.string not in _KEEP_START and token.type != tokenize.STRING:
                simple_starts.append(token.start)
            at_start = False
        if token.type == tokenize.NEWLINE:
            if previous is not None and previous.type != tokenize.COMMENT and token.string:
                ends.append(token.start)
            at_start = True
            continue
        if (
            previous is not None and previous.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER, tokenize.STRING)
            and token.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER, tokenize.STRING)
            and previous.end[0] == token.start[0] and token.start[1] == previous.end[1] + 1
        ):
            gaps.append(previous.end)
    return starts, simple_starts, ends, gaps


@st.composite
def rewritten(draw, code: str) -> str:
    starts, simple_starts, ends, gaps = _places(code)
    inserts: dict[tuple[int, int], str] = {}
    replaced: dict[tuple[int, int], str] = {}  # a one-space gap -> what stands there instead
    for place in starts:
        if draw(st.booleans()):
            inserts[place] = "\x0c"
    for place in simple_starts:
        if draw(st.integers(0, 3)) == 0:
            inserts[place] = inserts.get(place, "") + STATEMENT
    for place in ends:
        if draw(st.integers(0, 2)) == 0:
            inserts[place] = COMMENT
    for place in gaps:
        choice = draw(st.sampled_from([None, None, "\t", CONTINUATION, " \x0c"]))
        if choice is not None:
            replaced[place] = choice
    lines = code.splitlines(keepends=True)
    for (row, column) in sorted({*inserts, *replaced}, reverse=True):
        line = lines[row - 1]
        if (row, column) in replaced:
            line = line[:column] + replaced[(row, column)] + line[column + 1 :]
        if (row, column) in inserts:
            line = line[:column] + inserts[(row, column)] + line[column:]
        lines[row - 1] = line
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return "".join(lines).replace("\n", newline)


def normal(text: str) -> str:
    """The text with the rewrites taken out again."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace(COMMENT, "").replace(STATEMENT, "").replace(CONTINUATION, " ")
    text = text.replace(" \x0c", " ").replace("\x0c", "").replace("\t", " ")
    # Blank lines out too: in a lone-CR file the blank line a fix inserts after the imports
    # follows a CR, and reads back as one CRLF line end (the blank lines themselves are
    # tests/fixing/test_fix_lint_clean.py's).
    return "".join(line for line in text.splitlines(keepends=True) if line.strip())


def first_token(text: str, line: int, column: int) -> str:
    lines = io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"), newline="").readlines()
    match = re.match(r"\s*(\w+|\S)", lines[line - 1][column - 1 :])
    assert match is not None
    return match.group(1)


def _libcst_cannot_read(findings) -> bool:
    """LibCST's tokenizer rejects a form feed before the first line of a nested block
    (CPython takes it): the file is reported as not checked, never half fixed."""
    return [(f.name, "LibCST says" in f.message) for f in findings] == [("too-complex", True)]


SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("rule", "example"), list(_cases("INVALID")))
@SETTINGS
@given(data=st.data())
def test_invalid_examples_are_fixed_the_same_in_odd_whitespace(rule, example, data):
    code = data.draw(rewritten(example.code))
    declared = {"torch_version": example.torch_version}
    findings = check_source(code, select=[rule.code], **declared)
    if _libcst_cannot_read(findings):
        assert fix_source(code, unsafe=True, select=[rule.code], **declared).source == code
        return
    assert [f.code for f in findings] == [rule.code] * len(example.findings)
    for finding, (line, column) in zip(findings, example.findings):
        assert first_token(code, finding.line, finding.column) == first_token(example.code, line, column)
    result = fix_source(code, unsafe=True, select=[rule.code], **declared)
    assert [f.name for f in result.remaining if f.code is None] == []  # no fix-error, no syntax error
    expected = example.code if example.fixed is None else example.fixed
    assert normal(result.source) == normal(expected)
    compile(result.source, "<fixed>", "exec")


@pytest.mark.parametrize(("rule", "example"), list(_cases("VALID")))
@SETTINGS
@given(data=st.data())
def test_valid_examples_stay_valid_in_odd_whitespace(rule, example, data):
    code = data.draw(rewritten(example.code))
    findings = check_source(code, select=[rule.code])
    assert findings == [] or _libcst_cannot_read(findings)
    assert fix_source(code, unsafe=True, select=[rule.code]).source == code


@pytest.mark.parametrize(("rule", "example"), [case for case in _cases("INVALID") if "torch" in case.values[1].code][::3])
def test_a_vertical_tab_is_a_syntax_error_not_a_fix(rule, example):
    # CPython rejects U+000B anywhere outside strings and comments; so must we.
    code = example.code.replace("\n", "\n\x0b", 1)
    [finding] = check_source(code, select=[rule.code])
    assert finding.name == "syntax-error"
    assert fix_source(code, unsafe=True, select=[rule.code]).source == code
