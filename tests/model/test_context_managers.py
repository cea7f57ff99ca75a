"""The context managers ``model/context_managers.py`` lists as letting every exception through,
checked against the installed libraries: an exception raised in the body comes out of each
one. A manager that swallowed one would let code after the ``with`` run with the body
half done, which the model only assumes away for the managers listed."""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path

import pytest
import torch

from torchbridge.model.context_managers import PROPAGATING

# How to make each listed manager: the arguments it needs, or None where it cannot be made
# on this machine (CUDA-only managers on a CPU-only torch).
_ARGUMENTS: dict[str, tuple[object, ...] | None] = {
    "builtins.open": (__file__,), "io.open": (__file__,),
    "torch.set_grad_enabled": (False,), "torch.autograd.set_grad_enabled": (False,),
    "torch.autocast": ("cpu",), "torch.amp.autocast": ("cpu",),
    "torch.device": ("cpu",),
    "torch.profiler.record_function": ("probe",), "torch.autograd.profiler.record_function": ("probe",),
    "torch.autograd.set_detect_anomaly": (False,),
    "torch.cuda.device": None if not torch.cuda.is_available() else (0,),
    "torch.cuda.stream": None if not torch.cuda.is_available() else (None,),
    "torch.cuda.amp.autocast": None if not torch.cuda.is_available() else (),
}


def _resolve(qualname: str) -> object:
    module, _, name = qualname.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("qualname", sorted(PROPAGATING))
def test_an_exception_in_the_body_comes_out(qualname: str, tmp_path: Path) -> None:
    arguments = _ARGUMENTS.get(qualname, ()) if qualname != "h5py.File" else (str(tmp_path / "probe.h5"), "w")
    if arguments is None:
        pytest.skip("needs CUDA")
    if qualname.split(".")[0] not in ("builtins", "io", "contextlib", "warnings", "tempfile", "numpy", "torch"):
        pytest.importorskip(qualname.split(".")[0])
    make = _resolve(qualname)
    assert callable(make)
    with pytest.raises(LookupError), make(*arguments):
        raise LookupError


def test_suppress_swallows_which_is_why_it_is_not_listed() -> None:
    with contextlib.suppress(LookupError):
        raise LookupError
    assert "contextlib.suppress" not in PROPAGATING
