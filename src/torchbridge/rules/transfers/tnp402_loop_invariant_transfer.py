"""TNP402 loop-invariant-transfer: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import libcst as cst

from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    Precondition,
    Verdict,
)
from ...diagnostics.fix import FixSpec, insert_statement_before, replace
from ...model.blocks import parameters
from ...model.names import device_argument, dotted, keyword_argument
from ...model.tree import children
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..explain import quote

# Calls whose result depends only on their arguments: a conversion of invariant data is invariant.
_PURE_CALLS = frozenset({
    "torch.from_numpy", "torch.tensor", "torch.as_tensor", "torch.device", "numpy.array", "numpy.asarray",
})
_CONVERTERS = frozenset({"torch.tensor", "torch.as_tensor"})
# Methods that change their receiver in place (torch's trailing underscore, and containers').
_MUTATORS = frozenset({"append", "extend", "insert", "update", "pop", "clear", "remove", "setdefault", "fill",
                       "sort", "resize", "put", "itemset"})
_LITERALS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)

HOISTED_SUFFIX = "_on_device"  # the hoisted copy's name: ``x_on_device``


@dataclass
class _Frame:
    node: cst.CSTNode  # the loop, or the ``forward`` method
    is_forward: bool = False
    # The values of assignments in it, and the plain names each is bound to.
    assigned: dict[int, list[str]] = field(default_factory=dict)

    @cached_property
    def changed(self) -> set[str]:
        """The names and dotted paths bound or changed in it (scanned only when a transfer asks)."""
        if type(self.node) is cst.FunctionDef:
            names = {p.name.value for p in parameters(self.node.params) if p.name.value != "self"}
            return _changed_in(self.node.body) | names
        return _changed_in(self.node)


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
HOIST = ContractEntry(
    key="TNP402/hoist",
    rewrite="a loop-invariant transfer → a variable assigned once, just before the loop",
    applicability=Applicability.UNSAFE,
    preconditions=(
        Precondition(F, "nothing the transfer reads is rebound, stored into or changed in place in the loop"),
        Precondition(F, "the moved tensor is an operand, not assigned (so not changed in place later): "
                        "hoisting shares one tensor across iterations"),
    ),
    expect={"cpu": Verdict.NOT_VERIFIABLE},
    note="An error in the transfer now happens before the loop, even when the loop runs zero times, and the "
         "moved tensor stays alive for the whole loop. The verifier runs expressions, not loops.",
    title="Move the transfer before the loop",
)


class LoopInvariantTransfer(Rule):
    """
    ## What it does
    Finds a host-to-device transfer repeated with the same data: inside a `for` or `while`
    body, `x.to(device)`, `x.cuda()` or `torch.tensor(c, device=device)` where nothing the
    expression reads is rebound or changed in place in the loop (the data is a tensor, a
    NumPy conversion or a constant); and inside the `forward` of an `nn.Module`, the same
    transfer of a constant or of an attribute of `self` that `forward` does not change.

    Not reported: the `forward` of a class that is not an `nn.Module` (a transform, which
    has no `register_buffer`; a class whose base is imported from elsewhere is not known to
    be a module), and a fresh tensor that is changed in place after it is made
    (`out = torch.tensor(c, device=d)` then `out[0] = ...`, `out += ...`, `out.add_(...)`):
    every iteration or call needs its own copy there, and one shared buffer would be wrong.

    ## Why is this bad?
    Every iteration (every call of `forward`) copies the same bytes from host to device
    again, and the copy from pageable memory is synchronous. In `forward` it also hides the
    tensor from `module.to()` and breaks CUDA-graph capture for unpinned sources. Moving it
    once before the loop, or registering it as a buffer in `__init__`, does it once.

    ## Example
    ```python
    import torch

    def train(model, loader, weights: torch.Tensor, device):
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(model(x), y, weight=weights.to(device))
    ```

    ## Use instead
    ```python
    import torch

    def train(model, loader, weights: torch.Tensor, device):
        weights_on_device = weights.to(device)
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(model(x), y, weight=weights_on_device)
    ```

    ## Fix safety
    The hoisting fix is offered for loops, when the transfer is an operand rather than the
    value of an assignment (an assigned tensor may be changed in place later, and hoisting
    shares one tensor across iterations). It is not offered in `forward`: a buffer changes
    the module's `state_dict`.

    ## References
    - [Performance tuning guide: avoid unnecessary CPU-GPU synchronization](https://docs.pytorch.org/tutorials/recipes/recipes/tuning_guide.html)
    - [`Module.register_buffer`](https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer)
    """

    code = "TNP402"
    name = "loop-invariant-transfer"
    message = "`{expr}` moves the same data to the device on every {when}: nothing it reads changes there; {advice}"
    category = "performance"
    requires_text = (".to(", ".cuda(", "device=")
    needs_values = True
    contract = (HOIST,)
    VALID = [
        Valid(
            """
            import torch
            def train(model, loader, device):
                for x, y in loader:
                    x = x.to(device)  # a new batch each time
                    model(x)
            """
        ),
        Valid(
            """
            import torch
            def accumulate(buffer: torch.Tensor, steps, device):
                for _ in range(steps):
                    buffer.add_(1)  # changed in place: the transfer is not the same
                    yield buffer.to(device)
            """
        ),
        Valid(
            """
            import torch
            def on_each(t: torch.Tensor, devices):
                for device in devices:
                    yield t.to(device)  # a different device each time
            """
        ),
        Valid(
            """
            import torch
            class FeatureMask:  # a transform, not an nn.Module: it has no register_buffer
                def __init__(self, mask: torch.Tensor):
                    self.mask = mask
                def forward(self, x: torch.Tensor):
                    return x * self.mask.to(x.device)
            """
        ),
        Valid(
            """
            import torch
            class Counts(torch.nn.Module):
                def forward(self, x):
                    out = torch.tensor([0.0, 0.0], device=x.device)  # a fresh tensor, changed below
                    out[0] = x.sum()
                    out += x.mean()
                    return out
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            def train(model, loader, weights: torch.Tensor, device):
                for x, y in loader:
                    loss = torch.nn.functional.cross_entropy(model(x), y, weight=weights.to(device))
            """,
            findings=[(4, 70)],
            fixed="""
            import torch
            def train(model, loader, weights: torch.Tensor, device):
                weights_on_device = weights.to(device)
                for x, y in loader:
                    loss = torch.nn.functional.cross_entropy(model(x), y, weight=weights_on_device)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
        Invalid(
            """
            import torch
            class Scale(torch.nn.Module):
                def forward(self, x):
                    return x * torch.tensor([0.5, 2.0], device=x.device)
            """,
            findings=[(4, 20)],
        ),
    ]

    def __init__(self, context) -> None:  # noqa: ANN001
        super().__init__(context)
        self._frames: list[_Frame] = []
        self._reported: set[int] = set()

    # ------------------------------------------------------------------ frames

    def visit_For(self, node: cst.For) -> None:
        self._frames.append(_Frame(node))

    def leave_For(self, node: cst.For) -> None:
        self._frames.pop()

    visit_While = visit_For
    leave_While = leave_For

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # A nested function's body does not run once per iteration of the loop around it.
        # Only a module's forward can register a buffer (a transform's forward cannot).
        owner = self.model.enclosing_class
        forward = node.name.value == "forward" and owner is not None and self.model.is_module_class(owner)
        self._frames.append(_Frame(node, is_forward=forward))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._frames:
            targets = [t.target.value for t in node.targets if type(t.target) is cst.Name]
            self._frames[-1].assigned[id(node.value)] = targets

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self._frames:
            self._frames[-1].assigned[id(node.value)] = []

    # ------------------------------------------------------------------ calls

    def visit_Call(self, node: cst.Call) -> None:
        if not self._frames or id(node) in self._reported:
            return
        frame = self._frames[-1]
        if type(frame.node) is cst.FunctionDef and not frame.is_forward:
            return  # a plain function body: called once, as far as this file shows
        data = self._transferred_data(node, frame)
        if data is None:
            return
        if any(_changed_in_place(frame.node, name) for name in frame.assigned.get(id(node), ())):
            return  # a fresh working tensor, changed after it is made: one shared copy would be wrong
        self._reported.add(id(node))
        if frame.is_forward:
            when, advice = "call of `forward`", "register it once in `__init__` (`self.register_buffer(...)`)"
        else:
            when, advice = "iteration", "move it once, before the loop"
        message = self.message.format(expr=quote(node), when=when, advice=advice)
        fix = None if frame.is_forward or id(node) in frame.assigned else self._hoist(node, data, frame)
        self.report(node, message, fix=fix)

    def _transferred_data(self, call: cst.Call, frame: _Frame) -> cst.BaseExpression | None:
        """The data a host-to-device transfer moves, when the transfer is invariant in ``frame``."""
        func = call.func
        model = self.model
        if type(func) is cst.Attribute and func.attr.value in ("to", "cuda"):
            data = func.value
            if func.attr.value == "to":
                device = device_argument(call)
                if device is None or len(call.args) != 1 or not self._is_device(device, frame):
                    return None
            elif call.args:
                return None
            converted = type(data) is cst.Call and not model.qualnames(data.func).isdisjoint(_PURE_CALLS)
            if not converted and model.value_of(data).kind is not Kind.TENSOR:
                return None  # modules move in place once; other objects are not known
            if frame.is_forward and self._module_owned(data):
                return None  # a parameter or buffer is already there: `.to` returns it as it is
            return data if _invariant(model, data, frame.changed) else None
        if model.qualnames(func).isdisjoint(_CONVERTERS):
            return None
        device = keyword_argument(call, "device")
        if device is None or not self._is_device(device, frame) or not call.args:
            return None
        if any(arg.keyword is not None and arg.keyword.value not in ("device", "dtype") for arg in call.args):
            return None
        dtype = keyword_argument(call, "dtype")
        if dtype is not None and not _invariant(model, dtype, frame.changed):
            return None  # a different dtype each time
        data = call.args[0].value
        if (type(data) is cst.List or type(data) is cst.Tuple) and not data.elements:
            return None  # nothing to copy
        return data if (_is_constant(data) or _invariant(model, data, frame.changed)) else None

    def _is_device(self, device: cst.BaseExpression, frame: _Frame) -> bool:
        if self.model.placement_of(device) is False:
            return False  # to the CPU: no host-to-device copy
        if type(device) is cst.Attribute and device.attr.value == "device":
            # ``x.device``: forward's inputs change per call, but their device is the point
            return frame.is_forward or _invariant(self.model, device, frame.changed)
        value = self.model.value_of(device)
        if value.kind is not Kind.DEVICE and not (type(device) is cst.Name and "device" in device.value.lower()):
            return False
        return _invariant(self.model, device, frame.changed)

    def _module_owned(self, data: cst.BaseExpression) -> bool:
        """``self.name`` where the class makes ``name`` a parameter or registers it as a buffer."""
        path = dotted(data)
        owner = self.model.enclosing_class
        if path is None or not path.startswith("self.") or path.count(".") != 1 or owner is None:
            return False
        name = path.split(".")[1]
        stack: list[cst.CSTNode] = [owner]
        while stack:
            node = stack.pop()
            if type(node) is cst.Call:
                callee = dotted(node.func) or ""
                first = node.args[0].value if node.args else None
                if callee.endswith("register_buffer") and type(first) is cst.SimpleString \
                        and first.evaluated_value == name:
                    return True
            if type(node) is cst.Assign and any(dotted(t.target) == path for t in node.targets):
                value = node.value
                if type(value) is cst.Call and (dotted(value.func) or "").endswith("Parameter"):
                    return True
            stack.extend(children(node))
        return False

    def _hoist(self, call: cst.Call, data: cst.BaseExpression, frame: _Frame) -> FixSpec | None:
        stem = (dotted(data) or ("constant" if _is_constant(data) else "data")).split(".")[-1]
        name = f"{stem}{HOISTED_SUFFIX}"
        if name in self.context.words:
            return None  # the name is taken (or at least mentioned): never guess another
        text = cst.Module([]).code_for_node(call)
        edits = (insert_statement_before(frame.node, f"{name} = {text}"), replace(call, name))
        return FixSpec(HOIST, edits)


