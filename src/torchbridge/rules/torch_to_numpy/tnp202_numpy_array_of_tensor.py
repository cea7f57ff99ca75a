from __future__ import annotations

import libcst as cst

from ...diagnostics.contract import Applicability, Verdict, entry
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

_OPTIONS = ("dtype", "copy", "order", "like", "subok", "ndmin")


class NumpyArrayOfTensor(Rule):
    """
    ## What it does
    Finds `np.asarray(t)` and `np.array(t)` where `t` is proven a tensor.

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
    list_message = ("`np.{function}({tensors})` converts a list of tensors one by one{state}; stack them first: "
                    "`torch.stack({tensors}).detach().cpu().numpy()`")
    category = "correctness"
    requires_text = ("array(",)
    needs_values = True
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
            import numpy as np
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
                for x in batches:
                    outputs.append(model(x))
                return np.array(outputs)
            """,
            findings=[(8, 12)],
            fixed="""
            import numpy as np
            import torch
            model = torch.nn.Linear(4, 2)
            def predict(batches):
                outputs = []
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
        if source is None:
            return
        value = self.model.value_of(source)
        if value.kind is not Kind.TENSOR:
            self._check_list(node, source, function)  # type: ignore[arg-type]
            return
        grad = self.model.requires_grad_here(value)
        state = " (it requires grad: this raises)" if grad else " (it is on a device: this raises)" if value.on_device else ""
        message = self.message.format(function=function, tensor=quote(source), state=state)
        self.report(node, message, fix=self._fix(node, source, function))

    def _check_list(self, call: cst.Call, source: cst.BaseExpression, function: str) -> None:
        """``np.array(outputs)`` where every element of ``outputs`` is a tensor (P9)."""
        element = element_value(self.model, source)
        if element.kind is not Kind.TENSOR:
            return
        state = " (one requires grad: this raises)" if element.grad else " (they are on a device: this raises)" \
            if element.on_device else ""
        message = self.list_message.format(function=function, tensors=quote(source), state=state)
        self.report(call, message, fix=self._stack_fix(call, source))

    def _stack_fix(self, call: cst.Call, source: cst.BaseExpression) -> FixSpec | None:
        found = module_reference(self.model, "torch")
        if found is None or len(call.args) != 1 or call.args[0].star or call.args[0].keyword is not None:
            return None
        torch, imports = found
        edits = (*imports, replace(call.func, f"{torch}.stack"), insert_after(call, ".detach().cpu().numpy()"))
        check = probe(self.model, call, [hole(self.model, source, "tensor list")], names={torch: "torch"})
        return FixSpec(entry("TNP202/stack-list"), edits, probe=check)

    def _fix(self, call: cst.Call, source: cst.BaseExpression, function: str) -> FixSpec | None:
        if len(call.args) != 1 or call.args[0].star or any(a.keyword is not None and a.keyword.value in _OPTIONS for a in call.args):
            return None
        chain = "detach().cpu().numpy()"
        if function == "array":
            edits = append_method(source, chain)
            key = "TNP202/detach-cpu-array"
        else:
            wrap = needs_parentheses(source)
            edits = (
                replace_span(Anchor(call, "start"), Anchor(source, "start"), "(" if wrap else ""),
                replace_span(Anchor(source, "end"), Anchor(call, "end"), (")" if wrap else "") + "." + chain),
            )
            key = "TNP202/detach-cpu"
        return FixSpec(entry(key), edits, probe=probe(self.model, call, [hole(self.model, source, "tensor")]))
