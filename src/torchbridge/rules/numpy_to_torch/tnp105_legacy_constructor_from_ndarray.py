"""TNP105 legacy-constructor-from-ndarray: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    P,
    Precondition,
    Verdict,
)
from ...diagnostics.fix import FixSpec, insert_after, replace
from ...model.names import first_argument
from ...model.values import Kind, Layout
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..imports import module_reference
from ..probe import hole, probe

# The typed constructors and the cast that gives their dtype.
TYPED = {
    "FloatTensor": "float", "DoubleTensor": "double", "HalfTensor": "half", "BFloat16Tensor": "bfloat16",
    "LongTensor": "long", "IntTensor": "int", "ShortTensor": "short", "CharTensor": "char",
    "ByteTensor": "byte", "BoolTensor": "bool",
}


@dataclass(frozen=True)
class _Constructor:
    qualname: str
    cast: str | None  # None: ``torch.Tensor``, which follows the default dtype
    on_cuda: bool


def _constructor(qualname: str) -> _Constructor | None:
    if qualname == "torch.Tensor":
        return _Constructor(qualname, None, False)
    module, _, name = qualname.rpartition(".")
    if name in TYPED and module in ("torch", "torch.cuda"):
        return _Constructor(qualname, TYPED[name], module == "torch.cuda")
    return None


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
FROM_NUMPY_CAST = ContractEntry(
    key="TNP105/from-numpy-cast",
    rewrite="`torch.FloatTensor(a)` → `torch.from_numpy(a).float()` (`DoubleTensor` → `.double()`, `LongTensor` → "
            "`.long()`...; `torch.Tensor(a)` → `torch.from_numpy(a).to(torch.get_default_dtype())`), keeping the "
            "sharing of an array whose dtype already matches",
    applicability=Applicability.UNSAFE,
    preconditions=(
        Precondition(F, "`a` is an ndarray on every path"),
        Precondition(F, "`a` is not 0-d (the constructor reads an integer 0-d array as a size)"),
        Precondition(P, "`torch.Tensor(a)` follows the default dtype"),
    ),
    expect={"cpu": Verdict.DIFFERS},
    differs=("shape", "strides", "values"),
    note="Equal on arrays of one or more dimensions; a 0-d array is a size to the constructor and a "
         "scalar to `from_numpy`.",
    title="Use `torch.from_numpy` and a cast",
)


class LegacyConstructorFromNdarray(Rule):
    """
    ## What it does
    Finds an ndarray passed to a legacy constructor: `torch.Tensor(a)`, `torch.FloatTensor(a)`
    and the other typed constructors, and `torch.cuda.FloatTensor(a)` and its kin, also
    through a module-level alias chosen at run time (`Tensor = torch.cuda.FloatTensor if
    cuda else torch.FloatTensor`). A value that is an ndarray or a NumPy scalar is reported
    too, without a fix, since the constructor raises on the scalar: an h5py dataset read at a
    number (`ds[i // n] / 255.`), and any index of an array whose dtype the code shows
    (`clip[index]` where `clip = np.zeros(shape, dtype=np.float32)`).

    ## Why is this bad?
    The legacy constructors behave unlike the modern ones in ways that are easy to miss:
    they share the array's memory only when its dtype is already theirs
    (`torch.FloatTensor(float32_array)` aliases, `torch.FloatTensor(float64_array)` copies),
    `torch.Tensor` follows the default dtype, and an integer 0-d array is read as a *size*:
    `torch.FloatTensor(np.array(3))` is an uninitialized tensor of shape `(3,)`, not the
    number 3. They take no `dtype=` argument, and the `torch.cuda` ones are deprecated.
    `torch.from_numpy(a)` followed by the cast says what happens.

    ## Example
    ```python
    import numpy as np
    import torch

    noise = torch.FloatTensor(np.random.normal(0, 1, (16, 100)))
    ```

    ## Use instead
    ```python
    import numpy as np
    import torch

    noise = torch.from_numpy(np.random.normal(0, 1, (16, 100))).float()
    ```

    ## Fix safety
    The cast after `torch.from_numpy` keeps the constructor's sharing: it returns the same
    tensor when the dtype already matches, a cast copy otherwise. `torch.cuda.*Tensor(a)` and
    a run-time alias are reported without a fix (the device is part of the question).

    ## References
    - [`torch.from_numpy`](https://docs.pytorch.org/docs/stable/generated/torch.from_numpy.html)
    - [Tensor attributes: the legacy types](https://docs.pytorch.org/docs/stable/tensors.html)
    """

    code = "TNP105"
    name = "legacy-constructor-from-ndarray"
    message = ("{constructor} of the ndarray `{array}` is a legacy constructor: it shares the array only when the "
               "dtypes match and reads an integer 0-d array as a size; use `torch.from_numpy(...){cast}`")
    category = "style"
    requires_text = ("Tensor(",)
    needs_values = True
    contract = (FROM_NUMPY_CAST,)
    VALID = [
        Valid(
            """
            import torch
            sizes = torch.FloatTensor(3, 4)  # a size, not data: not this rule's
            values = torch.LongTensor([1, 2, 3])  # a list: no ndarray involved
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            def f(t: torch.Tensor):
                return torch.Tensor(t)  # a tensor, not an ndarray
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import torch
            noise = torch.FloatTensor(np.random.normal(0, 1, (16, 100)))
            """,
            findings=[(3, 9)],
            fixed="""
            import numpy as np
            import torch
            noise = torch.from_numpy(np.random.normal(0, 1, (16, 100))).float()
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT},  # two dimensions: never read as a size
        ),
        Invalid(
            """
            import numpy as np
            import torch
            def labels(y: np.ndarray):
                return torch.Tensor(y)
            """,
            findings=[(4, 12)],
            fixed="""
            import numpy as np
            import torch
            def labels(y: np.ndarray):
                return torch.from_numpy(y).to(torch.get_default_dtype())
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS},  # on 0-d arrays (a size for the constructor)
        ),
        Invalid(
            """
            import numpy as np
            import torch
            cuda = torch.cuda.is_available()
            Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor
            z = Tensor(np.zeros((4, 8)))
            """,
            findings=[(5, 5)],
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        choices = self._constructors(node.func)
        if not choices or len(node.args) != 1 or node.args[0].keyword is not None:
            return
        array = first_argument(node)
        if array is None:
            return
        value = self.model.value_of(array)
        # An ndarray or a NumPy scalar (an h5py row, ``ds[i] / 255``): the constructor raises on
        # the scalar, so it runs only on an ndarray; no fix, since that is not proven before it runs.
        either = value.kind is Kind.ARRAY_OR_SCALAR
        if (value.kind is not Kind.NDARRAY and not either) or value.layout is Layout.NEGATIVE:
            return  # a negative stride makes the constructor and from_numpy raise alike: TNP102's finding
        single = choices[0] if len(choices) == 1 else None
        casts = {_cast_text(c.cast, "torch") for c in choices}
        cast = casts.pop() if len(casts) == 1 else " and its cast"
        if any(c.on_cuda for c in choices):
            cast += "`, then `.to(device)"  # the CUDA constructors also move the data
        constructor = f"`{quote(node.func)}`"
        if single is None:  # a run-time alias: name what it may be
            constructor += " (" + " or ".join(f"`{c.qualname}`" for c in choices) + ")"
        message = self.message.format(constructor=constructor, array=quote(array), cast=cast)
        fix = self._fix(node, array, single) if single is not None and not single.on_cuda and not either else None
        self.report(node, message, fix=fix)

    def _constructors(self, func: cst.BaseExpression) -> list[_Constructor]:
        """What ``func`` may be: one constructor, or the two of a run-time alias (the model
        gives a name bound to ``A if c else B`` both names)."""
        found = [_constructor(q) for q in sorted(self.model.qualnames(func))]
        return [c for c in found if c is not None] if all(found) else []

    def _fix(self, call: cst.Call, array: cst.BaseExpression, constructor: _Constructor) -> FixSpec | None:
        found = module_reference(self.model, "torch")
        if found is None:
            return None
        torch, imports = found
        edits = (*imports, replace(call.func, f"{torch}.from_numpy"), insert_after(call, _cast_text(constructor.cast, torch)))
        check = probe(self.model, call, [hole(self.model, array, "array")], names={torch: "torch"})
        return FixSpec(FROM_NUMPY_CAST, edits, probe=check)


def _cast_text(cast: str | None, torch: str) -> str:
    return f".{cast}()" if cast is not None else f".to({torch}.get_default_dtype())"
