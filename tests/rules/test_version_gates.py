"""Every rewrite to a newer API is gated on the project's declared ``torch-version``: offered
from the first version whose documentation has the API, never below it, never without a
declaration where the gate is the fix's only proof. The boundaries, from the docs:

- ``torch.amp.GradScaler("cuda")`` / ``torch.amp.custom_fwd(device_type=...)``: 2.4 (the
  deprecation of ``torch.cuda.amp`` in the 2.4 docs; TNP304).
- ``torch.accelerator``: the 2.6 docs have the page, 2.5's do not; ``current_device_index`` /
  ``set_device_index`` from 2.7 (2.6 names them ``*_idx``); ``device_index`` from 2.8; the
  memory functions from 2.9 (TNP309, and TNP301/302's accelerator idiom: tests/fixing).
- ``Tensor.numpy(force=True)``: pytorch/pytorch#78564, first in 1.13 (the 1.9 docs show
  ``numpy()`` without arguments; TNP201).
"""

from __future__ import annotations

import pytest

from torchbridge import check_source


def fix_key(source: str, code: str, declared: str | None) -> str | None:
    fixes = [f.fix for f in check_source(source, select=[code], torch_version=declared) if f.fix is not None]
    assert len(fixes) <= 1
    return fixes[0].entry.key if fixes else None


AMP = "import torch\nscaler = torch.cuda.amp.GradScaler()\n"
GRAD = "import torch\nmodel = torch.nn.Linear(4, 2)\nscores = model(torch.randn(8, 4)).numpy()\n"


@pytest.mark.parametrize(
    ("source", "code", "declared", "expected"),
    [
        (AMP, "TNP304", None, "TNP304/amp-namespace-undeclared"),
        (AMP, "TNP304", "2.3", "TNP304/amp-namespace-undeclared"),
        (AMP, "TNP304", "2.4", "TNP304/amp-namespace"),
        (GRAD, "TNP201", None, "TNP201/detach-cpu"),
        (GRAD, "TNP201", "1.12", "TNP201/detach-cpu"),
        (GRAD, "TNP201", "1.13", "TNP201/numpy-force"),
        ("import torch\nn = torch.cuda.device_count()\n", "TNP309", None, None),
        ("import torch\nn = torch.cuda.device_count()\n", "TNP309", "2.5", None),
        ("import torch\nn = torch.cuda.device_count()\n", "TNP309", "2.6", "TNP309/accelerator-query"),
        ("import torch\ntorch.cuda.synchronize()\n", "TNP309", "2.5", None),
        ("import torch\ntorch.cuda.synchronize()\n", "TNP309", "2.6", "TNP309/accelerator-device-call"),
        ("import torch\ni = torch.cuda.current_device()\n", "TNP309", "2.6", None),
        ("import torch\ni = torch.cuda.current_device()\n", "TNP309", "2.7", "TNP309/accelerator-device-call"),
        ("import torch\ntorch.cuda.set_device(1)\n", "TNP309", "2.6", None),
        ("import torch\ntorch.cuda.set_device(1)\n", "TNP309", "2.7", "TNP309/accelerator-device-call"),
        # Reported, never fixed: the generic call raises where the CUDA one returned 0.
        ("import torch\nm = torch.cuda.memory_allocated()\n", "TNP309", "2.13", None),
    ],
)
def test_each_gate_opens_at_its_documented_version(source, code, declared, expected):
    assert fix_key(source, code, declared) == expected
