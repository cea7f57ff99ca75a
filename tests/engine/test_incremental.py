"""The incremental parse gives the tree a full parse gives, or falls back to one.

Every case re-parses an edited text from the parse of the text before it and compares the
module with ``libcst.parse_module`` of the edited text: the same code and ``deep_equals``.
The named cases are the places where a statement parsed alone could differ from the same
statement parsed in context; the property test makes random edits to files built of them.
"""

from __future__ import annotations

import libcst as cst
import pytest

from torchbridge.engine.incremental import Parsed, offsets, parse, reparse

BASE = """\
#!/usr/bin/env python
# a header comment

import torch


# a comment owned by the next statement
def helper(x):
    return x.cuda()

    # an indented comment after the block: the block's footer
# a column-0 comment between indented ones stays with the block
    # the last indented comment


@decorator
@other(1)
class Model(torch.nn.Module):
    def forward(self, x):
        if x is None:
            return 1
        elif x == 2:
            return 2
        else:
            return 3


if __name__ == "__main__":
    helper(torch.ones(2))
# a footer comment
"""


def check(before: str, after: str) -> tuple[Parsed, Parsed, str]:
    """Re-parse ``after`` from ``before``'s parse; assert it is what a full parse gives."""
    previous = parse(before)
    parsed, outcome = reparse(previous, after)
    full = cst.parse_module(after)
    assert parsed.text == after
    assert parsed.module.code == full.code
    assert parsed.module.deep_equals(full)
    # The offsets the next edit starts from are those of a full parse.
    assert (parsed.starts, parsed.lines) == offsets(full, after)
    return previous, parsed, outcome.kind


def replaced(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("return x.cuda()", "return x.cpu()", "partial"),  # inside a function body
        ("elif x == 2:", "elif x == 3:", "partial"),  # an elif of a nested if chain
        ("@other(1)", "@other(2)", "partial"),  # a decorator
        ("helper(torch.ones(2))", "helper(torch.ones(3))", "partial"),  # the last statement: the footer is re-parsed
        ("# a header comment", "# the header, edited", "partial"),  # the header: parsed with the first statement
        ("import torch\n", "import torch\nimport numpy\n", "partial"),  # a statement added
        ("\n\n# a comment owned", "\n\n# a comment, edited, owned", "partial"),  # a comment before a statement
        # Indented comments after a block belong to the block: the edit re-parses it.
        ("    # the last indented comment", "    # the last one, edited", "partial"),
        # A comment typed indented before a statement: now the block before it owns it.
        ("\n\n# a comment owned", "\n\n    # a comment owned", "partial"),
        # A blank line typed at the end of a block: owned by the statement after it.
        ("        else:\n            return 3\n", "        else:\n            return 3\n\n\n\n", "partial"),
        ("# a footer comment\n", "# a footer comment\n\n    # indented\n", "partial"),
        ("if __name__", "x = 1\nif __name__", "partial"),
    ],
)
def test_an_edit_re_parses_in_parts_and_gives_the_full_parse(old: str, new: str, kind: str) -> None:
    previous, parsed, outcome = check(BASE, replaced(old, new))
    assert outcome == kind
    # Some statements kept their trees.
    assert any(any(s is t for t in previous.module.body) for s in parsed.module.body)


