"""Positions: 1-based lines and columns, columns in Unicode code points (Ruff's convention),
end positions, and the targeted resolution that stops early."""

from __future__ import annotations

import libcst as cst
import pytest

from torchbridge import check_source
from torchbridge.engine.lint import lint_bytes
from torchbridge.engine.positions import resolve_positions
from torchbridge.rules import all_rules

RULES = all_rules()


def where(source: str) -> list[tuple[int, int, int, int]]:
    return [(f.line, f.column, f.end_line, f.end_column) for f in check_source(source)]


def test_columns_count_code_points_not_bytes():
    # 'é' is two UTF-8 bytes and '€' three; each is one code point.
    source = 'import torch\ny = "é€"; z = torch.zeros(1).cuda()\n'
    assert where(source) == [(2, 15, 2, 36)]
    assert len("y = \"é€\"; z = ".encode()) + 1 == 18  # where UTF-8 bytes would put it


def test_astral_characters_are_one_column():
    assert where('import torch\ns = "🔥"; m.cuda()\n') == [(2, 10, 2, 18)]


def test_tab_is_one_column():
    assert where("import torch\nif True:\n\tx = m.cuda()\n") == [(3, 6, 3, 14)]


def test_crlf_lines():
    data = b"import torch\r\n\r\nx = m.cuda()\r\n"
    [finding] = lint_bytes(data, "crlf.py", RULES)
    assert (finding.line, finding.column) == (3, 5)


def test_lone_cr_lines_are_lines():
    data = b"import torch\rx = 1\rx = m.cuda()\r"
    [finding] = lint_bytes(data, "cr.py", RULES)
    assert (finding.line, finding.column) == (3, 5)


def test_bom_does_not_shift_columns():
    data = b"\xef\xbb\xbfimport torch; x = m.cuda()\n"
    [finding] = lint_bytes(data, "bom.py", RULES)
    assert (finding.line, finding.column) == (1, 19)


def test_multiline_node_end_position():
    source = "import torch\nx = (m\n     .cuda())\n"
    assert where(source) == [(2, 6, 3, 13)]  # end is exclusive


def test_targeted_positions_match_libcst_position_provider():
    source = "import torch\n\ndef f(x):\n    y = x.cuda()\n    return [a.cuda() for a in y]\n\nz = f(1).cuda()\n"
    module = cst.parse_module(source)
    calls: list[cst.Call] = []

    class Collect(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            calls.append(node)

    module.visit(Collect())
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    expected = wrapper.resolve(cst.metadata.PositionProvider)
    for subset in (calls, calls[:1], calls[-1:], calls[1:3]):
        got = resolve_positions(module, subset, source)
        assert dict(got) == {node: expected[node] for node in subset}


# Module-level statements of every shape the statement-anchored resolution must place: blank
# and comment lines before them, decorators (one with a blank line and a comment after it),
# two statements on one line, a backslash continuation, a multi-line string, a class.
ANCHORED = (
    "#!/usr/bin/env python\n"
    "import torch  # first\n"
    "\n"
    "\n"
    "# a comment that belongs to the function\n"
    "@decorator(\n"
    "    1)\n"
    "\n"
    "# between\n"
    "@other\n"
    "def f(x):\n"
    '    """A docstring\n'
    '    of two lines."""\n'
    "    return x.cuda()\n"
    "a = 1; b = torch.zeros(1).cuda()\n"
    "c = torch.ones(2) \\\n"
    "    .cuda()\n"
    "class M:\n"
    "\n"
    "    def g(self):\n"
    "        return [t.cuda() for t in self.ts]\n"
    "\n"
    "  # the last statement\n"
    "if True: m = f(torch.zeros(1)).cuda()\n"
)


def _nodes_and_statements(module: cst.Module) -> list[tuple[cst.CSTNode, cst.BaseStatement]]:
    found = []

    class Collect(cst.CSTVisitor):
        def __init__(self, statement: cst.BaseStatement) -> None:
            super().__init__()
            self.statement = statement

        def on_visit(self, node: cst.CSTNode) -> bool:
            found.append((node, self.statement))
            return True

    for statement in module.body:
        statement.visit(Collect(statement))
    return found


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_statement_anchored_positions_match_libcst_position_provider(newline):
    source = ANCHORED.replace("\n", newline)
    module = cst.parse_module(source)
    expected = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(cst.metadata.PositionProvider)
    pairs = _nodes_and_statements(module)
    assert len(pairs) > 200
    whole = resolve_positions(module, [node for node, _ in pairs], source)
    for node, statement in pairs:
        got = resolve_positions(module, [node], source, near=[statement])
        assert got[node] == expected[node] == whole[node], (type(node).__name__, got[node], expected[node])
        assert got.code[node] == whole.code[node]


def test_statement_anchored_resolution_does_not_generate_the_module(monkeypatch):
    """The nodes of the statements named ``near`` are placed without generating the code
    of anything before them; a node outside them is still found, from the start."""
    module = cst.parse_module(ANCHORED)
    expected = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(cst.metadata.PositionProvider)
    last = module.body[-1]
    call = next(node for node, statement in _nodes_and_statements(module) if statement is last and isinstance(node, cst.Call))

    def generated(self, state):
        raise AssertionError("generated the whole module")

    with monkeypatch.context() as patch:
        patch.setattr(cst.Module, "_codegen", generated)
        assert resolve_positions(module, [call], ANCHORED, near=[last])[call] == expected[call]
    first = module.body[0]
    got = resolve_positions(module, [call, first], ANCHORED, near=[module.body[1]])  # a wrong hint
    assert (got[call], got[first]) == (expected[call], expected[first])


def test_statement_anchored_resolution_of_code_newer_than_this_python():
    # PEP 695 (Python 3.12): CPython 3.11 does not parse it, so nothing says where the
    # statements start; the nodes are found from the start of the module.
    source = "import torch\ntype Batch = list[torch.Tensor]\nx = torch.zeros(1).cuda()\n"
    module = cst.parse_module(source)
    expected = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(cst.metadata.PositionProvider)
    node = module.body[-1]
    assert resolve_positions(module, [node], source, near=[node])[node] == expected[node]


def test_a_form_feed_in_an_indentation_shifts_an_anchored_position_as_it_does_a_whole_one():
    source = "import torch\n\nif True:\n\x0c    x = m.cuda()\ny = m.cuda()\n"
    module = cst.parse_module(source)
    pairs = _nodes_and_statements(module)
    whole = resolve_positions(module, [node for node, _ in pairs], source)
    for node, statement in pairs:
        got = resolve_positions(module, [node], source, near=[statement])
        assert got[node] == whole[node] and got.code[node] == whole.code[node]
