"""A file-level ``# flake8: noqa`` read from the whole text answers as when read line by line."""

from __future__ import annotations

import pytest

from torchbridge.diagnostics import noqa
from torchbridge.engine.source import python_lines


@pytest.mark.parametrize(
    "text",
    [
        "# flake8: noqa\nx = 1\n",
        "x = 1\n    # torchbridge: noqa\n",
        "x = 1\r\n\t\f# FLAKE8= NOQA\r\n",
        "x = 1\n\u3000# flake8:\tnoqa: E501\n",
        "x = 1  # flake8: noqa\n",
        "# flake8:\nnoqa\n",
        "# flake8: \n noqa\n",
        "#flake8: noqa\n",
        "s = '''\n# flake8: noqa\n'''\n",
        "y = 2 # x\n  # torchbridge=noqa",
        "x = 1\n",
    ],
)
def test_the_text_answers_as_its_lines(text: str) -> None:
    lines = python_lines(text)
    assert noqa.file_is_exempt(lines, text) == noqa.file_is_exempt(lines)


def test_an_exemption_on_a_line_of_its_own_only() -> None:
    assert noqa.file_is_exempt(["x\n", "  # flake8: noqa\n"], "x\n  # flake8: noqa\n")
    assert not noqa.file_is_exempt(["x  # flake8: noqa\n"], "x  # flake8: noqa\n")
