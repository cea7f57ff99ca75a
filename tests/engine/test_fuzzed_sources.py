"""Fuzzing: real-looking files, truncated, flipped, re-indented, padded with deep nesting or
long chains, or given other line ends, never make the engine raise, and give either
findings or exactly one diagnostic of a file that could not be checked (never an internal
error)."""

from __future__ import annotations

import pytest

pytest.importorskip("hypothesis", reason="the fuzzing needs hypothesis (in the test extra)")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from torchbridge.diagnostics.finding import DECODE_ERROR, SYNTAX_ERROR, TOO_COMPLEX  # noqa: E402
from torchbridge.engine.lint import lint_bytes  # noqa: E402
from torchbridge.finding import Finding  # noqa: E402
from torchbridge.rules import all_rules  # noqa: E402

ALL_RULES = all_rules()

CORPUS = [
    '''\
import torch
import torch.nn as nn


class Net(nn.Module):
    """A small model."""

    def __init__(self, hidden=128):
        super().__init__()
        self.fc = nn.Linear(784, hidden)
        self.out = nn.Linear(hidden, 10)

    def forward(self, x):
        return self.out(torch.relu(self.fc(x)))


def train(loader, epochs=3):
    model = Net().cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        for x, y in loader:
            x, y = x.to("cuda"), y.to("cuda:0")
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print("epoch", epoch, loss.item())  # noqa: T201
    return model
''',
    '''\
import argparse

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--device", default="cuda")
parser.add_argument("--cuda", action="store_true")
args = parser.parse_args()

if torch.cuda.is_available():
    device = torch.device("cuda")
else:
    device = torch.device("cpu")

data = torch.from_numpy(np.zeros((4, 4), dtype=np.float32)).to(device)
weights = torch.load("w.pt", map_location="cuda")
if args.cuda:
    data = data.cuda()
table = {"a": [1, 2, (3, 4)], "b": {"c": data.sum()}}
result = data.cpu().numpy()
''',
    '''\
import pytest
import torch


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_add():
    a = torch.ones(3, device="cuda")
    b = a.cuda(0)
    assert (a + b).sum().item() == 6


def helper(x, device="cuda:1"):
    with torch.no_grad():
        return [t.to(device) for t in x if t is not None]


async def serve(queue):
    while True:
        item = await queue.get()
        yield item.cuda(non_blocking=True)
''',
]

_INSERTIONS = {
    "parens": lambda n: "(" * n + "a" + ")" * n,
    "lists": lambda n: "[" * n + "]" * n,
    "open-brackets": lambda n: "{[(" * (n // 3 + 1),
    "plus": lambda n: "+".join(["a"] * (n + 1)),
    "attribute": lambda n: "a" + ".b" * n,
    "and": lambda n: " and ".join(["a"] * (n + 1)),
    "calls": lambda n: "f" + "()" * n,
    "subscripts": lambda n: "x" + "[0]" * n,
}
_SIZES = [1, 5, 40, 150, 201, 1001, 2500, 8500]

_mutation = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("indent"), st.floats(0, 1), st.sampled_from([" ", "  ", "\t", "    ", "-"])),
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(sorted(_INSERTIONS)), st.sampled_from(_SIZES)),
    st.tuples(st.just("newlines"), st.sampled_from(["\r\n", "\r"])),
)


def _mutate(data: bytes, mutation: tuple) -> bytes:
    kind = mutation[0]
    if kind == "truncate":
        return data[: int(mutation[1] * len(data))]
    if kind == "flip":
        if not data:
            return data
        at = min(int(mutation[1] * len(data)), len(data) - 1)
        return data[:at] + bytes([mutation[2]]) + data[at + 1 :]
    if kind == "indent":
        lines = data.split(b"\n")
        at = min(int(mutation[1] * len(lines)), len(lines) - 1)
        change = mutation[2]
        if change == "-":
            lines[at] = lines[at][1:]
        else:
            lines[at] = change.encode() + lines[at]
        return b"\n".join(lines)
    if kind == "insert":
        at = int(mutation[1] * len(data))
        return data[:at] + _INSERTIONS[mutation[2]](mutation[3]).encode() + data[at:]
    if kind == "newlines":
        return data.replace(b"\n", mutation[1].encode())
    raise AssertionError(kind)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(CORPUS), mutations=st.lists(_mutation, min_size=1, max_size=4))
def test_mutated_source_never_raises(base, mutations):
    data = base.encode()
    for mutation in mutations:
        data = _mutate(data, mutation)
    findings = lint_bytes(data, "fuzz.py", ALL_RULES)
    assert isinstance(findings, list)
    assert all(isinstance(f, Finding) for f in findings)
    diagnostics = [f for f in findings if f.is_diagnostic]
    assert len(diagnostics) <= 1 and (not diagnostics or len(findings) == 1), findings
    for f in findings:
        assert f.filename == "fuzz.py"
        assert f.line >= 1 and f.column >= 1
        if f.is_diagnostic:
            assert f.name in (SYNTAX_ERROR, DECODE_ERROR, TOO_COMPLEX), f.message
        else:
            assert (f.end_line, f.end_column) >= (f.line, f.column)
