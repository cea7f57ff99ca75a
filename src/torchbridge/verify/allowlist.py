"""What the verifier agrees to run: pure NumPy and torch operations on generated inputs.

A probe runs only if every call in it resolves to an allowlisted function or is an
allowlisted method, every name is an input, an allowlisted module or a name the probe's own
statements define, and no attribute is a dunder. Anything else (the user's functions, I/O,
serialization, ``eval``, ``torch.ops``...) makes the fix ``not-verifiable`` without running
a line of it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

MODULES = frozenset({"torch", "numpy"})

FUNCTIONS = frozenset({
    # NumPy: constructors, layout and arithmetic helpers that touch no file.
    "numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full", "numpy.arange", "numpy.linspace",
    "numpy.eye", "numpy.array", "numpy.asarray", "numpy.ascontiguousarray", "numpy.asfortranarray",
    "numpy.copy", "numpy.stack", "numpy.concatenate", "numpy.flip", "numpy.flipud", "numpy.fliplr",
    "numpy.rot90", "numpy.transpose", "numpy.swapaxes", "numpy.moveaxis", "numpy.reshape",
    "numpy.float16", "numpy.float32", "numpy.float64", "numpy.int32", "numpy.int64", "numpy.uint8",
    # torch: conversions, factories, devices.
    "torch.tensor", "torch.as_tensor", "torch.from_numpy", "torch.asarray", "torch.Tensor",
    "torch.zeros", "torch.ones", "torch.empty", "torch.full", "torch.arange", "torch.eye",
    "torch.linspace", "torch.logspace", "torch.zeros_like", "torch.ones_like", "torch.full_like",
    "torch.rand", "torch.randn", "torch.randint", "torch.randperm", "torch.normal", "torch.rand_like",
    "torch.randn_like", "torch.randint_like",
    "torch.device", "torch.cuda.is_available", "torch.accelerator.is_available",
    "torch.accelerator.current_accelerator", "torch.stack", "torch.cat",
    "torch.nn.Linear", "torch.nn.Parameter", "torch.set_default_device", "torch.get_default_device",
    "torch.set_autocast_cache_enabled", "torch.get_default_dtype",
    "torch.FloatTensor", "torch.DoubleTensor", "torch.HalfTensor", "torch.BFloat16Tensor", "torch.LongTensor",
    "torch.IntTensor", "torch.ShortTensor", "torch.CharTensor", "torch.ByteTensor", "torch.BoolTensor",
    # AMP objects: building one only records settings.
    "torch.amp.autocast", "torch.amp.GradScaler", "torch.cuda.amp.autocast", "torch.cuda.amp.GradScaler",
    "torch.cpu.amp.autocast", "torch.cpu.amp.GradScaler",
})
# Attributes that are values, not calls (dtypes, ``.T``).
ATTRIBUTES = frozenset({
    "T", "shape", "dtype", "device", "ndim", "data", "strides", "is_cuda", "requires_grad",
    "float16", "float32", "float64", "int32", "int64", "uint8", "bool", "half", "bfloat16",
})
METHODS = frozenset({
    "copy", "astype", "transpose", "reshape", "view", "contiguous", "numpy", "detach", "cpu",
    "cuda", "to", "float", "double", "half", "long", "int", "flatten", "ravel", "size",
    "clone", "sum", "mean", "permute", "unsqueeze", "squeeze", "requires_grad_", "item", "tolist",
    "bfloat16", "short", "char", "byte", "bool",
})
# Never, whatever the spelling: named here so that the reason is clear.
FORBIDDEN = frozenset({
    "open", "eval", "exec", "compile", "__import__", "getattr", "setattr", "delattr", "globals",
    "locals", "vars", "input", "breakpoint", "exit", "quit",
    "numpy.load", "numpy.save", "numpy.savez", "numpy.fromfile", "numpy.tofile", "numpy.loadtxt",
    "numpy.genfromtxt", "numpy.memmap", "torch.load", "torch.save", "torch.hub", "torch.ops",
    "torch.jit", "torch.compile", "subprocess", "os", "sys", "ctypes", "pickle", "shutil",
})


class NotAllowed(Exception):
    """Why a probe is not run."""


def check(sources: Iterable[str], names: dict[str, str], inputs: Iterable[str], extra_names: Iterable[str] = ()) -> None:
    """Raise ``NotAllowed`` unless every piece of ``sources`` may run. ``names`` maps free
    names to the qualified names they import; ``inputs`` are the generated values."""
    known = set(inputs) | {"_torch"} | set(extra_names)
    trees = []
    for source in sources:
        try:
            trees.append(ast.parse(source))
        except SyntaxError as exc:
            raise NotAllowed(f"cannot parse the probe: {exc.msg}") from None
    # Names the probe's own statements define (an existing or inserted device variable).
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                known.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for tree in trees:
        for node in ast.walk(tree):
            _check_node(node, names, known)


_NODES = (
    ast.Module, ast.Expr, ast.Expression, ast.Assign, ast.Call, ast.Attribute, ast.Name, ast.Constant,
    ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.UnaryOp, ast.BinOp, ast.Compare, ast.IfExp,
    ast.keyword, ast.Load, ast.Store, ast.operator, ast.unaryop, ast.cmpop, ast.BoolOp, ast.boolop,
)


def _check_node(node: ast.AST, names: dict[str, str], known: set[str]) -> None:
    if not isinstance(node, _NODES):
        raise NotAllowed(f"`{type(node).__name__}` is not run by the verifier")
    if isinstance(node, ast.Attribute) and node.attr.startswith("__"):
        raise NotAllowed(f"dunder attribute `{node.attr}`")
    if isinstance(node, ast.Name):
        if node.id in known:
            return
        if node.id in FORBIDDEN or names.get(node.id) in FORBIDDEN:
            raise NotAllowed(f"`{node.id}` is never run")
        if node.id not in names:
            raise NotAllowed(f"`{node.id}` is not something the verifier can make or import")
        root = names[node.id].split(".")[0]
        if root not in MODULES:
            raise NotAllowed(f"`{node.id}` ({names[node.id]}) is not NumPy or torch")
        return
    if isinstance(node, ast.Attribute):
        qualname = _qualname(node, names)
        if qualname is not None:
            if qualname in FORBIDDEN or any(qualname.startswith(f + ".") for f in FORBIDDEN):
                raise NotAllowed(f"`{qualname}` is never run")
            if qualname.split(".")[0] in MODULES and qualname not in FUNCTIONS and node.attr not in ATTRIBUTES:
                if not any(f.startswith(qualname + ".") for f in FUNCTIONS):
                    raise NotAllowed(f"`{qualname}` is not on the verifier's allowlist")
        return
    if isinstance(node, ast.Call):
        func = node.func
        qualname = _qualname(func, names)
        if qualname is not None:
            if qualname not in FUNCTIONS:
                raise NotAllowed(f"`{qualname}` is not on the verifier's allowlist")
        elif isinstance(func, ast.Attribute):
            if func.attr not in METHODS:
                raise NotAllowed(f"method `.{func.attr}()` is not on the verifier's allowlist")
        else:
            raise NotAllowed("only named functions and methods are called")


def _qualname(node: ast.AST, names: dict[str, str]) -> str | None:
    """``np.flip`` -> ``numpy.flip`` when ``np`` imports numpy; None for a method on a value."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in names:
        if isinstance(node, ast.Name) and node.id == "_torch":
            return ".".join(["torch", *reversed(parts)])
        return None
    return ".".join([names[node.id], *reversed(parts)])
