"""TNP102 negative-stride-to-tensor: the rule, its fix contract entries and its examples.

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
from ...diagnostics.fix import FixSpec, append_method
from ...model.names import first_argument
from ...model.values import Kind, Layout
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..probe import hole, probe
from .converters import ARRAY_CONVERTERS, converter_name

# The conversions the fix contract's `.copy()` rewrite covers.
COPY_FIXED = frozenset({"torch.from_numpy", "torch.as_tensor", "torch.tensor", "torch.asarray"})


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
NEGATIVE_STRIDE = "ValueError: At least one stride in the given numpy array is negative"
COPY = ContractEntry(
    key="TNP102/copy",
    rewrite="`conv(E)` → `conv(E.copy())` for `from_numpy`, `as_tensor`, `tensor`, `asarray`, where `E` "
            "has a negative stride",
    applicability=Applicability.SAFE,
    preconditions=(
        Precondition(F, "the base of `E` is an ndarray"),
        Precondition(F, "the stride is negative on every path that reaches the call"),
    ),
    expect={"cpu": Verdict.CRASH_FIX},
    allowed=("aliasing for empty arrays",),
    crash=NEGATIVE_STRIDE,
    note="The original always raises; the copy has positive strides and converts.",
    title="Pass a copy (`.copy()`): torch cannot hold negative strides",
)


class NegativeStrideToTensor(Rule):
    """
    ## What it does
    Finds an ndarray with a negative stride passed to `torch.from_numpy`, `torch.as_tensor`,
    `torch.tensor`, `torch.asarray` or a legacy constructor such as `torch.FloatTensor`.

    An array has a negative stride after `[::-1]` on an axis (`img[:, :, ::-1]`, the usual
    BGR to RGB step), `np.flip`, `np.flipud`, `np.fliplr` or `np.rot90` (unless `k` is a
    multiple of 4). The rule follows the array through assignments and reports only when
    every path that reaches the call carries the negative stride, also out of a helper of the
    same file (`load(p)` whose every `return` flips) and through a `self.` attribute whose
    every write in the class does, and into a private or nested helper (`_detect(img)`) whose every
    call in the file passes a flip. A new array with a zero-length axis written out
    (`np.zeros((0, 3))`) has all-zero strides in NumPy, and its flips keep them: those are
    not reported (an array of unknown size is taken to be non-empty).
    `np.ascontiguousarray` of a flip is reported where the file writes out that every
    flipped axis has length 1 (`np.zeros((1, h, w))[::-1]`): NumPy hands such an array
    back with its negative stride.

    ## Why is this bad?
    torch has no tensors with negative strides, so every one of these calls raises:
    `ValueError: At least one stride in the given numpy array is negative, and tensors with
    negative strides are not currently supported.` Even `torch.tensor`, which copies, and
    `torch.asarray(..., copy=True)` raise. A reversed Python list is not an ndarray and is
    fine.

    ## Example
    ```python
    import numpy as np
    import torch

    image = np.load("image.npy")
    rgb = image[:, :, ::-1]
    tensor = torch.from_numpy(rgb)
    ```

    ## Use instead
    ```python
    import numpy as np
    import torch

    image = np.load("image.npy")
    rgb = image[:, :, ::-1].copy()
    tensor = torch.from_numpy(rgb)
    ```
    `.copy()` always gives positive strides. `np.ascontiguousarray(rgb)` is no cure: where
    the flipped axis has length 1, NumPy keeps the negative stride (numpy#23349; measured
    with numpy 2.4.6 and torch 2.13: `np.ascontiguousarray(np.zeros((1, 10, 20))[::-1])`
    has strides `(-1600, 160, 8)`, is flagged C-contiguous, and `torch.from_numpy` still
    raises). Flipping the tensor instead (`torch.from_numpy(image).flip(-1)`) works too: it
    copies on the torch side.

    ## Fix safety
    Adding `.copy()` turns a certain crash into a working conversion. A legacy constructor
    (`torch.FloatTensor(a)`) is reported without a fix: TNP105 replaces it.

    ## References
    - [`torch.from_numpy`](https://docs.pytorch.org/docs/stable/generated/torch.from_numpy.html)
    - [`numpy.flip`](https://numpy.org/doc/stable/reference/generated/numpy.flip.html)
    - [numpy#23349: `ascontiguousarray` keeps a negative stride on a length-1 axis](https://github.com/numpy/numpy/issues/23349)
    """

    code = "TNP102"
    name = "negative-stride-to-tensor"
    message = "`{array}` has a negative stride (line {{line}}): `{call}` raises ValueError; pass a copy (`.copy()`)"
    category = "correctness"
    requires_text = ("::-", "flip", "rot90")
    needs_values = True
    contract = (COPY,)
    VALID = [
        Valid(
            """
            import numpy as np
            import torch
            image = np.zeros((4, 4, 3))
            tensor = torch.from_numpy(image[:, :, ::-1].copy())
            """
        ),
        Valid(
            """
            import torch
            tokens = [1, 2, 3][::-1]  # a reversed list is no ndarray
            tensor = torch.tensor(tokens)
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            def load(path, flip):
                image = np.zeros((4, 4))
                if flip:
                    image = np.fliplr(image)
                return torch.from_numpy(image)  # flipped on one path only
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            grid = np.rot90(np.zeros((3, 3)), k=4)  # a whole turn: no flip
            tensor = torch.as_tensor(grid)
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            frames = np.zeros((2, 64, 64))[::-1]  # a flipped axis of length 2: the call copies
            tensor = torch.from_numpy(np.ascontiguousarray(frames))
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import torch
            image = np.zeros((4, 4, 3))
            rgb = image[:, :, ::-1]
            tensor = torch.from_numpy(rgb)
            """,
            findings=[(5, 10)],
            fixed="""
            import numpy as np
            import torch
            image = np.zeros((4, 4, 3))
            rgb = image[:, :, ::-1]
            tensor = torch.from_numpy(rgb.copy())
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.CRASH_FIX},
        ),
        Invalid(
            """
            import numpy as np
            import torch
            def augment(mask: np.ndarray):
                return torch.tensor(np.flip(mask, axis=0))
            """,
            findings=[(4, 12)],
            fixed="""
            import numpy as np
            import torch
            def augment(mask: np.ndarray):
                return torch.tensor(np.flip(mask, axis=0).copy())
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.CRASH_FIX},
        ),
        Invalid(
            """
            import numpy as np
            import torch
            volume = np.zeros((1, 64, 64))[::-1]  # one channel: ascontiguousarray keeps its stride
            tensor = torch.from_numpy(np.ascontiguousarray(volume))
            """,
            findings=[(4, 10)],
            fixed="""
            import numpy as np
            import torch
            volume = np.zeros((1, 64, 64))[::-1]  # one channel: ascontiguousarray keeps its stride
            tensor = torch.from_numpy(np.ascontiguousarray(volume).copy())
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.CRASH_FIX},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        call = converter_name(self.model, node.func, ARRAY_CONVERTERS)
        source = first_argument(node) if call is not None else None
        if source is None:
            return
        value = self.model.value_of(source)
        if value.kind is Kind.NDARRAY and value.layout is Layout.NEGATIVE:
            fix = None
            if call in COPY_FIXED:  # the contract's converters; a legacy constructor gets no fix
                check = probe(self.model, node, [hole(self.model, source, "array")])
                fix = FixSpec(COPY, append_method(source, "copy()"), probe=check)
            self.report(node, self.message.format(array=quote(source), call=call), evidence=value.evidence, fix=fix)
