"""Which arrays are read-only: the NumPy calls that hand out non-writeable arrays, the views
that keep the flag, and the statements that set it (``setflags``, ``flags.writeable``).

Measured with numpy 2.4 and torch 2.13 (docs/read-only-arrays.md): ``np.frombuffer`` of
``bytes``, ``np.broadcast_to``, ``np.load(..., mmap_mode="r")``, ``np.memmap(..., mode="r")``
and ``np.asarray`` of a PIL image are not writeable; ``np.frombuffer`` of a ``bytearray``,
``mmap_mode="c"`` / ``"r+"`` and ``np.array`` of an image are. The evaluator asks
``of_call`` / ``of_subscript`` after it has worked out a value, and the semantic model calls
``observe_call`` / ``observe_assignment`` on each call and assignment; everything else about
the flag lives here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from .array_sources import IMAGE_METHODS
from .names import dotted, first_argument, keyword_argument, literal_bool, names_in, string_value
from .scope import rebind
from .values import Kind, Layout, Value

if TYPE_CHECKING:
    from .evaluate import Evaluator
    from .semantic import SemanticModel

# Calls that return bytes (immutable): np.frombuffer over them is read-only.
_BYTES_FUNCTIONS = frozenset({
    "base64.b64decode", "base64.b32decode", "base64.b16decode", "base64.urlsafe_b64decode",
    "base64.standard_b64decode", "base64.decodebytes", "zlib.decompress", "gzip.decompress",
    "bz2.decompress", "lzma.decompress",
})
# Methods that return bytes: a binary file's read() (a text file's str makes frombuffer
# raise), ndarray.tobytes().
_BYTES_METHODS = frozenset({"read", "tobytes"})
# ndarray methods whose result is always a view (reshape only of a C-contiguous array).
_VIEWS = frozenset({"reshape", "view", "transpose", "swapaxes", "squeeze"})
_DEPTH = 3  # how many assignments back a bytes or image source is followed


def of_call(evaluator: Evaluator, call: cst.Call, value: Value) -> Value:
    """``value`` (what ``call`` gives), with what the call says about writeability."""
    model = evaluator.model
    if _read_only_source(model, call) or _as_array_of_image(evaluator, call):
        array = value if value.kind is Kind.NDARRAY else Value(Kind.NDARRAY, evidence=call)
        return array.but(readonly=True, evidence=array.evidence or call)
    func = call.func
    if type(func) is cst.Attribute and func.attr.value in _VIEWS:
        receiver = evaluator.value(func.value)
        if receiver.kind is Kind.NDARRAY and receiver.readonly and (
            func.attr.value != "reshape" or receiver.layout is Layout.CONTIGUOUS
        ):
            return (value if value.kind is Kind.NDARRAY else Value(Kind.NDARRAY)).but(readonly=True)
    return value


def of_subscript(evaluator: Evaluator, node: cst.Subscript, value: Value) -> Value:
    """A slice of a read-only array is a read-only view (the evaluator gives an array only
    for slices)."""
    if value.kind is Kind.NDARRAY and value.readonly is None and evaluator.value(node.value).readonly:
        return value.but(readonly=True)
    return value


def observe_call(model: SemanticModel, call: cst.Call) -> None:
    """``a.setflags(write=False)``: ``a`` is read-only from here on (``write=True``: writeable)."""
    func = call.func
    if not (type(func) is cst.Attribute and func.attr.value == "setflags" and type(func.value) is cst.Name):
        return
    flag = keyword_argument(call, "write") or first_argument(call)
    setting = literal_bool(flag) if flag is not None else None
    if setting is not None:
        _mark(model, func.value.value, not setting, call)


def observe_assignment(model: SemanticModel, node: cst.Assign) -> None:
    """``a.flags.writeable = False``, ``a.flags["WRITEABLE"] = False``."""
    setting = literal_bool(node.value)
    if setting is None:
        return
    for target in node.targets:
        flags = _flags_of(target.target)
        if flags is not None:
            _mark(model, flags, not setting, node)


def _flags_of(target: cst.BaseExpression) -> str | None:
    """The array name in ``a.flags.writeable`` or ``a.flags["WRITEABLE"]`` / ``["W"]``."""
    if not (type(target) is cst.Attribute or type(target) is cst.Subscript):
        return None
    if isinstance(target, cst.Attribute):
        named = target.attr.value == "writeable"
    else:
        named = (len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index)
                 and string_value(target.slice[0].slice.value) in ("WRITEABLE", "W"))
    owner = target.value
    if not named:
        return None
    if type(owner) is cst.Attribute and owner.attr.value == "flags" and type(owner.value) is cst.Name:
        return owner.value.value
    return None


def _mark(model: SemanticModel, name: str, readonly: bool, node: cst.CSTNode) -> None:
    binding = model.scope.bindings.get(name)
    if binding is None:
        return
    facts = binding.facts
    if facts.kind is Kind.UNKNOWN:
        facts = Value(Kind.NDARRAY)  # setflags and flags are ndarray's
    elif facts.kind is not Kind.NDARRAY:
        return
    model.scope.bindings[name] = rebind(binding, facts=facts.but(readonly=readonly,
                                                                 evidence=facts.evidence or node))


# The last part of each source's name: a cheap test before the names are resolved.
_SOURCE_NAMES = frozenset({"frombuffer", "broadcast_to", "load", "memmap", "asarray", "asanyarray"})


def _read_only_source(model: SemanticModel, call: cst.Call) -> bool:
    func = call.func
    last = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else None
    if last not in _SOURCE_NAMES:
        return False
    qualnames = model.qualnames(func)
    if len(qualnames) != 1:
        return False
    (name,) = qualnames
    if name == "numpy.frombuffer":
        buffer = keyword_argument(call, "buffer") or first_argument(call)
        return buffer is not None and _is_bytes(model, buffer, _DEPTH)
    if name == "numpy.broadcast_to":
        return True
    if name == "numpy.load":
        mode = keyword_argument(call, "mmap_mode")
        return mode is not None and string_value(mode) == "r"
    if name == "numpy.memmap":
        mode = keyword_argument(call, "mode")
        return mode is not None and string_value(mode) in ("r", "readonly")
    if name in ("numpy.asarray", "numpy.asanyarray"):
        return len(call.args) == 1 and _is_image(model, call.args[0].value, _DEPTH)
    return False


def _as_array_of_image(evaluator: Evaluator, call: cst.Call) -> bool:
    """``np.asarray(img)`` of a value the model knows is a PIL image (``img = img.rotate(r)``
    included, which the syntactic test below cannot follow)."""
    func = call.func
    last = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else None
    if last not in ("asarray", "asanyarray") or len(call.args) != 1 or call.args[0].keyword is not None:
        return False
    if not evaluator.model.qualnames(func) & {"numpy.asarray", "numpy.asanyarray"}:
        return False
    return evaluator.value(call.args[0].value).kind is Kind.PIL_IMAGE


def _assigned(model: SemanticModel, name: cst.Name, depth: int) -> cst.BaseExpression | None:
    """What ``name`` was last assigned, where that did not read ``name`` itself."""
    binding = model.lookup(name.value)
    if depth <= 0 or binding is None or binding.kind != "assign" or binding.value is None:
        return None
    return None if name.value in names_in(binding.value) else binding.value


def _is_bytes(model: SemanticModel, expr: cst.BaseExpression, depth: int) -> bool:
    if type(expr) is cst.SimpleString or type(expr) is cst.ConcatenatedString:
        prefix = expr.prefix if type(expr) is cst.SimpleString else ""
        return "b" in prefix.lower()
    if type(expr) is cst.Subscript:  # a slice of bytes is bytes (an index, an int, makes frombuffer raise)
        return _is_bytes(model, expr.value, depth)
    if type(expr) is cst.Call:
        func = expr.func
        if type(func) is cst.Attribute and func.attr.value in _BYTES_METHODS:
            return True
        if dotted(func) == "bytes" and model.lookup("bytes") is None:
            return True
        return not model.qualnames(func).isdisjoint(_BYTES_FUNCTIONS)
    if type(expr) is cst.Name:
        value = _assigned(model, expr, depth)
        return value is not None and _is_bytes(model, value, depth - 1)
    return False


def _is_image(model: SemanticModel, expr: cst.BaseExpression, depth: int) -> bool:
    """A PIL image: made by ``PIL.Image``'s functions, or a method of one that returns a new one."""
    if type(expr) is cst.Call:
        func = expr.func
        if model.resolves_into(func, "PIL"):
            return True
        return type(func) is cst.Attribute and func.attr.value in IMAGE_METHODS and _is_image(model, func.value, depth)
    if type(expr) is cst.Name:
        value = _assigned(model, expr, depth)
        return value is not None and _is_image(model, value, depth - 1)
    return False
