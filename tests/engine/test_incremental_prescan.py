"""The pre-scan of an edited text from the previous text's scan (``engine.incremental_prescan``)
must be the whole text's scan: the same verdict, and the same restarts for the next edit."""

from __future__ import annotations

from unittest import mock

import pytest

from torchbridge.engine import prescan as prescan_module
from torchbridge.engine.incremental_prescan import MARGIN, Prescanned, prescan_from
from torchbridge.engine.prescan import prescan, scan

CODE = "".join(f"x{n} = f(a.b, [1, 2]) + g(c)  # line {n}\n" for n in range(60))


def _checked(previous: Prescanned | None, text: str) -> Prescanned | None:
    """``prescan_from``, compared with the whole scan."""
    verdict, scanned = prescan_from(previous, text)
    assert verdict == prescan(text)
    whole = scan(text, record=True)
    if verdict is None:
        assert scanned is not None
        assert scanned.restarts == tuple(whole.restarts)
        # Never later than the whole scan's first anomaly: a later one would let a scan
        # start past an attempt that read into the edit.
        assert scanned.anomaly <= (whole.anomaly if whole.anomaly is not None else len(text))
    else:
        assert scanned is None
    return scanned


def test_an_edit_is_scanned_from_a_restart_before_it_to_one_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    first = _checked(None, CODE)
    edited = CODE.replace("x30 = f(a.b", "x30 = f(a.bc")
    scanned: list[int] = []
    original = prescan_module._TOKENS

    class Counting:
        def finditer(self, text: str, start: int = 0):  # type: ignore[no-untyped-def]
            for match in original.finditer(text, start):
                scanned.append(match.start())
                yield match

    monkeypatch.setattr(prescan_module, "_TOKENS", Counting())
    verdict, after = prescan_from(first, edited)
    monkeypatch.undo()
    assert verdict is None and after is not None
    edit = edited.index("a.bc")
    # Only a few lines around the edit were read, and the record is the whole scan's.
    assert edit - 2 * len(CODE.splitlines()[0]) - MARGIN < min(scanned) and max(scanned) < edit + 3 * len(CODE.splitlines()[0])
    assert after.restarts == tuple(scan(edited, record=True).restarts)


def test_a_verdict_in_the_edit_is_the_whole_scans_with_its_line() -> None:
    first = _checked(None, CODE)
    edited = CODE.replace("x40 = f(", "x40 = f(" + "(" * 250 + ")" * 250)
    verdict, after = prescan_from(first, edited)
    assert verdict is not None and verdict == prescan(edited) and verdict.line == 41
    assert after is None


def test_three_quotes_read_as_an_empty_string_keep_the_scan_before_them() -> None:
    # ``'''`` never closed: the expression read to the end before it took ``''``; closing it
    # later in the text changes what it finds before the edit, so the scan must start there.
    text = "a = 1\nb = '''\nc = 2\n" + CODE
    first = _checked(None, text)
    assert first is not None and first.anomaly == text.index("'''")
    _checked(first, text + "'''\n")


# The property test: random texts (code lines, strings of each kind, brackets across lines,
# lambdas, continuations, CRLF and lone CR) and random edits, with the limits made small so
# that verdicts come from texts a few lines long.

hypothesis = pytest.importorskip("hypothesis", reason="the property test needs hypothesis (in the test extra)")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = [
    "x = a + b + c\n", "y = f(a,\n      b)\n", "z = [\n  1, (2,\n 3)]\n", "s = '''\nq ' \" (\n'''\n",
    's = """a\n"""\n', "t = 'a(' + \"b[\"\n", "# a comment ' ( [\n", "u = lambda: lambda: a.b.c\n",
    "v = f'{a + (b)}' + rb'\\x'\n", "w = a \\\n  + b\n", "k = x\r\n", "m = y\r", "if a:\n    b = c.d.e\n",
    "a = ''\n", "b = '''' '\n", "\n", "p = a; q = b + c\n", "r = a.b.c.d.e.f.g\n", "n = ((((a))))\n",
]
TYPED = ["'", '"', "'''", '"""', "(", ")", "[", "]", "\n", "\r", "\r\n", "#", "\\", "+", ".", ",", ";", ":", "x",
         "lambda ", "and ", " ", "f'{", "}'", "\\\n", "\n\n"]


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, list[tuple[float, int, str]]]:
    text = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14)))
    steps = draw(st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 4), st.sampled_from(TYPED)), min_size=1, max_size=8,
    ))
    return text, steps


@settings(max_examples=500, deadline=None)
@given(edits(), st.integers(2, 6), st.integers(2, 8))
def test_random_edits_give_the_whole_texts_scan(case: tuple[str, list[tuple[float, int, str]]], depth: int, chain: int) -> None:
    text, steps = case
    with mock.patch.object(prescan_module, "MAX_DEPTH", depth), mock.patch.object(prescan_module, "MAX_CHAIN", chain):
        # The server keeps the last text that passed: each edit starts from it.
        passed = _checked(None, text)
        for where, removed, typed in steps:
            at = int(where * len(text))
            text = text[:at] + typed + text[at + removed :]
            passed = _checked(passed, text) or passed
