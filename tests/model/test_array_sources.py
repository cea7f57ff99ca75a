"""What the value model says of arrays read out of pandas and h5py objects
(model/array_sources.py). Each expectation was measured with pandas 3.1.1, h5py 3.16 and
numpy 2.4.6 in a separate environment (docs/array-sources.md)."""

from __future__ import annotations

import pytest
from value_probe import value_at_probe

from torchbridge import check_source
from torchbridge.model.values import Kind, Layout

PRELUDE = "import h5py\nimport numpy as np\nimport pandas as pd\nimport torch"


def value(body: str):
    return value_at_probe(body, PRELUDE)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("probe(pd.read_csv(p))", Kind.DATAFRAME),
        ("probe(pd.read_parquet(p))", Kind.DATAFRAME),
        ("probe(pd.read_csv(p, chunksize=100))", Kind.UNKNOWN),  # a reader of chunks
        ("probe(pd.read_csv(p, iterator=True))", Kind.UNKNOWN),
        ("probe(pd.DataFrame(rows))", Kind.DATAFRAME),
        ("probe(pd.get_dummies(df))", Kind.DATAFRAME),
        ("probe(pd.Series(xs))", Kind.PANDAS),
        ("df = pd.read_csv(p)\nprobe(df['a'])", Kind.PANDAS),  # a Series, or a frame under a repeated label
        ("df = pd.read_csv(p)\nprobe(df[['a', 'b']])", Kind.DATAFRAME),
        ("df = pd.read_csv(p)\nprobe(df[mask])", Kind.UNKNOWN),
        ("df = pd.read_csv(p)\nprobe(df.dropna())", Kind.DATAFRAME),
        ("df = pd.read_csv(p)\nprobe(df.dropna(inplace=True))", Kind.UNKNOWN),  # None
        ("s = pd.Series(xs)\nprobe(s['a'])", Kind.UNKNOWN),  # a Series' label gives one element
        ("def f(data: pd.DataFrame):\n    probe(data)", Kind.DATAFRAME),
        ("probe(h5py.File(p))", Kind.HDF5),
        ("f = h5py.File(p)\nprobe(f['x'])", Kind.HDF5),
        ("with h5py.File(p, 'r') as f:\n    probe(f)", Kind.HDF5),
        ("with open(p) as f:\n    probe(f)", Kind.UNKNOWN),
    ],
)
def test_library_objects(body, kind):
    assert value(body).kind is kind


@pytest.mark.parametrize(
    ("body", "kind", "borrowed"),
    [
        # A view of the frame's memory (read-only under pandas 3's copy-on-write).
        ("df = pd.read_csv(p)\nprobe(df.values)", Kind.NDARRAY, True),
        ("df = pd.read_csv(p)\nprobe(df.to_numpy())", Kind.NDARRAY, True),
        ("df = pd.read_csv(p)\nprobe(df.to_numpy(copy=True))", Kind.NDARRAY, False),
        ("df = pd.read_csv(p)\nprobe(df['a'].to_numpy())", Kind.NDARRAY, True),
        ("df = pd.read_csv(p)\nprobe(df[['a', 'b']].values)", Kind.NDARRAY, True),
        # A Series' .values may be a Categorical or an IntegerArray.
        ("df = pd.read_csv(p)\nprobe(df['a'].values)", Kind.UNKNOWN, False),
        ("probe(pd.Series(xs).values)", Kind.UNKNOWN, False),
        ("df = pd.read_csv(p)\nprobe(df.columns)", Kind.UNKNOWN, False),
    ],
)
def test_arrays_out_of_pandas(body, kind, borrowed):
    found = value(body)
    assert (found.kind, found.borrowed) == (kind, borrowed)
    if kind is Kind.NDARRAY:
        assert found.layout is Layout.UNKNOWN  # Fortran-ordered for one block, a new array for mixed frames


