"""LibCST's parse of a module, without LibCST re-validating every node the parser builds.

LibCST's native parser makes each node through the node's Python constructor, whose
``__post_init__`` runs the node's ``_validate``: regular expressions over every whitespace
node, parenthesis and operator-spacing checks (about 16% of a parse of real files). A parsed
tree holds by construction what those checks assert, so a check skips them while its own
thread parses; a node built anywhere else (a fix's codemod, another thread, another
library in the process) is validated as before.
"""

from __future__ import annotations

import threading

import libcst as cst


class _Parsing(threading.local):
    """Whether this thread is inside ``parse_module`` (a thread-local flag, so a node made
    by another thread meanwhile is still validated)."""

    active = False


_PARSING = _Parsing()


def _post_init(self: cst.CSTNode) -> None:
    if not _PARSING.active:
        self._validate()


def _install() -> None:
    """Route every node's ``__post_init__`` through the flag (once per process)."""
    if cst.CSTNode.__post_init__ is not _post_init:
        cst.CSTNode.__post_init__ = _post_init  # type: ignore[method-assign]


def parse_module(text: str) -> cst.Module:
    """``cst.parse_module(text)``: the same tree, or the same ``ParserSyntaxError``."""
    _install()
    was_active = _PARSING.active
    _PARSING.active = True
    try:
        return cst.parse_module(text)
    finally:
        _PARSING.active = was_active
