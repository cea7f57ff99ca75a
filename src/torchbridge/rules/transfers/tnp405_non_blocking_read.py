"""TNP405 non-blocking-read: the rule, its fix contract entry and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst

from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    Precondition,
    Verdict,
)
from ...diagnostics.fix import FixSpec
from ...model.names import device_argument, first_argument, keyword_argument, literal_bool
from ...model.semantic import SemanticModel
from ...model.tree import children
from ..base import Invalid, Rule, Valid

SYNCHRONIZE = ContractEntry(
    key="TNP405/synchronize",
    rewrite="synchronize before the first read (`torch.cuda.synchronize()`, or the copy's stream or an event "
            "recorded after it), or drop `non_blocking=True`",
    applicability=Applicability.DISPLAY,
    preconditions=(Precondition(F, "where the synchronization belongs (right after the copy, or just before the "
                                   "read, to overlap other work) is the author's choice"),),
    expect={"cpu": Verdict.NOT_VERIFIABLE},
    note="Shown as a suggestion; never applied.",
    title="Synchronize (`torch.cuda.synchronize()`) before reading the copy, or drop `non_blocking=True`",
)

# Reads of a tensor's metadata: the host knows them when the copy is queued.
_METADATA = frozenset({
    "shape", "dtype", "device", "ndim", "is_cuda", "layout", "size", "dim", "numel", "stride", "is_pinned",
    "element_size", "is_contiguous", "nelement",
})
_METADATA_BUILTINS = frozenset({"len", "isinstance", "type", "id"})
# Calls that neither synchronize nor hand their arguments to code that might: Python's
# own, and NumPy's. Any other call (a helper, a method of another object, a torch
# function that reads a device tensor) may synchronize, and ends the search.
_HOST_BUILTINS = frozenset({
    "print", "float", "int", "bool", "str", "repr", "format", "list", "tuple", "sum", "max", "min", "abs",
    "round", "sorted", "enumerate", "zip", "dict", "set", "any", "all",
})
# Copies back to a device are ordered on the stream after the copy: they read nothing on the host.
_BACK_TO_DEVICE = frozenset({"to", "cuda"})
_READ, _STOP = "read", "stop"


class NonBlockingRead(Rule):
    """
    ## What it does
    Finds a device-to-host copy made with `non_blocking=True` whose result is read by the
    host before anything synchronizes: `y = x.to("cpu", non_blocking=True)` or
    `dst.copy_(x, non_blocking=True)` into a CPU tensor, followed by `y.numpy()`,
    `y.tolist()`, `y.item()`, `y[0]`, arithmetic, `print(y)`, a store or a `return`, with no
    `torch.cuda.synchronize()`, `torch.accelerator.synchronize()`, stream or event
    `.synchronize()`, blocking transfer or other call in between that could synchronize.

    The source must be proven to live on a device (made with `device="cuda"`, moved with
    `.cuda()`, computed from such tensors). From a CPU tensor the copy is synchronous
    (`x.to("cpu", non_blocking=True)` returns `x` itself; `copy_` from the CPU completes
    before it returns, measured on torch 2.13), so there is nothing to wait for. Any call
    the rule does not know between the copy and the read (a helper, a method of another
    object) may synchronize, so the rule stops there; it looks only at what follows the
    copy in its own block.

    ## Why is this bad?
    A non-blocking copy from a CUDA device into host memory only queues the copy on the
    device's stream and returns at once: the host tensor holds whatever its memory held
    until the copy finishes. Reading it before a synchronization reads stale data, often
    zeros, without any error: the wrong values appear at random, and disappear under a
    debugger or after a `time.sleep`. PyTorch's own guide on `pin_memory()` and
    `non_blocking` shows the effect; `torch.Tensor.cpu()` has no `non_blocking` argument at
    all (in torch 2.13 it raises `TypeError`).

    ## Example
    ```python
    import torch

    x = torch.randn(4096, 4096, device="cuda")
    y = (x @ x).to("cpu", non_blocking=True)
    print(y[0, :4].tolist())
    ```

    ## Use instead
    ```python
    import torch

    x = torch.randn(4096, 4096, device="cuda")
    y = (x @ x).to("cpu", non_blocking=True)
    torch.cuda.synchronize()
    print(y[0, :4].tolist())
    ```

    ## Fix safety
    The synchronization is shown, never inserted.

    ## References
    - [A guide on good usage of `non_blocking` and `pin_memory()` in PyTorch](https://docs.pytorch.org/tutorials/intermediate/pinmem_nonblock.html)
    - [pytorch#86264: `to("cpu", non_blocking=True)` works weird](https://github.com/pytorch/pytorch/issues/86264)
    - [pytorch#127612](https://github.com/pytorch/pytorch/issues/127612),
      [pytorch#137878](https://github.com/pytorch/pytorch/issues/137878)
    - [pytorch#140296: asynchronous copies from accelerator to CPU](https://github.com/pytorch/pytorch/issues/140296)
    """

    code = "TNP405"
    name = "non-blocking-read"
    # Reported at the copy; "{line}" becomes the read's line.
    message = ("`{name}` is used (line {{line}}) before any synchronization: this non-blocking copy from the "
               "device may not have finished")
    category = "correctness"
    requires_text = ("non_blocking",)
    needs_values = True
    contract = (SYNCHRONIZE,)
    VALID = [
        Valid(
            """
            import torch
            x = torch.ones(8, device="cuda")
            y = x.to("cpu", non_blocking=True)
            torch.cuda.synchronize()
            print(y.tolist())
            """
        ),
        Valid(
            """
            import torch
            x = torch.ones(8)
            y = x.to("cpu", non_blocking=True)  # from the CPU: returns x itself
            print(y.tolist())
            """
        ),
        Valid(
            """
            import torch
            def fetch(x, stream):
                y = x.to("cpu", non_blocking=True)  # x's placement is unknown
                return y
            """
        ),
        Valid(
            """
            import torch
            x = torch.ones(8, device="cuda")
            y = x.to("cpu", non_blocking=True)
            event = torch.cuda.Event()
            event.record()
            event.synchronize()
            print(y.shape, y.sum())
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            x = torch.ones(8, device="cuda")
            y = x.to("cpu", non_blocking=True)
            print(y.tolist())
            """,
            findings=[(3, 5)],
            applicability=Applicability.DISPLAY,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
        Invalid(
            """
            import torch
            def fetch(x: torch.Tensor):
                logits = x.cuda() * 2
                host = torch.empty(logits.shape, pin_memory=True)
                host.copy_(logits, non_blocking=True)
                return host
            """,
            findings=[(5, 5)],
            applicability=Applicability.DISPLAY,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
        Invalid(
            """
            import torch
            def scores(logits: torch.Tensor):
                probs = logits.softmax(-1).to("cuda")
                return probs.to("cpu", non_blocking=True).numpy()
            """,
            findings=[(4, 12)],
            applicability=Applicability.DISPLAY,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        # Each statement's followers in its block: what runs after it.
        self._following: dict[int, Sequence[cst.BaseStatement]] = {}

    def visit_Module(self, node: cst.Module) -> None:
        self._remember(node.body)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._remember(node.body)

    def _remember(self, body: Sequence[cst.BaseStatement]) -> None:
        for i, statement in enumerate(body):
            self._following[id(statement)] = body[i + 1:]

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        for i, small in enumerate(node.body):
            result = self._copied_into(small)
            if result is None:
                continue
            after: list[cst.CSTNode] = [*node.body[i + 1:], *self._following.get(id(node), ())]
            event = _first_event(self.model, after, result)
            if event is not None and event[0] == _READ:
                copy = small.value if (type(small) is cst.Assign or type(small) is cst.Expr) else small
                self.report(copy, self.message.format(name=result), evidence=event[1], fix=FixSpec(SYNCHRONIZE, ()))

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and _device_to_host(self.model, node.value):
            self.report(node.value, "the result of a non-blocking copy from the device is returned before any "
                                    "synchronization: the caller may read it before the copy has finished",
                        fix=FixSpec(SYNCHRONIZE, ()))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (type(func) is cst.Attribute and func.attr.value not in _METADATA | _BACK_TO_DEVICE
                and _device_to_host(self.model, func.value)):
            self.report(func.value, "the result of a non-blocking copy from the device is read at once, before any "
                                    "synchronization: the copy may not have finished", fix=FixSpec(SYNCHRONIZE, ()))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if _device_to_host(self.model, node.value):
            self.report(node.value, "the result of a non-blocking copy from the device is indexed at once, before "
                                    "any synchronization: the copy may not have finished", fix=FixSpec(SYNCHRONIZE, ()))

    def _copied_into(self, small: cst.BaseSmallStatement) -> str | None:
        """The name that holds a non-blocking device-to-host copy after ``small``."""
        if type(small) is cst.Assign and len(small.targets) == 1:
            target = small.targets[0].target
            if type(target) is cst.Name and _device_to_host(self.model, small.value):
                return target.value
        if type(small) is cst.Expr and type(small.value) is cst.Call:
            return _copied_into_host_tensor(self.model, small.value)
        return None


def _non_blocking(call: cst.Call) -> bool:
    flag = keyword_argument(call, "non_blocking")
    return flag is not None and literal_bool(flag) is True


def _device_to_host(model: SemanticModel, expr: cst.BaseExpression) -> bool:
    """``x.to("cpu", non_blocking=True)`` with ``x`` proven on a device."""
    if not (type(expr) is cst.Call and type(expr.func) is cst.Attribute and expr.func.attr.value == "to"):
        return False
    target = device_argument(expr)
    return (_non_blocking(expr) and target is not None and model.placement_of(target) is False
            and model.value_of(expr.func.value).on_device is True)


def _copied_into_host_tensor(model: SemanticModel, call: cst.Call) -> str | None:
    """``dst.copy_(src, non_blocking=True)``: ``dst`` a name proven on the CPU, ``src`` on a device."""
    func = call.func
    if not (type(func) is cst.Attribute and func.attr.value == "copy_" and type(func.value) is cst.Name):
        return None
    source = first_argument(call)
    if source is None or not _non_blocking(call):
        return None
    destination = model.value_of(func.value)
    if destination.on_device is False and model.value_of(source).on_device is True:
        return func.value.value
    return None


Event = tuple[str, cst.CSTNode]


def _first_event(model: SemanticModel, nodes: Iterable[cst.CSTNode], name: str) -> Event | None:
    """What happens first to ``name`` along ``nodes``, in the order they run: a read, or a
    stop (a call that may synchronize, a rebinding, ``del``). None: neither happens."""
    for node in nodes:
        event = _event(model, node, name)
        if event is not None:
            return event
    return None


def _event(model: SemanticModel, node: cst.CSTNode, name: str) -> Event | None:
    if type(node) is cst.FunctionDef or type(node) is cst.ClassDef or type(node) is cst.Lambda:
        return None  # defined, not run
    if type(node) is cst.Name:
        return (_READ, node) if node.value == name else None
    if type(node) is cst.Attribute:
        if type(node.value) is cst.Name and node.value.value == name and node.attr.value in _METADATA:
            return None
        return _event(model, node.value, name)
    if type(node) is cst.Arg:
        return _event(model, node.value, name)
    if type(node) is cst.Call:
        return _call_event(model, node, name)
    if type(node) is cst.Assign:
        event = _event(model, node.value, name)
        if event is not None:
            return event
        for target in node.targets:
            if type(target.target) is cst.Name:
                if target.target.value == name:
                    return (_STOP, target)
                continue
            event = _event(model, target.target, name)
            if event is not None:
                return event
        return None
    if type(node) is cst.AnnAssign:
        if type(node.target) is cst.Name:
            event = _event(model, node.value, name) if node.value is not None else None
            return event or ((_STOP, node) if node.target.value == name else None)
        return _first_event(model, [node.target, *([node.value] if node.value else [])], name)
    if type(node) is cst.For or type(node) is cst.CompFor:
        event = _event(model, node.iter, name)
        if event is not None or name in _bound(node.target):
            return event or (_STOP, node)
    if isinstance(node, (cst.Del, cst.Global, cst.Nonlocal, cst.Import, cst.ImportFrom, cst.NamedExpr,
                         cst.WithItem)) and name in _bound(node):
        return _STOP, node
    return _first_event(model, children(node), name)


def _call_event(model: SemanticModel, call: cst.Call, name: str) -> Event | None:
    func = call.func
    if type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value == name:
        if func.attr.value in _METADATA:
            return _first_event(model, call.args, name)
        if func.attr.value in _BACK_TO_DEVICE:
            return _STOP, call  # back to a device: ordered on the stream; what follows is unknown
        return _READ, call  # a method of the copy reads it
    if type(func) is cst.Name and func.value in _METADATA_BUILTINS:
        return None
    known = (type(func) is cst.Name and func.value in _HOST_BUILTINS and model.lookup(func.value) is None) \
        or model.resolves_into(func, "numpy") or _device_to_host(model, call)
    if known:
        return _first_event(model, [func, *call.args], name)
    # A call that may synchronize: a name handed to it is not read before it runs.
    passed = [a for a in call.args if not (type(a.value) is cst.Name and a.value.value == name)]
    return _first_event(model, [func, *passed], name) or (_STOP, call)


def _bound(node: cst.CSTNode) -> set[str]:
    """The plain names a target, ``del``, ``global``, import or ``as`` clause binds."""
    found: set[str] = set()
    pending: list[cst.CSTNode] = [node]
    while pending:
        current = pending.pop()
        if type(current) is cst.Name:
            found.add(current.value)
        elif type(current) is cst.NamedExpr:
            pending.append(current.target)
        elif type(current) is cst.WithItem:
            if current.asname is not None:
                pending.append(current.asname.name)
        elif type(current) is cst.ImportAlias:
            pending.append(current.asname.name if current.asname else current.name)
        elif type(current) is cst.Attribute or type(current) is cst.Subscript:
            continue
        else:
            pending.extend(children(current))
    return found
