"""Short quotes of the user's code for messages: a reader must see what the model proved."""

from __future__ import annotations

import libcst as cst

_EMPTY = cst.Module(body=[])
_LIMIT = 40


def quote(node: cst.CSTNode) -> str:
    """``arr``, ``img[:, :, ::-1]``: the expression as written, shortened when long."""
    text = " ".join(_EMPTY.code_for_node(node).split())
    return text if len(text) <= _LIMIT else text[: _LIMIT - 3] + "..."



def under_accelerator_check(message: str, test: cst.BaseExpression | None) -> str:
    """A CUDA use under an accelerator-only check still crashes on MPS and XPU: say why the
    check (its line is the finding's evidence) is no guard for it."""
    if test is None:
        return message
    return (f"{message} (`{quote(test)}`, line {{line}}, is no guard for it: it is also true on MPS and XPU "
            "machines, where CUDA calls still raise)")
