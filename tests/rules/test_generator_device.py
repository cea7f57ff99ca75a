"""TNP301 on ``torch.Generator("cuda")``: reported, but with no fix. Without CUDA the call
raises an error that is none of the fix contract's no-CUDA errors (law 5), so a rewrite could
not be certified by the verifier; a factory's ``device="cuda"`` keeps its fix."""

from __future__ import annotations

import pytest
import torch

from torchbridge.engine.lint import lint_source
from torchbridge.rules import all_rules
from torchbridge.verify.verdict import NO_CUDA_ERRORS

_TNP301 = [rule for rule in all_rules() if rule.code == "TNP301"]


def _findings(line: str):
    return lint_source(f"import torch\n{line}\n", "snippet.py", _TNP301)


@pytest.mark.parametrize("line", ['g = torch.Generator("cuda")', 'g = torch.Generator(device="cuda:0")'])
def test_a_cuda_generator_is_reported_without_a_fix(line: str) -> None:
    (finding,) = _findings(line)
    assert finding.code == "TNP301"
    assert finding.fix is None


def test_a_factory_keeps_its_fix() -> None:
    (finding,) = _findings('x = torch.zeros(1, device="cuda")')
    assert finding.fix is not None


@pytest.mark.skipif(torch.cuda.is_available(), reason="shows what a process without CUDA raises")
def test_the_generator_error_is_not_one_the_verifier_accepts() -> None:
    with pytest.raises(RuntimeError) as raised:
        torch.Generator("cuda")
    text = f"{type(raised.value).__name__}: {raised.value}"
    assert not any(text.startswith(known) for known in NO_CUDA_ERRORS)
