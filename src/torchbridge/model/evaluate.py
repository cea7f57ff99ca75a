"""The value of an expression, from the bindings that reach it, the library catalogue
(``catalogue/``) and the method tables in ``returns.py``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from . import array_sources, catalogue, dtypes, ndarray_ops, read_only, returns, unit_axes
from .catalogue import Entry, How
from .names import (
    device_argument,
    device_text,
    first_argument,
    keyword_argument,
    literal_bool,
    literal_int,
    names_in,
    self_attribute,
    string_value,
)
from .values import NDARRAY, NUMBER, TENSOR, UNKNOWN, Kind, Layout, Value

if TYPE_CHECKING:
    from .semantic import SemanticModel

_CONTAINERS = {cst.List: Kind.LIST, cst.ListComp: Kind.LIST, cst.Tuple: Kind.TUPLE, cst.Dict: Kind.DICT,
               cst.DictComp: Kind.DICT}


class Evaluator:
    def __init__(self, model: SemanticModel) -> None:
        self.model = model

    def value(self, expr: cst.BaseExpression | None) -> Value:
        if expr is None:
            return UNKNOWN
        kind = _CONTAINERS.get(type(expr))
        if kind is not None:
            items = None
            if type(expr) is cst.Tuple and not any(type(e) is cst.StarredElement for e in expr.elements):
                items = tuple(self.value(e.value) for e in expr.elements)  # immutable: each position stays
            return Value(kind, result=self._element(expr, items), dtype=dtypes.literal_kind(expr), items=items)
        if type(expr) is cst.Integer or type(expr) is cst.Float:
            return NUMBER.but(dtype=dtypes.literal_kind(expr))
        if type(expr) is cst.SimpleString:
            text = string_value(expr)
            if text is not None and _DEVICE_STRING.match(text):  # "cuda", "cuda:1", "cpu"...
                return Value(Kind.DEVICE, on_device=text.split(":")[0] != "cpu", evidence=expr)
            return UNKNOWN
        if type(expr) is cst.Name:
            binding = self.model.lookup(expr.value)
            return self.model.outer_facts(expr.value, binding) if binding is not None else UNKNOWN
        if type(expr) is cst.Call:
            return read_only.of_call(self, expr, self._call(expr))
        if type(expr) is cst.Attribute:
            return self._attribute(expr)
        if type(expr) is cst.Subscript:
            return read_only.of_subscript(self, expr, self._subscript(expr))
        if type(expr) is cst.BinaryOperation:
            if type(expr.operator) is cst.MatrixMultiply:
                operands = [self.value(expr.left), self.value(expr.right)]
                # x @ w with w a tensor: a tensor when it runs, as for the other operators
                # (an ndarray, a list or a number on the other side raises TypeError).
                return self.binary(*operands) if any(v.kind is Kind.TENSOR for v in operands) else UNKNOWN
            return self.binary(self.value(expr.left), self.value(expr.right))
        if type(expr) is cst.UnaryOperation and (type(expr.operator) is cst.Minus or type(expr.operator) is cst.Plus or type(expr.operator) is cst.BitInvert):
            operand = self.value(expr.expression)
            if operand.kind is Kind.NUMBER:
                return operand if type(expr.operator) is not cst.BitInvert else UNKNOWN
            if operand.kind is Kind.NDARRAY:
                return ndarray_ops.elementwise([operand])  # -a: a new array in a's memory order
            return operand.but(layout=Layout.UNKNOWN, evidence=None) if operand.kind is Kind.TENSOR else UNKNOWN
        if type(expr) is cst.IfExp:
            return self.value(expr.body).join(self.value(expr.orelse))
        if type(expr) is cst.Comparison:
            return self._compared(expr)
        if type(expr) is cst.BooleanOperation:  # `a or b` is a or b
            return self.value(expr.left).join(self.value(expr.right))
        if type(expr) is cst.NamedExpr:
            return self.value(expr.value)
        return UNKNOWN

    def element_of(self, iterable: cst.BaseExpression) -> Value:
        """What iterating ``iterable`` gives: rows of a tensor (tensors), a list's elements,
        an array's rows or elements (``ndarray_ops.row_of``)."""
        value = self.value(iterable)
        if value.kind is Kind.TENSOR:
            return Value(value.kind, grad=value.grad, on_device=value.on_device, evidence=value.evidence)
        if value.kind is Kind.NDARRAY:
            return ndarray_ops.row_of(value)
        if value.kind in (Kind.LIST, Kind.TUPLE) and value.result is not None:
            return value.result
        return UNKNOWN

    def _element(self, node: cst.BaseExpression, items: tuple[Value, ...] | None = None) -> Value | None:
        """The common kind of a list, tuple or list comprehension's elements, if known. A
        comprehension's element is evaluated only when it reads none of its own variables.
        ``items``: a tuple's elements, already evaluated."""
        if items:
            elements = list(items)
        elif type(node) is cst.ListComp:
            targets: set[str] = set()
            for_in: cst.CompFor | None = node.for_in
            while for_in is not None:
                targets |= names_in(for_in.target)
                for_in = for_in.inner_for_in
            if targets & names_in(node.elt):
                return None
            elements = [self.value(node.elt)]
        elif (type(node) is cst.List or type(node) is cst.Tuple) and node.elements:
            if any(type(e) is cst.StarredElement for e in node.elements):
                return None
            elements = [self.value(e.value) for e in node.elements]
        else:
            return None
        if elements[0].kind in (Kind.NDARRAY, Kind.TENSOR) and all(e.kind is elements[0].kind for e in elements):
            placed = {e.on_device for e in elements}
            return Value(elements[0].kind, on_device=placed.pop() if len(placed) == 1 else None)
        return None

    # ----------------------------------------------------------------- calls

    def _call(self, call: cst.Call) -> Value:
        func = call.func
        qualnames = self.model.qualnames(func)
        if qualnames:
            known = self._known_function(call, qualnames)
            if known is not None:
                return known
        if type(func) is cst.Attribute:
            if _permutes_every_axis(call, func):
                return self._permuted(call, func)
            receiver = self.value(func.value)
            if receiver.kind is Kind.NDARRAY:
                return self._array_method(call, func.attr.value, receiver)
            if receiver.kind is Kind.TENSOR:
                return self._tensor_method(call, func.attr.value, receiver)
            if receiver.kind is Kind.MODULE and func.attr.value in ("forward", "__call__"):
                return self._module_result(receiver, call)
            if receiver.kind is Kind.MODULE and func.attr.value in returns.MODULE_METHODS_SELF:
                return receiver  # Net().to(device).eval(): the same module
            if receiver.kind in array_sources.KINDS:
                return array_sources.method(receiver, func.attr.value, call)
        returned = self.model.returned_by(func, call)  # a function or method of this module
        if returned is not None and returned.kind is not Kind.UNKNOWN:
            return returned
        callee = self.value(func)
        if callee.kind is Kind.MODULE:
            return self._module_result(callee, call)
        if callee.kind is Kind.FUNCTION and callee.result is not None:
            return callee.result
        return UNKNOWN

    def _known_function(self, call: cst.Call, qualnames: frozenset[str]) -> Value | None:
        """The result of a call the library catalogue knows (``model/catalogue``)."""
        if len(qualnames) != 1:
            return None  # import cupy as xp / import numpy as xp on two paths: not known
        entry = catalogue.lookup(next(iter(qualnames)))
        if entry is None or (entry.how is How.PLAIN and entry.returns is Kind.UNKNOWN):
            return None
        if any(arg.keyword is not None and arg.keyword.value.startswith(("return_", "retstep")) for arg in call.args):
            return UNKNOWN  # np.unique(..., return_counts=True), np.linspace(..., retstep=True): tuples
        if any(keyword_argument(call, name) is not None for name in entry.unless):
            return UNKNOWN
        return _RESULTS[entry.how](self, call, entry)

    def _plain(self, call: cst.Call, entry: Entry) -> Value:
        if entry.returns is Kind.TUPLE and entry.items:
            return Value(Kind.TUPLE, items=tuple(Value(kind, evidence=call) for kind in entry.items))
        if entry.returns is not Kind.NDARRAY:
            return Value(entry.returns)
        ndim = _ndim_of_shape(call) if entry.ndim_from_shape else entry.ndim
        layout = entry.layout if not _orders_otherwise(call, entry) else Layout.UNKNOWN
        return Value(Kind.NDARRAY, layout, ndim=ndim, evidence=call,
                     dtype=dtypes.numpy_produced(self.model, entry.name, call),
                     zero_strides=entry.ndim_from_shape and _has_empty_axis(call))

    def _sized(self, call: cst.Call, entry: Entry) -> Value:
        array = self._random(call, entry.size_at)
        return array.but(dtype=dtypes.numpy_produced(self.model, entry.name, call)) if array.kind is Kind.NDARRAY else array

    def _load(self, call: cst.Call, entry: Entry) -> Value:
        """``np.load(p)``: an ndarray, except an .npz archive (an NpzFile) or, with pickles
        allowed, any object. A path not known to be an archive counts as an ndarray: every use
        of an NpzFile as an array raises, so the ndarray is the only result that runs."""
        path = first_argument(call) or keyword_argument(call, "file")
        text = string_value(path) if path is not None else None
        pickles = keyword_argument(call, "allow_pickle")
        if len([a for a in call.args if a.keyword is None]) > 2:
            return UNKNOWN  # np.load(p, None, True): allow_pickle by position
        if (text is not None and text.endswith(".npz")) or (pickles is not None and not _is_false(pickles)):
            return UNKNOWN
        # Layout unknown: an .npy file written from a Fortran-ordered array loads Fortran-ordered.
        return Value(Kind.NDARRAY, evidence=call)

    def _as_array(self, call: cst.Call, entry: Entry) -> Value:
        if keyword_argument(call, "like") is not None:
            return UNKNOWN  # like= returns the other library's array
        source = self.value(first_argument(call))
        dtype = dtypes.numpy_from(self.model, call, source.dtype)
        if source.kind is not Kind.NDARRAY:
            return Value(Kind.NDARRAY, evidence=call, dtype=dtype)
        if len(call.args) > 1:  # dtype= or order= may copy: strides unknown
            return Value(Kind.NDARRAY, ndim=source.ndim, evidence=call, dtype=dtype)
        return source

    def _copy(self, call: cst.Call, entry: Entry) -> Value:
        if keyword_argument(call, "like") is not None:
            return UNKNOWN
        source = self.value(first_argument(call))
        dtype = dtypes.numpy_from(self.model, call, source.dtype)
        if source.kind is Kind.NDARRAY:
            return _copied_keeping_order(source, call).but(dtype=dtype)
        return Value(Kind.NDARRAY, evidence=call, dtype=dtype)

    def _as_contiguous(self, call: cst.Call, entry: Entry) -> Value:
        """``np.ascontiguousarray(a)``: C-contiguous, unless ``a`` has negative strides, which a
        length-1 axis keeps (``unit_axes``)."""
        if keyword_argument(call, "like") is not None:
            return UNKNOWN
        source = first_argument(call) or keyword_argument(call, "a")
        dtype = dtypes.numpy_from(self.model, call, self.value(source).dtype) if source is not None else None
        layout = Layout.CONTIGUOUS
        if source is not None and self.value(source).layout is Layout.NEGATIVE:
            layout = unit_axes.contiguous_layout(self.model, source)
        return Value(Kind.NDARRAY, layout, evidence=call, dtype=dtype)

    def _elementwise(self, call: cst.Call, entry: Entry) -> Value:
        """``np.divide(a, 255)``, ``np.clip(a, 0, 1)``, ``np.sqrt(a)``: what the operators give.
        Any keyword (``out=``, ``where=``, ``dtype=``, ``order=``...) may change the result."""
        if any(arg.keyword is not None or arg.star for arg in call.args):
            return UNKNOWN
        return ndarray_ops.elementwise([self.value(arg.value) for arg in call.args])

    def _flip(self, call: cst.Call, entry: Entry) -> Value:
        axis = keyword_argument(call, "axis")
        if (type(axis) is cst.Tuple or type(axis) is cst.List) and not axis.elements:
            return self.value(first_argument(call))  # axis=(): nothing is flipped
        return self._flipped(self.value(first_argument(call)), call)

    def _transpose(self, call: cst.Call, entry: Entry) -> Value:
        return self._transposed(self.value(first_argument(call)), entry.how is How.MOVE_AXIS, call.args[1:], call)

    def _from_array(self, call: cst.Call, entry: Entry) -> Value:
        source = self.value(first_argument(call))
        if source.kind is Kind.NDARRAY:
            return Value(Kind.TENSOR, source.layout, source.ndim, grad=False,
                         on_device=self._placement_keyword(call), evidence=source.evidence)
        return TENSOR if source.kind is Kind.TENSOR or entry.name == "torch.from_numpy" else UNKNOWN

    def _device(self, call: cst.Call, entry: Entry) -> Value:
        # A getter's placement is unknown: _literal_placement finds no literal in its call.
        return Value(Kind.DEVICE, on_device=_literal_placement(call), evidence=call)

    def _parameter(self, call: cst.Call, entry: Entry) -> Value:
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        flag = keyword_argument(call, "requires_grad") or (positional[1] if len(positional) > 1 else None)
        grad = True if flag is None or _is_true(flag) else (False if _is_false(flag) else None)
        return Value(Kind.TENSOR, grad=grad, evidence=call)

    def _module(self, call: cst.Call, entry: Entry) -> Value:
        for keyword, disabling in entry.switches:
            flag = keyword_argument(call, keyword)
            setting = literal_bool(flag) if flag is not None else not disabling
            if setting is disabling:
                return Value(Kind.MODULE, grad=False, result=TENSOR)  # affine=False: no parameters
            if setting is None:
                return Value(Kind.MODULE, result=TENSOR)  # affine=flag: unknown
        return self._parametrized_module()

    def _stateless_module(self, call: cst.Call, entry: Entry) -> Value:
        return Value(Kind.MODULE, grad=False, result=TENSOR)

    def _sequential(self, call: cst.Call, entry: Entry) -> Value:
        layers = [self.value(arg.value) for arg in call.args if not arg.star]
        if layers and all(layer.kind is Kind.MODULE and layer.result is not None for layer in layers):
            if any(layer.grad for layer in layers):
                return self._parametrized_module()
            return Value(Kind.MODULE, grad=False, result=TENSOR)
        return Value(Kind.MODULE)

    def _random(self, call: cst.Call, size_at: int | None) -> Value:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        size = keyword_argument(call, "size")
        if size is not None and not (type(size) is cst.Tuple or type(size) is cst.List or type(size) is cst.Integer):
            return UNKNOWN  # size=variable may be None: a scalar
        if size is None and size_at is not None and len(positional) > size_at:
            size = positional[size_at].value
        if size is not None:
            ndim = _rank(size)
        elif size_at is None and positional:
            ndim = len(positional)  # rand(3, 8): one argument per dimension
        else:
            return UNKNOWN  # no size: a scalar
        return Value(Kind.NDARRAY, Layout.CONTIGUOUS, ndim=ndim, evidence=call)

    def _factory(self, call: cst.Call, entry: Entry) -> Value:
        requires = keyword_argument(call, "requires_grad")
        grad: bool | None = False
        if requires is not None and not _is_false(requires):
            grad = _is_true(requires) or None  # requires_grad=flag: unknown
        # No grad mode applies: requires_grad=True makes a leaf that requires grad even under
        # no_grad, inference_mode or set_grad_enabled(False) (measured on torch 2.13).
        on_device = self._placement_keyword(call)
        if on_device is False and keyword_argument(call, "device") is None and self.model.sets_default_device:
            on_device = None  # torch.set_default_device moved the factories' default
        evidence = call if grad or on_device else None
        dtype = dtypes.torch_dtype(self.model, keyword_argument(call, "dtype"))
        if entry.name == "torch.tensor" and keyword_argument(call, "dtype") is None:
            dtype = dtypes.tensor_inferred(self.value(first_argument(call)).dtype, not self.model.sets_default_dtype)
        return Value(Kind.TENSOR, grad=grad, on_device=on_device, evidence=evidence, dtype=dtype)

    def _tensor_op(self, call: cst.Call, entry: Entry | None = None) -> Value:
        # Keyword inputs count too: torch.add(x, other=w) requires grad when w does.
        inputs = [self.value(arg.value) for arg in call.args if not arg.star]
        inputs = [v for v in inputs if v.kind is Kind.TENSOR] or [TENSOR]
        return self._combined(inputs)

    def _tensors(self, call: cst.Call, entry: Entry | None = None) -> Value:
        """A tuple of tensors made from the call's tensor inputs (``torch.linalg.eigh(x)``,
        ``torch.sort(x)``): each element is a tensor where the inputs are. Grad is known only
        where no input requires it: some elements (indices) never do."""
        return Value(Kind.TUPLE, result=_element_of_tuple(self._tensor_op(call)))

    def _combined(self, tensors: list[Value]) -> Value:
        """The result of an operation on tensors: it requires grad when an input does."""
        grad: bool | None = False
        evidence = None
        for tensor in tensors:
            if tensor.grad:
                grad, evidence = True, tensor.evidence
                break
            if tensor.grad is None:
                grad = None
        grad = self._under_grad_mode(grad)
        if not grad:
            evidence = None
        on_device = True if any(t.on_device for t in tensors) else (
            False if all(t.on_device is False for t in tensors) else None
        )
        if on_device and evidence is None:
            evidence = next(t.evidence for t in tensors if t.on_device)
        return Value(Kind.TENSOR, grad=grad, on_device=on_device, evidence=evidence)

    def _compared(self, expr: cst.Comparison) -> Value:
        """``t == 0``, ``a < b`` with a tensor and a number or tensor: a bool tensor where the
        tensor is, never requiring grad (against ``None`` or a string it is a Python bool)."""
        if len(expr.comparisons) != 1 or not isinstance(expr.comparisons[0].operator, _ORDERINGS):
            return UNKNOWN
        operands = [self.value(expr.left), self.value(expr.comparisons[0].comparator)]
        if not any(v.kind is Kind.TENSOR for v in operands) or any(
                v.kind not in (Kind.TENSOR, Kind.NUMBER) for v in operands):
            return UNKNOWN
        result = self._combined([v for v in operands if v.kind is Kind.TENSOR])
        return result.but(grad=False, evidence=result.evidence if result.on_device else None)

    def _under_grad_mode(self, grad: bool | None) -> bool | None:
        """A new tensor's grad under the current grad mode: off under no_grad, unknown where
        the mode itself is (``set_grad_enabled(train)``)."""
        if self.model.in_no_grad:
            return False
        if grad and self.model.grad_mode_unknown:
            return None
        return grad

    def _parametrized_module(self) -> Value:
        """A module with parameters: they require grad unless the file freezes some."""
        grad = None if self.model.freezes_parameters else True
        return Value(Kind.MODULE, grad=grad, result=Value(Kind.TENSOR, grad=grad))

    def _permuted(self, call: cst.Call, func: cst.Attribute) -> Value:
        """``x.transpose(2, 0, 1)``, ``x.transpose((2, 0, 1))``: only an array takes every
        axis (a tensor's ``transpose`` takes two dims, a list has none), so ``x`` is a
        3-d ndarray where the call returns, and a row ``x = images[0]`` is no NumPy scalar."""
        inner = func.value
        receiver = self._subscript(inner, True) if type(inner) is cst.Subscript else self.value(inner)
        if receiver.kind is Kind.TENSOR:
            return self._tensor_method(call, "transpose", receiver)  # it raises; say nothing new
        if receiver.kind is not Kind.NDARRAY:
            receiver = NDARRAY  # its layout unknown: the transpose may make it contiguous again
        return self._transposed(receiver, False, call.args, call)

    def _module_result(self, module: Value, call: cst.Call) -> Value:
        """Calling a module: its parameters' grad, or (without parameters) its inputs'."""
        result = module.result or UNKNOWN
        if result.kind is not Kind.TENSOR:
            return result
        if module.grad is False:
            return self._tensor_op(call)
        if self.model.in_no_grad:
            return result.but(grad=False, evidence=None)
        if result.grad and self.model.grad_mode_unknown:
            return result.but(grad=None, evidence=None)
        if result.grad:
            return result.but(evidence=call)  # the message points at the module's call
        return result

    # --------------------------------------------------------------- methods

    def _array_method(self, call: cst.Call, method: str, array: Value) -> Value:
        if method in returns.ARRAY_METHODS_CONTIGUOUS:
            # Their only argument is the order (``copy("F")``, ``ravel(order="K")``): it may not be C.
            ordered = bool(call.args)
            return Value(Kind.NDARRAY, Layout.UNKNOWN if ordered else Layout.CONTIGUOUS,
                         ndim=array.ndim if method == "copy" else 1, dtype=array.dtype,
                         # a new empty array: strides 0 (ravel's view of one keeps a stride)
                         zero_strides=array.zero_strides and method != "ravel")
        if method in returns.ARRAY_METHODS_KEEP_ORDER:  # astype
            target = first_argument(call) or keyword_argument(call, "dtype")
            dtype = dtypes.numpy_dtype(self.model, target)
            copy = keyword_argument(call, "copy")
            if copy is not None and _is_false(copy) and dtype is not None and dtype == array.dtype:
                return array  # astype(its own dtype, copy=False) returns the array itself
            return _copied_keeping_order(array, call).but(dtype=dtype)
        if method in ("transpose", "swapaxes"):
            return self._transposed(array, method == "swapaxes", call.args, call)
        if method == "reshape":
            return _reshaped(array, call)
        if method in returns.ARRAY_REDUCTIONS:
            if not call.args:
                return Value(Kind.NUMPY_SCALAR)
            axis = keyword_argument(call, "axis") or first_argument(call)
            others = [a for a in call.args if a.keyword is not None and a.keyword.value != "axis"]
            # Reducing one axis of a 1-D array leaves a scalar: an array only from two dimensions
            # on, and only for a written-out axis (a variable may be None: all axes).
            if literal_int(axis) is not None and not others and array.ndim is not None and array.ndim >= 2:
                return NDARRAY.but(ndim=array.ndim - 1, evidence=call)
            return UNKNOWN
        return UNKNOWN  # tolist() and the rest: a list, a Python scalar, anything

    def _tensor_method(self, call: cst.Call, method: str, tensor: Value) -> Value:
        if method in returns.TENSOR_METHODS_SAME:
            result = self._combined([tensor]).but(layout=Layout.UNKNOWN)
            if method in returns.TENSOR_METHODS_WITHOUT_GRAD:
                return result.but(grad=False, evidence=result.evidence if result.on_device else None)
            if method == "type_as":
                return result.but(grad=None)  # an integer type ends grad
            return result
        if method in returns.TENSOR_METHODS_SPLITTING:
            return Value(Kind.TUPLE, result=self._combined([tensor]).but(layout=Layout.UNKNOWN))
        if method in returns.TENSOR_METHODS_TUPLE or (method in returns.TENSOR_METHODS_TUPLE_BY_DIM and _names_dim(call)):
            return Value(Kind.TUPLE, result=_element_of_tuple(self._combined([tensor])))
        if method in returns.TENSOR_METHODS_TUPLE_BY_DIM and not call.args:
            return self._combined([tensor])  # x.max(): the largest element, a 0-d tensor
        if method in returns.TENSOR_METHODS_DETACHED:
            return tensor.but(grad=False, layout=Layout.UNKNOWN, evidence=tensor.evidence if tensor.on_device else None)
        if method == "requires_grad_":
            flag = call.args[0].value if call.args else None
            grad = True if flag is None or _is_true(flag) else (False if _is_false(flag) else None)
            return tensor.but(grad=grad, evidence=call if grad else None)
        if method == "cpu":
            return tensor.but(on_device=False, layout=Layout.UNKNOWN, evidence=tensor.evidence if tensor.grad else None)
        if method == "cuda":
            return tensor.but(on_device=True, layout=Layout.UNKNOWN, evidence=call)
        if method == "to":
            destination = device_argument(call)
            if destination is None or self.value(destination).kind is Kind.DTYPE:
                return self._combined([tensor])  # a dtype conversion stays where it is
            target = self.placement(destination)  # None: .to(device_var) may be the CPU
            return tensor.but(on_device=target, layout=Layout.UNKNOWN, evidence=call if target else tensor.evidence)
        if method == "numpy":
            return Value(Kind.NDARRAY)
        return UNKNOWN

    def placement(self, expr: cst.BaseExpression) -> bool | None:
        """Where a device expression points: True an accelerator, False the CPU, None unknown
        (``'cuda:0'``, ``torch.device('cpu')``, a name bound to either)."""
        placement = _literal_placement(expr)
        if placement is not None:
            return placement
        value = self.value(expr)
        return value.on_device if value.kind is Kind.DEVICE else None

    def _placement_keyword(self, call: cst.Call) -> bool | None:
        """The placement a ``device=`` keyword gives a new tensor (the CPU when absent)."""
        device = keyword_argument(call, "device")
        return False if device is None else self.placement(device)

    # ------------------------------------------------------------ attributes

    def _attribute(self, node: cst.Attribute) -> Value:
        if not self.model.qualnames(node).isdisjoint(returns.DTYPES):
            return Value(Kind.DTYPE)
        base = self.value(node.value)
        attr = node.attr.value
        if base.kind is Kind.DEVICE and attr == "type":  # current_accelerator().type: "cuda", "mps"...
            return base
        if base.kind is Kind.NDARRAY and attr == "T":
            return self._transposed(base, False, (), node)
        if base.kind is Kind.TENSOR:
            if attr == "data":
                return base.but(grad=False, evidence=base.evidence if base.on_device else None)
            if attr in ("T", "mT", "real"):
                return self._combined([base])
            return UNKNOWN
        if base.kind in array_sources.KINDS:
            return array_sources.attribute(base, attr, node)
        if self_attribute(node) is not None:
            return self.model.self_attribute(attr)
        if base.kind is Kind.MODULE and attr == "weight" and base.grad:
            layer = self._weighted_layer(node.value)
            if layer is not None:
                # nn.Linear(...).weight: a parameter, a leaf that requires grad in any grad mode
                return Value(Kind.TENSOR, grad=True, evidence=layer)
        return self.model.instance_attribute(node.value, attr)

    def _weighted_layer(self, expr: cst.BaseExpression) -> cst.Call | None:
        """The call that made ``expr``, a torch layer with a ``weight`` parameter
        (``nn.Linear(...)``, a name assigned one, or ``self.<name>`` that every write of the
        class assigns one); an ``nn.Sequential`` has none."""
        name = self_attribute(expr)
        if name is not None:
            writes = self.model.self_attribute_writes(name)
            layers = [self._weighted_layer(w.value) for w in writes or () if type(w) is cst.Assign]
            return layers[0] if writes and len(layers) == len(writes) and all(layers) else None
        if type(expr) is cst.Name:
            binding = self.model.lookup(expr.value)
            expr = binding.value if binding is not None and binding.kind == "assign" and binding.value is not None else expr
        if type(expr) is cst.Call and any(
            entry is not None and entry.how is How.MODULE
            for entry in map(catalogue.lookup, self.model.qualnames(expr.func))
        ):
            return expr
        return None

    # ------------------------------------------------------------- subscripts

    def _subscript(self, node: cst.Subscript, sliced_after: bool = False) -> Value:
        """``sliced_after``: the result is itself sliced (``images[0][:, ::-1]``)."""
        slices = [e.slice for e in node.slice]
        inner = node.value
        base = self._subscript(inner, _slices_something(slices)) if type(inner) is cst.Subscript else self.value(inner)
        if base.kind is Kind.NDARRAY:
            if base.ndim != 0:  # a 0-d array cannot be sliced
                integer = [type(s) is cst.Index and self._is_integer(s.value) for s in slices]
                found = ndarray_ops.indexed(base, slices, integer, node, row_of_unknown_rank=sliced_after)
                if found.kind is not Kind.UNKNOWN:
                    return found.but(dtype=base.dtype)  # a view: the same dtype
            return ndarray_ops.part_of(base)
        if base.kind is Kind.TENSOR:
            return self._combined([base])
        if base.kind in array_sources.KINDS:
            numeric = [type(s) is cst.Index and self._is_number_index(s.value) for s in slices]
            return array_sources.subscript(base, slices, numeric)
        if base.kind is Kind.TUPLE and base.items is not None and len(slices) == 1 and isinstance(slices[0], cst.Index):
            position = literal_int(slices[0].value)  # pair[1]: that position's value
            if position is not None and -len(base.items) <= position < len(base.items):
                return base.items[position]
        if base.kind in (Kind.LIST, Kind.TUPLE) and base.result is not None and len(slices) == 1:
            # xs[0] is one of the elements, xs[1:] a list of them
            index = slices[0]
            if type(index) is cst.Slice:
                return base if index.step is None or literal_int(index.step) == 1 else UNKNOWN
            return base.result if type(index) is cst.Index and self._is_integer(index.value) else UNKNOWN
        return UNKNOWN

    def _is_integer(self, expr: cst.BaseExpression) -> bool:
        """A literal integer, or a name proven to hold a Python int."""
        if literal_int(expr) is not None:
            return True
        value = self.value(expr) if type(expr) is cst.Name else UNKNOWN
        return value.kind is Kind.NUMBER and value.dtype == "int"

    def _is_number_index(self, expr: cst.BaseExpression) -> bool:
        """An index that is a number wherever it runs, never a name or a slice: an integer
        (``_is_integer``) or a floor division (``i // n``: ``//`` raises on strings)."""
        if type(expr) is cst.BinaryOperation and type(expr.operator) is cst.FloorDivide:
            return True
        return self._is_integer(expr)

    # -------------------------------------------------------------- helpers

    def binary(self, left: Value, right: Value) -> Value:
        tensors = [v for v in (left, right) if v.kind is Kind.TENSOR]
        if tensors:
            if any(v.kind is Kind.UNKNOWN for v in (left, right)):
                tensors.append(TENSOR)  # the other operand may be a tensor with grad, elsewhere
            return self._combined(tensors)
        return ndarray_ops.elementwise([left, right])  # a / 255, a - mean: NumPy's operators

    def _flipped(self, source: Value, call: cst.Call) -> Value:
        if source.ndim == 0:
            return UNKNOWN  # np.flip of a 0-d array returns a NumPy scalar
        if source.zero_strides:
            return ndarray_ops.zero_strided(source.ndim)
        if source.kind is not Kind.NDARRAY or source.layout is Layout.NEGATIVE:
            return Value(Kind.NDARRAY, Layout.UNKNOWN, source.ndim)
        return Value(Kind.NDARRAY, Layout.NEGATIVE, source.ndim, evidence=call)

    def _rot90(self, call: cst.Call, entry: Entry) -> Value:
        source = self.value(first_argument(call))
        if source.kind is not Kind.NDARRAY:
            return NDARRAY
        turns = keyword_argument(call, "k")
        positional = [a for a in call.args if a.keyword is None]
        if turns is None and len(positional) > 1:
            turns = positional[1].value
        count = 1 if turns is None else literal_int(turns)
        if count is None:
            return Value(Kind.NDARRAY, Layout.UNKNOWN, source.ndim)
        if count % 4 == 0:
            return source
        return self._flipped(source, call)

    def _transposed(self, source: Value, pairwise: bool, args: Sequence[cst.Arg], node: cst.CSTNode) -> Value:
        """``.T``, ``transpose(axes)``; ``pairwise``: swapaxes / moveaxis, which move one axis."""
        if source.kind is not Kind.NDARRAY:
            return NDARRAY  # np.transpose(list) makes an array
        if source.layout is Layout.NEGATIVE:
            return source  # still negative: a transpose only permutes the strides
        if source.zero_strides:
            return ndarray_ops.zero_strided(None)
        arguments = [a for a in args if a.keyword is None or a.keyword.value in _AXES_KEYWORDS]
        axes = [literal_int(a.value) for a in arguments]
        if len(arguments) == 1 and isinstance(arguments[0].value, (cst.Tuple, cst.List)):
            axes = [literal_int(e.value) for e in arguments[0].value.elements]
        if pairwise:
            moved = len(axes) == 2 and None not in axes and axes[0] != axes[1]
            layout = Layout.TRANSPOSED if moved and source.layout is Layout.CONTIGUOUS else Layout.UNKNOWN
            return Value(Kind.NDARRAY, layout, source.ndim, evidence=node if moved else None)
        if axes:  # transpose(2, 0, 1) / transpose((2, 0, 1))
            known = [axis for axis in axes if axis is not None]
            permuted = len(known) == len(axes) and known != sorted(known)
            ndim: int | None = len(axes)
        else:  # .T, transpose(): reverses the axes, a change only from two dimensions on
            permuted = source.ndim is not None and source.ndim >= 2
            ndim = source.ndim
        if permuted and source.layout is Layout.CONTIGUOUS:
            return Value(Kind.NDARRAY, Layout.TRANSPOSED, ndim, evidence=node)
        return Value(Kind.NDARRAY, Layout.UNKNOWN, ndim)


