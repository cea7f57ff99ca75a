"""What a ``for`` loop over an ndarray binds its target to (``Evaluator.element_of``): rows
that are arrays only where the array has two or more dimensions. Each case runs the same
loop with the installed NumPy and checks the stated kind against what iterating gave."""

from __future__ import annotations

import numpy as np
import pytest
from value_probe import value_at_probe

from torchbridge.model.values import Kind

_ARRAYS = {
    "np.zeros((4, 3))": Kind.NDARRAY,  # rows of a 2-d array are 1-d arrays
    "np.zeros((4, 3, 2))": Kind.NDARRAY,
    "np.zeros(4)": Kind.NUMPY_SCALAR,  # a 1-d array's elements are NumPy scalars
    "np.arange(5)": Kind.NUMPY_SCALAR,
    "np.load(path)": Kind.ARRAY_OR_SCALAR,  # rank not shown: either
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
    else:
        assert all(isinstance(row, np.generic) for row in rows)
