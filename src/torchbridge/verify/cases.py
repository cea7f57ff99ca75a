"""Inputs for a probe's holes: descriptors drawn in the parent, built the same way in each child.

A descriptor is plain data (dtype, shape, layout, flags, a seed), so the original's child and
the fixed one build equal inputs independently, in the same order. The space a hole draws
from is what the model proved about it (kind, layout, grad); a safe fix draws only from the
part its proven preconditions allow (the fix contract's law 4a), an unsafe fix from all that
its finding did not prove (``SPACES``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

MIN_CASES = 25
DTYPES = ("float16", "float32", "float64", "int32", "int64", "uint8", "bool", "complex64")
FLOAT_DTYPES = ("float16", "float32", "float64")
ARRAY_LAYOUTS = ("C", "F", "transposed", "negative", "view")

# The array space of each entry's hole (law 4a): what its proven preconditions allow, and for
# an unsafe fix everything its finding did not prove.
SPACES: dict[str, dict[str, Any]] = {
    # A fresh array: new, writable, owning memory in native byte order.
    "TNP101/as-tensor": {"layouts": ("C",), "readonly": (False,), "byteswap": (False,)},
    # Nothing proven but that it is an array.
    "TNP101/as-tensor-unproven": {"layouts": ARRAY_LAYOUTS, "readonly": (False, True), "byteswap": (False, True)},
    # A negative stride on every path; byte order is not proven, and a byte-swapped array
    # raises in both versions, with different messages (docs/verification.md).
    "TNP102/copy": {"layouts": ("negative",), "readonly": (False, True), "byteswap": (False,)},
    # Transposed on every path (so at least 2-d); nothing else proven.
    "TNP103/ascontiguousarray": {"layouts": ("transposed",), "readonly": (False, True), "byteswap": (False, True)},
}
# A Parameter of integer data raises (it would require grad) in the original as in the fix.
SPACES["TNP306/convert-first"] = {"dtypes": FLOAT_DTYPES}
DEFAULT_SPACE = {"readonly": (False, True), "byteswap": (False,)}


def _layouts(facts: dict[str, Any]) -> tuple[str, ...]:
    layout = facts.get("layout")
    if layout == "negative strides":
        return ("negative",)
    if layout == "transposed":
        return ("transposed",)
    if layout == "contiguous":
        return ("C",)
    return ARRAY_LAYOUTS


@st.composite
def array_descriptor(draw, facts: dict[str, Any], narrow: dict[str, Any], dtypes=DTYPES):
    layouts = narrow.get("layouts") or _layouts(facts)
    layout = draw(st.sampled_from(layouts))
    known_ndim = facts.get("ndim")
    low = 2 if layout == "transposed" else (1 if layout in ("negative", "view") else 0)
    ndim = known_ndim if isinstance(known_ndim, int) and known_ndim >= low else draw(st.integers(low, 3))
    # Empty dimensions included; a flipped or transposed axis needs two elements to show.
    shape = tuple(draw(st.integers(0 if layout == "C" else 2, 4)) for _ in range(ndim))
    readonly = draw(st.sampled_from(narrow.get("readonly", (False, True))))
    byteswap = draw(st.sampled_from(narrow.get("byteswap", (False,))))
    return {
        "dtype": draw(st.sampled_from(dtypes)), "shape": shape, "layout": layout, "readonly": readonly,
        "byteswap": byteswap, "seed": draw(st.integers(0, 2**16)),
    }


@st.composite
def tensor_descriptor(draw, facts: dict[str, Any], devices: tuple[str, ...], dtypes: tuple[str, ...] = DTYPES):
    """Tensors with and without grad, on each device of the run: what a tensor requires or
    where it lives is what the fixes change, never a precondition of one."""
    requires_grad = draw(st.booleans())
    array_facts = {"layout": facts.get("layout"), "ndim": facts.get("ndim")}
    array = draw(array_descriptor(array_facts, {"readonly": (False,), "byteswap": (False,)},
                                  FLOAT_DTYPES if requires_grad else dtypes))
    if array["layout"] == "negative":
        array["layout"] = "C"  # torch has no negative strides
    # Complex data may come as a conjugate view, or (its imaginary part) a negative one:
    # `.numpy()` refuses both, and `.detach().cpu()` does not help.
    view = draw(st.sampled_from((None, "conj", "neg"))) if array["dtype"] == "complex64" else None
    return {"kind": "tensor", "array": array, "requires_grad": requires_grad, "device": draw(st.sampled_from(devices)),
            "view": view}


@st.composite
def receiver_descriptor(draw, facts: dict[str, Any], devices: tuple[str, ...]):
    kind = facts.get("kind")
    choices = ("tensor", "module") if kind not in ("tensor", "nn.Module") else ("tensor" if kind == "tensor" else "module",)
    if draw(st.sampled_from(choices)) == "module":
        return {"kind": "module", "seed": draw(st.integers(0, 2**16)), "device": "cpu"}
    return draw(tensor_descriptor(facts, ("cpu",)))


@st.composite
def list_descriptor(draw):
    """A flat Python list of floats, ints or bools (what ``torch.tensor`` is also given)."""
    return {"kind": "list", "elements": draw(st.sampled_from(("float", "int", "bool"))),
            "length": draw(st.integers(0, 5)), "seed": draw(st.integers(0, 2**16))}


@st.composite
def sequence_descriptor(draw, item: str, devices: tuple[str, ...]):
    """A list of arrays or tensors, as gathered before one conversion: mostly alike, and the
    cases where the rewrites differ (P1 R1f, P9): empty, 0-d items, mixed dtypes, ragged."""
    length = draw(st.sampled_from((2, 3, 1, 4, 0)))  # mostly non-empty: the empty list is one corner
    shape = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.sampled_from((1, 2, 0)))))
    dtypes = FLOAT_DTYPES if item == "tensor" else DTYPES
    dtype = draw(st.sampled_from(dtypes))
    mixed, ragged = draw(st.booleans()), draw(st.booleans())
    items = []
    for index in range(length):
        item_shape = (*shape[:-1], shape[-1] + 1) if ragged and shape and index == length - 1 else shape
        array = {"dtype": draw(st.sampled_from(dtypes)) if mixed else dtype, "shape": item_shape, "layout": "C",
                 "readonly": False, "byteswap": False, "seed": draw(st.integers(0, 2**16))}
        if item == "tensor":
            items.append({"kind": "tensor", "array": array, "requires_grad": draw(st.booleans()),
                          "device": draw(st.sampled_from(devices))})
        else:
            items.append({"kind": "array", **array})
    return {"kind": "sequence", "items": items}


def hole_strategy(role: str, facts: dict[str, Any], narrow: dict[str, Any], devices: tuple[str, ...]):
    if role == "array":
        return array_descriptor(facts, narrow).map(lambda d: {"kind": "array", **d})
    if role == "data":  # an array or a list: what the model could not tell apart
        return st.one_of(array_descriptor(facts, narrow).map(lambda d: {"kind": "array", **d}), list_descriptor())
    if role == "tensor":
        return tensor_descriptor(facts, devices, narrow.get("dtypes", DTYPES))
    if role == "receiver":
        return receiver_descriptor(facts, devices)
    if role in ("array list", "tensor list"):
        return sequence_descriptor(role.split()[0], devices)
    raise ValueError(f"unknown hole role {role!r}")


def case_strategy(holes, entry_key: str, devices: tuple[str, ...]):
    """One input set: a seed, and a descriptor per hole."""
    narrow = SPACES.get(entry_key, DEFAULT_SPACE)
    return st.fixed_dictionaries({
        "seed": st.integers(0, 2**16),
        **{name: hole_strategy(role, dict(facts), narrow, devices) for name, role, facts in holes},
    })


def draw_cases(holes, entry_key: str, devices: tuple[str, ...], count: int = 30) -> list[dict[str, Any]]:
    """``count`` input sets (hole name -> descriptor), the same on every call, after the
    corners of the space."""
    narrow = SPACES.get(entry_key, DEFAULT_SPACE)
    strategy = case_strategy(holes, entry_key, devices)
    drawn: list[dict[str, Any]] = []

    @settings(max_examples=count * 3, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(case):
        if len(drawn) < count and case not in drawn:
            drawn.append(case)

    collect()
    drawn[:0] = _corners(holes, narrow)
    while len(drawn) < max(MIN_CASES, 1):  # a probe without holes: the same case again
        drawn.append({"seed": len(drawn)})
    return drawn


def _corners(holes, narrow: dict[str, Any]) -> list[dict[str, Any]]:
    """One case per layout, read-only flag and byte order an array hole allows, so that
    every corner of its space is run whatever hypothesis draws."""
    corners: list[dict[str, Any]] = []
    for name, role, _ in holes:
        if role in ("array list", "tensor list"):
            corners += [{"seed": len(corners) + i, name: seq} for i, seq in enumerate(_sequence_corners(role.split()[0]))]
            continue
        if role != "array":
            continue
        for layout in narrow.get("layouts", ("C",)):
            for readonly in narrow.get("readonly", (False,)):
                for byteswap in narrow.get("byteswap", (False,)):
                    shape = (3, 2) if layout != "C" else (2, 3)
                    array = {"kind": "array", "dtype": "float32", "shape": shape, "layout": layout,
                             "readonly": readonly, "byteswap": byteswap, "seed": len(corners)}
                    corners.append({"seed": len(corners), name: array})
    if len({h[0] for h in holes}) != 1:
        return []  # corners fill one hole; with several, hypothesis covers them
    return corners


# The lists on which the stacking rewrites differ (P1 R1f, P9), next to a plain one.
_SEQUENCE_CORNERS = (
    (("float32", (2, 3)), ("float32", (2, 3))),
    (),
    (("int64", (2,)), ("float32", (2,))),
    (("float32", ()), ("float32", ())),
    (("float32", (2,)), ("float32", (3,))),
)


def _sequence_corners(item: str) -> list[dict[str, Any]]:
    sequences = []
    for shapes in _SEQUENCE_CORNERS:
        items = []
        for index, (dtype, shape) in enumerate(shapes):
            array = {"dtype": dtype, "shape": shape, "layout": "C", "readonly": False, "byteswap": False, "seed": index}
            if item == "tensor":
                if dtype != "float32":
                    continue  # tensors: the float cases
                items.append({"kind": "tensor", "array": array, "requires_grad": False, "device": "cpu"})
            else:
                items.append({"kind": "array", **array})
        sequences.append({"kind": "sequence", "items": items})
    return sequences


def build(descriptor: dict[str, Any], device: str):  # noqa: ANN201 - numpy or torch values
    """The value a descriptor stands for (in the child, with NumPy and torch imported)."""
    import numpy as np
    import torch

    kind = descriptor["kind"]
    if kind == "array":
        return _array(np, descriptor)
    if kind == "sequence":
        return [build(item, device) for item in descriptor["items"]]
    if kind == "list":
        rng = np.random.default_rng(descriptor["seed"])
        values = rng.standard_normal(descriptor["length"]) * 10
        converters: dict[str, Callable[[Any], object]] = {"float": float, "int": int, "bool": lambda v: bool(v > 0)}
        convert = converters[descriptor["elements"]]
        return [convert(v) for v in values]
    if kind == "module":
        torch.manual_seed(descriptor["seed"])
        return torch.nn.Linear(3, 3)
    array = _array(np, descriptor["array"])
    tensor = torch.from_numpy(array) if array.flags.writeable else torch.from_numpy(array.copy())
    target = device if descriptor["device"] != "cpu" else "cpu"
    if target != "cpu":
        tensor = tensor.to(target)
    if descriptor["requires_grad"]:
        tensor = tensor.detach().requires_grad_(True)
    if descriptor.get("view") == "conj":
        tensor = tensor.conj()
    elif descriptor.get("view") == "neg":
        tensor = tensor.conj().imag
    return tensor


def _array(np, d: dict[str, Any]):  # noqa: ANN001, ANN202
    rng = np.random.default_rng(d["seed"])
    shape = tuple(d["shape"])
    layout = d["layout"]
    base_shape = tuple(reversed(shape)) if layout == "transposed" else shape
    if layout == "view":
        base_shape = (*shape[:-1], shape[-1] * 2) if shape else shape
    values = np.asarray(rng.standard_normal(base_shape) * 10)
    dtype = np.dtype(d["dtype"])
    if dtype.kind == "b":
        array = values > 0
    elif dtype.kind in "iu":
        array = np.abs(values).astype(dtype) if dtype.kind == "u" else values.astype(dtype)
    else:
        array = values.astype(dtype)
    if layout == "F":
        array = np.asfortranarray(array)
    elif layout == "transposed":
        array = array.T
    elif layout == "negative":
        array = array[..., ::-1]
    elif layout == "view" and shape:
        array = array[..., ::2]
    if d["byteswap"]:
        array = array.astype(array.dtype.newbyteorder())
    if d["readonly"]:
        array.flags.writeable = False
    return array
