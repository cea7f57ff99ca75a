"""What the verifier agrees to run: listed NumPy and torch callables, on values it made.

A probe runs only when a static check of the exact text each side runs proves that
every call target is a *listed object* (a function or class named below) or a listed
method of a value whose type the check knows: an input the verifier generated, a
constant, or what a listed call or method returned. Anything else (the user's functions,
I/O, serialization, ``eval``, a module torch happens to import, a method called on a value
of unproven type...) makes the fix ``not-verifiable`` without running a line of it.

Names are resolved to objects, never matched as text: a qualified name (``th`` ->
``torch``) is walked one attribute at a time through the dictionaries of module objects,
starting from the two top-level modules (torch and numpy, imported by the verifier
anyway). The walk never imports a module and never calls a module's ``__getattr__``, and
the object it reaches must *be* (identity) one of the listed objects: a name that merely
starts with ``torch.`` proves nothing. The child resolves the names it binds the same way.

The check is an abstract interpretation over *kinds* (``tensor``, ``ndarray``,
``device``...): each expression gets the set of kinds its value may have, and an
attribute or method is allowed only when it is listed for every kind in that set.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union

# ------------------------------------------------------------------ kinds of values

TENSOR, NDARRAY, NPSCALAR, NN_MODULE = "tensor", "ndarray", "numpy scalar", "nn.Module"
DEVICE, DTYPE, NP_DTYPE, SHAPE = "device", "dtype", "numpy dtype", "shape"
SCALAR, AMP, OPAQUE = "constant", "AMP object", "opaque value"
NUMERIC = frozenset({TENSOR, NDARRAY, NPSCALAR, SCALAR})
# What may be passed to a call or used as an index: data, never a module, a function or a
# bound method (NumPy would wrap those in an object array, whose items the check could
# then not tell apart from numbers).
DATA = frozenset({TENSOR, NDARRAY, NPSCALAR, SCALAR, SHAPE, DEVICE, DTYPE, NP_DTYPE, OPAQUE})


@dataclass(frozen=True)
class Seq:
    """A list or tuple whose items are of these kinds."""

    items: frozenset


@dataclass(frozen=True)
class Listed:
    """A listed module or callable, by the qualified name this module lists it under."""

    qualname: str


@dataclass(frozen=True)
class Method:
    """A listed method bound to a receiver of a known kind."""

    kind: str
    name: str


Atom = Union[str, Seq, Listed, Method]
Kinds = frozenset  # of Atom

# ------------------------------------------------------------------ the lists

# Walking through these (and only these) in the probe's own text: plain module objects.
MODULES = (
    "torch", "numpy", "torch.cuda", "torch.cuda.amp", "torch.amp", "torch.cpu", "torch.cpu.amp",
    "torch.nn", "torch.accelerator",
)
_ARRAY = frozenset({NDARRAY})
_TENSOR = frozenset({TENSOR})
# What calling each listed callable returns.
FUNCTIONS: dict[str, frozenset] = {
    # NumPy: constructors, layout and arithmetic helpers that touch no file.
    **dict.fromkeys((
        "numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full", "numpy.arange", "numpy.linspace",
        "numpy.eye", "numpy.array", "numpy.asarray", "numpy.ascontiguousarray", "numpy.asfortranarray",
        "numpy.copy", "numpy.stack", "numpy.concatenate",
    ), _ARRAY),
    # These call the argument's own method of the same name when it has one (a tensor's).
    **dict.fromkeys((
        "numpy.flip", "numpy.flipud", "numpy.fliplr", "numpy.rot90", "numpy.transpose", "numpy.swapaxes",
        "numpy.moveaxis", "numpy.reshape",
    ), frozenset({NDARRAY, NPSCALAR})),
    **dict.fromkeys((
        "numpy.float16", "numpy.float32", "numpy.float64", "numpy.int8", "numpy.int16", "numpy.int32",
        "numpy.int64", "numpy.uint8", "numpy.bool", "numpy.bool_", "numpy.complex64", "numpy.complex128",
    ), frozenset({NPSCALAR, NDARRAY})),
    # torch: conversions, factories, devices.
    **dict.fromkeys((
        "torch.tensor", "torch.as_tensor", "torch.from_numpy", "torch.asarray", "torch.Tensor",
        "torch.zeros", "torch.ones", "torch.empty", "torch.full", "torch.arange", "torch.eye",
        "torch.linspace", "torch.logspace", "torch.zeros_like", "torch.ones_like", "torch.full_like",
        "torch.rand", "torch.randn", "torch.randint", "torch.randperm", "torch.normal", "torch.rand_like",
        "torch.randn_like", "torch.randint_like", "torch.stack", "torch.cat", "torch.nn.Parameter",
        "torch.FloatTensor", "torch.DoubleTensor", "torch.HalfTensor", "torch.BFloat16Tensor",
        "torch.LongTensor", "torch.IntTensor", "torch.ShortTensor", "torch.CharTensor", "torch.ByteTensor",
        "torch.BoolTensor",
    ), _TENSOR),
    "torch.device": frozenset({DEVICE}),
    "torch.cuda.is_available": frozenset({SCALAR}),
    "torch.accelerator.is_available": frozenset({SCALAR}),
    # Device queries and waits (TNP309): no data, no I/O; they read or select the current device.
    **dict.fromkeys((
        "torch.cuda.device_count", "torch.accelerator.device_count", "torch.cuda.synchronize",
        "torch.accelerator.synchronize", "torch.cuda.current_device", "torch.accelerator.current_device_index",
        "torch.cuda.set_device", "torch.accelerator.set_device_index",
    ), frozenset({SCALAR})),
    "torch.accelerator.current_accelerator": frozenset({DEVICE, SCALAR}),
    "torch.nn.Linear": frozenset({NN_MODULE}),
    "torch.set_default_device": frozenset({SCALAR}),
    "torch.get_default_device": frozenset({DEVICE}),
    "torch.set_autocast_cache_enabled": frozenset({SCALAR}),
    "torch.get_default_dtype": frozenset({DTYPE}),
    # AMP objects: building one only records settings.
    **dict.fromkeys((
        "torch.amp.autocast", "torch.amp.GradScaler", "torch.cuda.amp.autocast", "torch.cuda.amp.GradScaler",
        "torch.cpu.amp.autocast", "torch.cpu.amp.GradScaler",
    ), frozenset({AMP})),
}
# numpy functions of FUNCTIONS that may hand back what a tensor argument's method returns.
_DISPATCHING = frozenset({
    "numpy.flip", "numpy.flipud", "numpy.fliplr", "numpy.rot90", "numpy.transpose", "numpy.swapaxes",
    "numpy.moveaxis", "numpy.reshape",
})
# Listed callables that may also be passed as data: NumPy's scalar types name dtypes.
DTYPE_CALLABLES = frozenset(q for q, kinds in FUNCTIONS.items() if kinds == frozenset({NPSCALAR, NDARRAY}))
# Listed objects that are values, not calls.
VALUES: dict[str, str] = {
    **dict.fromkeys((f"torch.{name}" for name in (
        "float16", "float32", "float64", "bfloat16", "half", "float", "double", "complex64", "complex128",
        "int8", "int16", "int32", "int64", "uint8", "bool", "short", "int", "long",
    )), DTYPE),
    **dict.fromkeys(("torch.channels_last", "torch.contiguous_format", "torch.preserve_format"), OPAQUE),
}

_SAME_TENSOR = (
    "transpose", "reshape", "view", "contiguous", "detach", "cpu", "cuda", "to", "float", "double", "half",
    "bfloat16", "long", "int", "short", "char", "byte", "bool", "flatten", "ravel", "clone", "sum", "mean",
    "permute", "unsqueeze", "squeeze", "requires_grad_",
)
_SAME_ARRAY = ("copy", "astype", "transpose", "reshape", "view", "flatten", "ravel", "squeeze")
_NP_RESULT = frozenset({NDARRAY, NPSCALAR})
_ARRAY_METHODS = {
    **dict.fromkeys(_SAME_ARRAY, _NP_RESULT), "sum": _NP_RESULT, "mean": _NP_RESULT,
    "item": frozenset({SCALAR}), "tolist": frozenset({OPAQUE}),
}
_ARRAY_ATTRIBUTES = {
    "T": _NP_RESULT, "shape": frozenset({SHAPE}), "strides": frozenset({SHAPE}), "dtype": frozenset({NP_DTYPE}),
    "ndim": frozenset({SCALAR}), "size": frozenset({SCALAR}), "itemsize": frozenset({SCALAR}),
    "nbytes": frozenset({SCALAR}), "data": frozenset({OPAQUE}),
}
# Methods by the kind of their receiver, and what they return.
METHODS: dict[str, dict[str, frozenset]] = {
    TENSOR: {
        **dict.fromkeys(_SAME_TENSOR, _TENSOR), "numpy": _ARRAY, "size": frozenset({SHAPE, SCALAR}),
        "stride": frozenset({SHAPE, SCALAR}), "item": frozenset({SCALAR}), "tolist": frozenset({OPAQUE}),
    },
    # A numpy scalar has the ndarray methods (each makes a 0-d array first).
    NDARRAY: {**_ARRAY_METHODS, "copy": _ARRAY, "astype": _ARRAY},
    NPSCALAR: _ARRAY_METHODS,
    NN_MODULE: dict.fromkeys(("cuda", "cpu", "to", "float", "double", "half", "bfloat16"), frozenset({NN_MODULE})),
}
# Attributes that are values, by the kind of their owner.
ATTRIBUTES: dict[str, dict[str, frozenset]] = {
    TENSOR: {
        "T": _TENSOR, "data": _TENSOR, "shape": frozenset({SHAPE}), "dtype": frozenset({DTYPE}),
        "device": frozenset({DEVICE}), "ndim": frozenset({SCALAR}), "is_cuda": frozenset({SCALAR}),
        "requires_grad": frozenset({SCALAR}), "is_leaf": frozenset({SCALAR}),
    },
    NDARRAY: _ARRAY_ATTRIBUTES,
    NPSCALAR: _ARRAY_ATTRIBUTES,
    DEVICE: {"type": frozenset({SCALAR}), "index": frozenset({SCALAR})},
    DTYPE: {"is_floating_point": frozenset({SCALAR}), "is_complex": frozenset({SCALAR}), "itemsize": frozenset({SCALAR})},
}
# What each role of a hole is filled with (verify/cases.py builds them).
ROLES: dict[str, frozenset] = {
    "array": _ARRAY,
    "data": frozenset({NDARRAY, Seq(frozenset({SCALAR}))}),
    "tensor": _TENSOR,
    "receiver": frozenset({TENSOR, NN_MODULE}),
    "array list": frozenset({Seq(_ARRAY)}),
    "tensor list": frozenset({Seq(_TENSOR)}),
}
# Never, whatever the spelling: named here so that the reason is clear.
FORBIDDEN = frozenset({
    "open", "eval", "exec", "compile", "__import__", "getattr", "setattr", "delattr", "globals",
    "locals", "vars", "input", "breakpoint", "exit", "quit",
    "numpy.load", "numpy.save", "numpy.savez", "numpy.fromfile", "numpy.tofile", "numpy.loadtxt",
    "numpy.genfromtxt", "numpy.memmap", "numpy.f2py", "torch.load", "torch.save", "torch.hub", "torch.ops",
    "torch.jit", "torch.compile", "torch.utils", "subprocess", "os", "sys", "ctypes", "pickle", "shutil",
})
# The verifier binds torch under this name for ``use`` templates (rules/probe.py).
TORCH_NAME = "_torch"


class NotAllowed(Exception):
    """Why a probe is not run."""


# ------------------------------------------------------------------ names to objects


@dataclass(frozen=True)
class _Entry:
    qualname: str
    obj: Any
    kinds: frozenset


@lru_cache(maxsize=1)
def _listed() -> dict[int, _Entry]:
    """Every listed object present in this torch and NumPy, by identity."""
    roots = _roots()
    found: dict[int, _Entry] = {}
    wanted = [(q, frozenset({Listed(q)})) for q in (*MODULES, *FUNCTIONS)] + [(q, frozenset({k})) for q, k in VALUES.items()]
    for qualname, kinds in wanted:
        try:
            obj = _walk(qualname, roots)
        except NotAllowed:
            continue  # not in this version (torch.accelerator is new)
        if qualname in MODULES and type(obj) is not types.ModuleType:
            continue  # a module class of its own may run code on attribute access
        found.setdefault(id(obj), _Entry(qualname, obj, kinds))
    return found


def _roots() -> dict[str, Any]:
    import numpy
    import torch

    return {"torch": torch, "numpy": numpy}


def _walk(qualname: str, roots: Mapping[str, Any]) -> Any:
    """The object a qualified name denotes, read from module dictionaries only: no import,
    no module ``__getattr__``, no attribute of anything but a module."""
    parts = qualname.split(".")
    if parts[0] not in roots:
        raise NotAllowed(f"`{qualname}` is not NumPy or torch")
    obj = roots[parts[0]]
    for part in parts[1:]:
        if not part.isidentifier() or part.startswith("__"):
            raise NotAllowed(f"`{qualname}` is not on the verifier's allowlist")
        if type(obj) is not types.ModuleType or part not in vars(obj):
            raise NotAllowed(f"`{qualname}` is not on the verifier's allowlist")
        obj = vars(obj)[part]
    return obj


def _entry(obj: Any) -> _Entry | None:
    entry = _listed().get(id(obj))
    return entry if entry is not None and entry.obj is obj else None


def _forbidden(qualname: str) -> bool:
    return any(qualname == f or qualname.startswith(f + ".") for f in FORBIDDEN)


def resolve(qualname: str) -> Any:
    """The listed object ``qualname`` denotes; ``NotAllowed`` when it is not one (the
    name is then not bound in the child at all)."""
    if _forbidden(qualname):
        raise NotAllowed(f"`{qualname}` is never run")
    obj = _walk(qualname, _roots())
    if _entry(obj) is None:
        raise NotAllowed(f"`{qualname}` is not on the verifier's allowlist")
    return obj


def bindings(names: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The free names a probe may use, each bound to the listed object it denotes; names
    that denote none (and dunder names) are left out, so using one fails."""
    bound = {}
    for local, qualname in names:
        if local.startswith("__"):
            continue
        try:
            bound[local] = resolve(qualname)
        except NotAllowed:
            continue
    return bound


