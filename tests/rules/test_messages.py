"""Messages say what is true of the code in front of them (issue 21): the same pattern gets
a different message where a different fact holds."""

from __future__ import annotations

import textwrap

from torchbridge import check_source


def messages(source: str, code: str) -> list[str]:
    return [f.message for f in check_source(textwrap.dedent(source).lstrip("\n"), select=[code])]


def test_cpu_before_detach_under_no_grad_says_nothing_is_recorded():
    [under] = messages("""
        import torch
        def host(x: torch.Tensor):
            with torch.no_grad():
                return x.cpu().detach()
        """, "TNP204")
    [outside] = messages("""
        import torch
        def host(x: torch.Tensor):
            return x.cpu().detach()
        """, "TNP204")
    assert "under `no_grad` nothing is recorded" in under and "records its copy" not in under
    assert "records its copy in the autograd graph" in outside


def test_cuda_use_under_an_accelerator_check_says_why_the_check_is_no_guard():
    [message] = messages("""
        import torch
        model = torch.nn.Linear(2, 2)
        if torch.accelerator.is_available():
            model.cuda()
        """, "TNP302")
    assert "`torch.accelerator.is_available()`, line 3, is no guard for it" in message
    assert "MPS and XPU" in message
    # Under a CUDA check the same call is guarded; accelerator-generic code is never a finding.
    assert messages("""
        import torch
        model = torch.nn.Linear(2, 2)
        if torch.cuda.is_available() and torch.accelerator.is_available():
            model.cuda()
        if torch.accelerator.is_available():
            model.to(torch.accelerator.current_accelerator())
        """, "TNP302") == []


def test_cuda_specific_api_under_an_accelerator_check_is_still_a_finding():
    [message] = messages("""
        import torch
        def wait():
            if torch.accelerator.is_available():
                torch.cuda.synchronize()
        """, "TNP309")
    assert message.startswith("`torch.cuda.synchronize()` works only with CUDA; `torch.accelerator.synchronize`")
    assert "line 3, is no guard for it" in message