def _changed_in(node: cst.CSTNode) -> set[str]:
    """The names and dotted paths that ``node`` binds, stores into or changes in place."""
    changed: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.FunctionDef or type(current) is cst.ClassDef:
            changed.add(current.name.value)
            if current is not node:
                continue
        targets: list[cst.BaseExpression] = []
        if type(current) is cst.Assign:
            targets = [t.target for t in current.targets]
        elif isinstance(current, (cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr)):
            targets = [current.target]
        elif type(current) is cst.WithItem and current.asname is not None:
            targets = [current.asname.name]
        elif type(current) is cst.Del:
            targets = [current.target]
        elif type(current) is cst.ExceptHandler and current.name is not None:
            targets = [current.name.name]
        elif type(current) is cst.ImportAlias:
            changed.add(dotted(current.asname.name if current.asname else current.name) or "")
        elif type(current) is cst.Global or type(current) is cst.Nonlocal:
            changed.update(item.name.value for item in current.names)
        elif type(current) is cst.Call and type(current.func) is cst.Attribute:
            method = current.func.attr.value
            if (method.endswith("_") and not method.startswith("_")) or method in _MUTATORS:
                changed.add(dotted(current.func.value) or "")
        for target in targets:
            changed.update(_stored(target))
        stack.extend(children(current))
    changed.discard("")
    return changed


