"""TNP101 tensor-copies-ndarray: the rule, its fix contract entries and its examples.

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
from ...model.aliasing import shares_unobservably
from ...model.names import device_argument, first_argument, keyword_argument
from ...model.semantic import SemanticModel
from ...model.values import Kind, Layout
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..imports import module_reference
from ..probe import hole, probe

# A call that asks for these gets something as_tensor cannot give: leave it alone.
# dtype=: as_tensor copies too unless the array already has that dtype, which is unknown.
_COPY_REASONS = ("requires_grad", "pin_memory", "dtype")


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
AS_TENSOR = ContractEntry(
    key="TNP101/as-tensor",
    rewrite="`torch.tensor(a, **kw)` → `torch.as_tensor(a, **kw)` (keeps `dtype=` and `device=`)",
    applicability=Applicability.SAFE,
    preconditions=(
        Precondition(F, "`a` is an ndarray on every path"),
        Precondition(F, "`a` is a fresh array: made in this function by a NumPy call that returns new, "
                        "writable, owning memory (not a parameter, an attribute, a slice or view, "
                        "`np.frombuffer`, `np.asarray`, `np.load(mmap_mode=...)`)"),
        Precondition(F, "`a` is dead after the conversion: not used again, not captured by a closure, "
                        "not stored, returned or passed elsewhere, converted at most once per definition"),
        Precondition(F, "no `requires_grad=` or `pin_memory=`"),
    ),
    expect={"cpu": Verdict.EQUIVALENT},
    allowed=("aliasing",),
    note="The tensor shares the array's memory instead of copying it; the array is never seen "
         "again, so the sharing cannot be observed.",
    title="Replace `torch.tensor` with `torch.as_tensor` (shares the array's memory)",
)

AS_TENSOR_UNPROVEN = ContractEntry(
    key="TNP101/as-tensor-unproven",
    rewrite="the same, when the array may be used again, is not fresh, or is not proven an ndarray",
    applicability=Applicability.UNSAFE,
    preconditions=(),
    expect={"cpu": Verdict.DIFFERS},
    # The verifier also saw strides differ: torch.tensor copies a strided view into a
    # contiguous tensor, as_tensor keeps its strides. The contract's table lists aliasing
    # and the read-only warning only.
    differs=("aliasing", "strides", "warnings"),
    note="A later write to the array now changes the tensor too, a read-only array warns, and a "
         "strided view's tensor keeps its strides instead of being made contiguous.",
    title="Replace `torch.tensor` with `torch.as_tensor` (the tensor will share the array's memory)",
)


class TensorCopiesNdarray(Rule):
    """
    ## What it does
    Finds `torch.tensor(a)` where `a` is proven to be a NumPy ndarray (not a list, a NumPy
    scalar or a tensor), without `requires_grad=`, `pin_memory=` or `dtype=` (a dtype change
    copies either way), and not moved straight to a device.

    The rule follows `a` from where it was made: NumPy constructors (`np.zeros`, `np.load`
    of an `.npy`, `np.stack`...), `x.numpy()`, `np.ndarray` annotations, through assignments
    and branches that agree, and across functions of the same file: the return of a function
    or method whose every `return` gives an ndarray, a `self.` attribute that every write in
    the class sets to one, a parameter of a private or nested helper (`def _to_tensor(a)`) that every
    call in the file passes one.

    ## Why is this bad?
    `torch.tensor` always copies its input. `torch.as_tensor(a)` (or `torch.from_numpy(a)`)
    shares the array's memory when the dtype matches, and costs nothing. Measured on a 100 MB
    float32 array: `torch.tensor` 82 ms, `torch.as_tensor` 0.002 ms; per small sample 9.4 µs
    against 1.4 µs for `torch.from_numpy`. When a separate copy is intended, saying so
    (`torch.tensor(a.copy())`, or `torch.from_numpy(a).clone()`) makes it visible.

    Sharing means writes through one are seen through the other: keep the copy where the
    array is modified later and the tensor must not change.

    ## Example
    ```python
    import numpy as np
    import torch

    features = np.load("features.npy")
    inputs = torch.tensor(features)
    ```

    ## Use instead
    ```python
    import numpy as np
    import torch

    features = np.load("features.npy")
    inputs = torch.as_tensor(features)
    ```

    ## Fix safety
    Sharing instead of copying changes what later writes to the array do, so the fix is
    safe only where the model proves the array is fresh and never used again.

    ## References
    - [`torch.as_tensor`](https://docs.pytorch.org/docs/stable/generated/torch.as_tensor.html)
    - [`torch.tensor`](https://docs.pytorch.org/docs/stable/generated/torch.tensor.html)
    """

    code = "TNP101"
    name = "tensor-copies-ndarray"
    message = "`{array}` is an ndarray{where}: `torch.tensor` copies it; `torch.as_tensor` shares its memory"
    category = "performance"
    requires_text = ("tensor(",)
    needs_values = True
    contract = (AS_TENSOR, AS_TENSOR_UNPROVEN)
    VALID = [
        Valid(
            """
            import torch
            labels = torch.tensor([0, 1, 1])  # a list must be copied
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            scores = np.random.rand(8)
            mean = torch.tensor(scores.mean())  # a NumPy scalar, not an array
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            weights = np.ones(4)
            param = torch.tensor(weights, requires_grad=True)  # a leaf that owns its data
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            def tensor(x):
                return x
            out = tensor(np.zeros(3))  # a local function, not torch.tensor
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import torch
            features = np.load("features.npy")
            inputs = torch.tensor(features)
            """,
            findings=[(4, 10)],
            # A module-level name is a global: another module may still read the array.
            fixed="""
            import numpy as np
            import torch
            features = np.load("features.npy")
            inputs = torch.as_tensor(features)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS},
        ),
        Invalid(
            """
            import numpy as np
            import torch as th
            def to_tensor(frame: np.ndarray):
                return th.tensor(frame)
            """,
            findings=[(4, 12)],
            fixed="""
            import numpy as np
            import torch as th
            def to_tensor(frame: np.ndarray):
                return th.as_tensor(frame)
            """,
            applicability=Applicability.UNSAFE,  # the caller still holds ``frame``
            expect={"cpu": Verdict.DIFFERS},
        ),
        Invalid(
            """
            import numpy as np
            from torch import tensor
            def batch(frames):
                stacked = np.stack(frames)
                return tensor(stacked)
            """,
            findings=[(5, 12)],
            fixed="""
            import numpy as np
            import torch
            def batch(frames):
                stacked = np.stack(frames)
                return torch.as_tensor(stacked)
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.EQUIVALENT},
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._moved: set[int] = set()  # torch.tensor(...) calls whose result goes to a device

    def visit_Call(self, node: cst.Call) -> None:
        model = self.model
        func = node.func
        if type(func) is cst.Attribute and type(func.value) is cst.Call and _moves_to_device(model, node):
            self._moved.add(id(func.value))
        if not model.resolves_to(func, "torch.tensor") or id(node) in self._moved:
            return
        if model.sets_default_device:
            return  # under torch.set_default_device, as_tensor copies to that device too
        source = first_argument(node)
        if source is None or any(keyword_argument(node, k) is not None for k in _COPY_REASONS):
            return
        device = keyword_argument(node, "device")
        if device is not None and model.placement_of(device) is not False:
            return  # copied straight to a device: a transfer, not a host copy (TNP303's)
        value = model.value_of(source)
        if value.kind is not Kind.NDARRAY or value.layout is Layout.NEGATIVE:
            return  # a negative stride makes both calls raise: TNP102's finding, not a copy to save
        if value.readonly:
            return  # a read-only array is copied on purpose: sharing it is TNP107's finding
        if value.borrowed:
            return  # a DataFrame's memory (read-only under pandas 3): the copy keeps the frame out of it
        where = " (line {line})" if value.evidence is not None else ""
        self.report(node, self.message.format(array=quote(source), where=where), evidence=value.evidence,
                    fix=self._fix(node, source))

    def _fix(self, call: cst.Call, source: cst.BaseExpression) -> FixSpec | None:
        proven = shares_unobservably(self.model, source)
        chosen = AS_TENSOR if proven else AS_TENSOR_UNPROVEN
        func = call.func
        check = probe(self.model, call, [hole(self.model, source, "array")])
        if type(func) is cst.Attribute:
            return FixSpec(chosen, (replace(func.attr, "as_tensor"),), probe=check)
        found = module_reference(self.model, "torch")  # ``from torch import tensor``
        if found is None:
            return None
        torch, imports = found
        check = probe(self.model, call, [hole(self.model, source, "array")], names={torch: "torch"})
        return FixSpec(chosen, (*imports, replace(func, f"{torch}.as_tensor")), probe=check)


def _moves_to_device(model: SemanticModel, call: cst.Call) -> bool:
    """``.cuda()``, ``.to(device)``; not ``.to(torch.float32)`` or ``.to("cpu")``."""
    method = cst.ensure_type(call.func, cst.Attribute).attr.value  # the caller took only method calls
    if method == "cuda":
        return True
    target = device_argument(call) if method == "to" else None
    return target is not None and model.value_of(target).kind is not Kind.DTYPE and model.placement_of(target) is not False
