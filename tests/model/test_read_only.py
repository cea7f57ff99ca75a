"""The read-only fact of the value model (model/read_only.py): which arrays NumPy makes
non-writeable. Each expectation was checked with numpy 2.4.6 (``flags.writeable``), in
docs/read-only-arrays.md."""

from __future__ import annotations

import pytest
from value_probe import value_at_probe as probe_value

from torchbridge.model.values import Kind, Value


def value_at_probe(body: str) -> Value:
    return probe_value(body, "import base64\nimport numpy as np\nfrom PIL import Image")


@pytest.mark.parametrize(
    ("body", "readonly"),
    [
        ('probe(np.frombuffer(b"abcdefgh", dtype=np.float32))', True),
        ("probe(np.frombuffer(bytearray(8), dtype=np.float32))", None),  # writeable: not proven either way
        ("raw = base64.b64decode(s)\nprobe(np.frombuffer(raw, dtype=np.int32))", True),
        ("data = f.read()\nprobe(np.frombuffer(data[4:], dtype=np.uint8))", True),
        ("data = f.read()\ndata = data + more\nprobe(np.frombuffer(data))", None),  # reads itself: not followed
        ("probe(np.broadcast_to(np.arange(3), (2, 3)))", True),
        ('probe(np.load(path, mmap_mode="r"))', True),
        ('probe(np.load(path, mmap_mode="c"))', None),
        ('probe(np.memmap(path, mode="r"))', True),
        ("probe(np.memmap(path))", None),  # the default mode is r+
        ("probe(np.asarray(Image.open(path).convert('RGB')))", True),
        ("probe(np.array(Image.open(path)))", None),  # np.array copies
        # An image the model follows through reassignments and with (a PIL image returns itself).
        ("img = Image.fromarray(m)\nimg = img.rotate(3)\nprobe(np.asarray(img))", True),
        ("img = Image.open(path)\nimg = img.convert('L').resize((8, 8))\nprobe(np.asarray(img)[1:, 2:])", True),
        ("with Image.open(path) as img:\n    probe(np.asarray(img))", True),
        ("img = Image.open(path)\nimg = np.array(img)\nprobe(np.asarray(img))", None),
        ("img = Image.open(path)\nif c:\n    img = np.zeros((2, 2))\nprobe(np.asarray(img))", None),
        ("img = Image.open(path)\nimg.save(out)\nprobe(np.asarray(img.getdata()))", None),  # not an image
        ('a = np.frombuffer(b"abcdefgh")\nprobe(a.reshape(2, 4))', True),  # a view of a contiguous array
        ('a = np.frombuffer(b"abcdefgh")\nprobe(a[2:])', True),
        ('a = np.frombuffer(b"abcdefgh")\nprobe(a.copy())', None),
        # astype copies (writeable) unless copy=False finds the dtype already right (the same
        # read-only array): neither is read-only on every path.
        ('a = np.frombuffer(b"abcdefgh")\nprobe(a.astype(np.float32))', None),
        ('a = np.frombuffer(b"abcdefgh")\nprobe(a.astype(t, copy=False))', None),
        ('a = np.frombuffer(b"abcdefgh", dtype=np.uint8)\nprobe(a.astype(np.uint8, copy=False))', True),
        ('a = np.frombuffer(b"abcdefgh", dtype=np.uint8)\nprobe(a.astype(np.float32, copy=False))', None),
        ("a = np.broadcast_to(x, (2, 3))\nprobe(a.reshape(6))", None),  # not contiguous: reshape may copy
        ("a = np.zeros(3)\na.setflags(write=False)\nprobe(a)", True),
        ("a = np.zeros(3)\na.setflags(write=False)\na.setflags(write=True)\nprobe(a)", False),
        ('a = np.zeros(3)\na.flags["WRITEABLE"] = False\nprobe(a)', True),
        ("a = np.zeros(3)\na.flags.writeable = False\nprobe(a)", True),
        ("a = np.zeros(3)\nif c:\n    a.setflags(write=False)\nprobe(a)", None),  # on one path only
    ],
)
def test_read_only(body: str, readonly: bool | None):
    value = value_at_probe(body)
    assert value.readonly is readonly
    if readonly:
        assert value.kind is Kind.NDARRAY


def test_join_keeps_agreement_only():
    ro = Value(Kind.NDARRAY, readonly=True)
    assert ro.join(ro.but(ndim=2)).readonly is True
    assert ro.join(Value(Kind.NDARRAY, readonly=False)).readonly is None


def test_astype_without_copy_keeps_the_array_only_for_its_own_dtype():
    """The two astype cases above, on the installed NumPy."""
    import numpy as np

    array = np.frombuffer(b"abcdefgh", dtype=np.uint8)
    same = array.astype(np.uint8, copy=False)
    assert same is array and not same.flags.writeable
    assert array.astype(np.float32, copy=False).flags.writeable
    flipped = np.zeros((2, 3), dtype=np.float32)[::-1]
    assert flipped.astype(np.float32, copy=False).strides[0] < 0  # the same flipped array
