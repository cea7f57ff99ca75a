"""TNP404 discarded-to: the rule, its fix contract entries and its examples.

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
from ...diagnostics.fix import FixSpec, insert_before
from ...model.names import dotted
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..probe import STATEMENT, hole, probe

# Tensor methods that return a new tensor (or the same one) and change nothing in place.
MOVES = frozenset({"to", "cuda", "cpu"})


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
ASSIGN = ContractEntry(
    key="TNP404/assign",
    rewrite="a tensor's `x.to(...)` whose result is discarded → `x = x.to(...)`",
    applicability=Applicability.UNSAFE,
    preconditions=(Precondition(F, "what the following code sees changes: that is the fix's purpose"),),
    expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
    differs=("aliasing", "dtype", "grad", "strides", "values"),
    note="The name now holds the converted tensor: a copy, in the new dtype or place, contiguous.",
    title="Assign the result (`x = x.to(...)`)",
)


class DiscardedTo(Rule):
    """
    ## What it does
    Finds `.to(...)`, `.cuda()` or `.cpu()` on a tensor, written as a statement on its own,
    so that its result is thrown away.

    ## Why is this bad?
    For a tensor these calls return a new tensor and leave the original where it was:
    `x.cuda()` on its own line does nothing (but copy, and throw the copy away), and the
    code after it still uses the CPU tensor. `nn.Module.to()` and `.cuda()` move the module
    in place, so `model.to(device)` on its own line is fine and is not reported; the rule
    reports only receivers the model proves to be tensors (also through a helper's return:
    `m = mask(n)` where `mask` returns `Variable(torch.from_numpy(a) == 0)`), and only names (a bare
    `torch.zeros(2).to("cuda")` has nothing to assign to: it is a smoke test).

    ## Example
    ```python
    import torch

    def prepare(batch: torch.Tensor, device):
        batch.to(device)
        return batch * 2
    ```

    ## Use instead
    ```python
    import torch

    def prepare(batch: torch.Tensor, device):
        batch = batch.to(device)
        return batch * 2
    ```

    ## Fix safety
    Assigning the result changes what the following code sees: that is the fix's purpose.

    ## References
    - [`Tensor.to`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.to.html)
    - [`Module.to`](https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.to)
    """

    code = "TNP404"
    name = "discarded-to"
    message = "`{call}` returns a new tensor and `{tensor}` stays as it was: the result is thrown away"
    category = "correctness"
    requires_text = (".to(", ".cuda(", ".cpu(")
    needs_values = True
    contract = (ASSIGN,)
    VALID = [
        Valid(
            """
            import torch
            model = torch.nn.Linear(4, 2)
            model.to("cpu")  # a module moves in place
            """
        ),
        Valid(
            """
            import torch
            def prepare(batch: torch.Tensor, device):
                batch = batch.to(device)
                return batch
            """
        ),
        Valid(
            """
            def prepare(batch, device):
                batch.to(device)  # unknown: a module, or a framework's batch object
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            def widen(x: torch.Tensor):
                x.to(torch.float64)
                return x
            """,
            findings=[(3, 5)],
            fixed="""
            import torch
            def widen(x: torch.Tensor):
                x = x.to(torch.float64)
                return x
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
        ),
    ]

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not (type(call) is cst.Call and type(call.func) is cst.Attribute and call.func.attr.value in MOVES):
            return
        receiver = call.func.value
        target = dotted(receiver)
        # A name the code goes on using; `torch.zeros(2).to("cuda")` alone is a smoke test.
        if target is None or self.model.value_of(receiver).kind is not Kind.TENSOR:
            return
        check = probe(self.model, call, [hole(self.model, receiver, "tensor")], use=STATEMENT)
        fix = FixSpec(ASSIGN, (insert_before(call, f"{target} = "),), probe=check)
        self.report(call, self.message.format(call=quote(call), tensor=quote(receiver)), fix=fix)
