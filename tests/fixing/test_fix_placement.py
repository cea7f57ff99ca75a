"""Edits land on the text of the nodes they were made for, whatever the whitespace, and the
fixer refuses any edit that would not (the safety net behind the position resolution)."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst._position import CodePosition, CodeRange

from torchbridge import check_source, fix_source
from torchbridge.engine import lint as engine
from torchbridge.engine.positions import Misaligned, Positions, resolve_positions

# A line that starts with a form feed: LibCST does not count it as a column.
FORM_FEED = "import torch\nimport numpy as np\n\n\ndef f():\n    a = np.zeros(3)\n\x0c    return torch.tensor(a)\n"


def test_form_feed_line_is_fixed_in_place(tree, cli):
    root = tree({})
    (root / "ff.py").write_bytes(FORM_FEED.encode())
    code, out, _ = cli("fix", "--isolated", "ff.py")
    assert code == 0, out
    assert (root / "ff.py").read_bytes().decode() == FORM_FEED.replace("torch.tensor(a)", "torch.as_tensor(a)")


def test_form_feed_line_reports_the_column_of_the_code():
    [finding] = check_source(FORM_FEED)
    line = FORM_FEED.split("\n")[finding.line - 1]
    assert line[finding.column - 1 : finding.end_column - 1] == "torch.tensor(a)"


def test_form_feed_lines_inside_brackets_and_between_tokens():
    source = "import torch\nimport numpy as np\na = np.zeros(3)\nb = [\n\x0c  torch.tensor(a),\n]\nc = 1 \x0c+ 2\n"
    [finding] = check_source(source)
    assert (finding.line, finding.column) == (5, 4)


def test_resolved_positions_hold_the_code_libcst_generates():
    source = "if True:\n\x0c    x = f(1)\n    \x0cy = g(2)\n"
    module = cst.parse_module(source)
    calls = [node.body[0].value for node in (module.body[0].body.body[0], module.body[1])]
    positions = resolve_positions(module, calls, source)
    assert [positions.code[c] for c in calls] == ["f(1)", "g(2)"]
    assert [(positions[c].start.line, positions[c].start.column) for c in calls] == [(2, 9), (3, 9)]


def test_code_that_is_not_the_source_is_refused_not_guessed():
    module = cst.parse_module("x = f(1)\n")
    call = module.body[0].body[0].value
    with pytest.raises(Misaligned):
        resolve_positions(module, [call], "x = g(1)\n")


def _shifted(real):
    """A position resolver that is one column off, as the form feed bug was."""

    def positions(module, nodes, text, *near):
        found = real(module, nodes, text, *near)
        moved = {
            node: CodeRange(CodePosition(r.start.line, r.start.column - 1), CodePosition(r.end.line, r.end.column - 1))
            for node, r in found.items()
        }
        return Positions(moved, found.code)

    return positions


def test_fixer_refuses_edits_that_would_land_off_their_node(monkeypatch):
    monkeypatch.setattr(engine, "_positions", _shifted(engine._positions))
    source = "import torch\nimport numpy as np\n\n\ndef f():\n    a = np.zeros(3)\n    return torch.tensor(a)\n"
    result = fix_source(source)
    assert result.source == source and not result.applied
    [error] = [f for f in result.remaining if f.name == "fix-error"]
    assert "TNP101" in error.message and "other than the code it was made for" in error.message


def test_cli_leaves_the_file_untouched_when_the_safety_net_refuses(tree, cli, monkeypatch):
    monkeypatch.setattr(engine, "_positions", _shifted(engine._positions))
    # Shifted one column left, this edit still compiles: ``return torchas_tensorr(a)``.
    source = "import torch\nimport numpy as np\n\n\ndef f():\n    a = np.zeros(3)\n    return torch.tensor(a)\n"
    root = tree({"a.py": source})
    code, out, _ = cli("fix", "--isolated", "a.py")
    assert code == 1
    assert (root / "a.py").read_text() == source
    assert "fix-error" in out and "other than the code it was made for" in out
