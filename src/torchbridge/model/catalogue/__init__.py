"""The library catalogue: what known NumPy, torch, OpenCV, imageio, scikit-image,
scikit-learn, matplotlib and pandas calls return and consume, kept as data.

One ``Entry`` per call (``schema.py``), in three data modules: ``numpy_calls``,
``torch_calls`` and ``libraries`` (the libraries not installed where the tests run, each
entry citing its documentation). The evaluator reads an entry's facts (the kind, layout,
rank and dtype of the result; for ``How`` other than PLAIN, the small rule that derives the
result from the arguments), and the implicit-conversion rule TNP205 reads ``converts`` and
``reads``.

Why Python records rather than a TOML or JSON file: the entries are plain frozen records
and the data modules contain nothing else (a test checks that they define no functions or
classes), but they need no parser at start-up: running their compiled code took 2.4 ms
where ``tomllib`` (pure Python) took 52 ms only to parse the same table as TOML, 22x
(benchmarks/catalogue_load.py, side by side on the loaded 2-core development machine), a
cost every ``check``, flake8 process and pre-commit run would pay. mypy also checks every field and enum value, and the package
needs no data files.

To add a call: add an ``Entry`` to the data module of its library, with an ``example`` (and
a ``conversion`` for a converter) where the library is NumPy or torch, or a ``doc`` URL
otherwise; tests/model/test_catalogue.py runs the examples against the real library.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..values import Kind
from . import libraries, numpy_calls, torch_calls
from .schema import ALL_POSITIONAL, Converts, Entry, How

__all__ = ["ALL_POSITIONAL", "FRESH_ARRAYS", "Converts", "Entry", "How", "entries", "is_always_ndarray", "lookup"]


def _collect() -> Mapping[str, Entry]:
    found: dict[str, Entry] = {}
    for module in (numpy_calls, torch_calls, libraries):
        for entry in module.ENTRIES:
            if entry.name in found:
                raise RuntimeError(f"the catalogue lists {entry.name} twice")
            found[entry.name] = entry
    return found


_BY_NAME = _collect()


def lookup(name: str) -> Entry | None:
    """The entry of the call with qualified name ``name`` ("numpy.zeros"), if known."""
    return _BY_NAME.get(name)


def entries() -> tuple[Entry, ...]:
    """Every entry, NumPy's first, then torch's, then the other libraries'."""
    return tuple(_BY_NAME.values())


# Calls that return new, writable memory that nothing else refers to (the fix contract's
# "fresh array"); np.load only without mmap_mode=, which the aliasing proof checks.
FRESH_ARRAYS = frozenset(e.name for e in _BY_NAME.values() if e.fresh and e.returns is Kind.NDARRAY)

# Calls whose result is an ndarray whatever their arguments.
_ALWAYS_NDARRAY = frozenset(
    e.name for e in _BY_NAME.values()
    if e.returns is Kind.NDARRAY and e.how in (How.PLAIN, How.AS_ARRAY, How.COPY, How.AS_CONTIGUOUS)
)


def is_always_ndarray(name: str) -> bool:
    return name in _ALWAYS_NDARRAY
