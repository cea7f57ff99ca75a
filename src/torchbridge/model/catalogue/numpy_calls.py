"""NumPy calls: what they return, and which convert tensors passed to them.

Data only. Each entry's ``example`` and ``conversion`` run in tests/model/test_catalogue.py
against the installed NumPy (``A`` an ndarray, tried C-contiguous, transposed and with
negative strides; ``T`` a tensor that requires grad, or a list of them); the facts were
measured on numpy 2.4.6 with torch 2.13.0+cpu. A layout is recorded only where it holds for
every operand layout: ``np.stack``, ``np.concatenate``, ``np.pad``, ``np.sort`` and the
``*_like`` producers keep a Fortran-ordered operand's order, so theirs is unknown.

``converts=LISTS`` marks the reductions that hand a tensor to its own method
(``np.sum(t)`` calls ``t.sum(axis=None, out=None)``, a TypeError on torch 2.13 whatever
the tensor) and convert only a list of tensors.
"""

from __future__ import annotations

from ..values import Kind, Layout
from .schema import Converts, Entry, How

NDARRAY, C = Kind.NDARRAY, Layout.CONTIGUOUS
ARRAYS, LISTS = Converts.ARRAYS, Converts.LISTS

ENTRIES = (
    # New arrays from a shape or a range: fresh, C-contiguous.
    Entry("numpy.zeros", NDARRAY, layout=C, fresh=True, ndim_from_shape=True, dtype="float64", example="np.zeros((2, 3))"),
    Entry("numpy.ones", NDARRAY, layout=C, fresh=True, ndim_from_shape=True, dtype="float64", example="np.ones((2, 3))"),
    Entry("numpy.empty", NDARRAY, layout=C, fresh=True, ndim_from_shape=True, dtype="float64", example="np.empty(4)"),
    Entry("numpy.full", NDARRAY, layout=C, fresh=True, ndim_from_shape=True, example="np.full((2, 3), 7)",
          note="the fill value's kind gives the dtype"),
    Entry("numpy.arange", NDARRAY, layout=C, fresh=True, ndim=1, example="np.arange(5)"),
    Entry("numpy.linspace", NDARRAY, layout=C, fresh=True, ndim=1, dtype="float64", example="np.linspace(0, 1, 5)",
          note="retstep=True returns a tuple: any return_*/retstep keyword leaves the result unknown"),
    Entry("numpy.logspace", NDARRAY, layout=C, fresh=True, ndim=1, dtype="float64", example="np.logspace(0, 1, 5)"),
    Entry("numpy.eye", NDARRAY, layout=C, fresh=True, ndim=2, dtype="float64", example="np.eye(3)"),
    Entry("numpy.identity", NDARRAY, layout=C, fresh=True, ndim=2, dtype="float64", example="np.identity(3)"),
    # Like a prototype: order='K' keeps a Fortran-ordered prototype's order (measured).
    Entry("numpy.zeros_like", NDARRAY, fresh=True, example="np.zeros_like(A)"),
    Entry("numpy.ones_like", NDARRAY, fresh=True, example="np.ones_like(A)"),
    Entry("numpy.empty_like", NDARRAY, fresh=True, example="np.empty_like(A)"),
    Entry("numpy.full_like", NDARRAY, fresh=True, example="np.full_like(A, 2)"),
    # From bytes, text and files.
    Entry("numpy.frombuffer", NDARRAY, layout=C, ndim=1, dtype="float64", example="np.frombuffer(bytes(16))",
          note="shares the buffer's memory: not fresh"),
    Entry("numpy.fromstring", NDARRAY, layout=C, fresh=True, ndim=1, dtype="float64",
          example="np.fromstring('1 2 3', sep=' ')"),
    Entry("numpy.fromfile", NDARRAY, layout=C, fresh=True, ndim=1, dtype="float64",
          doc="https://numpy.org/doc/stable/reference/generated/numpy.fromfile.html"),
    Entry("numpy.loadtxt", NDARRAY, layout=C, fresh=True, dtype="float64", example="np.loadtxt(io.StringIO('1 2\\n3 4'))"),
    Entry("numpy.genfromtxt", NDARRAY, layout=C, fresh=True, dtype="float64",
          example="np.genfromtxt(io.StringIO('1 2\\n3 4'))"),
    Entry("numpy.load", NDARRAY, how=How.LOAD, fresh=True, example="np.load(NPY)",
          doc="https://numpy.org/doc/stable/reference/generated/numpy.load.html",
          note="an .npy file gives an ndarray, an .npz archive an NpzFile, and with allow_pickle off (the "
               "default) an object array raises: a path not known to be an archive gives an ndarray wherever "
               "the result is used as an array (an NpzFile used so raises: torch.tensor(NpzFile) is "
               "ValueError 'could not determine the shape', measured); mmap_mode= maps the file: not fresh"),
    # Conversions and copies: they convert a tensor, or a list of tensors.
    Entry("numpy.asarray", NDARRAY, how=How.AS_ARRAY, converts=ARRAYS, reads=(0, "a"), example="np.asarray(A)",
          conversion="np.asarray(T)", note="an ndarray operand comes back as it is"),
    Entry("numpy.asanyarray", NDARRAY, how=How.AS_ARRAY, converts=ARRAYS, reads=(0, "a"), example="np.asanyarray(A)",
          conversion="np.asanyarray(T)"),
    Entry("numpy.array", NDARRAY, how=How.COPY, fresh=True, converts=ARRAYS, reads=(0, "object"), example="np.array(A)",
          conversion="np.array(T)"),
    Entry("numpy.copy", NDARRAY, how=How.COPY, fresh=True, converts=ARRAYS, reads=(0, "a"), example="np.copy(A)",
          conversion="np.copy(T)"),
    Entry("numpy.ascontiguousarray", NDARRAY, how=How.AS_CONTIGUOUS, layout=C, converts=ARRAYS, reads=(0, "a"),
          example="np.ascontiguousarray(A)", conversion="np.ascontiguousarray(T)",
          note="the operand itself when its flags say C-contiguous: not fresh; the flags ignore a length-1 "
               "axis, so a flip of length-1 axes only keeps its negative stride (numpy#23349, measured)"),
    # Joining: a list of tensors is converted one by one.
    Entry("numpy.stack", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "arrays"), example="np.stack([A, A])",
          conversion="np.stack(T)"),
    Entry("numpy.concatenate", NDARRAY, fresh=True, converts=LISTS, reads=(0,), example="np.concatenate([A, A])",
          conversion="np.concatenate(T)"),
    Entry("numpy.vstack", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "tup"), example="np.vstack([A, A])",
          conversion="np.vstack(T)"),
    Entry("numpy.hstack", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "tup"), example="np.hstack([A, A])",
          conversion="np.hstack(T)"),
    Entry("numpy.dstack", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "tup"), example="np.dstack([A, A])",
          conversion="np.dstack(T)"),
    Entry("numpy.column_stack", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "tup"),
          example="np.column_stack([A, A])", conversion="np.column_stack(T)"),
    # Rearranging.
    Entry("numpy.tile", NDARRAY, layout=C, fresh=True, converts=ARRAYS, reads=(0, "A"), example="np.tile(A, 2)",
          conversion="np.tile(T, 2)"),
    Entry("numpy.repeat", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "a"), example="np.repeat(A, 2, axis=0)",
          conversion="np.repeat(T, 2)"),
    Entry("numpy.pad", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "array"), example="np.pad(A, 1)",
          conversion="np.pad(T, 1)"),
    Entry("numpy.tril", NDARRAY, layout=C, fresh=True, converts=ARRAYS, reads=(0, "m"), example="np.tril(A)",
          conversion="np.tril(T)"),
    Entry("numpy.triu", NDARRAY, layout=C, fresh=True, converts=ARRAYS, reads=(0, "m"), example="np.triu(A)",
          conversion="np.triu(T)"),
    Entry("numpy.diag", NDARRAY, converts=ARRAYS, reads=(0, "v"), example="np.diag(A)", conversion="np.diag(T)",
          note="of a 2-d array, a view of its diagonal (negative strides for a flipped one): not fresh"),
    Entry("numpy.outer", NDARRAY, layout=C, fresh=True, ndim=2, converts=ARRAYS, reads=(0, 1, "a", "b"),
          example="np.outer(A, A)", conversion="np.outer(T, T)"),
    Entry("numpy.sort", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "a"), example="np.sort(A)",
          conversion="np.sort(T)"),
    Entry("numpy.argsort", NDARRAY, layout=C, fresh=True, converts=ARRAYS, reads=(0, "a"), example="np.argsort(A, axis=0)",
          conversion="np.argsort(T)"),
    Entry("numpy.unique", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "ar"), example="np.unique(A)",
          conversion="np.unique(T)", note="return_counts= and the other return_* keywords make a tuple"),
    Entry("numpy.cumsum", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "a"), example="np.cumsum(A, axis=0)",
          conversion="np.cumsum(T)"),
    Entry("numpy.cumprod", NDARRAY, fresh=True, converts=ARRAYS, reads=(0, "a"), example="np.cumprod(A, axis=0)",
          conversion="np.cumprod(T)"),
    Entry("numpy.flip", NDARRAY, how=How.FLIP, converts=LISTS, reads=(0, "m"), example="np.flip(A, 0)",
          conversion="np.flip(T)", note="np.flip(t) slices the tensor with a negative step: ValueError"),
    Entry("numpy.flipud", NDARRAY, how=How.FLIP, converts=ARRAYS, reads=(0, "m"), example="np.flipud(A)",
          conversion="np.flipud(T)"),
    Entry("numpy.fliplr", NDARRAY, how=How.FLIP, converts=ARRAYS, reads=(0, "m"), example="np.fliplr(A)",
          conversion="np.fliplr(T)"),
    Entry("numpy.rot90", NDARRAY, how=How.ROT90, example="np.rot90(A)"),
    Entry("numpy.transpose", NDARRAY, how=How.TRANSPOSE, converts=ARRAYS, reads=(0, "a"), example="np.transpose(A)",
          conversion="np.transpose(T)"),
    Entry("numpy.swapaxes", NDARRAY, how=How.MOVE_AXIS, example="np.swapaxes(A, 0, 1)"),
    Entry("numpy.moveaxis", NDARRAY, how=How.MOVE_AXIS, example="np.moveaxis(A, 0, 1)"),
    # Random arrays: an ndarray once a size is given, a float without one.
    Entry("numpy.random.rand", NDARRAY, how=How.SIZED, fresh=True, dtype="float64", example="np.random.rand(2, 3)"),
    Entry("numpy.random.randn", NDARRAY, how=How.SIZED, fresh=True, dtype="float64", example="np.random.randn(4)"),
    Entry("numpy.random.random", NDARRAY, how=How.SIZED, size_at=0, fresh=True, dtype="float64",
          example="np.random.random((2, 3))"),
    Entry("numpy.random.random_sample", NDARRAY, how=How.SIZED, size_at=0, fresh=True, dtype="float64",
          example="np.random.random_sample(3)"),
    Entry("numpy.random.sample", NDARRAY, how=How.SIZED, size_at=0, fresh=True, dtype="float64",
          example="np.random.sample(size=(2, 2))"),
    Entry("numpy.random.randint", NDARRAY, how=How.SIZED, size_at=2, fresh=True, example="np.random.randint(0, 5, (2, 3))"),
    Entry("numpy.random.normal", NDARRAY, how=How.SIZED, size_at=2, fresh=True, dtype="float64",
          example="np.random.normal(0, 1, 3)"),
    Entry("numpy.random.uniform", NDARRAY, how=How.SIZED, size_at=2, fresh=True, dtype="float64",
          example="np.random.uniform(0, 1, size=(2, 3))"),
    Entry("numpy.random.choice", NDARRAY, how=How.SIZED, size_at=1, fresh=True, example="np.random.choice(5, 3)"),
    Entry("numpy.random.permutation", NDARRAY, fresh=True, example="np.random.permutation(A)",
          note="of an array, a shuffled copy of its rows (its rank, order 'K'); of an int n, a 1-d arange"),
    # Calls whose result depends on their arguments (a scalar or an array) but that convert
    # tensors: what matters for the implicit-conversion rule.
    *(Entry(f"numpy.{name}", converts=LISTS, reads=(0, "a"), conversion=f"np.{name}(T)")
      for name in ("sum", "mean", "std", "var", "max", "min", "amax", "amin", "prod", "all", "any")),
    *(Entry(f"numpy.{name}", converts=ARRAYS, reads=(0, "a", "x"), conversion=f"np.{name}(T)")
      for name in ("median", "average", "nanmean", "nansum", "nanmax", "nanmin", "nanstd", "nanmedian", "ptp",
                   "argmax", "argmin", "isnan", "isfinite", "count_nonzero", "ravel",
                   "atleast_2d", "corrcoef", "cov", "float32", "float64", "float16", "uint8", "int32", "int64")),
    # Element-wise: like the operators (``a / 255``), a new array in the operand's memory order
    # (order 'K', negative strides made positive); a 0-d operand gives a NumPy scalar.
    *(Entry(f"numpy.{name}", NDARRAY, how=How.ELEMENTWISE, converts=ARRAYS, reads=(0, "a", "x"),
            example=f"np.{name}(A)", conversion=f"np.{name}(T)")
      for name in ("around", "round", "abs", "absolute", "exp", "log1p", "sqrt", "square", "floor", "ceil", "sign",
                   "tanh")),
    Entry("numpy.log", NDARRAY, how=How.ELEMENTWISE, converts=ARRAYS, reads=(0, "a", "x"), example="np.log(A + 1)",
          conversion="np.log(T)"),
    *(Entry(f"numpy.{name}", NDARRAY, how=How.ELEMENTWISE, converts=ARRAYS, reads=(0, 1, "x1", "x2"),
            example=f"np.{name}(A, 2)", conversion=f"np.{name}(T, 2)")
      for name in ("maximum", "minimum", "multiply", "divide", "add", "subtract", "power")),
    Entry("numpy.histogram", Kind.TUPLE, items=(Kind.NDARRAY, Kind.NDARRAY), converts=ARRAYS, reads=(0, "a"),
          example="np.histogram(A)", conversion="np.histogram(T)", note="the counts and the bin edges"),
    Entry("numpy.dot", converts=ARRAYS, reads=(0, 1, "a", "b"), conversion="np.dot(T, 2)"),
    Entry("numpy.append", converts=ARRAYS, reads=(0, 1, "arr", "values"), conversion="np.append(T, 2)"),
    Entry("numpy.expand_dims", converts=ARRAYS, reads=(0, "a"), conversion="np.expand_dims(T, 0)"),
    Entry("numpy.matmul", converts=ARRAYS, reads=(0, 1, "x1", "x2"), conversion="np.matmul(T, T)"),
    Entry("numpy.clip", NDARRAY, how=How.ELEMENTWISE, converts=ARRAYS, reads=(0, "a"), example="np.clip(A, 0, 1)",
          conversion="np.clip(T, 0, 1)"),
    Entry("numpy.where", converts=ARRAYS, reads=(0, 1, 2, "condition", "x", "y"), conversion="np.where(T, T, T)"),
    Entry("numpy.percentile", converts=ARRAYS, reads=(0, "a"), conversion="np.percentile(T, 50)"),
    Entry("numpy.quantile", converts=ARRAYS, reads=(0, "a"), conversion="np.quantile(T, 0.5)"),
    Entry("numpy.diff", converts=ARRAYS, reads=(0, "a"), conversion="np.diff(T)"),
    Entry("numpy.reshape", converts=ARRAYS, reads=(0, "a"), conversion="np.reshape(T, -1)"),
    Entry("numpy.allclose", converts=ARRAYS, reads=(0, 1, "a", "b"), conversion="np.allclose(T, T)"),
    Entry("numpy.isclose", converts=ARRAYS, reads=(0, 1, "a", "b"), conversion="np.isclose(T, T)"),
    Entry("numpy.linalg.norm", converts=ARRAYS, reads=(0, "x"), conversion="np.linalg.norm(T)"),
    Entry("numpy.save", converts=ARRAYS, reads=(1, "arr"), conversion="np.save(io.BytesIO(), T)"),
    Entry("numpy.savetxt", converts=ARRAYS, reads=(1, "X"), conversion="np.savetxt(io.StringIO(), T)"),
)
