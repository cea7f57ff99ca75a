"""TNP201 numpy-without-detach-cpu: the rule, its fix contract entries and its examples.

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
from ...model.names import keyword_argument
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..probe import hole, probe
from ..versions import NUMPY_FORCE as NUMPY_FORCE_SINCE
from ..versions import at_least

# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
_TENSOR_PROVEN = Precondition(F, "`X` is a tensor on every path (TensorFlow and others have `.numpy()` too)")

DETACH_CPU = ContractEntry(
    key="TNP201/detach-cpu",
    rewrite="`X.numpy()`, `X.cpu().numpy()`, `X.detach().numpy()`, `X.data.numpy()`, `X.cpu().data.numpy()`, "
            "`X.data.cpu().numpy()` → `X.detach().cpu().numpy()`",
    applicability=Applicability.SAFE,
    preconditions=(_TENSOR_PROVEN,),
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
    crash="RuntimeError: Can't call numpy() on Tensor that requires grad / TypeError: can't convert cuda:0 "
          "device type tensor to numpy",
    note="The original raises for a tensor that requires grad or lives on a device; otherwise "
         "`.detach()` and `.cpu()` return the same memory, so nothing else changes.",
    title="Call `.detach().cpu()` before `.numpy()`",
)

NUMPY_FORCE = ContractEntry(
    key="TNP201/numpy-force",
    rewrite="the same chains → `X.numpy(force=True)`, where the project declares `torch-version` ≥ 1.13",
    applicability=Applicability.SAFE,
    preconditions=(
        _TENSOR_PROVEN,
        Precondition(F, "the project declares `torch-version` ≥ 1.13: `force` landed in pytorch/pytorch#78564 "
                        "(June 2022, first in 1.13); the 1.9 docs show `Tensor.numpy()` without arguments"),
    ),
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
    crash="RuntimeError: Can't call numpy() on Tensor that requires grad / TypeError: can't convert cuda:0 "
          "device type tensor to numpy / RuntimeError: Can't call numpy() on Tensor that has conjugate bit set / "
          "RuntimeError: Can't call numpy() on Tensor that has negative bit set",
    note="`force=True` is `.detach().cpu().resolve_conj().resolve_neg().numpy()` (its docs): the same memory where "
         "nothing is moved or resolved (measured on 2.13, also for a CPU tensor that requires grad), and a "
         "conjugate or negative view, which `.detach().cpu().numpy()` leaves raising, becomes a resolved copy.",
    title="Use `.numpy(force=True)`",
)

DETACH_CPU_UNPROVEN = ContractEntry(
    key="TNP201/detach-cpu-unproven",
    rewrite="the same, when the base of the chain is not proven a tensor",
    applicability=Applicability.UNSAFE,
    preconditions=(),
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
    note="Only the receiver of `.numpy()` was proven a tensor, not what the chain starts from.",
    title="Call `.detach().cpu()` before `.numpy()`",
)


class NumpyWithoutDetachCpu(Rule):
    """
    ## What it does
    Finds `.numpy()` on a tensor that the model shows to require grad (outside `no_grad`) or
    to live on a device, also after `.cpu()`, `.detach()` or `.data` where those do not
    help.

    A tensor requires grad when it is an `nn.Parameter`, was made with
    `requires_grad=True` or `requires_grad_()`, or comes from a module or an operation on
    such a tensor outside `torch.no_grad()` / `torch.inference_mode()`; `.detach()`,
    `.data` and `.item()` end that. It lives on a device after `.cuda()` or `.to('cuda')`
    until `.cpu()`. Tensors of unknown provenance are never reported. The proof may cross
    functions of the same file: a helper whose every `return` gives such a tensor (made in
    the grad mode of the call), a `self.` attribute, `layer.weight` of an `nn.Linear` (also
    `self.layer.weight` where every write of `self.layer` in the class makes such a layer)
    or a parameter of the file's own module, a parameter of a private or nested helper (`def
    _plot(x)`) that every call in the file passes such a tensor; a helper the file calls
    only under `no_grad` is judged without grad.

    ## Why is this bad?
    Both raise. With grad on: `RuntimeError: Can't call numpy() on Tensor that requires
    grad. Use tensor.detach().numpy() instead.` On a device: `TypeError: can't convert
    cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory
    first.` `.detach()` and `.data` do not avoid the second.

    ## Example
    ```python
    import torch

    model = torch.nn.Linear(4, 2)
    scores = model(torch.randn(8, 4)).numpy()
    ```

    ## Use instead
    ```python
    import torch

    model = torch.nn.Linear(4, 2)
    scores = model(torch.randn(8, 4)).detach().cpu().numpy()
    ```
    Or compute under `with torch.no_grad():` when no gradient is needed at all.

    ## Fix safety
    `.detach()` and `.cpu()` return the tensor itself (the same memory) when there is
    nothing to detach or move, so the fix changes only the cases that raised.

    A conjugate view (`c.conj()`) or a negative one (`c.conj().imag`) still raises after
    `.detach().cpu()`, with the very error the original raised. Decided (issue 21): where
    the project declares `torch-version` 1.13 or newer, the fix is `.numpy(force=True)`,
    which resolves those views too; without a declared version it stays
    `.detach().cpu().numpy()`, which exists in every torch and never makes a case worse.

    ## References
    - [`Tensor.numpy`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.numpy.html)
    - [`torch.no_grad`](https://docs.pytorch.org/docs/stable/generated/torch.no_grad.html)
    """

    code = "TNP201"
    name = "numpy-without-detach-cpu"
    message = "`{tensor}` {state}: `.numpy()` raises {error}; call `{remedy}` first"
    category = "correctness"
    requires_text = (".numpy(",)
    needs_values = True
    contract = (DETACH_CPU, NUMPY_FORCE, DETACH_CPU_UNPROVEN)
    VALID = [
        Valid(
            """
            import torch
            def to_array(batch):
                return batch.numpy()  # unknown provenance: not reported
            """
        ),
        Valid(
            """
            import torch
            model = torch.nn.Linear(4, 2)
            with torch.no_grad():
                scores = model(torch.randn(8, 4)).numpy()
            """
        ),
        Valid(
            """
            import torch
            weight = torch.nn.Parameter(torch.randn(3))
            values = weight.detach().numpy()
            """
        ),
        Valid(
            """
            import torch
            weight = torch.nn.Parameter(torch.randn(3))
            values = weight.numpy(force=True)
            """
        ),
        Valid(
            """
            import torch
            with torch.no_grad():
                leaf = torch.zeros(3, requires_grad=True)
                values = leaf.numpy()  # under no_grad .numpy() works, even on a leaf that requires grad
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            model = torch.nn.Linear(4, 2)
            scores = model(torch.randn(8, 4)).numpy()
            """,
            findings=[(3, 10)],
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
            import torch
            x = torch.randn(8).cuda()
            values = x.detach().numpy()
            """,
            findings=[(3, 10)],
            fixed="""
            import torch
            x = torch.randn(8).cuda()
            values = x.detach().cpu().numpy()
            """,
            applicability=Applicability.SAFE,
            # On the CPU `.detach().numpy()` already works: only a device tensor raised.
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.CRASH_FIX},
        ),
        Invalid(
            """
            import torch
            model = torch.nn.Linear(4, 2)
            scores = model(torch.randn(8, 4)).cpu().numpy()
            """,
            findings=[(3, 10)],
            fixed="""
            import torch
            model = torch.nn.Linear(4, 2)
            scores = model(torch.randn(8, 4)).numpy(force=True)
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
            torch_version="1.13",
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (type(func) is cst.Attribute and func.attr.value == "numpy"):
            return
        force = keyword_argument(node, "force")
        if force is not None and not (type(force) is cst.Name and force.value == "False"):
            return
        value = self.model.value_of(func.value)
        if value.kind is not Kind.TENSOR:
            return
        grad = self.model.requires_grad_here(value)
        if grad and value.on_device:  # the device is checked first (a meta tensor that requires grad, torch 2.13)
            state, error, remedy = "requires grad and is on a device", "TypeError", ".detach().cpu()"
        elif grad:
            state, error, remedy = "requires grad", "RuntimeError", ".detach()"
        elif value.on_device:
            state, error, remedy = "is on a device", "TypeError", ".cpu()"
        else:
            return
        if value.evidence is not None:
            state += " (line {line})"
        self.report(node, self.message.format(tensor=quote(func.value), state=state, error=error, remedy=remedy),
                    evidence=value.evidence, fix=self._fix(node))

    def _fix(self, call: cst.Call) -> FixSpec | None:
        """``X[.cpu()][.detach()][.data].numpy()`` -> ``X.detach().cpu().numpy()``."""
        if call.args:
            return None
        first = cst.ensure_type(call.func, cst.Attribute)  # ``....numpy()``
        base = first.value
        while True:
            if type(base) is cst.Call and not base.args and type(base.func) is cst.Attribute and base.func.attr.value in _PEELED:
                first, base = base.func, base.func.value
            elif type(base) is cst.Attribute and base.attr.value == "data":
                first, base = base, base.value
            else:
                break
        proven = self.model.value_of(base).kind is Kind.TENSOR
        chosen = DETACH_CPU if proven else DETACH_CPU_UNPROVEN
        replacement = "detach().cpu().numpy()"
        if proven and at_least(self.context.options.torch_version, NUMPY_FORCE_SINCE):
            chosen, replacement = NUMPY_FORCE, "numpy(force=True)"
        # From the first method's name (after its dot), so parentheses around X stay.
        edit = replace_span(Anchor(first.attr, "start"), Anchor(call, "end"), replacement)
        return FixSpec(chosen, (edit,), probe=probe(self.model, call, [hole(self.model, base, "tensor")]))


_PEELED = frozenset({"cpu", "detach"})
