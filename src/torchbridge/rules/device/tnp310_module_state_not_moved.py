"""TNP310 module-state-not-moved: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
What the rule sees while the walk passes a module class (writes of lists of layers,
operations that combine ``self.<name>`` with forward's input) is kept per class and judged
when the walk leaves the class, once the model knows every write of every attribute.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    Precondition,
    Verdict,
)
from ...diagnostics.fix import FixSpec, NodeEdit, replace
from ...model.attributes import AttributeFacts
from ...model.names import dotted, first_argument, keyword_argument, string_value
from ...model.scope import Binding, Scope
from ...model.tree import children
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..imports import module_reference

# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's. Measured with torch 2.13 (docs below).
REGISTER_BUFFER = ContractEntry(
    key="TNP310/register-buffer",
    rewrite='`self.NAME = t` in `__init__` → `self.register_buffer("NAME", t, persistent=False)`',
    applicability=Applicability.UNSAFE,
    preconditions=(
        Precondition(F, "the statement is the attribute's only write, in `__init__`, after `super().__init__()`"),
        Precondition(F, "the module gains a buffer: `buffers()` lists it, `.half()`/`.double()`/`.to(dtype)` "
                        "cast it, DDP broadcasts it, assigning a non-tensor to it raises `TypeError`"),
    ),
    expect={"cpu": Verdict.NOT_VERIFIABLE},
    note="The tensor now follows the module's device, and also its dtype casts, `buffers()` and DDP's "
         "buffer broadcast; `state_dict` stays as it was. The verifier's expressions build no module: a "
         "runtime test builds both versions and moves them.",
    title="Register `{name}` as a non-persistent buffer",
)
MODULE_CONTAINER = ContractEntry(
    key="TNP310/module-container",
    rewrite="`self.NAME = [layers]` → `nn.ModuleList([layers])`; `{'key': layer}` → `nn.ModuleDict({...})`",
    applicability=Applicability.UNSAFE,
    preconditions=(
        Precondition(F, "the layers join `parameters()` (so the optimizer trains them) and `state_dict` gains "
                        "their keys: old checkpoints no longer load strictly"),
        Precondition(F, "a `ModuleList` is no `list`: no `sort`, `reverse`, `remove`; slices are `ModuleList`s"),
    ),
    expect={"cpu": Verdict.NOT_VERIFIABLE},
    note="Registering the layers is the intent, but it changes what the module trains and saves. The "
         "verifier's expressions build no module: a runtime test builds both versions and moves them.",
    title="Hold the layers in `nn.{container}`",
)

# Methods that run the module on its device: forward, and Lightning's steps.
_ENTRY_POINTS = frozenset({"forward", "training_step", "validation_step", "test_step", "predict_step"})
# A class that implements these moves its own state (or chose not to).
_MOVING_METHODS = frozenset({"_apply", "to", "cuda", "cpu", "to_empty", "__setattr__"})
_REGISTERING = frozenset({"register_buffer", "register_parameter", "register_module", "add_module"})
# Operators that fail when one side is a CPU tensor of one or more dimensions and the other a device tensor.
_OPERATORS = (
    cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Modulo, cst.Power, cst.MatrixMultiply,
    cst.BitAnd, cst.BitOr, cst.BitXor,
)
_COMPARISONS = (cst.Equal, cst.NotEqual, cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual)
# Methods that keep a tensor where it is and keep at least its number of dimensions.
_KEEPS_PLACE = frozenset({
    "float", "double", "half", "bfloat16", "long", "int", "bool", "unsqueeze", "view", "reshape", "permute",
    "transpose", "t", "expand", "repeat", "clone", "detach", "contiguous", "flip", "exp", "log", "sqrt", "abs",
    "neg", "sin", "cos",
})
# Methods whose result is no device tensor, or that move, or read only metadata: never a meeting.
_NOT_A_MEETING = frozenset({
    "to", "type", "type_as", "copy_", "expand_as", "view_as", "reshape_as", "new_tensor", "new_zeros", "new_ones",
    "new_full", "new_empty", "cuda", "cpu", "size", "dim", "numel", "item", "tolist", "numpy", "stride",
    "is_same_size", "get_device", "data_ptr", "element_size", "nelement", "is_contiguous",
})
# Torch functions that read no tensor's data across devices, or that place their result.
_NEUTRAL_FUNCTIONS = frozenset({
    "is_tensor", "numel", "Size", "tensor", "as_tensor", "broadcast_shapes", "device", "zeros_like", "ones_like",
    "empty_like", "full_like", "rand_like", "randn_like", "is_floating_point", "is_complex",
})
# Factories whose result has one or more dimensions whatever their arguments.
_ONE_DIM_FACTORIES = frozenset({"arange", "linspace", "logspace", "eye", "randperm", "hann_window", "hamming_window",
                                "blackman_window", "bartlett_window", "kaiser_window"})
# Factories whose positional arguments are the size.
_SIZED_FACTORIES = frozenset({"zeros", "ones", "empty", "rand", "randn", "FloatTensor", "LongTensor", "DoubleTensor",
                              "IntTensor", "BoolTensor", "ByteTensor", "Tensor"})
_DATA_FACTORIES = frozenset({"tensor", "as_tensor", "FloatTensor", "LongTensor", "DoubleTensor", "IntTensor",
                             "BoolTensor", "ByteTensor", "Tensor"})
# Result methods of a following tensor that are no device tensor.
_LEAVES_DEVICE = frozenset({
    "cpu", "numpy", "tolist", "item", "size", "dim", "numel", "stride", "nelement", "element_size",
    "is_contiguous", "data_ptr", "get_device", "keys", "values", "items", "__len__",
})
_TENSOR_LIBRARIES = ("torch", "torchaudio", "torchvision")
_NON_TENSOR_ANNOTATIONS = frozenset({"int", "float", "bool", "str", "bytes", "complex"})
_MAX_DEPTH = 8


@dataclass
class _Meeting:
    name: str  # the attribute: ``self.<name>``
    node: cst.CSTNode  # where it meets forward's input
    method: str  # the method it is in


@dataclass
class _Container:
    write: cst.Assign
    display: cst.BaseExpression  # the list or dict display
    container: str  # "ModuleList" or "ModuleDict"; "" when no fix (a dict without string keys)
    nn: str | None  # how the fix names ``torch.nn``
    edits: tuple[NodeEdit, ...] = ()  # the import the fix needs


@dataclass
class _ClassState:
    node: cst.ClassDef
    meetings: list[_Meeting] = field(default_factory=list)
    containers: dict[str, list[_Container]] = field(default_factory=dict)
    unknown_elements: set[str] = field(default_factory=set)  # containers filled with what is not proven a layer
    layers: set[str] = field(default_factory=set)  # containers that some layer goes into
    calls: dict[str, set[str]] = field(default_factory=dict)  # method -> the self.<method>() it calls
    attributes: dict[str, AttributeFacts] = field(default_factory=dict)  # the model's, once the class is walked


class ModuleStateNotMoved(Rule):
    """
    ## What it does
    Finds state of an `nn.Module` that `module.to(device)`, `.cuda()` and Lightning do not
    move, because the module does not know about it: a plain tensor attribute that
    `forward` combines with its input, and layers held in a plain `list` or `dict`.

    The two cases in detail:

    - a plain tensor attribute (`self.scale = torch.ones(3)` in `__init__`: not an
      `nn.Parameter`, not registered with `register_buffer`) that `forward` (or a method
      it calls, or a Lightning step) combines with the module's input: in an arithmetic
      operator or comparison, a torch function, or a tensor method;
    - layers held in a plain Python `list` or `dict` attribute (`self.layers =
      [nn.Linear(8, 8) for _ in range(4)]`, or `self.layers = []` filled with `append`).

    The tensor must be proven made on the CPU by every write of the attribute in the class,
    with one or more dimensions (a 0-d CPU tensor mixes with device tensors without error),
    and not moved where it is used (`self.scale.to(x.device)`, `.type_as(x)`,
    `torch.as_tensor(self.scale, device=x.device)` are not reported). A class that
    implements `_apply`, `to` or `cuda` moves its state itself and is not reported, nor is
    a name that the class, a base class or a subclass in the file registers
    (`register_buffer("scale", None)`, then `self.scale = ...`), nor any name where they or
    module-level code register a computed name. The layers must be constructed right
    there (`nn.Linear(...)`, a module class of the file), and the container used only by
    iterating or indexing it: passed on (`nn.Sequential(*self.layers)`) the layers are
    registered after all.

    The rule looks at files that define a `forward` (or a Lightning step) in a class.
    Modules are made to be moved: the rule does not ask whether this one ever is (a module
    that only ever runs on the CPU gets the finding too).
    What it cannot see: a base class or subclass in another file that registers the name
    as a buffer or overrides `_apply`, and a size given by a variable holding an empty
    shape (`torch.zeros(shape)` with `shape == ()` is 0-d; a name is taken as a count).
    Of forward's parameters only the first one, or one annotated as a tensor, is taken
    as an input tensor (`step * self.scale` with an unannotated `step` may be a number).

    ## Why is this bad?
    `module.to()` moves parameters, buffers and submodules, and nothing else. After
    `model.cuda()` the plain tensor stays on the CPU, and the first `forward` on a GPU
    input raises `RuntimeError: Expected all tensors to be on the same device`. Layers in a
    plain list are worse: they stay on the CPU, and they are not in `parameters()` either,
    so an optimizer built from `model.parameters()` never trains them and `state_dict()`
    does not save them.

    ## Example
    ```python
    import torch
    from torch import nn

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.ones(8)
            self.layers = [nn.Linear(8, 8) for _ in range(2)]

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x * self.scale
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("scale", torch.ones(8), persistent=False)
            self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(2)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x * self.scale
    ```

    ## Fix safety
    Both fixes are what the threads settled on, and both change the module beyond its
    device. Measured with torch 2.13 (CPU), `register_buffer(name, t, persistent=False)`
    against the plain attribute:

    | what | plain tensor attribute | non-persistent buffer |
    |---|---|---|
    | `.to(device)`, `.cuda()`, `.to("meta")` | stays where it was | moves |
    | `buffers()`, `named_buffers()` | not listed | listed |
    | `state_dict()`, `load_state_dict()` | absent | absent (unchanged) |
    | `.half()`, `.double()`, `.to(torch.float16)` | stays `float32` | cast (integer tensors stay as they are) |
    | DDP (`broadcast_buffers`, the default) | not synchronized | in DDP's `modules_buffers` (gloo, one process): broadcast from rank 0 |
    | `copy.deepcopy` | copied | copied |
    | `self.name = other_tensor` later | plain attribute | stays a buffer |
    | `self.name = 3.0` later | allowed | `TypeError: cannot assign 'float' as buffer` |
    | `self.name = None` later | allowed | allowed (the buffer is dropped) |
    | `vars(module)` / `module.__dict__` | holds it | does not |
    | `register_buffer` before `super().__init__()` | - | `AttributeError` |

    So the fix is unsafe: code that casts the module to half precision, reads `buffers()`,
    runs under DDP or assigns a non-tensor to the name behaves differently. It is offered
    only where the attribute has one write, in `__init__`, after `super().__init__()`.

    `nn.ModuleList` / `nn.ModuleDict` add the layers to `parameters()` and their keys to
    `state_dict()` (a checkpoint saved before no longer loads with `strict=True`), and a
    `ModuleList` has no `sort`, `reverse` or `remove`; a dict is rewritten only when all
    its keys are string literals (`ModuleDict` takes only string keys).

    ## References
    - [pytorch#8017: failed to move parameters to GPU](https://github.com/pytorch/pytorch/issues/8017)
    - [pytorch#1053: submodules defined in list are not auto-registered](https://github.com/pytorch/pytorch/issues/1053)
    - [torchaudio#457: phase_advance should be a buffer so it moves device correctly](https://github.com/pytorch/audio/pull/457)
    - [Lightning#1978](https://github.com/Lightning-AI/pytorch-lightning/issues/1978),
      [Lightning#3674: tensor is not moved to the expected device](https://github.com/Lightning-AI/pytorch-lightning/issues/3674)
    - [botorch#1035](https://github.com/pytorch/botorch/issues/1035)
    - [`torch.nn.Module.register_buffer`](https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer)
    """

    code = "TNP310"
    name = "module-state-not-moved"
    message = ("`self.{name}` is a plain tensor made on the CPU: `module.to(device)` does not move it, and it "
               "meets the module's input at line {{line}}; register it as a buffer")
    list_message = ("`self.{name}` holds layers in a plain `{kind}`: `module.to(device)` does not move them and "
                    "`parameters()` does not list them (the optimizer never trains them); use `nn.{container}`")
    category = "correctness"
    # A module class that runs on inputs: it defines forward (or a Lightning step).
    requires_text = tuple(f"def {method}" for method in sorted(_ENTRY_POINTS))
    requires_also = ("Module", "self.")
    needs_values = True
    contract = (REGISTER_BUFFER, MODULE_CONTAINER)
    VALID = [
        Valid(
            """
            import torch
            from torch import nn
            class Scale(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.register_buffer("scale", torch.ones(8))
                    self.layers = nn.ModuleList([nn.Linear(8, 8)])
                def forward(self, x):
                    return self.layers[0](x) * self.scale
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            class Scale(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = torch.ones(8)
                def forward(self, x):
                    return x * self.scale.to(x.device)
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            class Scale(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = torch.tensor(2.0)  # 0-d: mixes with device tensors
                def forward(self, x):
                    return x * self.scale
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            class Stack(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = [nn.Linear(8, 8) for _ in range(2)]
                    self.net = nn.Sequential(*self.layers)  # registered through the Sequential
                def forward(self, x):
                    return self.net(x)
            """
        ),
        Valid(
            """
            import torch
            from torch import nn
            class Scale(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = torch.ones(8)
                def _apply(self, fn, recurse=True):
                    self.scale = fn(self.scale)
                    return super()._apply(fn, recurse)
                def forward(self, x):
                    return x * self.scale
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            from torch import nn
            class Scale(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = torch.ones(8)
                def forward(self, x):
                    return x * self.scale
            """,
            findings=[(6, 9)],
            fixed="""
            import torch
            from torch import nn
            class Scale(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.register_buffer("scale", torch.ones(8), persistent=False)
                def forward(self, x):
                    return x * self.scale
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
        Invalid(
            """
            import torch
            from torch import nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.convs = []
                    for _ in range(3):
                        self.convs.append(nn.Conv1d(4, 4, 3))
                def forward(self, x):
                    for conv in self.convs:
                        x = conv(x)
                    return x
            """,
            findings=[(6, 9)],
            fixed="""
            import torch
            from torch import nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.convs = nn.ModuleList([])
                    for _ in range(3):
                        self.convs.append(nn.Conv1d(4, 4, 3))
                def forward(self, x):
                    for conv in self.convs:
                        x = conv(x)
                    return x
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
        Invalid(
            """
            import torch
            class Heads(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.heads = {"a": torch.nn.Linear(4, 2), "b": torch.nn.Linear(4, 3)}
                    self.window = torch.arange(4.0)
                    self.reset()
                def reset(self):
                    self.window = torch.arange(4.0)
                def forward(self, x):
                    x = torch.mul(x, self.window)
                    return {k: head(x) for k, head in self.heads.items()}
            """,
            findings=[(5, 9), (6, 9)],
            fixed="""
            import torch
            class Heads(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(4, 2), "b": torch.nn.Linear(4, 3)})
                    self.window = torch.arange(4.0)
                    self.reset()
                def reset(self):
                    self.window = torch.arange(4.0)
                def forward(self, x):
                    x = torch.mul(x, self.window)
                    return {k: head(x) for k, head in self.heads.items()}
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._classes: list[_ClassState | None] = []
        self._judged: list[_ClassState] = []  # the module classes to judge at the end of the file
        # ``register_buffer("name", ...)`` per class of the file (a base class may register
        # the name a subclass assigns), and outside any class (None); None once a name is computed.
        self._registered: dict[str | None, set[str] | None] = {}
        self._owners: list[str] = []  # the classes being walked, innermost last
        # Whether each ``name = value`` in a module's method gives a value on the input's
        # device, judged before the name is bound (``x = x * 2`` reads the earlier ``x``).
        self._assigned: dict[int, bool] = {}

    # ------------------------------------------------------------------ the walk

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(_ClassState(node) if self.model.is_module_class(node) else None)
        self._owners.append(node.name.value)

    def _method(self) -> tuple[_ClassState, cst.FunctionDef] | None:
        """The module class being walked and its method the walk is in (directly, not in a
        nested function or class)."""
        state = self._classes[-1] if self._classes else None
        if state is None:
            return None
        scope: Scope | None = self.model.scope
        while scope is not None and scope.kind in ("comprehension", "lambda"):
            scope = scope.parent
        if scope is None or scope.kind != "function" or scope.parent is None:
            return None
        if scope.parent.node is not state.node or type(scope.node) is not cst.FunctionDef:
            return None
        return state, scope.node

    def visit_Call(self, node: cst.Call) -> None:
        self._note_registration(node)
        found = self._method()
        if found is None:
            return
        state, method = found
        func = node.func
        if type(func) is cst.Attribute and _is_self(func.value):
            state.calls.setdefault(method.name.value, set()).add(func.attr.value)
        if type(func) is cst.Attribute and (name := _self_name(func.value)) is not None:
            self._fill(state, name, func.attr.value, node)
        self._meeting_in_call(state, method, node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if self._classes and self._classes[-1] is not None and isinstance(node.operator, _OPERATORS):
            self._meeting(node, node.left, node.right)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self._classes and self._classes[-1] is not None and len(node.comparisons) == 1 and isinstance(node.comparisons[0].operator, _COMPARISONS):
            self._meeting(node, node.left, node.comparisons[0].comparator)

    def visit_Assign(self, node: cst.Assign) -> None:
        found = self._method()
        if found is None or len(node.targets) != 1:
            return
        state, method = found
        target = node.targets[0].target
        if type(target) is cst.Name or type(target) is cst.Tuple or type(target) is cst.List:
            # ``x, y = batch``: the parts of an input batch are on its device too.
            self._assigned[id(node)] = self._follows(node.value, method)
        name = _self_name(target)
        if name is not None:
            self._container_write(state, name, node)
        elif type(target) is cst.Subscript and (name := _self_name(target.value)) is not None:
            self._element(state, name, node.value)  # self.heads["a"] = nn.Linear(...)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._owners.pop()
        state = self._classes.pop()
        if state is not None and (state.meetings or state.containers):
            state.attributes = self.model.class_attributes(node)
            self._judged.append(state)

    def leave_Module(self, node: cst.Module) -> None:
        """Judge the classes once the whole file is seen: code after a class may register
        the names it assigns."""
        for state in self._judged:
            body = state.node.body.body if type(state.node.body) is cst.IndentedBlock else ()
            methods = {s.name.value: s for s in body if type(s) is cst.FunctionDef}
            registered = self._registered_for(state.node)
            if not methods.keys() & _MOVING_METHODS and registered is not None:
                self._report_tensors(state, methods, registered)
                self._report_containers(state)

    def _registered_for(self, cls: cst.ClassDef) -> set[str] | None:
        """The names registered in ``cls``, its bases and subclasses in the file, or outside
        any class; None when one of them registers a computed name."""
        found: set[str] = set()
        for owner in (None, cls.name.value, *self.model.related_classes(cls)):
            names = self._registered.get(owner, set())
            if names is None:
                return None
            found |= names
        return found

    # ------------------------------------------------------------- plain tensors

    def _note_registration(self, node: cst.Call) -> None:
        func = node.func
        if not (type(func) is cst.Attribute and func.attr.value in _REGISTERING):
            return
        owner = self._owners[-1] if self._owners else None
        names = self._registered.setdefault(owner, set())
        name = string_value(node.args[0].value) if node.args else None
        if name is None:
            self._registered[owner] = None
        elif names is not None:
            names.add(name)

    def _meeting(self, node: cst.CSTNode, left: cst.BaseExpression, right: cst.BaseExpression) -> None:
        found = self._method()
        if found is None:
            return
        state, method = found
        for one, other in ((left, right), (right, left)):
            name = self._kept(one)
            if name is not None and self._follows(other, method):
                state.meetings.append(_Meeting(name, node, method.name.value))
                return

    def _meeting_in_call(self, state: _ClassState, method: cst.FunctionDef, node: cst.Call) -> None:
        func = node.func
        operands = list(_operands(node))
        kept = [(name, e) for e in operands if (name := self._kept(e)) is not None]
        receiver = self._kept(func.value) if type(func) is cst.Attribute else None
        if (not kept and receiver is None) or keyword_argument(node, "device") is not None:
            return  # nothing of the module's here, or the call places its result
        others = [e for e in operands if all(e is not k for _, k in kept)]
        if any(self.model.resolves_into(func, library) for library in _TENSOR_LIBRARIES):
            # torch.mul(x, self.scale), torch.cat([x, self.scale]), F.linear(x, self.weight)
            if (dotted(func) or "").rpartition(".")[2] not in _NEUTRAL_FUNCTIONS and any(
                self._follows(e, method) for e in others
            ):
                state.meetings.extend(_Meeting(name, node, method.name.value) for name, _ in kept)
            return
        if type(func) is not cst.Attribute or func.attr.value in _NOT_A_MEETING:
            return
        if receiver is not None:  # self.scale.mul(x)
            if any(self._follows(e, method) for e in others):
                state.meetings.append(_Meeting(receiver, node, method.name.value))
        elif self._follows(func.value, method):  # x.mul(self.scale)
            state.meetings.extend(_Meeting(name, node, method.name.value) for name, _ in kept)

    def _kept(self, expr: cst.BaseExpression, depth: int = 0) -> str | None:
        """The attribute ``expr`` reads where it is, keeping its dimensions: ``self.scale``,
        ``self.scale[None]``, ``self.scale.float().unsqueeze(0)``, ``self.mask > 0``,
        ``torch.stack([self.a, self.b])``."""
        if depth > _MAX_DEPTH:
            return None
        name = _self_name(expr)
        if name is not None:
            return name
        if type(expr) is cst.Subscript and _keeps_dimensions(expr):
            return self._kept(expr.value, depth + 1)
        if type(expr) is cst.Call and type(expr.func) is cst.Attribute and expr.func.attr.value in _KEEPS_PLACE:
            return None if any(a.keyword is not None for a in expr.args) else self._kept(expr.func.value, depth + 1)
        sides: list[cst.BaseExpression] = []
        if type(expr) is cst.BinaryOperation and isinstance(expr.operator, _OPERATORS):
            sides = [expr.left, expr.right]
        elif type(expr) is cst.Comparison and len(expr.comparisons) == 1:
            sides = [expr.left, expr.comparisons[0].comparator]
        elif (type(expr) is cst.Call and keyword_argument(expr, "device") is None
              and self.model.resolves_into(expr.func, "torch")
              and (dotted(expr.func) or "").rpartition(".")[2] not in _NEUTRAL_FUNCTIONS):
            sides = list(_operands(expr))
        kept = [self._kept(side, depth + 1) for side in sides]
        if any(kept) and all(k is not None or _number(side) for k, side in zip(kept, sides)):
            return next(k for k in kept if k is not None)
        return None

    def _follows(self, expr: cst.BaseExpression, method: cst.FunctionDef, depth: int = 0) -> bool:
        """``expr`` is proven to be on the device the module's input is on: the input itself,
        or computed from it (``x.view(...)``, ``x * 2``, ``F.relu(x)``, ``self.conv(x)``)."""
        if depth > _MAX_DEPTH:
            return False
        if type(expr) is cst.Name:
            binding = self.model.lookup(expr.value)
            return binding is not None and all(
                self._bound_to_input(b, method) for b in (binding.reaching or (binding,))
            )
        if type(expr) is cst.Attribute:
            return expr.attr.value in ("T", "mT", "data", "real") and self._follows(expr.value, method, depth + 1)
        if type(expr) is cst.Subscript:
            return self._follows(expr.value, method, depth + 1)
        if type(expr) is cst.UnaryOperation:
            return self._follows(expr.expression, method, depth + 1)
        if type(expr) is cst.BinaryOperation:
            return self._follows(expr.left, method, depth + 1) or self._follows(expr.right, method, depth + 1)
        if type(expr) is cst.Call:
            return self._call_follows(expr, method, depth)
        return False

    def _call_follows(self, call: cst.Call, method: cst.FunctionDef, depth: int) -> bool:
        func = call.func
        if keyword_argument(call, "device") is not None:
            value = self.model.value_of(call)  # torch.ones(3, device="cuda")
            return value.kind is Kind.TENSOR and value.on_device is True
        # A method of the input (``x.view(...)``), unless it leaves the device or the tensor.
        if (type(func) is cst.Attribute and not _is_self(func.value)
                and func.attr.value not in _LEAVES_DEVICE | _NOT_A_MEETING
                and self._follows(func.value, method, depth + 1)):
            return True
        # The cheap test first: a call follows only when an argument does.
        if not any(self._follows(a.value, method, depth + 1) for a in call.args if not a.star):
            return False
        if type(func) is cst.Subscript:
            # ``self.layers[i](x)``: an element of the module's container, called on the input.
            return _self_name(func.value) is not None
        if _is_self(func):
            return True  # ``self(x)`` in a Lightning step: forward, on the module's device
        if type(func) is cst.Attribute and _is_self(func.value):
            # A layer of the module (``self.conv(x)``) keeps its input's device.
            return self.model.self_attribute(func.attr.value).kind is Kind.MODULE
        return any(self.model.resolves_into(func, library) for library in _TENSOR_LIBRARIES)

    def _bound_to_input(self, binding: Binding, method: cst.FunctionDef) -> bool:
        if binding.kind == "param":
            return type(binding.node) is cst.Param and _is_input(binding.node, method)
        if binding.kind == "assign":
            return self._assigned.get(id(binding.node), False)
        return False

    def _report_tensors(self, state: _ClassState, methods: dict[str, cst.FunctionDef], registered: set[str]) -> None:
        attributes = state.attributes
        reached = _reached(state.calls, _ENTRY_POINTS & methods.keys())
        reported: set[str] = set()
        for meeting in state.meetings:
            name = meeting.name
            facts = attributes.get(name)
            if (name in reported or name in registered or meeting.method not in reached or facts is None
                    or not self._plain_cpu_tensor(facts)):
                continue
            reported.add(name)
            write = facts.writes[0]
            fix = self._register_fix(name, facts, methods.get("__init__"))
            self.report(write, self.message.format(name=name), evidence=meeting.node, fix=fix)

    def _plain_cpu_tensor(self, facts: AttributeFacts) -> bool:
        if facts.value.kind is not Kind.TENSOR or facts.value.on_device is not False or not facts.writes:
            return False
        return all(type(w) is cst.Assign and self._at_least_one_dimension(w.value) for w in facts.writes)

    def _at_least_one_dimension(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Every value ``expr`` can have is a tensor of one or more dimensions (a 0-d CPU
        tensor mixes with device tensors without error)."""
        if depth > _MAX_DEPTH:
            return False
        if type(expr) is cst.Subscript:
            return _keeps_dimensions(expr) and self._at_least_one_dimension(expr.value, depth + 1)
        if type(expr) is cst.BinaryOperation:
            return self._at_least_one_dimension(expr.left, depth + 1) or self._at_least_one_dimension(expr.right, depth + 1)
        if type(expr) is not cst.Call:
            return False
        func = expr.func
        if self.model.resolves_into(func, "torch"):
            return _factory_has_dimensions(expr, (dotted(func) or "").rpartition(".")[2])
        if type(func) is cst.Attribute:
            if func.attr.value == "unsqueeze":
                return True
            return func.attr.value in _KEEPS_PLACE and self._at_least_one_dimension(func.value, depth + 1)
        return False

    def _register_fix(self, name: str, facts: AttributeFacts, init: cst.FunctionDef | None) -> FixSpec | None:
        if init is None or len(facts.writes) != 1:
            return None
        write = facts.writes[0]
        if type(write) is not cst.Assign or len(write.targets) != 1:
            return None
        after_super = False  # register_buffer raises before Module.__init__ has run
        smalls = (small for line in _statements(init) if type(line) is cst.SimpleStatementLine for small in line.body)
        for small in smalls:
            if small is write:
                if not after_super:
                    return None
                text = f'self.register_buffer("{name}", {_EMPTY.code_for_node(write.value)}, persistent=False)'
                return FixSpec(REGISTER_BUFFER, (replace(write, text),), title=REGISTER_BUFFER.title.format(name=name))
            after_super = after_super or _is_super_init(small)
        return None

    # ---------------------------------------------------------- lists of layers

    def _container_write(self, state: _ClassState, name: str, node: cst.Assign) -> None:
        display = node.value
        if type(display) is cst.List or type(display) is cst.ListComp:
            kind = "ModuleList"
        elif type(display) is cst.Dict or type(display) is cst.DictComp:
            kind = "ModuleDict" if type(display) is cst.Dict and _string_keys(display) else ""
        else:
            return
        for element in _display_elements(display):
            self._element(state, name, element)
        nn, edits = self._nn_reference()
        state.containers.setdefault(name, []).append(_Container(node, display, kind, nn, edits))

    def _nn_reference(self) -> tuple[str | None, tuple[NodeEdit, ...]]:
        binding = self.model.lookup("nn")
        if binding is not None and binding.kind == "import" and binding.qualnames == frozenset({"torch.nn"}):
            return "nn", ()
        found = module_reference(self.model, "torch")
        return (found[0] + ".nn", found[1]) if found is not None else (None, ())

    def _fill(self, state: _ClassState, name: str, method: str, call: cst.Call) -> None:
        """``self.layers.append(nn.Linear(...))``, ``.extend([...])``, ``.insert(i, ...)``."""
        if method == "append" and len(call.args) == 1:
            self._element(state, name, call.args[0].value)
        elif method == "extend" and len(call.args) == 1 and isinstance(call.args[0].value, (cst.List, cst.ListComp)):
            for element in _display_elements(call.args[0].value):
                self._element(state, name, element)
        elif method in ("append", "extend", "insert", "update", "setdefault", "__setitem__"):
            state.unknown_elements.add(name)

    def _element(self, state: _ClassState, name: str, element: cst.BaseExpression | None) -> None:
        """Whether ``element`` is a layer made right there (not one held elsewhere too)."""
        if element is None or type(element) is not cst.Call or self.model.value_of(element).kind is not Kind.MODULE:
            state.unknown_elements.add(name)
        else:
            state.layers.add(name)

    def _report_containers(self, state: _ClassState) -> None:
        attributes = state.attributes
        uses = _self_uses(state.node)
        for name, writes in state.containers.items():
            facts = attributes.get(name)
            if (facts is None or facts.value.kind not in (Kind.LIST, Kind.DICT) or name in state.unknown_elements
                    or len(writes) != len(facts.writes) or name not in state.layers
                    or not _only_iterated(uses.get(name, []))):
                continue
            write = writes[0]
            kind = "dict" if facts.value.kind is Kind.DICT else "list"
            container = "ModuleDict" if kind == "dict" else "ModuleList"
            fix = None
            if len(writes) == 1 and write.container and write.nn is not None:
                display = _EMPTY.code_for_node(write.display)
                edits = (replace(write.display, f"{write.nn}.{write.container}({display})"), *write.edits)
                fix = FixSpec(MODULE_CONTAINER, edits, title=MODULE_CONTAINER.title.format(container=container))
            self.report(write.write, self.list_message.format(name=name, kind=kind, container=container), fix=fix)


_EMPTY = cst.Module(body=[])


def _is_self(expr: cst.BaseExpression) -> bool:
    return type(expr) is cst.Name and expr.value == "self"


def _self_name(expr: cst.BaseExpression) -> str | None:
    """``name`` for ``self.name``."""
    if type(expr) is cst.Attribute and _is_self(expr.value):
        return expr.attr.value
    return None


def _number(expr: cst.BaseExpression) -> bool:
    return (type(expr) is cst.Integer or type(expr) is cst.Float) or (
        type(expr) is cst.UnaryOperation and (type(expr.expression) is cst.Integer or type(expr.expression) is cst.Float)
    )


def _keeps_dimensions(subscript: cst.Subscript) -> bool:
    """``x[..., None]``, ``x[:, None]``, ``x[1:]``: slices and new axes keep every dimension."""
    return all(
        type(e.slice) is cst.Slice or (type(e.slice) is cst.Index and _new_axis(e.slice.value))
        for e in subscript.slice
    )


def _new_axis(expr: cst.BaseExpression) -> bool:
    return type(expr) is cst.Ellipsis or (type(expr) is cst.Name and expr.value == "None")


def _operands(call: cst.Call) -> Iterator[cst.BaseExpression]:
    """The arguments of a call, and the elements of list and tuple arguments (``torch.cat([a, b])``)."""
    for arg in call.args:
        if arg.star:
            continue
        if type(arg.value) is cst.List or type(arg.value) is cst.Tuple:
            yield from (e.value for e in arg.value.elements if type(e) is not cst.StarredElement)
        else:
            yield arg.value


def _is_input(param: cst.Param, method: cst.FunctionDef) -> bool:
    """A parameter of ``method`` that holds a tensor input: annotated as a tensor, or
    (unannotated) the first one after ``self`` (``forward(self, x)``, ``training_step(self,
    batch, ...)``). Other unannotated parameters may be numbers (a step, a scale)."""
    params = method.params
    positional = [*params.posonly_params, *params.params]
    if not any(param is p for p in (*positional, *params.kwonly_params)):
        return False  # ``self``'s method's own parameters only, not a nested function's
    if param.annotation is not None:
        names = set(_annotation_names(param.annotation.annotation))
        return not names & _NON_TENSOR_ANNOTATIONS and any("Tensor" in n for n in names)
    return len(positional) > 1 and positional[1] is param and param.default is None


def _annotation_names(annotation: cst.BaseExpression) -> Iterator[str]:
    pending: list[cst.CSTNode] = [annotation]
    while pending:
        node = pending.pop()
        if type(node) is cst.Name:
            yield node.value
        elif type(node) is cst.SimpleString:
            yield from (string_value(node) or "").replace("[", " ").replace("]", " ").replace("|", " ").split()
        else:
            pending.extend(children(node))


def _factory_has_dimensions(call: cst.Call, factory: str) -> bool:
    if factory in _ONE_DIM_FACTORIES:
        return True
    positional = [a for a in call.args if a.keyword is None]
    if factory in _DATA_FACTORIES and len(positional) == 1 and not positional[0].star:
        data = positional[0].value
        if (type(data) is cst.List or type(data) is cst.Tuple or type(data) is cst.ListComp) and (not (type(data) is cst.List or type(data) is cst.Tuple)
                                                                     or data.elements):
            return True
    if factory in _SIZED_FACTORIES or factory == "full":
        sizes = positional[:1] if factory == "full" else positional
        if factory != "full" and len(sizes) >= 2:
            return not any(a.star for a in sizes)
        if len(sizes) == 1 and not sizes[0].star:
            size = sizes[0].value
            # A name or an expression is taken as a count: only an empty shape (``shape ==
            # ()``) would give a 0-d tensor, and no one builds a constant that way.
            if isinstance(size, (cst.Integer, cst.Name, cst.Attribute, cst.Subscript, cst.BinaryOperation)):
                return True
            if (type(size) is cst.Tuple or type(size) is cst.List) and size.elements and not any(
                type(e) is cst.StarredElement for e in size.elements
            ):
                return True
    return False


def _statements(function: cst.FunctionDef) -> list[cst.BaseStatement]:
    body = function.body
    return list(body.body) if type(body) is cst.IndentedBlock else []


def _is_super_init(small: cst.BaseSmallStatement) -> bool:
    """``super().__init__(...)`` or ``Base.__init__(self, ...)``."""
    if not (type(small) is cst.Expr and type(small.value) is cst.Call):
        return False
    func = small.value.func
    if not (type(func) is cst.Attribute and func.attr.value == "__init__"):
        return False
    if type(func.value) is cst.Call and dotted(func.value.func) == "super":
        return True
    receiver = first_argument(small.value)
    return receiver is not None and _is_self(receiver)


def _reached(calls: dict[str, set[str]], entries: set[str] | frozenset[str]) -> set[str]:
    """The methods the entry points run, through ``self.<method>()`` calls."""
    reached = set(entries)
    pending = list(entries)
    while pending:
        for callee in calls.get(pending.pop(), ()):
            if callee not in reached:
                reached.add(callee)
                pending.append(callee)
    return reached


def _display_elements(display: cst.BaseExpression) -> Iterator[cst.BaseExpression | None]:
    if type(display) is cst.List:
        for element in display.elements:
            yield None if type(element) is cst.StarredElement else element.value
    elif type(display) is cst.ListComp:
        yield display.elt
    elif type(display) is cst.Dict:
        for entry in display.elements:
            yield entry.value if type(entry) is cst.DictElement else None
    elif type(display) is cst.DictComp:
        yield display.value


def _string_keys(display: cst.Dict) -> bool:
    return all(type(e) is cst.DictElement and string_value(e.key) is not None for e in display.elements)


_FILLS = frozenset({"append", "extend", "insert"})
# Uses of a container that cannot register its layers: iterating, indexing, filling it,
# and the builtins that only read it.
_HARMLESS_USES = _FILLS | {"write", "for", "subscript", "items", "values", "keys", "len", "enumerate", "zip",
                           "reversed"}


def _only_iterated(uses: list[str]) -> bool:
    """The container is read (not only written and filled), and only in ways that cannot
    register its layers."""
    return any(use not in _FILLS | {"write"} for use in uses) and all(use in _HARMLESS_USES for use in uses)


def _self_uses(cls: cst.ClassDef) -> dict[str, list[str]]:
    """How each ``self.<name>`` in the class is used (``_use``)."""
    uses: dict[str, list[str]] = {}
    pending: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = [(cls.body, ())]
    while pending:
        node, parents = pending.pop()
        name = _self_name(node) if type(node) is cst.Attribute else None
        if name is not None:
            uses.setdefault(name, []).append(_use(node, parents))
            continue
        above = (node, *parents[:1])
        pending.extend((child, above) for child in children(node))
    return uses


def _use(node: cst.CSTNode, parents: tuple[cst.CSTNode, ...]) -> str:
    """"for" (iterated), "subscript", "write" (assigned), a method of it ("append",
    "items"...), a builtin it is handed to ("len", "enumerate"...), or "other"."""
    parent = parents[0] if parents else None
    if type(parent) is cst.For or type(parent) is cst.CompFor:
        return "for" if parent.iter is node else "other"
    if type(parent) is cst.Subscript and parent.value is node:
        return "subscript"
    if type(parent) is cst.AssignTarget:
        return "write"
    if type(parent) is cst.Attribute and parent.value is node:
        return parent.attr.value
    call = parents[1] if len(parents) > 1 else None
    if type(parent) is cst.Arg and not parent.star and type(call) is cst.Call and type(call.func) is cst.Name:
        return call.func.value
    return "other"
