"""TNP202 numpy-array-of-tensor: the rule, its fix contract entries and its examples.

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
from ...diagnostics.fix import (
    Anchor,
    FixSpec,
    append_method,
    insert_after,
    needs_parentheses,
    replace,
    replace_span,
)
from ...model.lists import element_value
from ...model.names import first_argument
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..imports import module_reference
from ..probe import hole, probe
from .tnp205_implicit_tensor_conversion import raising_element

_OPTIONS = ("dtype", "copy", "order", "like", "subok", "ndmin")


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
GRAD_OR_DEVICE = ("RuntimeError: Can't call numpy() on Tensor that requires grad / TypeError: can't convert cuda:0 "
                   "device type tensor to numpy")
DETACH_CPU = ContractEntry(
    key="TNP202/detach-cpu",
    rewrite="`np.asarray(X)` → `X.detach().cpu().numpy()`",
    applicability=Applicability.SAFE,
    preconditions=(
        Precondition(F, "`X` is a tensor on every path"),
        Precondition(F, "no `dtype=`, `copy=` or `order=` arguments"),
    ),
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
    crash=GRAD_OR_DEVICE,
    note="It raised for a tensor that requires grad or lives on a device; otherwise both share the "
         "tensor's memory.",
    title="Convert with `.detach().cpu().numpy()`",
)

DETACH_CPU_ARRAY = ContractEntry(
    key="TNP202/detach-cpu-array",
    rewrite="`np.array(X)` → `np.array(X.detach().cpu().numpy())`",
    applicability=Applicability.SAFE,
    preconditions=(
        Precondition(F, "`X` is a tensor on every path"),
        Precondition(F, "no `dtype=`, `copy=` or `order=` arguments"),
    ),
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
    allowed=("warnings",),
    crash=GRAD_OR_DEVICE,
    note="It raised for a tensor that requires grad or lives on a device; NumPy 2's `__array__` copy-keyword "
         "DeprecationWarning disappears (measured).",
    title="Convert with `.detach().cpu().numpy()` inside `np.array`",
)

STACK_LIST = ContractEntry(
    key="TNP202/stack-list",
    rewrite="`np.array(L)` / `np.asarray(L)` of a list of tensors → `torch.stack(L).detach().cpu().numpy()`",
    applicability=Applicability.UNSAFE,
    preconditions=(
        Precondition(F, "every element of `L` is a tensor"),
        Precondition(F, "`L` is not empty and its tensors have one shape and dtype: ragged, 0-d or mixed "
                        "elements differ (P9)"),
    ),
    expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
    differs=("error",),
    crash=GRAD_OR_DEVICE,
    note="One stack and one copy to the host instead of one per tensor. An empty list raises in `torch.stack` "
         "where NumPy gives an empty float64 array, and ragged lists raise other errors; 0-d tensors and mixed "
         "float dtypes gave equal results on CPU (verifier, torch 2.13).",
    title="Stack the tensors with torch, then convert once",
)


class NumpyArrayOfTensor(Rule):
    """
    ## What it does
    Finds `np.asarray(t)` and `np.array(t)` where `t` is proven a tensor, and the same of a
    list of tensors, which NumPy converts one by one. A list with an element proven to
    require grad or to live on a device is TNP205's (implicit-tensor-conversion): there the
    call raises.

    ## Why is this bad?
    NumPy converts a tensor through its `__array__` method, which calls `.numpy()`: it
    raises for a tensor that requires grad (`RuntimeError: Can't call numpy() on Tensor
    that requires grad`) or lives on a device (`TypeError: can't convert cuda:0 device type
    tensor to numpy`), the same as `.numpy()` itself, and under NumPy 2 `np.array(t)` also
    warns that `__array__` does not accept the `copy` keyword. `t.detach().cpu().numpy()`
    says what is meant and works on every tensor; the message says "raises" only where the
    model proves grad or a device.

    ## Example
    ```python
    import numpy as np
    import torch

    model = torch.nn.Linear(4, 2)
    scores = np.asarray(model(torch.randn(8, 4)))
    ```

    ## Use instead
    ```python
    import numpy as np
    import torch

    model = torch.nn.Linear(4, 2)
    scores = model(torch.randn(8, 4)).detach().cpu().numpy()
    ```

    ## Fix safety
    `np.asarray(t)` shares the tensor's memory on the CPU, as `.detach().cpu().numpy()` does;
    `np.array(t)` copies, and stays `np.array(...)` around the conversion. Calls with
    `dtype=`, `copy=` or `order=` are reported without a fix.

    ## References
    - [`Tensor.numpy`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.numpy.html)
    - [`numpy.asarray`](https://numpy.org/doc/stable/reference/generated/numpy.asarray.html)
    """

    code = "TNP202"
    name = "numpy-array-of-tensor"
    message = "`np.{function}({tensor})` converts a tensor{state}; call `{tensor}.detach().cpu().numpy()`"
    list_message = ("`np.{function}({tensors})` converts a list of tensors one by one; stack them first: "
                    "`torch.stack({tensors}).detach().cpu().numpy()`")
    category = "correctness"
    requires_text = ("array(",)
    needs_values = True
    contract = (DETACH_CPU, DETACH_CPU_ARRAY, STACK_LIST)
    VALID = [
        Valid(
            """
            import numpy as np
            def to_array(values):
                return np.asarray(values)  # unknown: not reported
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            weight = torch.nn.Parameter(torch.randn(3))
            values = np.asarray(weight.detach().cpu().numpy())  # already an array
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import torch
            model = torch.nn.Linear(4, 2)
            scores = np.asarray(model(torch.randn(8, 4)))
            """,
            findings=[(4, 10)],
            fixed="""
            import torch
            model = torch.nn.Linear(4, 2)
            scores = model(torch.randn(8, 4)).detach().cpu().numpy()
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
        ),
        Invalid(
            """
            import numpy as np
            import torch
            def snapshot(t: torch.Tensor):
                return np.array(t)
            """,
            findings=[(4, 12)],
            fixed="""
            import numpy as np
            import torch
            def snapshot(t: torch.Tensor):
                return np.array(t.detach().cpu().numpy())
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
        ),
        Invalid(
            """
            import numpy as np
            import torch
            model = torch.nn.Linear(4, 2)
            def predict(batches):
                outputs = []
                with torch.no_grad():
                    for x in batches:
                        outputs.append(model(x))
                return np.array(outputs)
            """,
            findings=[(9, 12)],
            fixed="""
            import torch
            model = torch.nn.Linear(4, 2)
            def predict(batches):
                outputs = []
                with torch.no_grad():
                    for x in batches:
                        outputs.append(model(x))
                return torch.stack(outputs).detach().cpu().numpy()
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        names = self.model.qualnames(node.func)
        function = "asarray" if "numpy.asarray" in names else "array" if "numpy.array" in names else None
        source = first_argument(node) if function is not None else None
        if function is None or source is None:
            return
        value = self.model.value_of(source)
        if value.kind is not Kind.TENSOR:
            self._check_list(node, source, function)
            return
        grad = self.model.requires_grad_here(value)
        state = " (it requires grad: this raises)" if grad else " (it is on a device: this raises)" if value.on_device else ""
        message = self.message.format(function=function, tensor=quote(source), state=state)
        self.report(node, message, fix=self._fix(node, source, function))

    def _check_list(self, call: cst.Call, source: cst.BaseExpression, function: str) -> None:
        """``np.array(outputs)`` where every element of ``outputs`` is a tensor (P9)."""
        element = element_value(self.model, source)
        if element.kind is not Kind.TENSOR or raising_element(self.model, source) is not None:
            return  # a list whose conversion raises is TNP205's (implicit-tensor-conversion)
        message = self.list_message.format(function=function, tensors=quote(source))
        self.report(call, message, fix=self._stack_fix(call, source))

    def _stack_fix(self, call: cst.Call, source: cst.BaseExpression) -> FixSpec | None:
        found = module_reference(self.model, "torch")
        if found is None or len(call.args) != 1 or call.args[0].star or call.args[0].keyword is not None:
            return None
        torch, imports = found
        edits = (*imports, replace(call.func, f"{torch}.stack"), insert_after(call, ".detach().cpu().numpy()"))
        check = probe(self.model, call, [hole(self.model, source, "tensor list")], names={torch: "torch"})
        return FixSpec(STACK_LIST, edits, probe=check)

    def _fix(self, call: cst.Call, source: cst.BaseExpression, function: str) -> FixSpec | None:
        if len(call.args) != 1 or call.args[0].star or any(a.keyword is not None and a.keyword.value in _OPTIONS for a in call.args):
            return None
        chain = "detach().cpu().numpy()"
        if function == "array":
            edits = append_method(source, chain)
            chosen = DETACH_CPU_ARRAY
        else:
            wrap = needs_parentheses(source)
            edits = (
                replace_span(Anchor(call, "start"), Anchor(source, "start"), "(" if wrap else ""),
                replace_span(Anchor(source, "end"), Anchor(call, "end"), (")" if wrap else "") + "." + chain),
            )
            chosen = DETACH_CPU
        return FixSpec(chosen, edits, probe=probe(self.model, call, [hole(self.model, source, "tensor")]))
