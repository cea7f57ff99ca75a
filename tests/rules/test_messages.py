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
