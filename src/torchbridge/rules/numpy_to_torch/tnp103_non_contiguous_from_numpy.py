"""TNP103 non-contiguous-from-numpy: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    Precondition,
    Verdict,
)
from ...diagnostics.fix import FixSpec, replace, wrap_call
from ...model.names import first_argument
from ...model.scope import Binding
from ...model.values import Kind, Layout
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..imports import module_reference
from ..probe import hole, probe
from .converters import SHARING_CONVERTERS, converter_name

_Pending = tuple[Binding | None, cst.Call, str, cst.CSTNode | None, "FixSpec | None"]


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
ASCONTIGUOUSARRAY = ContractEntry(
    key="TNP103/ascontiguousarray",
    rewrite="`conv(E)` → `conv(np.ascontiguousarray(E))` for a transposed `E`",
    applicability=Applicability.UNSAFE,
    preconditions=(Precondition(F, "`E` has at least one dimension (a 0-d array would become shape (1,))"),),
    expect={"cpu": Verdict.DIFFERS},
    # The verifier also saw the warning go (a read-only array is copied into a writable
    # one): the contract's table lists only aliasing and strides.
    differs=("aliasing", "strides", "warnings"),
    note="The tensor no longer shares the array's memory, its strides change, and a read-only "
         "array's not-writable warning disappears.",
    title="Make the array contiguous first (`np.ascontiguousarray`)",
)

RESHAPE = ContractEntry(
    key="TNP103/reshape",
    rewrite="`t.view(shape)` → `t.reshape(shape)` where `t` is the tensor made from a transposed array",
    applicability=Applicability.SAFE,
    preconditions=(
        Precondition(F, "`t` is a tensor on every path"),
        Precondition(F, "the arguments are a shape (integers, a tuple, `t.size()`), never a dtype "
                        "(`reshape(torch.int32)` raises)"),
    ),
    expect={"cpu": Verdict.CRASH_FIX},
    crash="RuntimeError: view size is not compatible with input tensor's size and stride",
    note="Where `.view` raised, `.reshape` copies; where it did not, `.reshape` returns the same view.",
    title="Use `.reshape` (`.view` fails on a transposed tensor)",
)


class NonContiguousFromNumpy(Rule):
    """
    ## What it does
    Finds `torch.from_numpy` or `torch.as_tensor` of an ndarray that is transposed on every
    path (`.T`, `transpose`, `swapaxes`, `moveaxis`) and that no copy made contiguous, when
    the tensor is then used without being made contiguous first.

    Not reported: a tensor returned from `__getitem__` (a DataLoader's collate stacks samples
    into a new, contiguous batch), one whose first use is `.contiguous()` or `.reshape()`
    (which copies where a view cannot be had), named first or chained straight onto the
    conversion (`torch.from_numpy(a.T).reshape(1, 30, 30)`), and arrays made
    contiguous before the conversion (`np.ascontiguousarray`, `.copy()`). `.astype()` and
    `np.array()` copy in the array's own memory order, so a transposed array stays
    transposed through them.

    ## Why is this bad?
    Both calls share the array's memory and keep its strides, so the tensor is not
    contiguous. `.view(-1)` (any `.view` that merges the transposed dimensions) then raises
    `RuntimeError: view size is not compatible with input tensor's size and stride`, and the
    layout follows the tensor through element-wise operations and `.to(dtype)`.
    Non-contiguous is not always slower (BLAS absorbs a transpose; channels-last convolution
    can be faster), so make the tensor contiguous where the code needs it rather than
    everywhere.

    ## Example
    ```python
    import numpy as np
    import torch

    image = np.zeros((224, 224, 3), dtype=np.float32)
    chw = torch.from_numpy(image.transpose(2, 0, 1))
    flat = chw.view(-1)
    ```

    ## Use instead
    ```python
    import numpy as np
    import torch

    image = np.zeros((224, 224, 3), dtype=np.float32)
    chw = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    flat = chw.view(-1)
    ```

    ## Fix safety
    Where the tensor's first use is `.view(shape)`, `.reshape(shape)` does the same where
    `.view` works and copies where it raised. Otherwise the array is made contiguous, which
    copies it and changes the strides every later operation sees.

    ## References
    - [`torch.Tensor.contiguous`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.contiguous.html)
    - [`numpy.ascontiguousarray`](https://numpy.org/doc/stable/reference/generated/numpy.ascontiguousarray.html)
    """

    code = "TNP103"
    name = "non-contiguous-from-numpy"
    message = "`{array}` is transposed (line {{line}}): `{call}` gives a non-contiguous tensor{view}; make it contiguous where that matters"
    category = "performance"
    requires_text = ("from_numpy", "as_tensor")
    needs_values = True
    contract = (ASCONTIGUOUSARRAY, RESHAPE)
    VALID = [
        Valid(
            """
            import numpy as np
            import torch
            from torch.utils.data import Dataset
            class Images(Dataset):
                def __getitem__(self, index):
                    image = np.zeros((32, 32, 3))
                    return torch.from_numpy(image.transpose(2, 0, 1))  # collate makes the batch contiguous
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            weights = np.zeros((3, 4))
            tensor = torch.from_numpy(weights.T).contiguous()
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            weights = np.zeros((3, 4))
            batch = torch.from_numpy(weights.T).reshape(1, 4, 3)
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            weights = np.zeros((3, 4))
            tensor = torch.from_numpy(weights.T.copy())
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            def f(vector: np.ndarray):
                return torch.from_numpy(vector.T)  # dimensions unknown: .T of 1-D is no transpose
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import torch
            image = np.zeros((224, 224, 3), dtype=np.float32)
            chw = torch.from_numpy(image.transpose(2, 0, 1))
            flat = chw.view(-1)
            """,
            findings=[(4, 7)],
            fixed="""
            import numpy as np
            import torch
            image = np.zeros((224, 224, 3), dtype=np.float32)
            chw = torch.from_numpy(image.transpose(2, 0, 1))
            flat = chw.reshape(-1)
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.CRASH_FIX},
        ),
        Invalid(
            """
            import numpy as np
            import torch
            def project(points):
                matrix = np.random.rand(3, 8)
                return torch.as_tensor(matrix.T) @ points
            """,
            findings=[(5, 12)],
            fixed="""
            import numpy as np
            import torch
            def project(points):
                matrix = np.random.rand(3, 8)
                return torch.as_tensor(np.ascontiguousarray(matrix.T)) @ points
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS},
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        # conversions whose result is made contiguous, or reshaped, at once: the same first use
        # as for a named tensor
        self._contiguous: set[int] = set()
        self._assigned: set[int] = set()  # conversions bound to a name: the first use decides
        # name -> (its binding, the conversion, its message, the evidence) until the first use
        self._pending: dict[str, _Pending] = {}
        self._seen_uses: set[int] = set()
        self._view_calls: dict[int, cst.Call] = {}  # x.view(...) calls, by their ``x.view``

    def _transposed_conversion(self, node: cst.BaseExpression | None) -> tuple[str, cst.CSTNode | None, FixSpec | None] | None:
        """``torch.from_numpy(<transposed ndarray>)``: the message's start, the evidence, and
        the fix that makes the array contiguous."""
        if type(node) is not cst.Call:
            return None
        call = converter_name(self.model, node.func, SHARING_CONVERTERS)
        source = first_argument(node) if call is not None else None
        if source is None:
            return None
        value = self.model.value_of(source)
        if value.kind is not Kind.NDARRAY or value.layout is not Layout.TRANSPOSED:
            return None
        message = self.message.format(array=quote(source), call=call, view="{view}")
        return message, value.evidence, self._contiguous_fix(node, source)

    def _contiguous_fix(self, conversion: cst.Call, source: cst.BaseExpression) -> FixSpec | None:
        found = module_reference(self.model, "numpy")
        if found is None:
            return None
        numpy, imports = found
        check = probe(self.model, conversion, [hole(self.model, source, "array")], names={numpy: "numpy"})
        return FixSpec(ASCONTIGUOUSARRAY, (*imports, *wrap_call(source, f"{numpy}.ascontiguousarray")),
                       probe=check)

    def _in_getitem(self) -> bool:
        function = self.model.function
        return function is not None and function.name.value == "__getitem__"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is cst.Attribute and func.attr.value in _SETTLING and type(func.value) is cst.Call:
            self._contiguous.add(id(func.value))
        if type(func) is cst.Attribute and func.attr.value == "view":
            self._view_calls[id(func)] = node
        if id(node) in self._contiguous or id(node) in self._assigned or self._in_getitem():
            return
        found = self._transposed_conversion(node)
        if found is not None:
            message, evidence, fix = found
            self.report(node, message.replace("{view}", ""), evidence=evidence, fix=fix)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) and type(node.value) is cst.Call:
            self._assigned.add(id(node.value))

    def leave_Assign(self, node: cst.Assign) -> None:
        target, call = node.targets[0].target, node.value
        if id(call) not in self._assigned or self._in_getitem():
            return
        if type(target) is not cst.Name or type(call) is not cst.Call:
            return  # visit_Assign took only ``name = call(...)``
        found = self._transposed_conversion(call)
        if found is not None:
            self._pending[target.value] = (self.model.lookup(target.value), call, *found)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        pending = self._use_of(node.value)
        if pending is None:
            return
        self._seen_uses.add(id(node.value))
        name = cst.ensure_type(node.value, cst.Name).value  # _use_of found a pending name
        del self._pending[name]
        if node.attr.value in _SETTLING:
            return  # made contiguous, or reshaped (which copies where a view cannot be had)
        view = " (and `.view` of it raises when the new shape merges the transposed dimensions)" if node.attr.value == "view" else ""
        _, call, message, evidence, fix = pending
        view_call = self._view_calls.get(id(node)) if view else None
        if view_call is not None and _is_shape(view_call.args):
            check = probe(self.model, view_call, [hole(self.model, node.value, "tensor")])
            fix = FixSpec(RESHAPE, (replace(node.attr, "reshape"),), probe=check)
        self.report(call, message.replace("{view}", view), evidence=evidence, fix=fix)

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) in self._seen_uses:
            return
        pending = self._use_of(node)
        if pending is not None:
            del self._pending[node.value]
            _, call, message, evidence, fix = pending
            self.report(call, message.replace("{view}", ""), evidence=evidence, fix=fix)

    def _use_of(self, node: cst.BaseExpression) -> _Pending | None:
        if type(node) is not cst.Name:
            return None
        pending = self._pending.get(node.value)
        if pending is None or self.model.lookup(node.value) is not pending[0]:
            return None
        return pending


# A first use after which the layout is no longer this rule's: ``.contiguous()`` makes it
# contiguous, ``.reshape()`` copies where a view cannot be had.
_SETTLING = ("contiguous", "reshape")


def _is_shape(args: Sequence[cst.Arg]) -> bool:
    """``(-1)``, ``(n_batch, -1)`` with literal sizes, ``((2, 3))``, ``(x.size())``, ``(x.shape)``:
    a shape for certain, never a dtype (``.reshape(torch.int32)`` raises where ``.view`` did not)."""
    if not args or any(arg.keyword is not None or arg.star for arg in args):
        return False
    return all(_is_size(arg.value) for arg in args)


def _is_size(expr: cst.BaseExpression) -> bool:
    if type(expr) is cst.Integer:
        return True
    if type(expr) is cst.UnaryOperation and type(expr.operator) is cst.Minus:
        return type(expr.expression) is cst.Integer
    if type(expr) is cst.Tuple or type(expr) is cst.List:
        return all(type(e) is not cst.StarredElement and _is_size(e.value) for e in expr.elements)
    if type(expr) is cst.Attribute and expr.attr.value == "shape":
        return True
    return (
        type(expr) is cst.Call and not expr.args and type(expr.func) is cst.Attribute
        and expr.func.attr.value == "size"
    )
