"""``torch.accelerator.current_accelerator()``, its ``.type``, ``torch.get_default_device()``
and names bound to them are devices for every rule that asks for one (issue 21)."""

from __future__ import annotations

import textwrap

import pytest

from torchbridge import check_source

DEVICES = [
    "torch.accelerator.current_accelerator()",
    "torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else 'cpu'",
    "torch.accelerator.current_accelerator(check_available=True) or torch.device('cpu')",
]


def codes(source: str, code: str) -> list[int]:
    return [f.line for f in check_source(textwrap.dedent(source).lstrip("\n"), select=[code])]


@pytest.mark.parametrize("device", DEVICES)
def test_create_then_move(device):
    assert codes(f"""
        import torch
        target = {device}
        mask = torch.ones(4).to(target)
        """, "TNP303") == [3]


@pytest.mark.parametrize("device", DEVICES)
def test_per_sample_transfer(device):
    assert codes(f"""
        import numpy as np
        import torch
        samples = [np.zeros(16) for _ in range(64)]
        inputs = [torch.from_numpy(s).to({device}) for s in samples]
        """, "TNP401") == [4]


@pytest.mark.parametrize("device", DEVICES)
def test_loop_invariant_transfer(device):
    assert codes(f"""
        import torch
        def train(model, loader, weights: torch.Tensor):
            target = {device}  # not named for a device: the value says what it is
            for x, y in loader:
                model(x, weights.to(target))
        """, "TNP402") == [5]


def test_the_default_device_moves_nothing_after_a_factory():
    assert codes("""
        import torch
        device = torch.get_default_device()
        mask = torch.ones(4).to(device)
        """, "TNP303") == []
