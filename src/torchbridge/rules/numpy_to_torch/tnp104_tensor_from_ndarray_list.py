"""TNP104 tensor-from-ndarray-list: the rule, its fix contract entries and its examples.

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
from ...diagnostics.fix import FixSpec, replace, wrap_call
from ...model.lists import element_value
from ...model.names import first_argument
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..imports import module_reference
from ..probe import hole, probe

# Both walk a Python sequence element by element when given one.
_SEQUENCE_CONVERTERS = frozenset({"torch.tensor", "torch.as_tensor"})
# The legacy constructors do too (the same "extremely slow" UserWarning, torch 2.13): reported
# without a fix, since their dtype is the default or their type's, never the arrays'.
_LEGACY_CONVERTERS = frozenset({
    "torch.Tensor", "torch.FloatTensor", "torch.DoubleTensor", "torch.LongTensor", "torch.IntTensor",
    "torch.HalfTensor", "torch.ByteTensor", "torch.BoolTensor",
})


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
STACK = ContractEntry(
    key="TNP104/stack",
    rewrite="`torch.tensor(L)` → `torch.from_numpy(np.stack(L))` (and `torch.as_tensor(L)`)",
    applicability=Applicability.UNSAFE,
    preconditions=(
        Precondition(F, "every element of `L` is an ndarray"),
        Precondition(F, "`L` is not empty, its elements are not 0-d and share one dtype: torch and NumPy "
                        "promote mixed dtypes differently, `np.stack([])` raises (P1 R1f)"),
    ),
    expect={"cpu": Verdict.DIFFERS},
    allowed=("warnings",),  # torch's own "extremely slow" warning goes
    differs=("dtype", "error", "values"),
    note="Equal for a non-empty list of arrays of one dtype and shape; mixed dtypes promote differently "
         "(int64 with float32 is float32 in torch, float64 in NumPy), and an empty list raises.",
    title="Stack the arrays with NumPy, then share the result (`torch.from_numpy(np.stack(...))`)",
)


class TensorFromNdarrayList(Rule):
    """
    ## What it does
    Finds `torch.tensor(L)` and `torch.as_tensor(L)` where `L` is a list or tuple whose
    every element is proven an ndarray: a display (`[a, b]`), a comprehension of NumPy
    results, or a list built by `.append` in the same function and used for nothing else
    (or converted into its own name, `xs = torch.tensor(xs)`). An element may come from a
    helper's return, position by position for a tuple (`_, hist = self.histogram(x)`
    where the method returns `x, np.histogram(...)[0]`).
    The legacy constructors (`torch.Tensor(L)`, `torch.FloatTensor(L)`...) are reported
    too, without a fix.

    ## Why is this bad?
    Given a sequence, torch reads it element by element through Python. For 10,000 arrays
    of shape `(3, 32, 32)` (123 MB) `torch.tensor(list)` took 4,989 ms where
    `torch.from_numpy(np.stack(list))` took 40 ms: about 125 times slower (measured). NumPy
    joins the arrays in one copy, and `from_numpy` shares the result.

    ## Example
    ```python
    import numpy as np
    import torch

    def batch(paths):
        frames = []
        for path in paths:
            frames.append(np.load(path))
        return torch.tensor(frames)
    ```

    ## Use instead
    ```python
    import numpy as np
    import torch

    def batch(paths):
        frames = []
        for path in paths:
            frames.append(np.load(path))
        return torch.from_numpy(np.stack(frames))
    ```

    ## Fix safety
    Calls with more arguments than the list (`dtype=`, `device=`, `requires_grad=`) are
    reported without a fix.

    ## References
    - [`torch.from_numpy`](https://docs.pytorch.org/docs/stable/generated/torch.from_numpy.html)
    - [`numpy.stack`](https://numpy.org/doc/stable/reference/generated/numpy.stack.html)
    """

    code = "TNP104"
    name = "tensor-from-ndarray-list"
    message = ("`{converter}({sequence})` converts a list of ndarrays element by element (about 125x slower, "
               "measured); stack them first: `torch.from_numpy(np.stack({sequence}))`")
    category = "performance"
    requires_text = ("tensor(", "Tensor(")  # torch.tensor(, torch.as_tensor(, torch.Tensor(
    needs_values = True
    contract = (STACK,)
    VALID = [
        Valid(
            """
            import numpy as np
            import torch
            def batch(frames):
                return torch.from_numpy(np.stack(frames))
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            def gather(paths, extra):
                frames = []
                for path in paths:
                    frames.append(np.load(path))
                frames.extend(extra)  # anything may have been added
                return torch.tensor(frames)
            """
        ),
        Valid(
            """
            import torch
            values = torch.tensor([1.0, 2.0, 3.0])  # numbers, not arrays
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import torch
            def batch(paths):
                frames = []
                for path in paths:
                    frames.append(np.full((3, 4), len(path)))
                return torch.tensor(frames)
            """,
            findings=[(7, 12)],
            fixed="""
            import numpy as np
            import torch
            def batch(paths):
                frames = []
                for path in paths:
                    frames.append(np.full((3, 4), len(path)))
                return torch.from_numpy(np.stack(frames))
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS},  # mixed dtypes promote differently; an empty list raises
        ),
        Invalid(
            """
            import numpy as np
            import torch
            def pair(a: np.ndarray, b: np.ndarray):
                return torch.as_tensor([a, b], dtype=torch.float32)
            """,
            findings=[(4, 12)],
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        found = self.model.qualnames(node.func) & (_SEQUENCE_CONVERTERS | _LEGACY_CONVERTERS)
        if not found:
            return
        sequence = first_argument(node)
        if sequence is None or element_value(self.model, sequence).kind is not Kind.NDARRAY:
            return
        message = self.message.format(converter=min(found), sequence=quote(sequence))
        fixable = len(node.args) == 1 and found <= _SEQUENCE_CONVERTERS
        self.report(node, message, fix=self._fix(node, sequence) if fixable else None)

    def _fix(self, call: cst.Call, sequence: cst.BaseExpression) -> FixSpec | None:
        torch = module_reference(self.model, "torch")
        numpy = module_reference(self.model, "numpy")
        if torch is None or numpy is None:
            return None
        edits = (*torch[1], *numpy[1], replace(call.func, f"{torch[0]}.from_numpy"),
                 *wrap_call(sequence, f"{numpy[0]}.stack"))
        check = probe(self.model, call, [hole(self.model, sequence, "array list")],
                      names={torch[0]: "torch", numpy[0]: "numpy"})
        return FixSpec(STACK, edits, probe=check)
