"""The engine's parse skips LibCST's per-node validation only for the nodes its own thread's
parser builds: the tree is LibCST's, and every other node is still validated."""

from __future__ import annotations

import threading

import libcst as cst
import pytest
from conftest import FIXTURES, ROOT

from torchbridge.engine import parse as engine_parse
from torchbridge.engine.parse import parse_module

SOURCES = sorted([*FIXTURES.rglob("*.py"), *(ROOT / "benchmarks" / "recall" / "posts").glob("*.py")])


def test_the_same_tree_as_libcst() -> None:
    assert SOURCES
    for path in SOURCES:
        text = path.read_text("utf-8")
        try:
            expected = cst.parse_module(text)
        except cst.ParserSyntaxError:
            with pytest.raises(cst.ParserSyntaxError):
                parse_module(text)
            continue
        parsed = parse_module(text)
        assert parsed.deep_equals(expected), path
        assert parsed.code == text, path


def test_a_syntax_error_is_libcsts() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def f(:\n")


def test_nodes_made_after_a_parse_are_validated() -> None:
    parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
    with pytest.raises(cst.CSTValidationError):
        cst.Comparison(cst.Name("a"), [])


def test_nodes_made_on_another_thread_during_a_parse_are_validated() -> None:
    parse_module("x = 1\n")  # installs the switch
    errors: list[BaseException] = []

    def build() -> None:
        try:
            cst.Name("not a name")
        except cst.CSTValidationError as error:
            errors.append(error)

    engine_parse._PARSING.active = True  # this thread is "parsing"
    try:
        other = threading.Thread(target=build)
        other.start()
        other.join()
    finally:
        engine_parse._PARSING.active = False
    assert len(errors) == 1


def test_the_switch_is_off_after_a_syntax_error() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("x = (\n")
    assert not engine_parse._PARSING.active
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
