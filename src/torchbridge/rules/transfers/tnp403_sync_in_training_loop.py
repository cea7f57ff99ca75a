"""TNP403 sync-in-training-loop: the rule and its examples (it has no fix).

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from ...model.names import dotted
from ...model.tree import children
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..explain import quote

# Not ``.numpy()``: it raises on a device tensor, so where it works it waits for nothing.
_SYNC_METHODS = frozenset({"item", "cpu", "tolist"})
_SYNC_BUILTINS = frozenset({"float", "int", "bool"})
_NOT_TENSORS = frozenset({Kind.NDARRAY, Kind.NUMPY_SCALAR, Kind.NUMBER, Kind.LIST, Kind.TUPLE, Kind.DICT,
                          Kind.MODULE, Kind.FUNCTION, Kind.DEVICE, Kind.DTYPE, Kind.DATAFRAME,
                          Kind.PANDAS, Kind.HDF5})
# Waiting for the device explicitly: after it, a read in the same iteration waits for nothing.
_SYNCHRONIZE = frozenset({"torch.cuda.synchronize", "torch.accelerator.synchronize", "torch.mps.synchronize",
                          "torch.xpu.synchronize"})
# Any word by which a module could put something on a device.
_DEVICE_WORDS = re.compile(r"cuda|device|accelerator|gpu|mps|xpu|\.to\(", re.IGNORECASE)


@dataclass
class _Loop:
    node: cst.For | cst.While
    conditional_depth: int = 0  # ``if`` bodies entered inside the loop
    synchronized: bool = False  # an explicit synchronize came earlier in the body

    @cached_property
    def training_call(self) -> cst.Call | None:
        """The ``.backward()`` / ``optimizer.step()`` that makes it a training loop (looked
        for only when a read asks)."""
        return _training_call(self.node.body)


class SyncInTrainingLoop(Rule):
    """
    ## What it does
    Finds a read of a tensor's value on the host on every step of a training loop (a `for`
    or `while` loop whose body calls `.backward()` or an optimizer's or scaler's `.step()`):
    `.item()`, `.cpu()`, `.tolist()`, and `float(t)` / `int(t)` / `bool(t)` of a tensor
    (not `.numpy()`, which raises on a device tensor, so it only runs on host ones). Reads
    inside an `if` body (periodic logging) are not reported, nor are reads after an explicit
    `torch.cuda.synchronize()` (or `torch.accelerator.synchronize()`) earlier in the same
    iteration: that call already waited, and the read waits for nothing more. A script (it
    has a `__main__` block or a loop at module level) that never mentions a device (no
    `cuda`, `device`, `.to(`, `gpu`, `mps`, `xpu`, `accelerator`) runs on the CPU, where
    a read waits for nothing: it is not reported either. Off by default: on a CPU there is
    nothing to wait for, and many training loops read the loss on purpose.

    ## Why is this bad?
    CUDA runs asynchronously: the host queues kernels and moves on. Reading a value waits
    until every queued kernel has finished, so a read on each step stops the host from
    running ahead, and the GPU idles while the next step is queued. The PyTorch tuning guide
    lists `.item()`, `.cpu()` and `print(cuda_tensor)` among the synchronizations to avoid.

    ## Example
    ```python
    def train(model, loader, optimizer, loss_fn):
        total = 0.0
        for x, y in loader:
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        return total
    ```

    ## Use instead
    ```python
    def train(model, loader, optimizer, loss_fn):
        total = 0.0
        for x, y in loader:
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.detach()
        return float(total)
    ```

    ## Fix safety
    No fix: a tensor accumulator changes the type and the numerics (float32 instead of a
    Python float64 sum: 4991.3291015625 against 4991.33761382103 over 10,000 losses,
    measured), and code downstream may need a Python number.

    ## References
    - [Performance tuning guide: avoid unnecessary CPU-GPU synchronization](https://docs.pytorch.org/tutorials/recipes/recipes/tuning_guide.html)
    - [`torch.cuda.set_sync_debug_mode`](https://docs.pytorch.org/docs/stable/generated/torch.cuda.set_sync_debug_mode.html)
    """

    code = "TNP403"
    name = "sync-in-training-loop"
    message = ("`{expr}` waits for the device on every step of this training loop (it calls `{trainer}`, line {{line}}); "
               "keep the value on the device and read it every few steps")
    category = "performance"
    default_enabled = False
    requires_text = ("backward(", ".step(")
    needs_values = True
    VALID = [
        Valid(
            """
            def train(model, loader, optimizer, loss_fn, log_every):
                for step, (x, y) in enumerate(loader):
                    loss = loss_fn(model(x), y)
                    loss.backward()
                    optimizer.step()
                    if step % log_every == 0:
                        print(loss.item())  # periodic: not every step
            """
        ),
        Valid(
            """
            import torch
            def train(model, loader, optimizer, loss_fn):
                for x, y in loader:
                    loss = loss_fn(model(x), y)
                    loss.backward()
                    optimizer.step()
                    torch.cuda.synchronize()  # waits for the step: the read below waits for nothing more
                    print(loss.item())
            """
        ),
        Valid(
            """
            import torch
            fc = torch.nn.Linear(4, 1)  # a script that keeps everything on the host
            for step in range(1000):
                x = torch.randn(32, 4)
                output = torch.nn.functional.mse_loss(fc(x), x.sum(1, keepdim=True))
                loss = output.item()
                output.backward()
                if loss < 1e-3:
                    break
            """
        ),
        Valid(
            """
            def evaluate(model, loader):
                scores = []
                for x, y in loader:
                    scores.append(model(x).cpu())  # no backward, no step: not a training loop
                return scores
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            def train(model, loader, optimizer, loss_fn):
                total = 0.0
                for x, y in loader:
                    loss = loss_fn(model(x), y)
                    loss.backward()
                    optimizer.step()
                    total += loss.item()
                return total
            """,
            findings=[(7, 18)],
        ),
        Invalid(
            """
            import torch
            model = torch.nn.Linear(4, 1).to("cuda")
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            for step in range(1000):
                x = torch.randn(32, 4, device="cuda")
                loss = model(x).pow(2).mean()
                loss.backward()
                optimizer.step()
                if loss.item() < 1e-3:
                    break
            """,
            findings=[(9, 8)],
        ),
    ]

    def __init__(self, context) -> None:  # noqa: ANN001
        super().__init__(context)
        self._loops: list[_Loop | None] = []  # None: a function boundary
        self._branches: set[int] = set()
        self._cpu_script: bool | None = None  # asked once, when a read is found

    def visit_For(self, node: cst.For) -> None:
        self._loops.append(_Loop(node))

    def leave_For(self, node: cst.For) -> None:
        self._loops.pop()

    visit_While = visit_For
    leave_While = leave_For

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._loops.append(None)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._loops.pop()

    # Only an ``if``'s branches are conditional, not its test: the branch blocks are marked,
    # and the walk counts them as it enters and leaves them.
    def visit_If(self, node: cst.If) -> None:
        self._branches.add(id(node.body))
        if type(node.orelse) is cst.Else:
            self._branches.add(id(node.orelse.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_branch(node, +1)

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_branch(node, -1)

    visit_SimpleStatementSuite = visit_IndentedBlock  # ``if verbose: print(loss.item())``
    leave_SimpleStatementSuite = leave_IndentedBlock

    def _enter_branch(self, node: cst.CSTNode, step: int) -> None:
        loop = self._loops[-1] if self._loops else None
        if loop is not None and id(node) in self._branches:
            loop.conditional_depth += step

    def visit_Call(self, node: cst.Call) -> None:
        loop = self._loops[-1] if self._loops else None
        if loop is None:
            return
        if not self.model.qualnames(node.func).isdisjoint(_SYNCHRONIZE):
            loop.synchronized = True
            return
        if loop.conditional_depth or loop.synchronized:
            return
        value = self._synced_value(node)
        if value is None or loop.training_call is None or self._runs_on_cpu():
            return
        trainer = dotted(loop.training_call.func) or "backward"
        message = self.message.format(expr=quote(node), trainer=f"{trainer}()")
        self.report(node, message, evidence=loop.training_call)

    def _runs_on_cpu(self) -> bool:
        """A script that never mentions a device: what it trains stays on the CPU."""
        if self._cpu_script is None:
            module = self.model.module
            script = module is not None and any(_runs_as_script(statement) for statement in module.body)
            self._cpu_script = script and _DEVICE_WORDS.search(self.context.text) is None
        return self._cpu_script

    def _synced_value(self, call: cst.Call) -> cst.BaseExpression | None:
        func = call.func
        if type(func) is cst.Attribute and func.attr.value in _SYNC_METHODS and not call.args:
            receiver = func.value
            return receiver if self.model.value_of(receiver).kind not in _NOT_TENSORS else None
        if type(func) is cst.Name and func.value in _SYNC_BUILTINS and len(call.args) == 1:
            argument = call.args[0].value
            if self.model.resolves_to(func, f"builtins.{func.value}") or self.model.lookup(func.value) is None:
                return argument if self.model.value_of(argument).kind is Kind.TENSOR else None
        return None


def _runs_as_script(statement: cst.BaseStatement) -> bool:
    """A module-level loop, or ``if __name__ == "__main__":``."""
    if type(statement) is cst.For or type(statement) is cst.While:
        return True
    return type(statement) is cst.If and type(statement.test) is cst.Comparison \
        and dotted(statement.test.left) == "__name__"


def _training_call(body: cst.CSTNode) -> cst.Call | None:
    """The first ``x.backward()`` or ``optimizer.step()`` in a loop body, not in a nested
    loop (an epoch loop reads once per epoch, not per step), function or class: what makes
    the loop a training loop."""
    stack: list[cst.CSTNode] = [body]
    found: list[cst.Call] = []
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While)):
            continue
        if type(node) is cst.Call and type(node.func) is cst.Attribute:
            method = node.func.attr.value
            receiver = (dotted(node.func.value) or "").lower()
            if method == "backward" or (method == "step" and ("optim" in receiver or "scaler" in receiver)):
                found.append(node)
        stack.extend(reversed(list(children(node))))  # in source order
    return found[0] if found else None