def _orders_otherwise(call: cst.Call, entry: Entry) -> bool:
    """``np.zeros(shape, order="F")``, or an order given by position (``np.zeros(shape, dtype,
    order)``): a new array that need not be C-ordered."""
    order = keyword_argument(call, "order")
    if order is not None and string_value(order) != "C":
        return True
    return entry.ndim_from_shape and len([a for a in call.args if a.keyword is None]) > 2


def _element_of_tuple(element: Value) -> Value:
    """An element of a tuple of tensors computed from ``element``'s inputs: it requires no
    grad when no input does; otherwise it may (values) or may not (indices)."""
    return Value(Kind.TENSOR, grad=False if element.grad is False else None, on_device=element.on_device,
                 evidence=element.evidence if element.on_device else None)


def _names_dim(call: cst.Call) -> bool:
    """``x.max(1)``, ``x.max(dim=-1)``: a reduction along a dimension, which returns the values
    and their indices (``x.max()`` is one tensor, ``x.max(y)`` the elementwise maximum)."""
    if keyword_argument(call, "dim") is not None:
        return True
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if not positional:
        return False
    first = positional[0].value
    if type(first) is cst.UnaryOperation and type(first.operator) is cst.Minus:
        first = first.expression
    return literal_int(first) is not None


def _copied_keeping_order(source: Value, call: cst.Call) -> Value:
    """``np.array(x)``, ``x.astype(t)``: strides become positive, a transposition stays."""
    if source.zero_strides:
        return ndarray_ops.zero_strided(source.ndim)  # a copy of an empty array is empty: strides 0 again
    if keyword_argument(call, "order") is not None:
        return NDARRAY
    layout = source.layout
    if layout is Layout.NEGATIVE:
        layout = Layout.UNKNOWN  # positive, but whether C-contiguous depends on which axis
    return Value(Kind.NDARRAY, layout, source.ndim, evidence=source.evidence if layout is Layout.TRANSPOSED else call)