def test_statements_the_edit_did_not_touch_keep_their_trees() -> None:
    previous = parse(BASE)
    parsed, outcome = reparse(previous, replaced("return x.cuda()", "return x.cpu()"))
    assert (outcome.kind, outcome.reparsed) == ("partial", 1)
    kept = [new is old for new, old in zip(parsed.module.body, previous.module.body, strict=True)]
    assert kept == [True, False, True, True]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Tabs as the default indentation, an edit inside a block.
        ("def f():\n\treturn 1\n\n\ndef g():\n\treturn 2\n", "def f():\n\treturn 1\n\n\ndef g():\n\treturn 3\n"),
        # Two-space indentation set by the first block; a later block uses four.
        ("if a:\n  x = 1\n\n\ndef g():\n    return 2\n", "if a:\n  x = 1\n\n\ndef g():\n    return 5\n"),
        # CRLF as the default newline; a line with LF inside the edited statement.
        ("x = 1\r\ny = 2\r\nz = 3\r\n", "x = 1\r\ny = 4\nz = 3\r\n"),
        ("x = 1\r\ny = 2\r\nz = 3\r\n", "x = 1\r\ny = 4\r\nz = 3\r\n"),
        # Semicolons: one LibCST statement line.
        ("a = 1; b = 2\nc = 3\n", "a = 1; b = 5\nc = 3\n"),
        # A backslash continuation inside the edited statement.
        ("a = 1 + \\\n    2\nb = 3\n", "a = 1 + \\\n    4\nb = 3\n"),
        # A multi-line string that holds what looks like statements.
        ('a = 1\ns = """\nx = 1\n"""\nb = 2\n', 'a = 1\ns = """\nx = 2\n"""\nb = 2\n'),
    ],
)
def test_indentation_newlines_and_continuations(before: str, after: str) -> None:
    check(before, after)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # The first block's indentation changes: the reused blocks were stored against it.
        ("x = 0\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n", "x = 0\ndef f():\n  return 1\n\n\ndef g():\n    return 2\n"),
        # The edit removes the only block before a tab-indented one.
        ("x = 0\ndef f():\n    return 1\ny = 1\ndef g():\n\treturn 2\n", "x = 0\ndef f(): return 1\ny = 1\ndef g():\n\treturn 2\n"),
        # A form feed typed at a line's start: LibCST drops it from its code.
        ("a = 1\nb = 2\nc = 3\n", "a = 1\n\x0cb = 2\nc = 3\n"),
        # The text loses its final newline.
        ("a = 1\nb = 2\nc = 3\n", "a = 1\nb = 2\nc = 3"),
        # Every statement is touched.
        ("a = 1\n", "a = 2\n"),
        # A footer comment that ends in a backslash: LibCST's code drops the final newline
        # (found by the property test below).
        ("import torch\nimport torch\n# c\n", "import torch\nimport torch\n# c\\\n"),
    ],
)
def test_what_cannot_be_re_parsed_in_parts_is_parsed_whole(before: str, after: str) -> None:
    _, _, kind = check(before, after)
    assert kind in ("fallback", "full")


@pytest.mark.parametrize(
    "new",
    [
        "return x.cuda(",  # a bracket left open swallows the statements after it
        'return """x.cuda()',  # so does a string left open
        "return x.cuda()\n      y = 1",  # an unexpected indent
        "return x.cuda() +",
    ],
)
def test_an_edit_that_breaks_the_file_raises_as_the_full_parse_does(new: str) -> None:
    after = replaced("return x.cuda()", new)
    with pytest.raises(cst.ParserSyntaxError):
        cst.parse_module(after)
    with pytest.raises(cst.ParserSyntaxError):
        reparse(parse(BASE), after)


def test_an_edit_that_merges_statements_into_one_gives_the_full_parse() -> None:
    # A bracket opened in one statement and closed in the next: still valid, one statement.
    before = "a = f(1)\nb = 2\nc = 3\n"
    after = "a = f(1,\nb == 2)\nc = 3\n"
    _, parsed, _ = check(before, after)
    assert len(parsed.module.body) == 2


def test_typing_after_a_syntax_error_resumes_from_the_last_good_parse() -> None:
    previous = parse(BASE)
    broken = replaced("return x.cuda()", "return x.cuda(")
    with pytest.raises(cst.ParserSyntaxError):
        reparse(previous, broken)
    parsed, outcome = reparse(previous, replaced("return x.cuda()", "return x.cuda(1)"))
    assert outcome.kind == "partial"
    assert parsed.module.deep_equals(cst.parse_module(parsed.text))


