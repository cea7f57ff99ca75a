"""TNP204 cpu-before-detach: the rule, its fix contract entries and its examples.

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
from ...diagnostics.fix import Anchor, FixSpec, replace_span
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..probe import hole, probe

# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
DETACH_FIRST = ContractEntry(
    key="TNP204/detach-first",
    rewrite="`X.cpu().detach()` → `X.detach().cpu()`",
    applicability=Applicability.SAFE,
    preconditions=(Precondition(F, "`X` is a tensor on every path"),),
    expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
    note="Values, device, grad state and aliasing are the same; nothing is recorded in the autograd graph.",
    title="Detach before the copy to the CPU",
)

DETACH_FIRST_UNPROVEN = ContractEntry(
    key="TNP204/detach-first-unproven",
    rewrite="the same, when `X` is not proven a tensor",
    applicability=Applicability.UNSAFE,
    preconditions=(),
    expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
    note="Another library's `.cpu()` and `.detach()` may mean something else.",
    title="Detach before the copy to the CPU",
)

# Under no_grad the copy records nothing (measured: no grad_fn): the finding is the order alone.
_UNDER_NO_GRAD = ("`{tensor}.cpu().detach()`: under `no_grad` nothing is recorded either way; `.detach().cpu()` "
                  "is the usual order, and stays right outside `no_grad`")


class CpuBeforeDetach(Rule):
    """
    ## What it does
    Finds `x.cpu().detach()`.

    ## Why is this bad?
    With grad enabled, `.cpu()` of a device tensor that requires grad is recorded in the
    autograd graph (a `ToCopyBackward0` node) only to be cut off by the `.detach()` that
    follows; `x.detach().cpu()` gives the same values without recording anything. (`.cpu()`
    of a tensor already on the CPU returns it unchanged and records nothing.)

    Under `torch.no_grad()` nothing is recorded either way (measured: the copy has no
    `grad_fn`), so there the finding is about order alone: `.detach().cpu()` is the usual
    spelling, and stays right if the code is later moved out of `no_grad`. The message says
    which case it is.

    ## Example
    ```python
    import torch

    model = torch.nn.Linear(4, 2)
    scores = model(torch.randn(8, 4)).cpu().detach().numpy()
    ```

    ## Use instead
    ```python
    import torch

    model = torch.nn.Linear(4, 2)
    scores = model(torch.randn(8, 4)).detach().cpu().numpy()
    ```

    ## Fix safety
    The two orders give equal values, dtype, device, grad state and aliasing.

    ## References
    - [`Tensor.detach`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.detach.html)
    - [Autograd mechanics](https://docs.pytorch.org/docs/stable/notes/autograd.html)
    """

    code = "TNP204"
    name = "cpu-before-detach"
    message = ("`{tensor}.cpu().detach()`: on a device tensor that requires grad, `.cpu()` records its copy in the "
               "autograd graph for `.detach()` to cut off; use `.detach().cpu()`")
    category = "style"
    requires_text = (".detach(",)
    needs_values = True
    contract = (DETACH_FIRST, DETACH_FIRST_UNPROVEN)
    VALID = [
        Valid(
            """
            import torch
            def to_host(x):
                return x.detach().cpu()
            """
        ),
        Valid(
            """
            import torch
            def to_host(x):
                return x.cpu(memory_format=torch.contiguous_format).detach()  # arguments: left alone
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            model = torch.nn.Linear(4, 2)
            scores = model(torch.randn(8, 4)).cpu().detach().numpy()
            """,
            findings=[(3, 10)],
            fixed="""
            import torch
            model = torch.nn.Linear(4, 2)
            scores = model(torch.randn(8, 4)).detach().cpu().numpy()
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            def to_host(x):
                return x.cpu().detach()
            """,
            findings=[(3, 12)],
            fixed="""
            import torch
            def to_host(x):
                return x.detach().cpu()
            """,
            applicability=Applicability.UNSAFE,  # x may not be a tensor
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            @torch.no_grad()
            def to_host(x):
                return x.cpu().detach()  # nothing recorded either way: the order alone
            """,
            findings=[(4, 12)],
            fixed="""
            import torch
            @torch.no_grad()
            def to_host(x):
                return x.detach().cpu()  # nothing recorded either way: the order alone
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (type(func) is cst.Attribute and func.attr.value == "detach" and not node.args):
            return
        inner = func.value
        if not (type(inner) is cst.Call and not inner.args and type(inner.func) is cst.Attribute
                and inner.func.attr.value == "cpu"):
            return
        base = inner.func.value
        proven = self.model.value_of(base).kind is Kind.TENSOR
        edit = replace_span(Anchor(inner.func.attr, "start"), Anchor(node, "end"), "detach().cpu()")
        fix = FixSpec(DETACH_FIRST if proven else DETACH_FIRST_UNPROVEN, (edit,),
                      probe=probe(self.model, node, [hole(self.model, base, "tensor")]))
        message = _UNDER_NO_GRAD if self.model.in_no_grad else self.message
        self.report(node, message.format(tensor=quote(base)), fix=fix)