def _changed_in_place(scope: cst.CSTNode, name: str) -> bool:
    """``name[...] = ``, ``name += ``, ``name.add_(...)``, ``out=name`` somewhere in ``scope``."""
    stack: list[cst.CSTNode] = [scope]
    while stack:
        node = stack.pop()
        if type(node) is cst.Assign and any(
            type(t.target) is cst.Subscript and dotted(t.target.value) == name for t in node.targets
        ):
            return True
        if type(node) is cst.AugAssign and dotted(node.target) == name:
            return True
        if type(node) is cst.Call:
            func = node.func
            if type(func) is cst.Attribute and dotted(func.value) == name and func.attr.value.endswith("_") \
                    and not func.attr.value.startswith("_"):
                return True
            if any(arg.keyword is not None and arg.keyword.value == "out" and dotted(arg.value) == name
                   for arg in node.args):
                return True
        stack.extend(children(node))
    return False


def _stored(target: cst.BaseExpression) -> set[str]:
    if type(target) is cst.Tuple or type(target) is cst.List:
        return {name for element in target.elements for name in _stored(element.value)}
    if type(target) is cst.StarredElement:
        return _stored(target.value)
    if type(target) is cst.Subscript:
        return _stored(target.value)  # ``buf[i] = ...`` changes ``buf``
    path = dotted(target)
    return {path} if path else set()