# ------------------------------------------------------------------ what a side runs


def side_program(probe: Mapping[str, Any], side: str) -> tuple[list[str], str, str]:
    """The statements a side runs first, then its main text and how it is compiled
    (``eval`` for an expression probe, ``exec`` for a statement probe). The check and the
    child both use this, so what is checked is what runs."""
    snippet = probe["original"] if side == "original" else probe["fixed"]
    statements = list(probe["prelude"]) + (list(probe["fixed_prelude"]) if side == "fixed" else [])
    if probe["use"] == "exec":
        return statements, snippet, "exec"
    return statements, probe["use"].format(snippet), "eval"


def check_probe(probe: Mapping[str, Any]) -> None:
    """Raise ``NotAllowed`` unless both sides of ``probe`` (a ``ProbeText`` as a dict) may run."""
    for side in ("original", "fixed"):
        check_side(probe, side)


def check_side(probe: Mapping[str, Any], side: str) -> None:
    """Raise ``NotAllowed`` unless one side of ``probe`` may run."""
    statements, main, mode = side_program(probe, side)
    env = _environment(probe["names"], {name: role for name, role, _ in probe["holes"]})
    # Each hole's own name holds the input too (sandbox.run_side): a statement may rebind it
    # (``x = _in0.to(...)``), and a fix may name it in the text it inserts (``device=x.device``).
    own = zip([name for name, _, _ in probe["holes"]], probe.get("hole_sources") or ())
    env.update({source: env[name] for name, source in own if source and not source.startswith("__")})
    _run_check([*((s, "exec") for s in statements), (main, mode)], env)


