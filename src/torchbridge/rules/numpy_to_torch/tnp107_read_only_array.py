"""TNP107 read-only-array: the rule, its fix contract entry and its examples.

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
from ...diagnostics.fix import FixSpec, Hole, append_method
from ...model.names import first_argument, keyword_argument
from ...model.values import Kind, Layout
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..probe import hole, probe
from .converters import SHARING_CONVERTERS, converter_name

COPY = ContractEntry(
    key="TNP107/copy",
    rewrite="`torch.from_numpy(a)` / `torch.as_tensor(a)` → the same call on `a.copy()`",
    applicability=Applicability.UNSAFE,
    preconditions=(Precondition(F, "the tensor no longer shares the array's memory: one more copy, and a write "
                                   "through either is no longer seen through the other"),),
    expect={"cpu": Verdict.DIFFERS},
    # Observed by the verifier on every layout (CPU, torch 2.13): a negative-stride array made
    # from_numpy raise and its copy does not ("error").
    differs=("aliasing", "error", "strides", "warnings"),
    note="The tensor owns a C-ordered copy: no warning, no sharing, and a broadcast array's zero strides become "
         "real ones; a negative-stride array, which made the call raise, converts.",
    title="Convert a writeable copy (`.copy()`)",
)


class ReadOnlyArray(Rule):
    """
    ## What it does
    Finds `torch.from_numpy(a)` and `torch.as_tensor(a)` (without `dtype=` or `device=`,
    which may copy) where `a` is an array NumPy made read-only:

    - `np.frombuffer` of `bytes` (a bytes literal, `f.read()`, `x.tobytes()`,
      `base64.b64decode(...)`, `zlib.decompress(...)`, a slice of those), not of a
      `bytearray`;
    - `np.broadcast_to(...)`;
    - `np.load(..., mmap_mode="r")` and `np.memmap(..., mode="r")` (not `"c"` or `"r+"`);
    - `np.asarray(image)` of a PIL image (`np.array(image)` copies and is writeable),
      followed through the image's reassignments (`mask = mask.rotate(r)`) and `with`;
    - an array after `a.setflags(write=False)`, `a.flags.writeable = False` or
      `a.flags["WRITEABLE"] = False`;

    and the views that keep the flag (slices, `.reshape` of a contiguous array, `.view`,
    `.transpose`, `.swapaxes`, `.squeeze`, `np.asarray` without a dtype).

    `torch.tensor(a)` copies and is right for these arrays: it is not reported.

    ## Why is this bad?
    Torch has no read-only tensors. The tensor shares the array's memory and can be
    written: torch warns ("UserWarning: The given NumPy array is not writable, and PyTorch
    does not support non-writable tensors. This means writing to this tensor will result in
    undefined behavior. You may want to copy the array to protect its data or make it
    writable before converting it to a tensor."), once per process, so later conversions
    go unnoticed. A write through the tensor changes memory that is meant never to change:
    measured, `torch.from_numpy(np.frombuffer(data, np.float32)).add_(1)` modified the
    immutable `bytes` object `data`. A tensor from `np.broadcast_to` has zero strides: all
    its rows alias one row, so an in-place operation on it writes the same element many
    times.

    Measured on numpy 2.4 and torch 2.13 (each source in a fresh process; see
    `docs/read-only-arrays.md`): every source above gives `flags.writeable == False` and the
    warning from both `from_numpy` and `as_tensor`; `torch.tensor` copies and does not warn.

    ## Example
    ```python
    import numpy as np
    import torch

    def decode(payload: bytes):
        experts = np.frombuffer(payload, dtype=np.int32)
        return torch.from_numpy(experts)
    ```

    ## Use instead
    ```python
    import numpy as np
    import torch

    def decode(payload: bytes):
        experts = np.frombuffer(payload, dtype=np.int32)
        return torch.from_numpy(experts.copy())
    ```

    Or `torch.tensor(experts)`, which copies, where a copy is what is meant.

    ## Fix safety
    The copy costs memory and time, and the tensor no longer shares the array's memory.

    ## References
    - [`torch.from_numpy`](https://docs.pytorch.org/docs/stable/generated/torch.from_numpy.html)
    - [`numpy.frombuffer`](https://numpy.org/doc/stable/reference/generated/numpy.frombuffer.html),
      [`numpy.broadcast_to`](https://numpy.org/doc/stable/reference/generated/numpy.broadcast_to.html)
    - [pytorch#5442: a tensor from a read-only array can be written](https://github.com/pytorch/pytorch/issues/5442)
    - [vision#4183: the warning from MNIST's `np.frombuffer`](https://github.com/pytorch/vision/issues/4183),
      [ComfyUI-GGUF#232: from a read-only memory map](https://github.com/city96/ComfyUI-GGUF/issues/232),
      [GenAD#13: from `np.asarray` of a PIL image](https://github.com/wzzheng/GenAD/issues/13)
    """

    code = "TNP107"
    name = "read-only-array"
    message = ("`{array}` is a read-only array: `{call}` shares its memory in a tensor torch treats as writeable "
               "(a UserWarning; a write through it is undefined behaviour); convert `{array}.copy()`")
    category = "correctness"
    requires_text = ("from_numpy", "as_tensor")
    needs_values = True
    contract = (COPY,)
    VALID = [
        Valid(
            """
            import numpy as np
            import torch
            buffer = bytearray(64)
            values = torch.from_numpy(np.frombuffer(buffer, dtype=np.float32))  # a bytearray is writeable
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            def decode(payload: bytes):
                return torch.tensor(np.frombuffer(payload, dtype=np.int32))  # torch.tensor copies
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            weights = np.load("weights.npy", mmap_mode="c")  # copy-on-write: writeable
            tensor = torch.from_numpy(weights)
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            from PIL import Image
            def load_mask(path):
                mask = Image.open(path)
                mask = mask.rotate(90)
                mask = np.array(mask)  # np.array copies: writeable
                return torch.from_numpy(mask)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import torch
            def decode(path):
                with open(path, "rb") as f:
                    data = f.read()
                return torch.from_numpy(np.frombuffer(data, dtype=np.uint8))
            """,
            findings=[(6, 12)],
            fixed="""
            import numpy as np
            import torch
            def decode(path):
                with open(path, "rb") as f:
                    data = f.read()
                return torch.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS},
        ),
        Invalid(
            """
            import numpy as np
            import torch
            row = np.arange(4.0)
            grid = np.broadcast_to(row, (3, 4))
            tensor = torch.as_tensor(grid)
            """,
            findings=[(5, 10)],
            fixed="""
            import numpy as np
            import torch
            row = np.arange(4.0)
            grid = np.broadcast_to(row, (3, 4))
            tensor = torch.as_tensor(grid.copy())
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS},
        ),
        Invalid(
            """
            import numpy as np
            import torch
            table = np.zeros((8, 3))
            table.flags.writeable = False
            view = torch.from_numpy(table[:4])
            """,
            findings=[(5, 8)],
            fixed="""
            import numpy as np
            import torch
            table = np.zeros((8, 3))
            table.flags.writeable = False
            view = torch.from_numpy(table[:4].copy())
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        call = converter_name(self.model, node.func, SHARING_CONVERTERS)
        if call is None or any(keyword_argument(node, k) is not None for k in ("dtype", "device")):
            return
        source = first_argument(node)
        if source is None or len(node.args) != 1:
            return
        value = self.model.value_of(source)
        if value.kind is not Kind.NDARRAY or value.readonly is not True:
            return
        # An unsafe fix is tried on every layout (fix contract, law 4a), not only the one proven here.
        proven = hole(self.model, source, "array")
        check = probe(self.model, node, [Hole(source, "array", {**proven.facts, "layout": Layout.UNKNOWN.value,
                                                                "ndim": None})])
        self.report(node, self.message.format(array=quote(source), call=call),
                    fix=FixSpec(COPY, append_method(source, "copy()"), probe=check))