def test_an_unchanged_text_is_the_previous_parse() -> None:
    previous = parse(BASE)
    parsed, outcome = reparse(previous, BASE)
    assert parsed is previous and outcome.kind == "same"


def test_a_file_that_cannot_be_split_is_parsed_whole_every_time() -> None:
    previous = parse("x = 1")  # no final newline: LibCST's code adds one
    assert not previous.incremental
    _, outcome = reparse(previous, "x = 1\ny = 2\n")
    assert outcome.kind == "full"


LONG = """\
import torch


class Trainer:
    \"\"\"A class.\"\"\"

    def __init__(self):
        self.device = "cuda"

    # a comment at the body's indentation, owned by the next method
    def step(self, x):
        y = x + 1
        return y

    def last(self):
        pass
    # the block's footer


def main(args):
    model = torch.nn.Linear(2, 3)
    for batch in args.data:
        out = model(batch)

        loss = out.sum()  # a comment
        loss.backward()
    total = 0
    if total:
        total += 1
    return total


if __name__ == "__main__":
    main(None)
"""


@pytest.mark.parametrize(
    ("old", "new", "reparsed"),
    [
        ("total = 0", "total = 10", 1),  # one statement of a long function
        ("        out = model(batch)\n", "        out = model(batch) * 2\n", 1),  # a loop: the loop statement
        ("        y = x + 1", "        y = x + 2", 1),  # a method of a class: the method
        ("    total = 0\n", "    total = 0\n    more = 1\n", 2),  # a statement added
        # Typed where one statement ends and the next begins: both are parsed again.
        ("    total = 0\n", "    total = 0\n\n    # a comment\n", 2),
        ("    # a comment at the body's indentation", "    # edited", 1),  # a comment owned by a method
    ],
)
def test_an_edit_inside_a_function_or_class_re_parses_only_its_statements(old: str, new: str, reparsed: int) -> None:
    previous, parsed, kind = check(LONG, replaced(old, new, LONG))
    assert kind == "partial"
    outcome = reparse(previous, parsed.text)[1]
    assert outcome.reparsed == reparsed
    # The function's or class's other statements keep their trees.
    changed = next(s for s, t in zip(parsed.module.body, previous.module.body, strict=True) if s is not t)
    before = next(t for s, t in zip(parsed.module.body, previous.module.body, strict=True) if s is not t)
    assert isinstance(changed, (cst.FunctionDef, cst.ClassDef)) and isinstance(before, type(changed))
    kept = [s for s in changed.body.body if any(s is t for t in before.body.body)]
    assert len(kept) == len(changed.body.body) - reparsed


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    return total\n", "    return total + 1\n"),  # the body's last statement: what follows is the footer
        ("def main(args):", "def main(args, more):"),  # the header
        ("    # the block's footer", "    # the footer, edited"),
        ("        self.device", "      self.device"),  # a body's indentation changes
        ("    total = 0\n", "    total = 0\n# column 0 inside the body\n"),
        ("    total = 0\n", "    total = 0\n  \n"),  # a line of spaces
    ],
)
def test_an_edit_at_the_edge_of_a_body_re_parses_the_whole_function(old: str, new: str) -> None:
    check(LONG, replaced(old, new, LONG))


def test_an_edit_inside_an_async_function() -> None:
    before = "import x\n\n\nasync def f(a):\n    b = await a\n    async for c in b:\n        pass\n    return b\n\n\ny = 1\n"
    _, parsed, kind = check(before, before.replace("await a", "await a + 1"))
    assert kind == "partial"


def test_edits_one_after_the_other_inside_a_function() -> None:
    text = LONG
    previous = parse(text)
    for number in range(1, 6):
        text = text.replace(f"total = {number - 1}", f"total = {number}")
        parsed, outcome = reparse(previous, text)
        assert outcome.kind == "partial" and outcome.reparsed == 1
        full = cst.parse_module(text)
        assert parsed.module.deep_equals(full) and (parsed.starts, parsed.lines) == offsets(full, text)
        previous = parsed