def check(
    sources: Iterable[str], names: Mapping[str, str], inputs: Iterable[str] | Mapping[str, str],
    extra_names: Iterable[str] = (),
) -> None:
    """Raise ``NotAllowed`` unless the statements ``sources`` may run, in this order.
    ``names`` maps free names to the qualified names they import; ``inputs`` are the
    generated values (name -> hole role; a bare name is an array or a tensor), and
    ``extra_names`` names that hold an input too."""
    roles = dict(inputs) if isinstance(inputs, Mapping) else dict.fromkeys(inputs, "")
    env = _environment(names.items(), roles)
    for extra in extra_names:
        env.setdefault(extra, frozenset({TENSOR, NDARRAY}))
    _run_check([(s, "exec") for s in sources], env)


def _environment(names: Iterable[tuple[str, str]], roles: Mapping[str, str]) -> dict[str, Any]:
    """What each name holds when a side starts, in the child's order: torch as ``_torch``,
    then the imported names, then the inputs."""
    env: dict[str, Any] = {TORCH_NAME: frozenset({Listed("torch")})}
    for local, qualname in names:
        if local.startswith("__"):
            continue  # never bound in the child
        try:
            entry = _entry(resolve(qualname))
        except NotAllowed as exc:
            env[local] = _Refused(f"{exc} (imported as `{local}`)")
            continue
        assert entry is not None
        env[local] = entry.kinds
    for name, role in roles.items():
        env[name] = ROLES.get(role, frozenset({TENSOR, NDARRAY}) if not role else frozenset({OPAQUE}))
    return env


