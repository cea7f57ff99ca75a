"""Positions point at the text the user wrote: every name is found at its own characters,
whether the whole module is generated or only the statement that holds it, in sources
where LibCST's regenerated code differs from the text (a form feed it drops from an
indentation, a last line without a newline). A source that does not hold the module's
code is refused (``Misaligned``), never answered with a position in the wrong place."""

from __future__ import annotations

import re

import libcst as cst
import pytest

from torchbridge.engine.positions import Misaligned, resolve_positions

SOURCES = {
    "form-feed-in-a-block": "import torch\n\nif True:\n\x0c    x = m.cuda()\ny = m.cuda()\n",
    "form-feed-before-a-statement": "import torch\n\x0cx = m.cuda()\nz = x\n",
    "form-feeds-in-nested-blocks": "x = 1\nif x:\n\x0c\tif x:\n\x0c\t\tm.cuda()\nw = x\n",
    "form-feed-inside-an-indentation": "if x:\n  \x0c  y = 1\nz = y\n",
    "form-feed-in-a-continuation": "if x:\n    y = (m\n\x0c  .cuda())\nz = y\n",
    "no-final-newline": "import torch\nx = m.cuda()",
    "crlf-and-form-feed": "if x:\r\n\x0c    y = m.cuda()\r\nz = y\r\n",
    # LibCST repeats a block's form feed on the block's later lines, where the source has none.
    "form-feed-repeated-in-a-block": "if x:\n\x0c    y = m.cuda()\n    zz = m.cuda()\nw = zz\n",
    "two-form-feeds-repeated-in-a-block": "if x:\n\x0c\x0c    y = m.cuda()\n    zz = m.cuda()\n",
    # A long name after a dropped form feed; a token that also starts the file.
    "form-feed-before-a-long-name": "xyz = 1\n\x0cxyz = m.cuda()\n",
}


def _lines(source: str) -> list[str]:
    """The source's lines as LibCST and CPython count them (a form feed ends none)."""
    return re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", source)


def _names(module: cst.Module) -> list[tuple[cst.Name, cst.BaseStatement]]:
    found = []
    for statement in module.body:
        for node in _walk(statement):
            if isinstance(node, cst.Name):
                found.append((node, statement))
    return found