hypothesis = pytest.importorskip("hypothesis", reason="the property test needs hypothesis (in the test extra)")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = [
    "import torch\n", "x = 1\n", "\n", "# c\n", "    # indented c\n", "  \n", "\t# tab c\n", "\x0c\n",
    "def f(a):\n    return a + 1\n", "def g():\n\tpass\n", "class C:\n  def m(self):\n    pass\n",
    "@d\n", "@d(1)\ndef h(): pass\n", "if a:\n    b = 1\nelif c:\n    b = 2\nelse:\n    b = 3\n",
    "try:\n    x()\nexcept E:\n    pass\nfinally:\n    y()\n", "a = (1,\n     2)\n", "s = '''\nq = 1\n'''\n",
    "a = 1; b = 2\n", "for i in r: pass\n", "x = 1\r\n", "y = \\\n  2\n", "while x:\n    # c\n    x -= 1\n",
    # Long bodies, where an edit re-parses statements of the body only.
    "def long(a):\n    b = 1\n\n    # c\n    if a:\n        b = 2\n    c = (b,\n         3)\n    return c\n",
    "class K:\n    x = 1\n\n    def m(self):\n        return 1\n    # c\n\n    def n(self):\n        return 2\n    y = 3\n",
]
TYPED = ["x", "1", " ", "\n", "(", ")", ":", "#", "'", "\t", "\x0c", "\\", "    ", "\r\n", "def k():\n    return 0\n"]


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, list[tuple[float, int, str]]]:
    text = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14)))
    steps = draw(st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 3), st.sampled_from(TYPED)), min_size=1, max_size=6,
    ))
    return text, steps


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_random_edits_give_the_full_parse_or_the_same_syntax_error(case: tuple[str, list[tuple[float, int, str]]]) -> None:
    text, steps = case
    try:
        previous = parse(text)
    except cst.ParserSyntaxError:
        return
    for where, removed, typed in steps:
        at = int(where * len(previous.text))
        after = previous.text[:at] + typed + previous.text[at + removed :]
        try:
            full = cst.parse_module(after)
        except cst.ParserSyntaxError:
            with pytest.raises(cst.ParserSyntaxError):
                reparse(previous, after)
            continue
        parsed, _ = reparse(previous, after)
        assert parsed.module.code == full.code
        assert parsed.module.deep_equals(full)
        if parsed.incremental:
            assert (parsed.starts, parsed.lines) == offsets(full, after)
        previous = parsed


def test_positions_remembered_in_a_reused_statement_move_with_it() -> None:
    from torchbridge.engine.positions import resolve_positions

    def calls(module: cst.Module) -> list[cst.Call]:
        found: list[cst.Call] = []

        class Calls(cst.CSTVisitor):
            def visit_Call(self, node: cst.Call) -> None:
                found.append(node)

        module.visit(Calls())
        return found

    previous = parse(BASE)
    first = resolve_positions(previous.module, calls(previous.module), BASE, previous.module.body,
                              previous.statement_starts(), previous.positions)
    assert previous.positions.found  # remembered
    after = replaced("import torch\n", "import torch\n\nimport numpy\n\n")  # what follows moves three lines
    parsed, outcome = reparse(previous, after)
    assert outcome.kind == "partial" and parsed.positions is previous.positions
    wanted = calls(parsed.module)
    assert any(statement in parsed.positions.found for statement in parsed.module.body)  # read, not generated
    again = resolve_positions(parsed.module, wanted, after, parsed.module.body, parsed.statement_starts(), parsed.positions)
    fresh = resolve_positions(parsed.module, wanted, after)
    assert {n: (again[n], again.code[n]) for n in wanted} == {n: (fresh[n], fresh.code[n]) for n in wanted}
    assert any(again[n].start.line == first[n].start.line + 3 for n in wanted if n in first)