def _is_true(expr: cst.BaseExpression) -> bool:
    return literal_bool(expr) is True


def _is_false(expr: cst.BaseExpression) -> bool:
    return literal_bool(expr) is False


def _permutes_every_axis(call: cst.Call, func: cst.Attribute) -> bool:
    """``.transpose(2, 0, 1)`` or ``.transpose((2, 0, 1))``: three or more literal axes."""
    if func.attr.value != "transpose" or any(arg.keyword is not None or arg.star for arg in call.args):
        return False
    axes = [arg.value for arg in call.args]
    if len(axes) == 1 and isinstance(axes[0], (cst.Tuple, cst.List)):
        axes = [element.value for element in axes[0].elements]
    return len(axes) >= 3 and all(literal_int(axis) is not None for axis in axes)


def _slices_something(slices: Sequence[cst.BaseSlice]) -> bool:
    """A subscript with a slice in it: it raises on a NumPy scalar."""
    return any(type(s) is cst.Slice for s in slices)


def _reshaped(array: Value, call: cst.Call) -> Value:
    """``a.reshape(2, 3)``, ``a.reshape((2, -1))``: an ndarray. In C order (the default) a
    C-contiguous array gives a C-contiguous view; any other array may give a view that keeps
    its own strides (a transposed or flipped axis left whole), or a C-ordered copy."""
    if not call.args or any(arg.star for arg in call.args):
        return UNKNOWN
    positional = [arg.value for arg in call.args if arg.keyword is None]
    ndim = len(positional) if len(positional) > 1 else _rank(positional[0]) if positional else None
    keywords = any(arg.keyword is not None for arg in call.args)  # order=, copy=, shape=
    layout = Layout.CONTIGUOUS if array.layout is Layout.CONTIGUOUS and not keywords else Layout.UNKNOWN
    return Value(Kind.NDARRAY, layout, ndim, dtype=array.dtype)


