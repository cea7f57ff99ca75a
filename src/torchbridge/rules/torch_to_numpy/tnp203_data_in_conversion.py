"""TNP203 data-in-conversion: the rule, its fix contract entries and its examples.

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
from ...diagnostics.fix import FixSpec, replace
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..probe import hole, probe

# What may sit between `.data` and the `.numpy()` that ends the chain.
_CHAIN = frozenset({"cpu", "detach"})


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
DETACH = ContractEntry(
    key="TNP203/detach",
    rewrite="`.data` in a conversion chain ending in `.numpy()` → `.detach()`",
    applicability=Applicability.SAFE,
    preconditions=(Precondition(F, "the receiver is a tensor on every path"),),
    expect={"cpu": Verdict.EQUIVALENT},
    note="Both share the tensor's memory without grad; only autograd's version counter differs, "
         "which a read into NumPy never touches.",
    title="Use `.detach()` instead of `.data`",
)

DETACH_UNPROVEN = ContractEntry(
    key="TNP203/detach-unproven",
    rewrite="the same, when the receiver is not proven a tensor",
    applicability=Applicability.UNSAFE,
    preconditions=(),
    expect={"cpu": Verdict.EQUIVALENT},
    note="Another library's `.data` may be something else entirely.",
    title="Use `.detach()` instead of `.data`",
)


class DataInConversion(Rule):
    """
    ## What it does
    Finds `.data` in a chain that ends in `.numpy()`: `x.data.numpy()`,
    `x.data.cpu().numpy()`, `x.cpu().data.numpy()`. Off by default: the idiom is old but
    not wrong.

    ## Why is this bad?
    `.data` gives a tensor that shares storage and does not require grad, like `.detach()`,
    but its in-place changes are invisible to autograd's version counter; the autograd
    notes advise `.detach()`. In a chain that only reads the values into NumPy the two
    are equivalent, so `.detach()` costs nothing and says what is meant.

    ## Example
    ```python
    import torch

    weight = torch.nn.Parameter(torch.randn(3))
    values = weight.data.cpu().numpy()
    ```

    ## Use instead
    ```python
    import torch

    weight = torch.nn.Parameter(torch.randn(3))
    values = weight.detach().cpu().numpy()
    ```

    ## Fix safety
    Only chains that end in `.numpy()` are reported: there `.data` and `.detach()` give the
    same values sharing the same memory. Outside them (`x.data.mul_(2)`) the two differ
    for autograd, and are not touched.

    ## References
    - [Autograd mechanics: in-place operations](https://docs.pytorch.org/docs/stable/notes/autograd.html#in-place-operations-with-autograd)
    - [`Tensor.detach`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.detach.html)
    """

    code = "TNP203"
    name = "data-in-conversion"
    message = "`{tensor}.data` in a conversion to NumPy: `.detach()` is the same here, and tracked by autograd"
    category = "style"
    default_enabled = False
    requires_text = (".data",)
    needs_values = True
    contract = (DETACH, DETACH_UNPROVEN)
    VALID = [
        Valid(
            """
            import torch
            weight = torch.nn.Parameter(torch.randn(3))
            weight.data.mul_(2)  # not a conversion: .data and .detach() differ here
            """
        ),
        Valid(
            """
            import torch
            weight = torch.nn.Parameter(torch.randn(3))
            values = weight.detach().cpu().numpy()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            weight = torch.nn.Parameter(torch.randn(3))
            values = weight.data.cpu().numpy()
            """,
            findings=[(3, 10)],
            fixed="""
            import torch
            weight = torch.nn.Parameter(torch.randn(3))
            values = weight.detach().cpu().numpy()
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            def to_array(x):
                return x.cpu().data.numpy()
            """,
            findings=[(2, 12)],
            fixed="""
            def to_array(x):
                return x.cpu().detach().numpy()
            """,
            applicability=Applicability.UNSAFE,  # x may not be a tensor
            expect={"cpu": Verdict.EQUIVALENT},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (type(func) is cst.Attribute and func.attr.value == "numpy" and not node.args):
            return
        link = func.value
        while True:
            if type(link) is cst.Attribute and link.attr.value == "data":
                self._report(node, link)
                return
            if type(link) is cst.Call and not link.args and type(link.func) is cst.Attribute and link.func.attr.value in _CHAIN:
                link = link.func.value
                continue
            return

    def _report(self, call: cst.Call, data: cst.Attribute) -> None:
        proven = self.model.value_of(data.value).kind is Kind.TENSOR
        chosen = DETACH if proven else DETACH_UNPROVEN
        check = probe(self.model, call, [hole(self.model, data.value, "tensor")])
        fix = FixSpec(chosen, (replace(data.attr, "detach()"),), probe=check)
        self.report(data, self.message.format(tensor=quote(data.value)), fix=fix)
