"""The pre-scan's shortcut: a text with too few brackets and link characters to reach a
limit is passed without reading its tokens, and only where reading them passes it too."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from torchbridge.engine import prescan as module
from torchbridge.engine.prescan import MAX_CHAIN, MAX_DEPTH, prescan


def _read_in_full(text: str, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as patch:
        patch.setattr(module, "_too_few_links", lambda text: False)
        return prescan(text)


@pytest.mark.parametrize(
    "text",
    [
        "(" * MAX_DEPTH + ")" * MAX_DEPTH + "\n",
        "(" * (MAX_DEPTH + 1) + ")" * (MAX_DEPTH + 1) + "\n",
        "x = " + "a+" * MAX_CHAIN + "a\n",
        "x = " + "a+" * (MAX_CHAIN - 1) + "a\n",
        "x = a" + ".b" * MAX_CHAIN + "\n",
        "x = f" + "()" * MAX_CHAIN + "\n",
        "x = " + " and ".join(["a"] * (MAX_CHAIN + 1)) + "\n",
        "f = " + "lambda: " * MAX_CHAIN + "0\n",
        "f = " + "lambda: " * (MAX_CHAIN + 1) + "0\n",
        "x = f'{" + "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1) + "}'\n",
        "x = 1\n",
    ],
)
def test_the_shortcut_agrees_with_the_full_scan(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert prescan(text) == _read_in_full(text, monkeypatch)


def test_small_files_take_the_shortcut_and_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = [path.read_text("utf-8") for path in sorted(FIXTURES.rglob("*.py"))]
    sources.append("".join(sources))  # one text too large for the shortcut
    shortcut = [text for text in sources if module._too_few_links(text)]
    assert shortcut and len(shortcut) < len(sources)
    assert all(prescan(text) == _read_in_full(text, monkeypatch) for text in sources)


def test_a_limit_is_still_found() -> None:
    found = prescan("x = " + "a+" * (MAX_CHAIN + 1) + "a\n")
    assert found is not None and "chains" in found.reason
    found = prescan("(" * (MAX_DEPTH + 1) + ")" * (MAX_DEPTH + 1) + "\n")
    assert found is not None and "nested" in found.reason
