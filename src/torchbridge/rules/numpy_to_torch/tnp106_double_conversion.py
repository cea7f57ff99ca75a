"""TNP106 double-conversion: the rule, its fix contract entries and its examples.

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
from ...diagnostics.fix import Anchor, FixSpec, insert_after, replace_span
from ...model import dtypes
from ...model.names import first_argument, keyword_argument
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..imports import module_reference
from ..probe import hole, probe

# The casting methods and the dtype each one means.
CASTS = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32"}
_EMPTY_MODULE = cst.Module(body=[])


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
DTYPE_IN_CALL = ContractEntry(
    key="TNP106/dtype-in-call",
    rewrite="`torch.tensor(a).float()` → `torch.tensor(a, dtype=torch.float32)` (and `.double()`, `.half()`, "
            "`.long()`, `.int()`, `.to(<dtype>)`)",
    applicability=Applicability.SAFE,
    preconditions=(
        Precondition(F, "`a` is an ndarray on every path (a list's first tensor has the default dtype, "
                        "process-wide state)"),
        Precondition(F, "the call is `torch.tensor`, not `torch.Tensor` or `torch.from_numpy`"),
        Precondition(F, "no `requires_grad=` (leaf-ness) and no `dtype=` already"),
        Precondition(F, "the cast is to a dtype, not a device"),
    ),
    expect={"cpu": Verdict.EQUIVALENT},
    allowed=("warnings",),
    note="One copy instead of two, with the same values; a complex-to-real cast's warning disappears.",
    title="Pass the dtype to `torch.tensor` (one copy instead of two)",
)

DTYPE_IN_CALL_UNPROVEN = ContractEntry(
    key="TNP106/dtype-in-call-unproven",
    rewrite="the same on a list or a source not proven an ndarray",
    applicability=Applicability.UNSAFE,
    preconditions=(),
    expect={"cpu": Verdict.DIFFERS},
    allowed=("warnings",),
    differs=("values",),
    note="A list of floats first becomes float32: `torch.tensor([0.1]).double()` is not "
         "`torch.tensor([0.1], dtype=torch.float64)` (measured).",
    title="Pass the dtype to `torch.tensor` (one copy instead of two)",
)


class DoubleConversion(Rule):
    """
    ## What it does
    Finds a dtype cast straight after `torch.tensor(...)` that changes the dtype
    `torch.tensor` inferred: `torch.tensor(x).float()`, `.double()`, `.half()`, `.long()`,
    `.int()` and `.to(<dtype>)`.

    The inferred dtype must be shown in the file: Python literals by their kind (ints make
    int64, floats the default dtype, float32, unless the file calls `set_default_dtype`;
    bools bool), and a NumPy array by its producer (`np.zeros`, `np.random.rand`,
    `np.loadtxt`... make float64; a `dtype=` argument or `.astype(np.float32)` names it).
    A cast to the dtype the tensor already has is not reported: `torch.tensor([3, 1,
    2]).long()` is int64 before the cast, and `.long()` returns the same tensor
    (`t.long() is t`). Nor is a cast whose source dtype the file does not show (a
    parameter, a file read, `np.stack` of unknown arrays): it may be a no-op.

    `torch.from_numpy(x).float()` is one conversion, not two, and is not reported; nor is a
    cast after `torch.tensor(x, dtype=...)` (a no-op, or a deliberate second step).

    ## Why is this bad?
    `torch.tensor(x)` copies `x` into a tensor of the inferred dtype, and a cast to another
    dtype copies it again. Measured on 100 MB of float64: `torch.tensor(x).float()` 149 ms,
    `torch.tensor(x, dtype=torch.float32)` 45 ms. Asking for the dtype in the call makes one
    copy, straight into the dtype wanted.

    ## Example
    ```python
    import numpy as np
    import torch

    features = np.load("features.npy")
    inputs = torch.tensor(features).float()
    ```

    ## Use instead
    ```python
    import numpy as np
    import torch

    features = np.load("features.npy")
    inputs = torch.tensor(features, dtype=torch.float32)
    ```

    ## Fix safety
    For an ndarray the values are the same either way. For a Python list they may not be:
    the list first becomes a tensor of the default dtype (float32), so
    `torch.tensor([0.1]).double()` is not `torch.tensor([0.1], dtype=torch.float64)`
    (measured), and the default dtype is process-wide state.

    ## References
    - [`torch.tensor`](https://docs.pytorch.org/docs/stable/generated/torch.tensor.html)
    - [`Tensor.to`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.to.html)
    """

    code = "TNP106"
    name = "double-conversion"
    message = ("`torch.tensor(...)` copies into {source} and `.{cast}` copies again into {target}; "
               "pass `dtype={dtype}` to `torch.tensor` instead")
    category = "style"
    requires_text = (").float()", ").double()", ").half()", ").long()", ").int()", ").to(")
    needs_values = True
    contract = (DTYPE_IN_CALL, DTYPE_IN_CALL_UNPROVEN)
    VALID = [
        Valid(
            """
            import numpy as np
            import torch
            features = np.zeros((4, 3))
            inputs = torch.from_numpy(features).float()  # one conversion
            """
        ),
        Valid(
            """
            import torch
            x = torch.tensor([1, 2, 3]).to("cpu")  # a device, not a dtype
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            features = np.zeros((4, 3))
            inputs = torch.tensor(features, dtype=torch.float32)
            """
        ),
        Valid(
            """
            import torch
            order = torch.tensor([3, 1, 2]).long()  # already int64: `.long()` returns the same tensor
            scale = torch.tensor([0.5, 2.0]).float()  # already float32, the default dtype
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            def load(values, path):
                a = torch.tensor(values).float()  # the dtype of `values` is not shown: maybe float32
                b = torch.tensor(np.load(path)).float()  # nor is a file's
                c = torch.tensor(np.zeros(3, dtype=np.float32)).float()  # float32 already
                return a, b, c
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import torch
            def load(path):
                features = np.loadtxt(path)
                return torch.tensor(features).float()
            """,
            findings=[(5, 12)],
            fixed="""
            import numpy as np
            import torch
            def load(path):
                features = np.loadtxt(path)
                return torch.tensor(features, dtype=torch.float32)
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch as th
            weights = th.tensor([0.1, 0.2, 0.7]).to(th.float64)
            """,
            findings=[(2, 11)],
            fixed="""
            import torch as th
            weights = th.tensor([0.1, 0.2, 0.7], dtype=th.float64)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS},
        ),
        Invalid(
            """
            import torch
            anchors = torch.tensor([[10, 13], [16, 30]]).float()
            """,
            findings=[(2, 11)],
            fixed="""
            import torch
            anchors = torch.tensor([[10, 13], [16, 30]], dtype=torch.float32)
            """,
            applicability=Applicability.UNSAFE,  # a list: unproven in general, equal for these ints
            expect={"cpu": Verdict.EQUIVALENT},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is not cst.Attribute or type(func.value) is not cst.Call:
            return
        inner = func.value
        if not self.model.resolves_to(inner.func, "torch.tensor") or keyword_argument(inner, "dtype") is not None:
            return  # with dtype= the cast is a no-op or a deliberate second step
        cast = self._cast(node)
        if cast is None:
            return
        dtype, target = cast
        source = self.model.value_of(inner).dtype
        if source is None or source == target:
            return  # a dtype the file does not show, or a cast that returns the same tensor
        called = f"{func.attr.value}({'...' if node.args else ''})"
        fix = self._fix(node, inner, dtype)
        message = self.message.format(cast=called, source=source, target=target,
                                      dtype=f"torch.{dtype}" if "." not in dtype else dtype)
        self.report(node, message, fix=fix)

    def _cast(self, call: cst.Call) -> tuple[str, str] | None:
        """The dtype the call casts to, as the fix writes it (``float32`` for ``.float()``,
        the argument's text for ``.to(torch.float64)``) and by its canonical name; None for
        anything else (a device, more arguments, a dtype not written out)."""
        method = cst.ensure_type(call.func, cst.Attribute).attr.value  # visit_Call took only method calls
        if method in CASTS and not call.args:
            return CASTS[method], CASTS[method]
        if method != "to" or len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
            return None
        target = call.args[0].value
        canonical = dtypes.torch_dtype(self.model, target)
        if canonical is None:
            return None
        return _EMPTY_MODULE.code_for_node(target), canonical

    def _fix(self, call: cst.Call, inner: cst.Call, dtype: str) -> FixSpec | None:
        source = first_argument(inner)
        if source is None or inner.lpar or keyword_argument(inner, "requires_grad") is not None:
            return None  # a leaf is wanted: folding the cast would make it a non-leaf
        last = inner.args[-1]
        if not isinstance(last.comma, cst.MaybeSentinel):
            return None  # a trailing comma: leave the layout to its author
        imports: tuple = ()
        if "." not in dtype:
            found = module_reference(self.model, "torch")
            if found is None:
                return None
            torch, imports = found
            dtype = f"{torch}.{dtype}"
        proven = self.model.value_of(source).kind is Kind.NDARRAY
        chosen = DTYPE_IN_CALL if proven else DTYPE_IN_CALL_UNPROVEN
        edits = (
            *imports,
            insert_after(last.value, f", dtype={dtype}"),
            replace_span(Anchor(inner, "end"), Anchor(call, "end"), ""),
        )
        check = probe(self.model, call, [hole(self.model, source, "array" if proven else "data")])
        return FixSpec(chosen, edits, probe=check)