def _conflicts(path: str, changed: set[str]) -> bool:
    return any(c == path or path.startswith(c + ".") or c.startswith(path + ".") for c in changed)


def _invariant(model, expr: cst.BaseExpression, changed: set[str]) -> bool:
    """``expr`` reads nothing that ``changed`` holds, and calls only pure conversions."""
    if isinstance(expr, _LITERALS):
        return True
    path = dotted(expr)
    if path is not None:
        return not _conflicts(path, changed)
    if type(expr) is cst.Attribute:
        return _invariant(model, expr.value, changed)
    if type(expr) is cst.List or type(expr) is cst.Tuple:
        return all(_invariant(model, e.value, changed) for e in expr.elements if type(e) is not cst.StarredElement) \
            and not any(type(e) is cst.StarredElement for e in expr.elements)
    if type(expr) is cst.UnaryOperation:
        return _invariant(model, expr.expression, changed)
    if type(expr) is cst.BinaryOperation:
        return _invariant(model, expr.left, changed) and _invariant(model, expr.right, changed)
    if type(expr) is cst.Call:
        if model.qualnames(expr.func).isdisjoint(_PURE_CALLS):
            return False
        return all(not arg.star and _invariant(model, arg.value, changed) for arg in expr.args)
    return False


def _is_constant(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, _LITERALS):
        return True
    if type(expr) is cst.UnaryOperation:
        return _is_constant(expr.expression)
    if type(expr) is cst.List or type(expr) is cst.Tuple:
        return bool(expr.elements) and all(
            type(e) is not cst.StarredElement and _is_constant(e.value) for e in expr.elements
        )
    return False