def _has_empty_axis(call: cst.Call) -> bool:
    """``np.zeros((0, 3))``, ``np.empty(0)``: a literal shape with a zero-length axis."""
    shape = first_argument(call) or keyword_argument(call, "shape")
    if type(shape) is cst.Tuple or type(shape) is cst.List:
        return any(type(e) is not cst.StarredElement and literal_int(e.value) == 0 for e in shape.elements)
    return shape is not None and literal_int(shape) == 0


def _ndim_of_shape(call: cst.Call) -> int | None:
    shape = first_argument(call) or keyword_argument(call, "shape")
    return _rank(shape) if shape is not None else None


def _rank(shape: cst.BaseExpression) -> int | None:
    """The number of dimensions a literal shape gives: ``(3, 4)`` 2, ``5`` 1."""
    if type(shape) is cst.Tuple or type(shape) is cst.List:
        return None if any(type(e) is cst.StarredElement for e in shape.elements) else len(shape.elements)
    return 1 if literal_int(shape) is not None else None


_ORDERINGS = (cst.Equal, cst.NotEqual, cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual)
# The axes by keyword: np.transpose(a, axes=...), swapaxes(axis1=, axis2=), moveaxis(source=, destination=).
_AXES_KEYWORDS = frozenset({"axes", "axis1", "axis2", "source", "destination"})
_DEVICE_STRING = re.compile(r"^(?:cuda|cpu|mps|xpu|meta|hpu|xla)(?::\d+)?$")