@dataclass(frozen=True)
class _Refused:
    """A name bound to something not listed: any use of it is refused with this reason."""

    reason: str


def _run_check(pieces: list[tuple[str, str]], env: dict[str, Any]) -> None:
    checker = _Checker(env)
    for text, mode in pieces:
        try:
            tree = ast.parse(text, mode=mode)
        except SyntaxError as exc:
            raise NotAllowed(f"cannot parse the probe: {exc.msg}") from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise NotAllowed(f"cannot parse the probe: {type(exc).__name__}") from None
        try:
            checker.run(tree)
        except RecursionError:
            raise NotAllowed("the probe is nested too deeply to check") from None


# ------------------------------------------------------------------ the check


_WHAT = {
    ast.Lambda: "a lambda", ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.GeneratorExp: "a generator expression", ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment expression (:=)", ast.Starred: "a starred item", ast.Dict: "a dict display",
    ast.Set: "a set display", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
    ast.FunctionDef: "a `def` (its decorators and default arguments included)",
    ast.AsyncFunctionDef: "a `def`", ast.ClassDef: "a class body", ast.Import: "an import", ast.ImportFrom: "an import",
    ast.AugAssign: "an augmented assignment", ast.AnnAssign: "an annotated assignment", ast.Delete: "`del`",
    ast.For: "a loop", ast.While: "a loop", ast.If: "an `if` statement", ast.With: "a `with` statement",
    ast.Try: "a `try` statement", ast.Global: "`global`", ast.Nonlocal: "`nonlocal`", ast.Raise: "`raise`",
    ast.Assert: "`assert`", ast.Return: "`return`",
}


