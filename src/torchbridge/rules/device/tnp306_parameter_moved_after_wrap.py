"""TNP306 parameter-moved-after-wrap: the rule, its fix contract entries and its examples.

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
from ...diagnostics.fix import Anchor, FixSpec, append_method, replace_span
from ...model.names import first_argument
from ..base import Invalid, Rule, Valid
from ..probe import hole, probe

# Conversions that may copy, and so return a plain tensor instead of the Parameter.
CONVERSIONS = frozenset({"cuda", "to", "cpu", "double", "float", "half", "bfloat16", "long", "int", "type"})
_EMPTY = cst.Module(body=[])


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
CONVERT_FIRST = ContractEntry(
    key="TNP306/convert-first",
    rewrite="`nn.Parameter(t).cuda()` → `nn.Parameter(t.cuda())` (and `.to(...)`, `.double()`...)",
    applicability=Applicability.UNSAFE,
    preconditions=(Precondition(F, "the module gains a parameter: intended, but a behaviour change"),),
    expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
    differs=("type",),
    note="The result stays a Parameter (a leaf, so its grad state differs too), and the module registers it.",
    title="Convert the data before wrapping it in `nn.Parameter`",
)


class ParameterMovedAfterWrap(Rule):
    """
    ## What it does
    Finds `nn.Parameter(...)` followed straight away by a conversion that can copy:
    `nn.Parameter(t).cuda()`, `.to(device)`, `.double()`, `.half()`...

    ## Why is this bad?
    A conversion that copies returns a plain `Tensor`, not a `Parameter`: assigned to a
    module attribute, it is not registered, so it is missing from `parameters()`, from the
    optimizer and from the `state_dict` (measured: `named_parameters()` listed 0 of them).
    On the CPU `.to('cpu')` returns the Parameter itself, so the bug shows only on GPU runs
    or with a dtype change. Convert the data first, then wrap it.

    ## Example
    ```python
    import torch
    from torch import nn

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(4)).double()
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(4).double())
    ```

    ## Fix safety
    The module gains the parameter it was meant to have: its parameter list and
    `state_dict` change, as intended.

    ## References
    - [`torch.nn.parameter.Parameter`](https://docs.pytorch.org/docs/stable/generated/torch.nn.parameter.Parameter.html)
    """

    code = "TNP306"
    name = "parameter-moved-after-wrap"
    message = "`nn.Parameter(...).{method}` returns a plain tensor: the module loses the parameter; convert the data before wrapping it"
    category = "correctness"
    requires_text = ("Parameter(",)
    contract = (CONVERT_FIRST,)
    VALID = [
        Valid(
            """
            import torch
            from torch import nn
            weight = nn.Parameter(torch.ones(4).double())
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            weight = nn.Parameter(torch.ones(4))
            weight.data = weight.data.double()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            from torch import nn
            class Scale(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.weight = nn.Parameter(torch.ones(4)).double()
            """,
            findings=[(6, 23)],
            fixed="""
            import torch
            from torch import nn
            class Scale(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.weight = nn.Parameter(torch.ones(4).double())
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
        ),
        Invalid(
            """
            import torch
            bias = torch.nn.Parameter(torch.zeros(3), requires_grad=True).cuda()
            """,
            findings=[(2, 8)],
            fixed="""
            import torch
            bias = torch.nn.Parameter(torch.zeros(3).cuda(), requires_grad=True)
            """,
            applicability=Applicability.UNSAFE,
            # Without CUDA both raise alike; on a GPU the fixed one stays a Parameter.
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.DIFFERS},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (type(func) is cst.Attribute and func.attr.value in CONVERSIONS and type(func.value) is cst.Call):
            return
        inner = func.value
        if not self.model.resolves_to(inner.func, "torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            return
        method = f"{func.attr.value}({'...' if node.args else ''})"
        self.report(node, self.message.format(method=method), fix=self._fix(node, inner))

    def _fix(self, call: cst.Call, inner: cst.Call) -> FixSpec | None:
        data = first_argument(inner)
        if data is None or inner.lpar or any(arg.star for arg in call.args):
            return None
        arguments = ", ".join(_EMPTY.code_for_node(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for arg in call.args)
        method = f"{cst.ensure_type(call.func, cst.Attribute).attr.value}({arguments})"
        edits = (*append_method(data, method), replace_span(Anchor(inner, "end"), Anchor(call, "end"), ""))
        check = probe(self.model, call, [hole(self.model, data, "tensor")])
        return FixSpec(CONVERT_FIRST, edits, probe=check)
