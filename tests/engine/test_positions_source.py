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


@pytest.mark.parametrize("source", ["x = m", "x = n.cuda()\n", "", "y = m.cuda()\n"])
def test_a_source_that_does_not_hold_the_code_is_refused(source):
    module = cst.parse_module("x = m.cuda()\n")
    call = module.body[0].body[0].value
    with pytest.raises(Misaligned):
        resolve_positions(module, [call], source)
