"""TNP205 implicit-tensor-conversion beyond its examples: which arguments the catalogue says
a call converts, the error its message names, and where TNP202 takes over. Each runtime
fact was checked with torch 2.13.0+cpu and numpy 2.4.6 (a meta tensor stands for a CUDA
one: ``Tensor.__array__`` refuses both before looking at grad)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch

import torchbridge


def findings(source: str) -> list[tuple[int, str | None, str]]:
    text = textwrap.dedent(source).lstrip("\n")
    return [(f.line, f.code, f.message) for f in torchbridge.check_source(text, select=["TNP202", "TNP205"])]


def lines(source: str) -> set[tuple[int, str | None]]:
    return {(line, code) for line, code, _ in findings(source)}


def test_keyword_arguments_are_read_by_name():
    assert lines("""
        import torch
        from sklearn.metrics import accuracy_score
        def score(x: torch.Tensor, y):
            preds = x.to("cuda").argmax(1)
            a = accuracy_score(y_pred=preds, y_true=y)
            b = accuracy_score(y, sample_weight=preds)
        """) == {(5, "TNP205")}  # sample_weight is not among the arguments it is recorded to convert


def test_after_a_starred_argument_positions_are_unknown():
    assert lines("""
        import matplotlib.pyplot as plt
        import torch
        w = torch.ones(3, requires_grad=True)
        plt.plot(*series, w)
        plt.plot(w)
        """) == {(5, "TNP205")}


def test_a_reduction_converts_a_list_but_hands_a_tensor_to_its_method():
    w = torch.ones(3, requires_grad=True)
    with pytest.raises(TypeError, match="axis"):
        np.sum(w)  # Tensor.sum(axis=None, ...): not the conversion error
    with pytest.raises(RuntimeError, match="requires grad"):
        np.sum([w, w])
    assert lines("""
        import numpy as np
        import torch
        w = torch.ones(3, requires_grad=True)
        a = np.sum(w)
        b = np.sum([w, w])
        """) == {(5, "TNP205")}


def test_the_message_names_the_device_error_first():
    meta = torch.ones(3, device="meta", requires_grad=True)
    with pytest.raises(TypeError, match="can't convert meta device type tensor"):
        np.cumsum(meta)
    ((_, code, message),) = findings("""
        import numpy as np
        import torch
        w = torch.ones(3, requires_grad=True).cuda()
        c = np.cumsum(w)
        """)
    assert code == "TNP205" and "TypeError: can't convert cuda:0 device type tensor to numpy" in message


def test_nothing_raises_under_no_grad_and_nothing_is_reported():
    w = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        np.cumsum(w * 2)  # converts without raising (torch 2.13)
    assert lines("""
        import numpy as np
        import torch
        w = torch.ones(3, requires_grad=True)
        with torch.no_grad():
            c = np.cumsum(w * 2)
        """) == set()


def test_tnp202_keeps_the_direct_conversion_and_lists_that_do_not_raise():
    assert lines("""
        import numpy as np
        import torch
        w = torch.ones(3, requires_grad=True)
        a = np.asarray(w)
        b = np.array([w, w])
        c = np.array([torch.zeros(3), torch.ones(3)])
        """) == {(4, "TNP202"), (5, "TNP205"), (6, "TNP202")}
