"""Positions: 1-based lines and columns, columns in Unicode code points (Ruff's convention),
end positions, and the targeted resolution that stops early."""

from __future__ import annotations

import libcst as cst

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
