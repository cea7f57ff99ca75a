"""What a ``for`` loop over an ndarray binds its target to (``Evaluator.element_of``): rows
that are arrays only where the array has two or more dimensions. Each case runs the same
loop with the installed NumPy and checks the stated kind against what iterating gave."""

from __future__ import annotations

import numpy as np
import pytest
from value_probe import value_at_probe

from torchbridge.model.values import Kind

_ARRAYS = {
    "np.zeros((4, 3), dtype=np.float32)": Kind.NDARRAY,  # rows of a 2-d array are 1-d arrays
    "np.zeros((4, 3, 2))": Kind.NDARRAY,
    "np.zeros(4, dtype=np.float32)": Kind.NUMPY_SCALAR,  # a 1-d array of numbers: NumPy scalars
    "np.arange(5, dtype=np.int64)": Kind.NUMPY_SCALAR,
    "np.array([None, 'a'], dtype=object)": Kind.UNKNOWN,  # of objects: anything
    "np.load(path)": Kind.UNKNOWN,  # neither rank nor dtype shown: anything
    "np.load(path).astype(np.float32)": Kind.ARRAY_OR_SCALAR,  # numbers of unknown rank: either
}


@pytest.mark.parametrize(("source", "kind"), list(_ARRAYS.items()))
def test_loop_target_over_an_array(source: str, kind: Kind) -> None:
    value = value_at_probe(f"for x in {source}:\n    probe(x)", "import numpy as np")
    assert value.kind is kind
    if "path" in source:
        return  # nothing to run: the file is unknown, hence the answer
    rows = list(eval(source, {"np": np}))  # noqa: S307 - the fixed sources above
    if kind is Kind.NDARRAY:
        assert all(type(row) is np.ndarray for row in rows)
        assert value.ndim == rows[0].ndim
    elif kind is Kind.NUMPY_SCALAR:
        assert all(isinstance(row, np.generic) for row in rows)
    else:
        assert not all(isinstance(row, (np.ndarray, np.generic)) for row in rows)
