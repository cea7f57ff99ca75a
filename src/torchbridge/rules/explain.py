"""Short quotes of the user's code for messages: a reader must see what the model proved."""

from __future__ import annotations

import libcst as cst

_EMPTY = cst.Module(body=[])
_LIMIT = 40


def quote(node: cst.CSTNode) -> str:
    """``arr``, ``img[:, :, ::-1]``: the expression as written, shortened when long."""
    text = " ".join(_EMPTY.code_for_node(node).split())
    return text if len(text) <= _LIMIT else text[: _LIMIT - 3] + "..."

