"""The shape of a catalogue entry: what one known library call returns and consumes.

An entry is a frozen record of plain values. Most calls are described by their fixed facts
alone (``How.PLAIN``: ``cv2.imread`` returns an ndarray); a few compute their result from
their arguments (a flip makes negative strides, ``np.random.rand()`` without sizes is a
float), and name the evaluator's small rule for that in ``how``. The data modules beside
this one hold the entries; ``catalogue/__init__.py`` collects them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..values import Kind, Layout


class How(enum.Enum):
    """How the evaluator turns a call's arguments into its result."""

    PLAIN = "plain"  # the entry's own facts (returns, layout, ndim, dtype), whatever the arguments
    SIZED = "sized"  # an array once a size is given, else a scalar (np.random.rand(), rand(3))
    LOAD = "load"  # np.load: an ndarray unless the path is an .npz archive or pickles are allowed
    AS_ARRAY = "as-array"  # np.asarray: an ndarray operand as it is, anything else a new ndarray
    COPY = "copy"  # np.array, np.copy: a copy in 'K' order (positive strides, memory order kept)
    AS_CONTIGUOUS = "as-contiguous"  # np.ascontiguousarray: C-contiguous, but a flipped length-1 axis stays flipped
    ELEMENTWISE = "elementwise"  # np.divide(a, 255), np.clip(a, 0, 1): what the operators give (ndarray_ops)
    FLIP = "flip"  # negative strides on an axis
    ROT90 = "rot90"  # a flip unless k is a multiple of 4
    TRANSPOSE = "transpose"  # permutes every axis
    MOVE_AXIS = "move-axis"  # moves one axis (swapaxes, moveaxis)
    FACTORY = "factory"  # a new tensor: device=, requires_grad=, dtype=
    FROM_ARRAY = "from-array"  # a tensor sharing (or copying) an ndarray: its layout and rank
    OPERATION = "operation"  # a tensor that requires grad when an input does, on the inputs' device
    TENSORS = "tensors"  # a tuple of tensors on the inputs' device (torch.linalg.eigh, torch.sort)
    DEVICE = "device"  # a device (a written-out one, or a getter's)
    PARAMETER = "parameter"  # nn.Parameter(t, requires_grad=True)
    MODULE = "module"  # an nn.Module with parameters (``switches`` can turn them off)
    STATELESS_MODULE = "stateless-module"  # an nn.Module without parameters: its result follows its input
    SEQUENTIAL = "sequential"  # nn.Sequential of known modules


class Converts(enum.Enum):
    """Whether the call turns tensor arguments into ndarrays itself (``Tensor.__array__``,
    which raises for a tensor that requires grad or is not on the CPU)."""

    NO = "no"
    ARRAYS = "arrays"  # a tensor, or a list of tensors, where it reads an array
    LISTS = "lists"  # a list of tensors; a tensor itself goes to its own method (np.sum(t) -> t.sum(axis=...))


ALL_POSITIONAL = "*"  # in ``reads``: every positional argument (plt.plot(x, y, fmt))


@dataclass(frozen=True, slots=True)
class Entry:
    name: str  # the qualified name: "numpy.zeros", "cv2.imread", "matplotlib.pyplot.plot"
    returns: Kind = Kind.UNKNOWN  # the result's kind (for the rules in ``how``, the usual one)
    how: How = How.PLAIN
    layout: Layout = Layout.UNKNOWN  # of an ndarray result: CONTIGUOUS when always C-contiguous
    fresh: bool = False  # the result is new, writable memory that nothing else refers to
    ndim: int | None = None  # a rank that holds whatever the arguments
    ndim_from_shape: bool = False  # the rank is the length of the shape argument (np.zeros((2, 3)))
    dtype: str | None = None  # the result's dtype when no dtype= is given (None: it depends)
    size_at: int | None = None  # SIZED: the positional index of the size (None: one argument per axis)
    unless: tuple[str, ...] = ()  # keywords that make the result something else (read_csv(chunksize=): a reader)
    switches: tuple[tuple[str, bool], ...] = ()  # MODULE: keyword=value that leaves it without parameters
    converts: Converts = Converts.NO
    reads: tuple[int | str, ...] = ()  # the arguments it converts: positions, keywords, ALL_POSITIONAL
    # For the tests that run the library: an expression with representative arguments
    # (``np``, ``torch`` imported), and for converters, one with ``T`` where a tensor goes.
    example: str = ""
    conversion: str = ""
    doc: str = ""  # the documentation the entry comes from; required where the library is not tested here
    note: str = ""  # why, where the entry's facts are not obvious
    items: tuple[Kind, ...] = ()  # a TUPLE result: the kind at each position (np.histogram: two ndarrays)
