"""TNP311 factory-ignores-module-device: the rule, its fix contract entry and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).

The rule follows, through ``forward`` (and Lightning's step hooks) and the methods and
module-level functions they call, two kinds of tensor: those that follow the module's
device (its parameters and buffers, its parametrized layers' outputs, what is derived from
them, and an input once it has met them), and those a factory made on the default device.
It reports the factory where the second meets the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import libcst as cst

from ...diagnostics.contract import Applicability, ContractEntry, F, P, Precondition, Verdict
from ...diagnostics.fix import FixSpec, insert_after
from ...model import catalogue
from ...model.attributes import OutsideWrites
from ...model.catalogue import How
from ...model.names import dotted, keyword_argument, string_value
from ...model.tree import children
from ..base import Invalid, Rule, RuleContext, Valid
from ..explain import quote
from ..probe import hole, probe

# Factories whose result is never a 0-d tensor (a 0-d CPU tensor may meet a tensor on any
# device in an elementwise operation: measured, see the docs), by how their size is given.
ALWAYS_SHAPED = frozenset({"arange", "linspace", "logspace", "randperm", "eye"})
SIZED = frozenset({"zeros", "ones", "empty", "rand", "randn"})  # size as arguments or one sequence
FACTORIES = ALWAYS_SHAPED | SIZED | {"full", "randint", "tensor"}

# Where the module is on its device: ``forward``, and Lightning's hooks, run after ``.to()``.
ENTRY_POINTS = frozenset({"forward", "training_step", "validation_step", "test_step", "predict_step"})

# Layers with parameters or buffers that the catalogue does not list (it lists what it
# evaluates); a constructor keyword that may leave a catalogued layer without them is not followed.
STATEFUL_LAYERS = frozenset(f"torch.nn.{name}" for name in (
    "LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell", "MultiheadAttention", "EmbeddingBag",
    "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder", "Transformer",
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
))
_PARAMETER = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter"})

# Operations that require their tensor operands on one device (a 0-d CPU operand aside).
COMBINING_FUNCTIONS = frozenset({
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack", "matmul", "mm", "bmm",
    "einsum", "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "maximum", "minimum",
    "cdist", "outer", "dot", "atan2", "pow",
})
COMBINING_METHODS = frozenset({
    "add", "sub", "mul", "div", "matmul", "mm", "bmm", "add_", "sub_", "mul_", "div_", "pow", "maximum", "minimum",
})
# Methods whose result does not stay where the receiver is, or is no tensor.
LEAVES_DEVICE = frozenset({
    "to", "cuda", "cpu", "type", "type_as", "numpy", "tolist", "item", "size", "dim", "numel", "nelement",
    "element_size", "stride", "data_ptr", "get_device", "is_contiguous", "is_floating_point", "storage_offset",
    "untyped_storage", "pin_memory", "share_memory_", "register_hook", "backward", "argmax_", "__len__",
})
# Attributes of a tensor that are the same tensor, or a view of it.
VIEWS = frozenset({"T", "mT", "H", "mH", "data", "real", "imag"})
# Reductions and squeezes: on a factory's tensor they may give a 0-d one, which meets any device.
MAY_DROP_DIMENSIONS = frozenset({
    "sum", "mean", "prod", "max", "min", "amax", "amin", "norm", "std", "var", "all", "any", "argmax", "argmin",
    "median", "logsumexp", "count_nonzero", "squeeze", "dot", "trace", "det", "nansum", "nanmean",
})
# torch functions whose result is no tensor.
NOT_TENSOR_FUNCTIONS = frozenset({
    "numel", "device", "Size", "finfo", "iinfo", "no_grad", "enable_grad", "inference_mode", "autocast", "typename",
    "dtype", "result_type", "can_cast", "promote_types", "broadcast_shapes", "from_numpy", "manual_seed", "as_tensor",
    "tensor",
})
_TENSOR_NAMESPACES = ("torch.", "torch.nn.functional.", "torch.linalg.", "torch.fft.", "torch.special.")
# A condition that names the device: a factory under it runs where its author checked the device.
_DEVICE_WORDS = ("device", "cuda", "is_cuda", "cpu", "mps")
_MAX_DEPTH = 6  # how many calls deep a factory or a meeting is followed

Origin = cst.Call | str  # a factory call, or a parameter of the function being summarized


@dataclass(frozen=True)
class Flow:
    """Where a value is: ``follows`` the module's device (proven), or made by ``made`` (a
    factory on the default device, or a caller's argument) on some path."""

    follows: bool = False
    made: frozenset[Origin] = frozenset()

    def __or__(self, other: Flow) -> Flow:
        """Either of two values (a join, an ``if``-expression): follows only if both do."""
        return Flow(self.follows and other.follows, self.made | other.made)


NOTHING = Flow()
FOLLOWS = Flow(True)


@dataclass
class Summary:
    """What a function returns, and which of its parameters meet the module's device (at which node)."""

    returns: Flow = NOTHING
    meets: dict[str, cst.CSTNode] = field(default_factory=dict)
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Meeting:
    node: cst.CSTNode  # where the factory's value meets the module's device
    fix_name: str | None  # a name at the factory that follows the module's device