def _what(node: ast.AST) -> str:
    return _WHAT.get(type(node), f"`{type(node).__name__}`")


def _describe(atom: Atom) -> str:
    if isinstance(atom, Listed):
        return f"`{atom.qualname}`"
    if isinstance(atom, Method):
        return f"the method `.{atom.name}` of {_a(atom.kind)}"
    if isinstance(atom, Seq):
        return "a list or tuple"
    return _a(atom)


def _a(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiouAEIOU' or kind in (NDARRAY, NN_MODULE) else 'a'} {kind}"


class _Checker:
    """Walks a side's statements in order, giving every expression the kinds its value may
    have, and raises ``NotAllowed`` at the first thing it cannot prove harmless."""

    def __init__(self, env: dict[str, Any]) -> None:
        self.env = env

    def run(self, tree: ast.AST) -> None:
        if isinstance(tree, ast.Expression):
            self.expr(tree.body)
            return
        for statement in tree.body:  # type: ignore[attr-defined]  # ast.parse in exec mode: a Module
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr):
            self.expr(node.value)
            return
        if isinstance(node, ast.Assign):
            kinds = self.expr(node.value)
            for target in node.targets:
                if not isinstance(target, ast.Name):
                    raise NotAllowed("assigning to anything but a name is not run by the verifier")
                if target.id.startswith("__"):
                    raise NotAllowed(f"dunder name `{target.id}`")
                self.env[target.id] = kinds
            return
        raise NotAllowed(f"{_what(node)} is not run by the verifier")

    def expr(self, node: ast.AST) -> Kinds:
        handler = getattr(self, "_" + type(node).__name__, None)
        if handler is None:
            raise NotAllowed(f"{_what(node)} is not run by the verifier")
        kinds = handler(node)
        if not kinds:  # e.g. an item of an empty list: nothing is proven about it
            raise NotAllowed("a value of unknown type")
        return kinds

    # -- leaves

    def _Constant(self, node: ast.Constant) -> Kinds:  # noqa: N802 - named after the node
        return frozenset({SCALAR})

    def _Name(self, node: ast.Name) -> Kinds:  # noqa: N802
        name = node.id
        if not isinstance(node.ctx, ast.Load):
            raise NotAllowed(f"`{name}` is written where the verifier only reads")
        if name.startswith("__"):
            raise NotAllowed(f"dunder name `{name}`")
        kinds = self.env.get(name)
        if kinds is None:
            if name in FORBIDDEN:
                raise NotAllowed(f"`{name}` is never run")
            raise NotAllowed(f"`{name}` is not something the verifier can make or import")
        if isinstance(kinds, _Refused):
            raise NotAllowed(kinds.reason)
        return kinds

    # -- attributes and calls

    def _Attribute(self, node: ast.Attribute) -> Kinds:  # noqa: N802
        if node.attr.startswith("__"):
            raise NotAllowed(f"dunder attribute `{node.attr}`")
        out: set = set()
        for atom in _ordered(self.expr(node.value)):
            out |= self._attribute(atom, node.attr)
        return frozenset(out)

    @staticmethod
    def _attribute(atom: Atom, attr: str) -> Kinds:
        if isinstance(atom, Listed):
            qualname = f"{atom.qualname}.{attr}"
            if _forbidden(qualname):
                raise NotAllowed(f"`{qualname}` is never run")
            if atom.qualname not in MODULES:
                raise NotAllowed(f"`{qualname}`: the verifier reads no attribute of a function or class")
            module = _walk(atom.qualname, _roots())
            entry = _entry(vars(module)[attr]) if attr in vars(module) else None
            if entry is None:
                raise NotAllowed(f"`{qualname}` is not on the verifier's allowlist")
            return entry.kinds
        if isinstance(atom, str):
            if attr in ATTRIBUTES.get(atom, {}):
                return ATTRIBUTES[atom][attr]
            if attr in METHODS.get(atom, {}):
                return frozenset({Method(atom, attr)})
            raise NotAllowed(f"`.{attr}` of {_a(atom)} is not on the verifier's allowlist")
        raise NotAllowed(f"`.{attr}` of {_describe(atom)} is not on the verifier's allowlist")

    def _Call(self, node: ast.Call) -> Kinds:  # noqa: N802
        targets = self.expr(node.func)
        given: set = set()
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                kinds = self.expr(arg.value)
                if any(not (isinstance(a, Seq) or a in (SHAPE, TENSOR, NDARRAY)) for a in kinds):
                    raise NotAllowed("a `*` argument of unproven type")
            else:
                kinds = self.expr(arg)
            given |= _data(kinds, "an argument")
        for keyword in node.keywords:
            if keyword.arg is None:
                raise NotAllowed("`**` arguments are not run by the verifier")
            given |= _data(self.expr(keyword.value), "an argument")
        out: set = set()
        for atom in _ordered(targets):
            if isinstance(atom, Listed) and atom.qualname in FUNCTIONS:
                out |= FUNCTIONS[atom.qualname]
                if atom.qualname in _DISPATCHING and TENSOR in given:
                    out.add(TENSOR)  # np.transpose(t) is t.transpose(...)
            elif isinstance(atom, Method):
                out |= METHODS[atom.kind][atom.name]
            else:
                raise NotAllowed(f"calling {_describe(atom)}: only listed functions and methods are called")
        return frozenset(out)

    # -- containers and indexing

    def _Subscript(self, node: ast.Subscript) -> Kinds:  # noqa: N802
        if not isinstance(node.ctx, ast.Load):
            raise NotAllowed("assigning to an item is not run by the verifier")
        base = self.expr(node.value)
        _data(self.expr(node.slice), "an index")
        sliced = isinstance(node.slice, ast.Slice)
        out: set = set()
        for atom in _ordered(base):
            if atom == TENSOR:
                out.add(TENSOR)
            elif atom in (NDARRAY, NPSCALAR):
                out |= _NP_RESULT
            elif atom == SHAPE:
                out |= {SHAPE, SCALAR}
            elif isinstance(atom, Seq):
                out |= {atom} if sliced else set(atom.items)
            else:
                raise NotAllowed(f"an item of {_describe(atom)} is not run by the verifier")
        return frozenset(out)

    def _Slice(self, node: ast.Slice) -> Kinds:  # noqa: N802
        for part in (node.lower, node.upper, node.step):
            if part is not None:
                self.expr(part)
        return frozenset({OPAQUE})

    def _Tuple(self, node: ast.Tuple) -> Kinds:  # noqa: N802
        return self._sequence(node)

    def _List(self, node: ast.List) -> Kinds:  # noqa: N802
        return self._sequence(node)

    def _sequence(self, node: ast.Tuple | ast.List) -> Kinds:
        if not isinstance(node.ctx, ast.Load):
            raise NotAllowed("unpacking assignment is not run by the verifier")
        items: set = set()
        for item in node.elts:
            if isinstance(item, ast.Starred):
                raise NotAllowed(f"{_what(item)} is not run by the verifier")
            items |= self.expr(item)
        return frozenset({Seq(frozenset(items))})

    # -- operators

    def _UnaryOp(self, node: ast.UnaryOp) -> Kinds:  # noqa: N802
        kinds = self.expr(node.operand)
        if isinstance(node.op, ast.Not):
            return frozenset({SCALAR})
        if not kinds <= NUMERIC:
            raise NotAllowed("an operator on a value of unproven type")
        return kinds

    def _BinOp(self, node: ast.BinOp) -> Kinds:  # noqa: N802
        left, right = self.expr(node.left), self.expr(node.right)
        if not (left <= NUMERIC and right <= NUMERIC):
            raise NotAllowed("an operator on a value of unproven type")
        return _arithmetic(left | right, SCALAR in left and SCALAR in right)

    def _Compare(self, node: ast.Compare) -> Kinds:  # noqa: N802
        kinds = set(self.expr(node.left))
        for other in node.comparators:
            kinds |= self.expr(other)
        return _arithmetic(frozenset(kinds), True)

    def _BoolOp(self, node: ast.BoolOp) -> Kinds:  # noqa: N802
        out: set = set()
        for value in node.values:
            out |= self.expr(value)
        return frozenset(out)

    def _IfExp(self, node: ast.IfExp) -> Kinds:  # noqa: N802
        self.expr(node.test)
        return self.expr(node.body) | self.expr(node.orelse)


def _ordered(kinds: Kinds) -> list:
    """A set of kinds in a fixed order, so that the reason given for a refusal is stable."""
    return sorted(kinds, key=repr)


def _data(kinds: Kinds, what: str) -> Kinds:
    """``kinds``, when every value of them is data (items of lists and tuples included)."""
    for atom in _ordered(kinds):
        if isinstance(atom, Seq):
            _data(atom.items, what)
        elif not (atom in DATA or (isinstance(atom, Listed) and atom.qualname in DTYPE_CALLABLES)):
            raise NotAllowed(f"{what} that is {_describe(atom)}: only data is passed")
    return kinds


def _arithmetic(kinds: frozenset, scalar: bool) -> Kinds:
    """What an operator on these kinds may give: a tensor wins, then NumPy; two plain
    constants give a constant."""
    out = set()
    if TENSOR in kinds:
        out.add(TENSOR)
    if kinds & _NP_RESULT:
        out |= _NP_RESULT
    if scalar:
        out.add(SCALAR)
    return frozenset(out)
