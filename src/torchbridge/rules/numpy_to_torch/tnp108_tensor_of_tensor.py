"""TNP108 tensor-of-tensor: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

import libcst as cst

from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    P,
    Precondition,
    Verdict,
)
from ...diagnostics.fix import Anchor, FixSpec, needs_parentheses, replace_span
from ...model.names import first_argument, literal_bool
from ...model.semantic import SemanticModel
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..probe import hole, probe

_EMPTY = cst.Module(body=[])
_REWRITE = ("`torch.tensor(t, dtype=d, device=v, requires_grad=r)` → `t.detach().clone()`, then `.to(dtype=d, "
            "device=v)` for the keywords given and `.requires_grad_(r)` for a `requires_grad=` that is not `False`")
_TENSOR = Precondition(F, "`t` is a tensor on every path")
_NO_PIN = Precondition(F, "no `pin_memory=` (`torch.tensor(t, pin_memory=True)` raises: the call is left alone)")

# Measured on torch 2.13 (CPU), original against fixed: the same values, dtype, shape,
# strides (a transposed or channels-last tensor keeps its strides either way), grad state
# (both leaves; `requires_grad=True` both require grad), no aliasing; a conjugate or
# negative view is resolved by both. Only the copy-construct UserWarning differs.
CLONE = ContractEntry(
    key="TNP108/clone",
    rewrite=_REWRITE + ", where the call names its `device=`",
    applicability=Applicability.SAFE,
    preconditions=(_TENSOR, _NO_PIN,
                   Precondition(F, "`device=` is given and `requires_grad=` is absent or `False`")),
    expect={"cpu": Verdict.EQUIVALENT},
    allowed=("warnings",),
    note="The same tensor, without the copy-construct warning.",
    title="Copy the tensor with `.detach().clone()`",
)

CLONE_DEFAULT_DEVICE = ContractEntry(
    key="TNP108/clone-default-device",
    rewrite="the same, where the call gives no `device=`, or asks for grad",
    applicability=Applicability.UNSAFE,
    preconditions=(
        _TENSOR, _NO_PIN,
        Precondition(P, "no default device is set: under `torch.set_default_device(d)` or `with torch.device(d):` "
                        "`torch.tensor(t)` is made on `d`, the clone stays where `t` is (measured)"),
    ),
    expect={"cpu": Verdict.EQUIVALENT},
    allowed=("warnings",),
    note="Without a `device=`, the original follows the process's default device and the clone does not. (With "
         "`requires_grad=True`, an integer tensor raises RuntimeError either way.)",
    title="Copy the tensor with `.detach().clone()`",
)


class TensorOfTensor(Rule):
    """
    ## What it does
    Finds `torch.tensor(t)` where `t` is proven to be a tensor (made by a torch factory or
    operation, a module's output, a local annotated `torch.Tensor`, an element of a tuple
    of tensors such as `values, vectors = torch.linalg.eigh(x)` or `best, at = x.max(1)`...),
    with or without `dtype=`, `device=` and `requires_grad=`.

    A parameter is not reported on its annotation alone: `torch.tensor(mean)` on a
    parameter annotated `torch.Tensor` is how code accepts the lists its callers really pass
    (diffusers' `_normalize_latents(latents, latents_mean: torch.Tensor, ...)` is called with
    a VAE config's list). A private helper's parameter without an annotation is reported
    when every call of the helper in the module passes a tensor (`_center(x, x.mean(0))`).

    ## Why is this bad?
    `torch.tensor` is meant for Python data and arrays. Given a tensor, it copies it, warns
    ("UserWarning: To copy construct from a tensor, it is recommended to use
    sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True),
    rather than torch.tensor(sourceTensor)") on every call, and returns a leaf with no
    autograd history: gradients stop flowing at that line, silently, even when `t` requires
    grad. `t.detach().clone()` does exactly the same (measured on torch 2.13: values, dtype,
    strides, grad state and device all agree) and says so.

    ## Example
    ```python
    import torch

    def center(x: torch.Tensor):
        mean = x.mean(0)
        return x - torch.tensor(mean, dtype=torch.float64)
    ```

    ## Use instead
    ```python
    import torch

    def center(x: torch.Tensor):
        mean = x.mean(0)
        return x - mean.detach().clone().to(dtype=torch.float64)
    ```

    Where the gradient should flow, use `t` itself (or `t.to(dtype)`) instead of a copy.

    ## Fix safety
    Without `device=`, `torch.tensor(t)` is made on the process's default device when one
    is set (`torch.set_default_device`), while the clone stays on `t`'s device. The
    verifier (`torchbridge verify --rules`, CPU, torch 2.13) ran each example's fix on 30
    generated tensors (with and without grad, C-ordered and transposed, every dtype): all
    equivalent, the warning the only difference.

    ## References
    - [pytorch#59800: the copy-construct warning](https://github.com/pytorch/pytorch/issues/59800)
    - [`torch.tensor`](https://docs.pytorch.org/docs/stable/generated/torch.tensor.html)
    - [`Tensor.detach`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.detach.html),
      [`Tensor.clone`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.clone.html)
    """

    code = "TNP108"
    name = "tensor-of-tensor"
    message = ("`{tensor}` is a tensor{where}: `torch.tensor` copies it with a UserWarning and drops its autograd "
               "history; use `.detach().clone()`")
    category = "style"
    requires_text = ("tensor(",)
    needs_values = True
    contract = (CLONE, CLONE_DEFAULT_DEVICE)
    VALID = [
        Valid(
            """
            import torch
            labels = torch.tensor([0, 1, 1])
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            features = torch.tensor(np.zeros(3))  # an ndarray: TNP101's
            """
        ),
        Valid(
            """
            import torch
            def scale(x):
                return torch.tensor(x)  # x may be a list or a number
            """
        ),
        Valid(
            """
            import torch
            def normalize(latents: torch.Tensor, mean: torch.Tensor):
                # Converting a parameter says the callers may pass a list, whatever its annotation.
                return latents - torch.tensor(mean)
            """
        ),
        Valid(
            """
            import torch
            def largest(x: torch.Tensor):
                first, *rest = x.unbind()
                return torch.tensor(rest)  # a list of tensors, not a tensor
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            def center(x: torch.Tensor):
                mean = x.mean(0)
                return x - torch.tensor(mean, dtype=torch.float64)
            """,
            findings=[(4, 16)],
            fixed="""
            import torch
            def center(x: torch.Tensor):
                mean = x.mean(0)
                return x - mean.detach().clone().to(dtype=torch.float64)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            weights = torch.ones(4) * 2
            copy = torch.tensor(weights, device="cpu")
            """,
            findings=[(3, 8)],
            fixed="""
            import torch
            weights = torch.ones(4) * 2
            copy = weights.detach().clone().to(device="cpu")
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch as th
            def leaf(x: th.Tensor, y: th.Tensor):
                return th.tensor(x + y, requires_grad=True)
            """,
            findings=[(3, 12)],
            fixed="""
            import torch as th
            def leaf(x: th.Tensor, y: th.Tensor):
                return (x + y).detach().clone().requires_grad_(True)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            def spectrum(kernel: torch.Tensor):
                values, vectors = torch.linalg.eigh(kernel)
                return torch.tensor(values, device="cpu")
            """,
            findings=[(4, 12)],
            fixed="""
            import torch
            def spectrum(kernel: torch.Tensor):
                values, vectors = torch.linalg.eigh(kernel)
                return values.detach().clone().to(device="cpu")
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.EQUIVALENT},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not self.model.resolves_to(node.func, "torch.tensor"):
            return
        source = first_argument(node)
        if source is None or any(arg.star for arg in node.args):
            return
        value = self.model.value_of(source)
        if value.kind is not Kind.TENSOR or _parameter(self.model, source):
            return
        where = " that requires grad (line {line})" if value.grad and value.evidence is not None else ""
        self.report(node, self.message.format(tensor=quote(source), where=where),
                    evidence=value.evidence if where else None, fix=self._fix(node, source))

    def _fix(self, call: cst.Call, source: cst.BaseExpression) -> FixSpec | None:
        positional = [a for a in call.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if len(positional) != 1 or set(keywords) - {"dtype", "device", "requires_grad"}:
            return None  # pin_memory= raises for a tensor; anything else is not torch.tensor's
        moves = [f"{k}={_EMPTY.code_for_node(keywords[k])}" for k in ("dtype", "device") if k in keywords]
        tail = ".detach().clone()" + (f".to({', '.join(moves)})" if moves else "")
        grad = keywords.get("requires_grad")
        if grad is not None and literal_bool(grad) is not False:
            tail += f".requires_grad_({_EMPTY.code_for_node(grad)})"
        safe = "device" in keywords and (grad is None or literal_bool(grad) is False)
        wrap = needs_parentheses(source)
        edits = (
            replace_span(Anchor(call, "start"), Anchor(source, "start"), "(" if wrap else ""),
            replace_span(Anchor(source, "end"), Anchor(call, "end"), (")" if wrap else "") + tail),
        )
        check = probe(self.model, call, [hole(self.model, source, "tensor")])
        return FixSpec(CLONE if safe else CLONE_DEFAULT_DEVICE, edits, probe=check)


def _parameter(model: SemanticModel, source: cst.BaseExpression) -> bool:
    """A parameter, known a tensor by its annotation: converting it says the callers may
    pass something else. One without an annotation that is a tensor here was proven so by
    every call of a private helper (``call_sites``): those calls are all it gets."""
    binding = model.lookup(source.value) if type(source) is cst.Name else None
    return binding is not None and binding.kind == "param" and model.evaluator.value(source).kind is not Kind.UNKNOWN