DEVICE_OF_INPUT = ContractEntry(
    key="TNP311/device-of-input",
    rewrite="`torch.F(..., x...)` → `torch.F(..., x..., device=x.device)`, where `x` is a name in the factory's "
            "arguments (`x.shape[0]`, `x.size(1)`) that follows the module's device there",
    applicability=Applicability.UNSAFE,
    preconditions=(
        Precondition(F, "`x` follows the module's device at the factory: a parameter or buffer, a parametrized "
                        "layer's output, or an input that has already met one"),
        Precondition(F, "the factory has no `device=` and no `out=`"),
        Precondition(P, "no default device is set (`torch.set_default_device`, `with torch.device(d):` around the "
                        "call): the original is then made on `d`, the fix on `x`'s device"),
        Precondition(P, "the factory's value is not also used where the CPU is wanted (returned to a caller that "
                        "calls `.numpy()` on it): on an accelerator it now lives there"),
    ),
    expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.DIFFERS},
    differs=("device", "rng", "values"),
    note="Where the original ran (everything on the CPU) the tensor is the same; on an accelerator it is made there, "
         "from that device's generator for the random factories.",
    title="Make the tensor on the input's device (`device=x.device`)",
)


class FactoryIgnoresModuleDevice(Rule):
    """
    ## What it does
    Finds a tensor factory (`torch.zeros`, `ones`, `empty`, `full`, `rand`, `randn`,
    `randint`, `randperm`, `arange`, `linspace`, `logspace`, `eye`, `torch.tensor([...])`)
    called without `device=` inside an `nn.Module`'s `forward` (or Lightning's
    `training_step` and the other step hooks, or a method or function of the file they
    call), whose result then meets a tensor that follows the module's device: combined with
    it in an operation, or passed into one of the module's layers.

    A tensor follows the module's device when it is:
    - one of the module's parameters or buffers: `self.w` where every write of `w` in the
      class is `nn.Parameter(...)` and nothing else in the file writes it, or a name given
      to `self.register_buffer` / `self.register_parameter` that is never assigned;
    - the output of one of its layers with parameters or buffers (`self.fc(x)` where
      `self.fc` is only ever an `nn.Linear`, `nn.Conv2d`, `nn.LSTM`..., or an
      `nn.Sequential` holding one; not `nn.ReLU`, whose output follows its input, nor a
      module of unknown kind), or such a layer's `weight`;
    - derived from one of those (`h * 2`, `h.view(...)`, `torch.cat([h, ...])`, `h[0]`);
    - an input of `forward` after it has met one (`self.fc(x)` or `x @ self.w` in a
      statement that always runs before the factory's use).

    The factory's result meets it in an elementwise operator or comparison, in
    `torch.cat`/`stack`/`matmul`/`einsum`/`add`... (and the same methods), or as an
    argument of one of the module's layers, directly or through the calls above (an
    LSTM's initial state made in a helper, passed through `self(...)` into `self.lstm`).

    The rule is silent where the factory names its `device=` (or `out=`), where its result
    is moved (`.to(...)`, `.cuda()`, `.type_as(...)`) or made with a `*_like` factory or
    `x.new_zeros(...)`, where it may be 0-d (`torch.tensor(2.0)`, `torch.zeros(*shape)`,
    a reduction such as `torch.arange(n).sum()`), where it is used only for shapes, for
    indexing (a CPU index tensor may index a tensor on any device), or with other CPU
    values, inside an `if` that tests the device or a `with torch.device(...):` block, in a
    file that calls `torch.set_default_device`, and in a module with no state
    of its own: a module without parameters or buffers has no device to follow, and its
    inputs may be on the CPU by design (a CPU-only helper, a loss).

    ## Why is this bad?
    A factory without `device=` makes its tensor on the default device, the CPU. The module
    works as long as it stays on the CPU, and the first `model.to("cuda")` (or Lightning's
    `Trainer(accelerator="gpu")`) makes `forward` raise `RuntimeError: Expected all tensors
    to be on the same device, but found at least two devices, cuda:0 and cpu` (an RNN
    says `Input and hidden tensors are not at the same device`). It is the error users
    report most often about device handling.

    Measured on torch 2.13, with a `meta` tensor standing in for the accelerator: an
    elementwise operation or `torch.cat` between a meta tensor and a 1-d CPU tensor
    raises ("Tensor on device cpu is not on the expected device meta!"), as does an
    `nn.Linear` moved to meta given a CPU input; a 0-d CPU tensor combined with a meta
    tensor does not raise, and neither does indexing a meta tensor with a CPU index
    tensor (so neither is reported).

    ## Example
    ```python
    import torch
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.fc = nn.Linear(n, n)

        def forward(self, x):
            h = self.fc(x)
            return h + torch.randn(x.shape[0], h.shape[1])
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.fc = nn.Linear(n, n)

        def forward(self, x):
            h = self.fc(x)
            return h + torch.randn(x.shape[0], h.shape[1], device=x.device)
    ```

    Or `torch.randn_like(h)` where the shape is the same. Add `dtype=x.dtype` only where
    the operation needs it: it changes the result's dtype under type promotion.

    ## Fix safety
    The fix names a device only where a name in the factory's own arguments is proven to
    follow the module's device there (`torch.zeros(x.shape[0], n)` after `self.fc(x)`);
    other findings have no fix. Measured on torch 2.13 (CPU): with `x` on the CPU,
    `torch.randn(x.shape[0], 3, device=x.device)` equals the original under the same seed
    in values, dtype, strides and device (the CPU generator draws both). With the module
    and `x` on `meta`, standing in for an accelerator, the original `h + torch.randn(...)`
    raises "Tensor on device cpu is not on the expected device meta!" and the fixed one
    returns a meta tensor. The fix adds no `dtype=`: under type promotion it would change
    the result's dtype (a float16 `x` plus a float32 factory's tensor is float32).

    ## References
    - [Lightning#3738: Input and hidden tensors are not at the same device](https://github.com/Lightning-AI/pytorch-lightning/issues/3738)
    - [pytorch_geometric_temporal#18: All input tensors must be on the same device](https://github.com/benedekrozemberczki/pytorch_geometric_temporal/issues/18)
    - [mozilla/TTS#473: Expected all tensors to be on the same device (guided attention loss)](https://github.com/mozilla/TTS/issues/473)
    - [random-fourier-features-pytorch#4: arange not created on the device of the tensor](https://github.com/jmclong/random-fourier-features-pytorch/pull/4)
    - [PyTorch: Tensor creation ops and `device=`](https://docs.pytorch.org/docs/stable/tensor_attributes.html#torch-device)
    """

    code = "TNP311"
    name = "factory-ignores-module-device"
    message = ("`{factory}` makes its tensor on the default device (the CPU), and `{other}` (line {line}) combines it "
               "with a tensor on the module's device: after `.to(device)` this raises; pass `device=`")
    category = "correctness"
    requires_text = tuple(f"{name}(" for name in sorted(FACTORIES))
    needs_values = True  # the model's facts about self.<name> attributes
    requires_also = ("Module", "torch")
    contract = (DEVICE_OF_INPUT,)
    VALID = [
        Valid(
            """
            import torch
            from torch import nn
            class Encoder(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.fc = nn.Linear(n, n)
                def forward(self, x):
                    h = self.fc(x)
                    noise = torch.randn(x.shape[0], h.shape[1], device=x.device)
                    mask = torch.ones(x.shape[0], h.shape[1]).to(h.device)
                    return h + noise * mask
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            class Scale(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.fc = nn.Linear(n, n)
                def forward(self, x):
                    h = self.fc(x)
                    return h * torch.tensor(0.5)  # 0-d: it meets a tensor on any device
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            class Pick(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.fc = nn.Linear(n, n)
                def forward(self, x):
                    h = self.fc(x)
                    rows = torch.arange(h.shape[0])
                    return h[rows, rows]  # a CPU index tensor indexes a tensor on any device
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            class PositionalEncoding(nn.Module):
                def __init__(self, m):
                    super().__init__()
                    self.m = m
                def forward(self, v):
                    j = torch.arange(self.m)  # no state: v may be on the CPU by design
                    return v[..., None] * j
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            class Reset(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.w = nn.Parameter(torch.empty(n, n))
                    self.reset()
                def reset(self):
                    with torch.no_grad():
                        self.w.copy_(self.w + torch.eye(self.w.shape[0]))  # before any .to()
                def forward(self, x):
                    return x @ self.w
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            from torch import nn
            class Encoder(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.fc = nn.Linear(n, n)
                def forward(self, x):
                    h = self.fc(x)
                    return h + torch.randn(x.shape[0], h.shape[1])
            """,
            findings=[(9, 20)],
            fixed="""
            import torch
            from torch import nn
            class Encoder(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.fc = nn.Linear(n, n)
                def forward(self, x):
                    h = self.fc(x)
                    return h + torch.randn(x.shape[0], h.shape[1], device=x.device)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.DIFFERS},
        ),
        Invalid(
            """
            import torch
            class DCRNN(torch.nn.Module):
                def __init__(self, n, k):
                    super().__init__()
                    self.k = k
                    self.linear_z = torch.nn.Linear(n + k, k)
                def _hidden(self, X, H):
                    if H is None:
                        H = torch.zeros(X.shape[0], self.k)
                    return H
                def forward(self, X, H=None):
                    H = self._hidden(X, H)
                    return self.linear_z(torch.cat([X, H], dim=1))
            """,
            findings=[(9, 17)],
        ),
        Invalid(
            """
            import torch
            import torch.nn as nn
            class Tagger(nn.Module):
                def __init__(self, n, layers):
                    super().__init__()
                    self.layers = layers
                    self.lstm = nn.LSTM(n, n, layers)
                    self.register_buffer("scale", torch.ones(n))
                def forward(self, x, hidden):
                    out, _ = self.lstm(x, hidden)
                    return out * self.scale
                def training_step(self, batch, batch_idx):
                    x, y = batch
                    h = torch.zeros(self.layers, x.size(1), x.size(2))
                    c = torch.zeros(self.layers, x.size(1), x.size(2))
                    out = self(x, (h, c))
                    return (out - y).pow(2).mean() + torch.arange(3).sum()
            """,
            findings=[(14, 13), (15, 13)],
        ),
        Invalid(
            """
            import torch
            from torch import nn
            class Mix(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.w = nn.Parameter(torch.randn(n, n))
                def forward(self, x):
                    y = x @ self.w
                    eye = torch.eye(y.shape[1])
                    return torch.cat([y, eye], dim=0), y[:, torch.arange(2)]
            """,
            findings=[(9, 15)],
            fixed="""
            import torch
            from torch import nn
            class Mix(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.w = nn.Parameter(torch.randn(n, n))
                def forward(self, x):
                    y = x @ self.w
                    eye = torch.eye(y.shape[1], device=y.device)
                    return torch.cat([y, eye], dim=0), y[:, torch.arange(2)]
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.DIFFERS},
        ),
    ]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self._classes_with_factories: set[int] = set()
        self._factories_in_functions = False  # a module-level function calls a factory
        self._registered: dict[int, list[cst.Call]] = {}  # per class, its register_buffer/register_parameter calls

    def visit_Call(self, node: cst.Call) -> None:
        # Only notes, by name, where factories and registrations are: the analysis runs
        # when a module class that holds one is left (most classes hold none).
        func = node.func
        name = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""
        cls = self.model.enclosing_class
        if name in FACTORIES:
            if cls is not None:
                self._classes_with_factories.add(id(cls))
            elif self.model.function is not None:
                self._factories_in_functions = True
        elif name in ("register_buffer", "register_parameter") and cls is not None and \
                type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value == "self":
            self._registered.setdefault(id(cls), []).append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if id(original_node) not in self._classes_with_factories and not self._factories_in_functions:
            return
        if self.model.sets_default_device or not self.model.is_module_class(original_node):
            return
        state = ModuleState(self, original_node, self._registered.get(id(original_node), ()))
        if not state.has_state:
            return  # no state: nothing of the module's follows a device
        analysis = Analysis(self, state)
        for method in state.methods.values():
            if method.name.value in ENTRY_POINTS:
                analysis.summary(method)
        for factory, meeting in analysis.meetings.items():
            other = meeting.node
            self.report(factory, self.message.format(factory=quote(factory.func), other=quote(other), line="{line}"),
                        evidence=other, fix=self._fix(factory, meeting.fix_name))

    def _fix(self, factory: cst.Call, name: str | None) -> FixSpec | None:
        if name is None or not factory.args or factory.lpar or any(a.star for a in factory.args):
            return None
        if not isinstance(factory.args[-1].comma, cst.MaybeSentinel):
            return None
        if not any(n.value == name for n in _names(factory)):
            return None
        edit = insert_after(factory.args[-1].value, f", device={name}.device")
        # The verifier makes a tensor for each name whose shape the factory reads; any other
        # local name (a size held in a variable) it cannot make, and the fix goes unverified.
        shaped = [n for n in _shape_readers(factory)]
        free = [n for n in _names(factory) if not self.model.qualnames(n) and all(n is not s for s in shaped)]
        check = probe(self.model, factory, [hole(self.model, n, "tensor") for n in shaped]) if not free else None
        return FixSpec(DEVICE_OF_INPUT, (edit,), probe=check)


def _shape_readers(call: cst.Call) -> list[cst.Name]:
    """The names in ``call``'s arguments read only for a size: ``x`` in ``x.shape[0]``, ``x.size(1)``."""
    found = []
    for node in _walk(call):
        if type(node) is cst.Attribute and node.attr.value in ("shape", "size") and type(node.value) is cst.Name:
            found.append(node.value)
    return found


def _names(node: cst.CSTNode) -> Iterator[cst.Name]:
    """The names read in ``node`` (not attribute names, not keywords), in source order."""
    pending = [node]
    while pending:
        current = pending.pop()
        if type(current) is cst.Name:
            yield current
        elif type(current) is cst.Attribute or type(current) is cst.Arg:
            pending.append(current.value)
        else:
            pending.extend(reversed(list(children(current))))


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(children(current))


class ModuleState:
    """What of an ``nn.Module`` class follows its device: its parameters and buffers, and its
    layers with parameters, each written only as such, and by nothing else in the file."""

    def __init__(self, rule: Rule, cls: cst.ClassDef, registered: Iterable[cst.Call]) -> None:
        self.rule = rule
        self.cls = cls
        body = cls.body.body if type(cls.body) is cst.IndentedBlock else ()
        self.methods = {s.name.value: s for s in body if type(s) is cst.FunctionDef}
        # The model's facts: attributes whose every write it followed, nothing else writing them.
        known = rule.model.class_attributes(cls)
        written = {name: [_written(w) for w in facts.writes] for name, facts in known.items() if facts.writes}
        self.parameters = {name for name, values in written.items() if all(self._parameter(v) for v in values)}
        self.layers = {name for name, values in written.items() if all(self._layer(v) for v in values)}
        self.buffers = {
            name for call in registered
            if len(call.args) >= 2 and (name := string_value(call.args[0].value)) is not None
            and not (isinstance(call.args[1].value, cst.Name) and call.args[1].value.value == "None")
        }
        self._elsewhere: frozenset[str] | None = None

    @property
    def has_state(self) -> bool:
        return bool(self.parameters or self.layers or self.buffers)

    def follows(self, name: str) -> bool:
        return name in self.parameters or (name in self.buffers and name not in self.written_elsewhere())

    def is_layer(self, name: str) -> bool:
        return name in self.layers

    def written_elsewhere(self) -> frozenset[str]:
        """Names that something may assign, which a registered buffer must never be: any
        ``self.<name> = ...`` of the class, a name its body binds, and the writes of other
        code (the model's scan). Read once, and only when a finding depends on a buffer."""
        if self._elsewhere is None:
            names: set[str] = set()
            body = self.cls.body.body if type(self.cls.body) is cst.IndentedBlock else ()
            for statement in body:
                for node in _walk(statement):
                    if type(node) is cst.Name and type(statement) is not cst.FunctionDef:
                        names.add(node.value)
                    for target, _ in _attribute_writes(node):
                        names.add(target.attr.value)
            module = self.rule.model.module
            outside = OutsideWrites(module).of(self.cls) if module is not None else None
            self._elsewhere = frozenset(names | set(outside)) if outside is not None else frozenset(self.buffers)
        return self._elsewhere

    def _parameter(self, value: cst.BaseExpression | None) -> bool:
        return type(value) is cst.Call and self.rule.model.resolves_to(value.func, *_PARAMETER)

    def _layer(self, value: cst.BaseExpression | None) -> bool:
        if type(value) is not cst.Call:
            return False
        for name in self.rule.model.qualnames(value.func):
            if name in STATEFUL_LAYERS:
                return True
            if name == "torch.nn.Sequential":
                # Its output comes out of its stateful layer, whatever follows that layer.
                return any(self._layer(arg.value) for arg in value.args if not arg.star)
            entry = catalogue.lookup(name)
            if entry is not None and entry.how is How.MODULE:
                return all(keyword_argument(value, k) is None for k, _ in entry.switches)
        return False


def _written(statement: cst.CSTNode) -> cst.BaseExpression | None:
    """The value a write of ``self.<name>`` stores, where it is one plain assignment."""
    if type(statement) is cst.Assign and len(statement.targets) == 1 and \
            isinstance(statement.targets[0].target, cst.Attribute):
        return statement.value
    if type(statement) is cst.AnnAssign and type(statement.target) is cst.Attribute:
        return statement.value
    return None


def _attribute_writes(node: cst.CSTNode) -> Iterator[tuple[cst.Attribute, cst.BaseExpression | None]]:
    """``obj.<name> = value`` (None: a value the rule does not follow) in a statement."""
    if type(node) is cst.Assign:
        for target in node.targets:
            for element in _targets(target.target):
                if type(element) is cst.Attribute:
                    single = type(target.target) is cst.Attribute and len(node.targets) == 1
                    yield element, node.value if single else None
    elif (type(node) is cst.AnnAssign or type(node) is cst.AugAssign) and type(node.target) is cst.Attribute:
        yield node.target, node.value if type(node) is cst.AnnAssign else None
    elif type(node) is cst.For or type(node) is cst.CompFor or type(node) is cst.Del:
        for element in _targets(node.target):
            if type(element) is cst.Attribute:
                yield element, None


def _targets(target: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if type(target) is cst.Tuple or type(target) is cst.List:
        for element in target.elements:
            yield from _targets(element.value)
    elif type(target) is cst.StarredElement:
        yield from _targets(target.value)
    else:
        yield target


class Analysis:
    """The flows of one module class: a summary per function reached from an entry point,
    and where each factory meets the module's device."""

    def __init__(self, rule: FactoryIgnoresModuleDevice, state: ModuleState) -> None:
        self.rule = rule
        self.model = rule.model
        self.state = state
        self.meetings: dict[cst.Call, Meeting] = {}
        self.fix_names: dict[cst.Call, str] = {}  # per factory, a name in its arguments that follows the device
        self._summaries: dict[int, Summary] = {}
        self._active: set[int] = set()
        self._functions: dict[str, cst.FunctionDef] | None = None

    def summary(self, function: cst.FunctionDef, depth: int = 0) -> Summary:
        key = id(function)
        if key in self._summaries:
            return self._summaries[key]
        if key in self._active or depth > _MAX_DEPTH:
            return Summary()  # recursion, or too deep: nothing known
        self._active.add(key)
        try:
            found = FunctionFlow(self, function, depth).run()
        finally:
            self._active.discard(key)
        self._summaries[key] = found
        return found

    def module_function(self, name: str) -> cst.FunctionDef | None:
        """A function the module defines once at its top level."""
        if self._functions is None:
            module = self.model.module
            body = module.body if module is not None else []
            defined = [s for s in body if type(s) is cst.FunctionDef]
            self._functions = {f.name.value: f for f in defined
                               if sum(g.name.value == f.name.value for g in defined) == 1
                               and self.model.module_assignment_count(f.name.value) <= 1}
        return self._functions.get(name)

    def meet(self, made: Iterable[Origin], node: cst.CSTNode, flow: FunctionFlow) -> None:
        for origin in made:
            if isinstance(origin, str):
                flow.meets.setdefault(origin, node)
            elif origin not in self.meetings:
                self.meetings[origin] = Meeting(node, self.fix_names.get(origin))


def _is_static(function: cst.FunctionDef) -> bool:
    return any(dotted(d.decorator) == "staticmethod" for d in function.decorators)


class FunctionFlow:
    """One walk over a function's statements in order, with what each local name holds."""

    def __init__(self, analysis: Analysis, function: cst.FunctionDef, depth: int) -> None:
        self.analysis = analysis
        self.model = analysis.model
        self.state = analysis.state
        self.function = function
        self.depth = depth
        self.meets: dict[str, cst.CSTNode] = {}
        self.returns: list[Flow] = []
        params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        in_class = any(function is m for m in analysis.state.methods.values())
        self.is_method = in_class and not _is_static(function)
        self.parameters = tuple(params[1:] if self.is_method and params else params)
        self.env: dict[str, Flow] = {p: Flow(made=frozenset({p})) for p in self.parameters}
        self.nested = 0  # inside a branch, loop or handler: not every path runs it
        self.device_checks = 0  # inside an ``if`` that tests the device

    def run(self) -> Summary:
        if type(self.function.body) is cst.IndentedBlock:
            self.block(self.function.body.body)
        returns = NOTHING
        for i, flow in enumerate(self.returns):
            returns = flow if i == 0 else returns | flow
        return Summary(returns, self.meets, self.parameters)

    # ----------------------------------------------------------------- statements

    def block(self, statements: Iterable[cst.BaseStatement]) -> None:
        for statement in statements:
            self.statement(statement)

    def branch(self, body: cst.BaseSuite | None) -> None:
        if body is None:
            return
        self.nested += 1
        self.suite(body)
        self.nested -= 1

    def suite(self, body: cst.BaseSuite) -> None:
        if type(body) is cst.IndentedBlock:
            self.block(body.body)
        elif type(body) is cst.SimpleStatementSuite:
            for small in body.body:
                self.small(small)

    def statement(self, node: cst.BaseStatement) -> None:
        if type(node) is cst.SimpleStatementLine:
            for small in node.body:
                self.small(small)
        elif type(node) is cst.If:
            self.value(node.test)
            checks = any(word in dotted_words(node.test) for word in _DEVICE_WORDS)
            self.device_checks += checks
            self.branch(node.body)
            if node.orelse is not None:
                self.branch(node.orelse.body if isinstance(node.orelse, cst.Else) else
                            cst.IndentedBlock(body=[node.orelse]))
            self.device_checks -= checks
        elif type(node) is cst.For or type(node) is cst.While:
            if isinstance(node, cst.For):
                self.value(node.iter)
                self.bind(node.target, NOTHING)
            else:
                self.value(node.test)
            self.branch(node.body)
            if node.orelse is not None:
                self.branch(node.orelse.body)
        elif type(node) is cst.With:
            for item in node.items:
                self.value(item.item)
                if item.asname is not None:
                    self.bind(item.asname.name, NOTHING)
            # `with torch.device(d):` makes d the factories' default inside it.
            sets_device = any(type(i.item) is cst.Call and self.model.resolves_to(i.item.func, "torch.device")
                              for i in node.items)
            self.device_checks += sets_device
            self.suite(node.body)  # a with-block's body always runs
            self.device_checks -= sets_device
        elif type(node) is cst.Try:
            self.branch(node.body)
            for handler in node.handlers:
                self.branch(handler.body)
            if node.orelse is not None:
                self.branch(node.orelse.body)
            if node.finalbody is not None:
                self.branch(node.finalbody.body)
        # Nested functions and classes run when called: not followed.

    def small(self, node: cst.BaseSmallStatement) -> None:
        if type(node) is cst.Assign:
            flow = self.value(node.value)
            for target in node.targets:
                self.bind(target.target, flow)
        elif type(node) is cst.AnnAssign:
            if node.value is not None:
                self.bind(node.target, self.value(node.value))
        elif type(node) is cst.AugAssign:
            self.bind(node.target, self.combine(self.value(node.target), self.value(node.value), node))
        elif type(node) is cst.Expr:
            self.value(node.value)
        elif type(node) is cst.Return:
            self.returns.append(self.value(node.value) if node.value is not None else NOTHING)

    def bind(self, target: cst.BaseExpression, flow: Flow) -> None:
        if type(target) is cst.Name:
            if flow == NOTHING:
                self.env.pop(target.value, None)
            else:
                self.env[target.value] = flow
        elif type(target) is cst.Tuple or type(target) is cst.List:
            for element in target.elements:
                self.bind(element.value, flow)  # unpacking: each part is where the whole was
        elif type(target) is cst.StarredElement:
            self.bind(target.value, flow)
        else:
            self.value(target)

    # ----------------------------------------------------------------- expressions

    def value(self, expr: cst.BaseExpression | None) -> Flow:
        if expr is None:
            return NOTHING
        if type(expr) is cst.Name:
            return self.env.get(expr.value, NOTHING)
        if type(expr) is cst.Attribute:
            if self._is_self(expr.value) and self.state.follows(expr.attr.value):
                return FOLLOWS
            if expr.attr.value == "weight" and type(expr.value) is cst.Attribute and \
                    self._is_self(expr.value.value) and self.state.is_layer(expr.value.attr.value):
                return FOLLOWS  # self.embed.weight: a layer's parameter
            inner = self.value(expr.value)
            return inner if expr.attr.value in VIEWS else NOTHING
        if type(expr) is cst.Subscript:
            inner = self.value(expr.value)
            keeps = True  # only slices, None and ...: no dimension is dropped
            for element in expr.slice:
                if type(element.slice) is cst.Index:
                    self.value(element.slice.value)
                    keeps = keeps and type(element.slice.value) is cst.Name and \
                        element.slice.value.value == "None" or type(element.slice.value) is cst.Ellipsis
            return inner if inner.follows or keeps else NOTHING
        if type(expr) is cst.Call:
            return self.call(expr)
        if type(expr) is cst.BinaryOperation:
            return self.combine(self.value(expr.left), self.value(expr.right), expr)
        if type(expr) is cst.Comparison:
            flow = self.value(expr.left)
            for target in expr.comparisons:
                flow = self.combine(flow, self.value(target.comparator), expr)
            return flow
        if type(expr) is cst.UnaryOperation:
            return self.value(expr.expression)
        if type(expr) is cst.IfExp:
            self.value(expr.test)
            return self.value(expr.body) | self.value(expr.orelse)
        if type(expr) is cst.BooleanOperation:
            return self.value(expr.left) | self.value(expr.right)
        if type(expr) is cst.Tuple or type(expr) is cst.List:
            # A container carries its factories' tensors into a layer (an RNN's `(h, c)`), but
            # is no tensor itself: `outputs + [y]` joins lists, it does not combine tensors.
            flows = [self.value(e.value) for e in expr.elements]
            return Flow(made=frozenset().union(*(f.made for f in flows))) if flows else NOTHING
        if type(expr) is cst.NamedExpr:
            flow = self.value(expr.value)
            self.bind(expr.target, flow)
            return flow
        return NOTHING

    def combine(self, left: Flow, right: Flow, node: cst.CSTNode) -> Flow:
        """Two tensors in one operation: a factory's meets the module's device."""
        if left.follows and right.made:
            self.met(right, node)
        if right.follows and left.made:
            self.met(left, node)
        if left.follows or right.follows:
            return FOLLOWS
        return Flow(made=left.made | right.made)

    def met(self, flow: Flow, node: cst.CSTNode) -> None:
        self.analysis.meet(flow.made, node, self)
        if self.nested == 0:
            # An input that met the module's device, on every path: it is there from now on.
            for name, held in list(self.env.items()):
                if held.made and held.made <= flow.made and all(isinstance(o, str) for o in held.made):
                    self.env[name] = FOLLOWS

    def arguments(self, call: cst.Call) -> list[Flow]:
        return [self.value(arg.value) for arg in call.args]

    def call(self, call: cst.Call) -> Flow:
        func = call.func
        if self.is_method and type(func) is cst.Attribute and self._is_self(func.value):
            return self._own_attribute_call(call, func.attr.value)
        if self.is_method and self._is_self(func):
            forward = self.state.methods.get("forward")
            return self.through(forward, call) if forward is not None else self._ignore(call)
        if type(func) is cst.Name and func.value not in self.parameters:
            found = self.analysis.module_function(func.value)
            if found is not None:
                return self.through(found, call)
        if self._factory(call) is not None:
            return self._made(call)
        function = self._torch_function(call)
        if function is not None:
            return self._torch_call(call, function)
        if type(func) is cst.Attribute:
            return self._method_call(call, func)
        return self._ignore(call)

    def _own_attribute_call(self, call: cst.Call, attribute: str) -> Flow:
        """``self.fc(...)``, one of the module's layers, or ``self.helper(...)``, a method."""
        if self.state.is_layer(attribute):
            for flow in self.arguments(call):
                if flow.made:
                    self.met(flow, call)
            return FOLLOWS
        method = self.state.methods.get(attribute)
        return self.through(method, call) if method is not None else self._ignore(call)

    def _made(self, factory: cst.Call) -> Flow:
        self.arguments(factory)
        if self.device_checks:
            return NOTHING
        for read in _names(factory):
            if self.env.get(read.value) == FOLLOWS:
                self.analysis.fix_names.setdefault(factory, read.value)
                break
        return Flow(made=frozenset({factory}))

    def _torch_call(self, call: cst.Call, function: str) -> Flow:
        flows = [f for arg in call.args for f in self._spread(arg.value)]
        if function in NOT_TENSOR_FUNCTIONS or function.startswith(("is_", "get_", "set_")) or \
                keyword_argument(call, "device") is not None:
            return NOTHING
        followed = any(f.follows for f in flows)
        made: frozenset[Origin] = frozenset().union(*(f.made for f in flows)) if flows else frozenset()
        if followed and made and function in COMBINING_FUNCTIONS:
            self.met(Flow(made=made), call)
        if followed:
            return FOLLOWS
        return NOTHING if function in MAY_DROP_DIMENSIONS else Flow(made=made)

    def _method_call(self, call: cst.Call, func: cst.Attribute) -> Flow:
        receiver = self.value(func.value)
        arguments = self.arguments(call)
        method = func.attr.value
        if method in LEAVES_DEVICE or method.endswith("_like"):
            return NOTHING
        if method in COMBINING_METHODS:
            for flow in arguments:
                receiver = self.combine(receiver, flow, call)
        if method in MAY_DROP_DIMENSIONS and not receiver.follows:
            return NOTHING
        return receiver

    def through(self, callee: cst.FunctionDef, call: cst.Call) -> Flow:
        """A call of a function the file defines: its return, and its parameters that meet
        the module's device, in the caller's terms."""
        if any(arg.star for arg in call.args):
            return self._ignore(call)
        arguments = self.arguments(call)
        summary = self.analysis.summary(callee, self.depth + 1)
        positional = [f for a, f in zip(call.args, arguments) if a.keyword is None]
        given: dict[str, Flow] = dict(zip(summary.parameters, positional))
        for arg, flow in zip(call.args, arguments):
            if arg.keyword is not None:
                given[arg.keyword.value] = flow
        for name, node in summary.meets.items():
            passed = given.get(name)
            if passed is not None and passed.made:
                self.met(Flow(made=passed.made), node)
        made: set[Origin] = set()
        for origin in summary.returns.made:
            if isinstance(origin, str):
                made |= given.get(origin, NOTHING).made
            else:
                made.add(origin)
        return Flow(summary.returns.follows, frozenset(made))

    def _ignore(self, call: cst.Call) -> Flow:
        self.value(call.func)
        self.arguments(call)
        return NOTHING

    def _spread(self, expr: cst.BaseExpression) -> list[Flow]:
        """An argument's flows: each element of a list or tuple (``torch.cat([a, b])``)."""
        if type(expr) is cst.List or type(expr) is cst.Tuple:
            return [f for e in expr.elements for f in self._spread(e.value)]
        return [self.value(expr)]

    def _is_self(self, expr: cst.BaseExpression) -> bool:
        return self.is_method and type(expr) is cst.Name and expr.value == "self" and "self" not in self.env

    def _torch_function(self, call: cst.Call) -> str | None:
        for name in self.model.qualnames(call.func):
            for namespace in _TENSOR_NAMESPACES:
                rest = name[len(namespace):] if name.startswith(namespace) else ""
                if rest and "." not in rest:
                    return rest
        return None

    def _factory(self, call: cst.Call) -> cst.Call | None:
        """A factory call that makes a tensor of one dimension or more on the default device."""
        function = self._torch_function(call)
        if function not in FACTORIES or not self.model.resolves_to(call.func, "torch." + str(function)):
            return None
        if any(arg.star for arg in call.args) or any(keyword_argument(call, k) is not None for k in ("device", "out")):
            return None
        positional = [a.value for a in call.args if a.keyword is None]
        if function in ALWAYS_SHAPED:
            return call
        if function == "tensor":
            return call if positional and isinstance(positional[0], (cst.List, cst.Tuple, cst.ListComp)) else None
        if function == "randint":
            size = keyword_argument(call, "size") or (positional[-1] if len(positional) >= 2 else None)
            return call if _shaped_sequence(size) else None
        size_args = positional[:1] if function == "full" else positional
        if function == "full" and len(size_args) == 1:
            return call if _shaped_sequence(size_args[0]) or _a_number(size_args[0]) else None
        if len(size_args) >= 2:
            return call
        if len(size_args) == 1:
            return call if _shaped_sequence(size_args[0]) or _a_number(size_args[0]) else None
        return None


def _shaped_sequence(expr: cst.BaseExpression | None) -> bool:
    """A tuple or list literal with at least one element: a shape of one dimension or more."""
    return (type(expr) is cst.Tuple or type(expr) is cst.List) and bool(expr.elements) and \
        not any(type(e) is cst.StarredElement for e in expr.elements)


def _a_number(expr: cst.BaseExpression) -> bool:
    """A size that is a number, not a shape that may be empty: a literal, ``x.shape[0]``,
    ``x.size(0)``, ``len(...)``, arithmetic on those, a plain name or ``self.n`` (a name
    holding an empty shape is the one case this lets through)."""
    if type(expr) is cst.Integer or type(expr) is cst.Name:
        return True
    if type(expr) is cst.Attribute:
        return expr.attr.value not in ("shape",)
    if type(expr) is cst.Subscript:
        return True  # x.shape[0], sizes[i]
    if type(expr) is cst.Call:
        name = expr.func.attr.value if type(expr.func) is cst.Attribute else (
            expr.func.value if type(expr.func) is cst.Name else "")
        return (name == "size" and len(expr.args) == 1) or name in ("len", "int")
    if type(expr) is cst.BinaryOperation:
        return _a_number(expr.left) and _a_number(expr.right)
    return False


def dotted_words(expr: cst.BaseExpression) -> str:
    """The names and attribute names an expression reads, as one text (for word tests)."""
    words = []
    for node in _walk(expr):
        if type(node) is cst.Name:
            words.append(node.value)
        elif type(node) is cst.SimpleString:
            words.append(string_value(node) or "")
    return " ".join(words).lower()
