"""TNP307 device-equality: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

import libcst as cst

from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    Precondition,
    Verdict,
)
from ...diagnostics.fix import FixSpec, insert_after, replace
from ...model.names import string_value
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..probe import hole, probe

# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
DEVICE_TYPE = ContractEntry(
    key="TNP307/device-type",
    rewrite="`x.device == torch.device('cuda')` → `x.device.type == 'cuda'`; `x.device == 'cuda'` → "
            "`x.device.type == 'cuda'` (and `!=`)",
    applicability=Applicability.UNSAFE,
    preconditions=(Precondition(F, "the comparison's result changes: that is the fix's purpose"),),
    # Where the tensors live decides where the answer changes: 'cuda' on a CUDA run, 'cpu' on CPU.
    expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
    differs=("values",),
    note="The comparison stops being always False (or always True).",
    title="Compare the device type (`.device.type`)",
)


class DeviceEquality(Rule):
    """
    ## What it does
    Finds a device compared for equality where the answer is fixed in advance:
    `x.device == torch.device('cuda')` (False for a tensor on `cuda:0`) and a device compared
    with a string, `x.device == 'cuda'` (always False, even `torch.device('cpu') == 'cpu'`),
    and their `!=` forms, where `x` is proven a tensor: the `.device` of other objects is
    often a string itself (an argparse option, a precision plugin's setting), or an
    unindexed `torch.device` that does equal `torch.device('cuda')`.

    ## Why is this bad?
    A tensor on the GPU lives on `cuda:0`, and `torch.device('cuda:0') == torch.device('cuda')`
    is False: the index is part of the comparison. A `torch.device` is never equal to a
    string (measured on torch 2.13: `torch.device('cpu') == 'cpu'` is False). Either way the
    branch the comparison guards never runs, or always runs, whatever the device.
    `x.device.type == 'cuda'` says what was meant.

    ## Example
    ```python
    import torch

    def to_host(x: torch.Tensor):
        if x.device == "cuda":
            x = x.cpu()
        return x
    ```

    ## Use instead
    ```python
    import torch

    def to_host(x: torch.Tensor):
        if x.device.type == "cuda":
            x = x.cpu()
        return x
    ```

    ## Fix safety
    The fix changes the comparison's result: that is its purpose.

    ## References
    - [`torch.device`](https://docs.pytorch.org/docs/stable/tensor_attributes.html#torch.device)
    """

    code = "TNP307"
    name = "device-equality"
    message = "`{left} {op} {right}` is always {always}: {why}; compare `.device.type` with {kind!r}"
    category = "correctness"
    # The prefilter: `<x>.device ==` / `!=`, or a comparison with `torch.device(...)`.
    requires_text = (".device ==", ".device !=", ".device==", ".device!=", "== torch.device", "!= torch.device")
    needs_values = True
    contract = (DEVICE_TYPE,)
    VALID = [
        Valid(
            """
            import torch
            def on_gpu(x):
                return x.device.type == "cuda"
            """
        ),
        Valid(
            """
            import torch
            def same_place(x, y):
                return x.device == y.device
            """
        ),
        Valid(
            """
            import argparse
            opt = argparse.ArgumentParser().parse_args()
            half = opt.device != "cpu"  # an argparse string, not a torch.device
            """
        ),
        Valid(
            """
            import torch
            def first_gpu(x):
                return x.device == torch.device("cuda:0")  # an index: a real comparison
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            def to_host(x: torch.Tensor):
                if x.device == "cuda":
                    x = x.cpu()
                return x
            """,
            findings=[(3, 8)],
            fixed="""
            import torch
            def to_host(x: torch.Tensor):
                if x.device.type == "cuda":
                    x = x.cpu()
                return x
            """,
            applicability=Applicability.UNSAFE,
            # CPU tensors compare unequal to 'cuda' either way: only a CUDA run sees the change.
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.DIFFERS},
        ),
        Invalid(
            """
            import torch
            def needs_copy(x: torch.Tensor):
                return x.device != torch.device("cuda")
            """,
            findings=[(3, 12)],
            fixed="""
            import torch
            def needs_copy(x: torch.Tensor):
                return x.device.type != "cuda"
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.DIFFERS},
        ),
        Invalid(
            """
            import torch
            def on_host(x: torch.Tensor):
                return x.device == "cpu"
            """,
            findings=[(3, 12)],
            fixed="""
            import torch
            def on_host(x: torch.Tensor):
                return x.device.type == "cpu"
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
        ),
    ]

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if len(node.comparisons) != 1:
            return
        target = node.comparisons[0]
        op = "==" if type(target.operator) is cst.Equal else "!=" if type(target.operator) is cst.NotEqual else None
        if op is None:
            return
        left, right = node.left, target.comparator
        if not _is_device_attribute(left):
            left, right = right, left
            if not _is_device_attribute(left):
                return
        found = self._fixed_answer(right)
        if found is None:
            return
        device = cst.ensure_type(left, cst.Attribute)  # ``x.device``: _is_device_attribute said so
        if self.model.value_of(device.value).kind is not Kind.TENSOR:
            # The `.device` of something else may be a string (an argparse option, a plugin's
            # setting) or an unindexed torch.device: only a tensor's is fixed in advance.
            return
        kind, why, literal = found
        always = "False" if op == "==" else "True"
        message = self.message.format(left=_short(left), op=op, right=_short(right), always=always, why=why, kind=kind)
        fix = None
        if literal:  # no index: `.type` says what was meant
            edits = (insert_after(left, ".type"), replace(right, f'"{kind}"'))
            fix = FixSpec(DEVICE_TYPE, edits,
                          probe=probe(self.model, node, [hole(self.model, device.value, "tensor")]))
        self.report(node, message, fix=fix)

    def _fixed_answer(self, other: cst.BaseExpression) -> tuple[str, str, bool] | None:
        """(device type, why the answer is fixed, whether it has no index) for a string or a
        ``torch.device('cuda')``; None for anything that compares for real."""
        text = string_value(other)
        if text is not None:
            kind, _, index = text.partition(":")
            if kind in ("cuda", "cpu", "mps", "xpu", "meta"):
                return kind, "a torch.device never equals a string", not index
            return None
        if type(other) is cst.Call and self.model.resolves_to(other.func, "torch.device") and len(other.args) == 1:
            value = string_value(other.args[0].value)
            if value in ("cuda", "xpu", "mps"):
                return value, f"a tensor lives on '{value}:0', which is not '{value}'", True
        return None


def _is_device_attribute(expr: cst.BaseExpression) -> bool:
    return type(expr) is cst.Attribute and expr.attr.value == "device"


def _short(expr: cst.BaseExpression) -> str:
    text = cst.Module(body=[]).code_for_node(expr)
    return text if len(text) <= 30 else text[:27] + "..."