def _walk(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk(child)


def _text_at(source: str, where) -> str:
    assert where.start.line == where.end.line, where
    return _lines(source)[where.start.line - 1][where.start.column : where.end.column]


@pytest.mark.parametrize("source", list(SOURCES.values()), ids=list(SOURCES))
def test_every_name_is_found_at_its_own_text(source):
    module = cst.parse_module(source)
    pairs = _names(module)
    whole = resolve_positions(module, [name for name, _ in pairs], source)
    for name, statement in pairs:
        assert _text_at(source, whole[name]) == name.value, (name.value, whole[name])
        anchored = resolve_positions(module, [name], source, near=[statement])
        assert anchored[name] == whole[name]
        assert anchored.code[name] == name.value


def test_the_last_statement_of_a_file_without_a_final_newline_is_placed():
    source = "import torch\nx = m.cuda()"
    module = cst.parse_module(source)
    last = module.body[-1]
    for near in ((), (last,)):
        where = resolve_positions(module, [last], source, near=near)[last]
        assert (where.start.line, where.start.column, where.end.line, where.end.column) == (2, 0, 2, 12)


@pytest.mark.parametrize(("code", "source"), [
    ("x = m.cuda()\n", "x = m"),
    ("x = m.cuda()\n", "x = n.cuda()\n"),
    ("x = m.cuda()\n", ""),
    ("x = m.cuda()\n", "y = m.cuda()\n"),
    # Inside a block, whose range is read from its body's when the generation unwinds.
    ("if x:\n    y = m.cuda()\n", "if x:\n    y = n.cuda()\n"),
    # In the first of two statements on a line, whose line's range ends at the second.
    ("if x:\n    a = m.cuda(); b = 1\n", "if x:\n    a = n.cuda(); b = 1\n"),
])
def test_a_source_that_does_not_hold_the_code_is_refused(code, source):
    module = cst.parse_module(code)
    nodes = [node for node, _ in _names(module)]
    with pytest.raises(Misaligned):
        resolve_positions(module, nodes, source)


def test_without_the_source_the_positions_are_in_libcsts_code():
    source = "import torch\n\x0cx = m.cuda()\n"
    module = cst.parse_module(source)
    pairs = _names(module)
    got = resolve_positions(module, [name for name, _ in pairs], near=[pairs[-1][1]])
    for name, _ in pairs:
        assert _text_at(module.code, got[name]) == name.value


def test_no_nodes_no_positions():
    got = resolve_positions(cst.parse_module("x = 1\n"), [], "x = 1\n")
    assert dict(got) == {} and got.code == {}


ANCHORED = (
    "import torch\n"
    "# owned by the definition\n"
    "@decorator(\n"
    "    1)\n"
    "\n"
    "@other\n"
    "def f(x):\n"
    "    return x.cuda()\n"
    "@one\n"
    "def g(x):\n"
    "    return x.cuda()\n"
    "y = f(torch.zeros(1)).cuda()\n"
)


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_a_statement_anywhere_is_placed_without_generating_the_module(monkeypatch, index):
    """The statement on the first line, decorated definitions (one decorator or two, a comment
    line before them): each statement named ``near`` is generated from its own line, and
    nothing before it."""
    module = cst.parse_module(ANCHORED)
    expected = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(cst.metadata.PositionProvider)
    statement = module.body[index]
    nodes = list(_walk(statement))

    def generated(self, state):
        raise AssertionError("generated the whole module")

    monkeypatch.setattr(cst.Module, "_codegen", generated)
    got = resolve_positions(module, nodes, ANCHORED, near=[statement])
    assert all(got[node] == expected[node] for node in nodes)


def test_nodes_in_several_statements_are_placed_from_each(monkeypatch):
    module = cst.parse_module(ANCHORED)
    expected = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(cst.metadata.PositionProvider)
    statements = [module.body[0], module.body[2], module.body[3]]
    nodes = [node for statement in statements for node in _walk(statement) if isinstance(node, cst.Name)]

    def generated(self, state):
        raise AssertionError("generated the whole module")

    monkeypatch.setattr(cst.Module, "_codegen", generated)
    got = resolve_positions(module, nodes, ANCHORED, near=statements)
    assert {node: got[node] for node in nodes} == {node: expected[node] for node in nodes}


def test_the_code_of_each_node_is_the_source_text_at_its_range():
    """Where LibCST drops nothing, the code a position carries (what a fix must find there)
    is the source between its start and its end, statements and blocks included."""
    module = cst.parse_module(ANCHORED)
    nodes = [node for statement in module.body for node in _walk(statement)]
    got = resolve_positions(module, nodes, ANCHORED)
    lines = _lines(ANCHORED)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    for node in nodes:
        where = got[node]
        start = starts[where.start.line - 1] + where.start.column
        end = starts[where.end.line - 1] + where.end.column
        assert got.code[node] == ANCHORED[start:end], type(node).__name__


def test_a_statement_that_does_not_match_its_source_does_not_stop_the_others():
    """Each statement named ``near`` is placed on its own: one that cannot be matched is
    left for the pass from the start, and the next is still placed from its line."""
    code, source = "x = m.cuda()\ny = m.cuda()\n", "x = n.cuda()\ny = m.cuda()\n"
    module = cst.parse_module(code)
    first, second = module.body
    nodes = [node for node in _walk(second) if isinstance(node, cst.Name)]
    got = resolve_positions(module, nodes, source, near=[first, second])
    assert [_text_at(source, got[node]) for node in nodes] == [node.value for node in nodes]
    assert [got[node].start.line for node in nodes] == [2, 2, 2]