def _literal_placement(expr: cst.BaseExpression) -> bool | None:
    """True for a written-out accelerator device, False for 'cpu', None otherwise."""
    text = device_text(expr)
    return None if text is None else text.split(":")[0].lower() != "cpu"


# How each kind of catalogue entry becomes a value.
_RESULTS = {
    How.PLAIN: Evaluator._plain,
    How.SIZED: Evaluator._sized,
    How.LOAD: Evaluator._load,
    How.AS_ARRAY: Evaluator._as_array,
    How.COPY: Evaluator._copy,
    How.AS_CONTIGUOUS: Evaluator._as_contiguous,
    How.ELEMENTWISE: Evaluator._elementwise,
    How.FLIP: Evaluator._flip,
    How.ROT90: Evaluator._rot90,
    How.TRANSPOSE: Evaluator._transpose,
    How.MOVE_AXIS: Evaluator._transpose,
    How.FACTORY: Evaluator._factory,
    How.FROM_ARRAY: Evaluator._from_array,
    How.OPERATION: Evaluator._tensor_op,
    How.TENSORS: Evaluator._tensors,
    How.DEVICE: Evaluator._device,
    How.PARAMETER: Evaluator._parameter,
    How.MODULE: Evaluator._module,
    How.STATELESS_MODULE: Evaluator._stateless_module,
    How.SEQUENTIAL: Evaluator._sequential,
}