@pytest.mark.parametrize(
    ("index", "ndarray"),
    [
        ("[:]", True),
        ("[0:4]", True),
        ("[::2]", True),
        ("[...]", True),
        ("[0, :, 1]", True),
        ("[i, ..., 2]", True),  # whatever `i` is: an integer, a list, a mask
        ("[i, j]", False),  # two integers give a NumPy scalar
        ("[0]", False),  # a NumPy scalar for a 1-d dataset
        ("[()]", False),  # a NumPy scalar for a scalar dataset
        ("[[1, 2]]", False),  # fancy indexing: not followed
        ("['y'][:]", True),  # a dataset of a group
    ],
)
def test_reading_an_h5py_dataset(index, ndarray):
    found = value(f"f = h5py.File(p)\nprobe(f['x']{index})")
    if ndarray:
        assert (found.kind, found.layout, found.readonly, found.borrowed) == (Kind.NDARRAY, Layout.CONTIGUOUS, False, False)
    else:
        assert found.kind is not Kind.NDARRAY


def test_a_join_borrows_when_one_path_borrows():
    found = value("df = pd.read_csv(p)\na = df.values if c else np.zeros((2, 3))\nprobe(a)")
    assert (found.kind, found.borrowed) == (Kind.NDARRAY, True)


def codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_source(f"{PRELUDE}\n{source}")]


def test_rules_see_arrays_read_out_of_library_objects():
    found = codes(
        "df = pd.read_csv(p)\n"
        "a = torch.FloatTensor(df.to_numpy())\n"  # 6: a legacy constructor of an ndarray
        "b = torch.tensor(df.values)\n"  # 7: the copy keeps the frame's memory out of the tensor
        "with h5py.File(p, 'r') as f:\n"
        "    c = torch.tensor(f['x'][:])\n"  # 9: a fresh array copied again
        "    d = torch.tensor(f['x'][0])\n"  # 10: maybe a NumPy scalar
    )
    assert found == [(6, "TNP105"), (9, "TNP101")]


@pytest.mark.parametrize(
    ("index", "kind"),
    [
        ("[0]", Kind.ARRAY_OR_SCALAR),  # a row of a dataset of two or more dimensions, else a scalar
        ("[-1]", Kind.ARRAY_OR_SCALAR),
        ("[i // n]", Kind.ARRAY_OR_SCALAR),  # `//` raises on a name: a number wherever it runs
        ("[0, 1]", Kind.ARRAY_OR_SCALAR),
        ("[i]", Kind.UNKNOWN),  # may be a name: a group's member
        ("[i, j]", Kind.UNKNOWN),
        ("[i + n]", Kind.UNKNOWN),  # `+` joins names too
        ("[()]", Kind.UNKNOWN),
    ],
)
def test_reading_an_h5py_object_at_numbers(index, kind):
    assert value(f"f = h5py.File(p)\nprobe(f['x']{index})").kind is kind


def test_arithmetic_keeps_an_array_or_a_scalar():
    assert value("f = h5py.File(p)\nprobe(f['x'][0] / 255.0)").kind is Kind.ARRAY_OR_SCALAR
    assert value("f = h5py.File(p)\nprobe(-1 + f['x'][0] * 2)").kind is Kind.ARRAY_OR_SCALAR
    assert value("f = h5py.File(p)\nprobe(f['x'][0] - mean)").kind is Kind.UNKNOWN  # mean may be a tensor


def test_h5py_reads_at_numbers_give_an_array_or_a_scalar(tmp_path):
    """The facts above, on the installed h5py, NumPy and torch: every read at a number of a
    dataset is an ndarray or a NumPy scalar (arithmetic keeps which), a group raises, and a
    legacy constructor raises on the scalar, so it runs only on the array."""
    h5py = pytest.importorskip("h5py")
    import numpy as np
    import torch

    with h5py.File(tmp_path / "data.h5", "w") as store:
        store["images"] = np.zeros((4, 3, 2), np.uint8)
        store["counts"] = np.zeros(4, np.float32)
        store.create_group("group")
        for index in (0, -1, np.int64(1), 5 // 2, np.array([0, 1]), torch.tensor(1)):
            for name in ("images", "counts"):
                read = store[name][index]
                assert isinstance(read, (np.ndarray, np.generic))
                scaled = read / 255.0
                assert isinstance(scaled, np.ndarray) is isinstance(read, np.ndarray)
                assert isinstance(scaled, (np.ndarray, np.generic))
                if isinstance(scaled, np.ndarray):
                    assert torch.FloatTensor(scaled).shape == scaled.shape
                else:
                    with pytest.raises(TypeError):
                        torch.FloatTensor(scaled)
            with pytest.raises(TypeError):
                store["group"][index]
        assert isinstance(store["counts"][0], np.generic)  # the scalar case happens
