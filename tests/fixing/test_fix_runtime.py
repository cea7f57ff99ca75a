"""The golden fixtures run: each ``case_*`` function of an original and of its fixed
versions, on torch (CPU build) with the same inputs. Where the original returned, the fixed
function returns the same; where it raised the error its rule names, the fixed one returns
(or, for a fix that is only equivalent, raises the very same error).
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES
from needs import needs

np = needs("numpy", "the fixed fixtures run on it")
torch = needs("torch", "the fixed fixtures run on it")

FOLDER = FIXTURES / "fix"
ORIGINALS = sorted(p for p in FOLDER.glob("*.py") if not p.name.endswith(".fixed.py"))
# The errors the rules name, as the fix contract states them (type, message start).
RULE_ERRORS = (
    (ValueError, "At least one stride in the given numpy array is negative"),  # TNP102
    (RuntimeError, "view size is not compatible with input tensor's size and stride"),  # TNP103
    (RuntimeError, "Can't call numpy() on Tensor that requires grad"),  # TNP201
    (AssertionError, "Torch not compiled with CUDA enabled"),  # TNP301/302, CPU build
    (RuntimeError, "No CUDA GPUs are available"),  # TNP301/302, CUDA build without GPUs
    (RuntimeError, "Found no NVIDIA driver"),
)


def _load(path: Path):
    name = f"_fixture_{path.stem.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def _run(function):
    try:
        return "returned", function()
    except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
        return "raised", exc


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return (
            isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
            and a.device.type == b.device.type and torch.equal(a.detach().cpu(), b.detach().cpu())
            and a.requires_grad == b.requires_grad
        )
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _cases():
    for original in ORIGINALS:
        for suffix in (".fixed.py", ".unsafe.fixed.py"):
            yield pytest.param(original, original.with_name(original.stem + suffix), id=f"{original.stem}{suffix[:-3]}")


@pytest.mark.parametrize(("original", "fixed"), list(_cases()))
def test_fixed_functions_behave_as_the_contract_says(original, fixed):
    before, after = _load(original), _load(fixed)
    names = [n for n in dir(before) if n.startswith("case_")]
    assert names, f"{original.name} has no case_ functions"
    outcomes = []
    for name in names:
        old_function, new_function = getattr(before, name), getattr(after, name)
        unchanged = inspect.getsource(old_function) == inspect.getsource(new_function)
        old, new = _run(old_function), _run(new_function)
        if unchanged and fixed.name.endswith(".unsafe.fixed.py") is False and old[0] == "raised":
            outcomes.append("left alone")  # a fix this mode does not apply
            assert new[0] == "raised" and type(new[1]) is type(old[1])
            continue
        if old[0] == new[0] == "raised" and type(old[1]) is type(new[1]) and str(old[1])[:50] == str(new[1])[:50]:
            outcomes.append("same error")  # an equivalent fix (TNP303's fold) of code that crashes anyway
            continue
        assert new[0] == "returned", f"{fixed.name}:{name} raised {new[1]!r}"
        if old[0] == "returned":
            assert _same(old[1], new[1]), f"{fixed.name}:{name} returned something else"
            outcomes.append("equal")
        else:
            error = old[1]
            assert any(isinstance(error, kind) and str(error).startswith(text) for kind, text in RULE_ERRORS), (
                f"{original.name}:{name} raised {error!r}, which no rule names"
            )
            outcomes.append("crash fixed")
    assert "left alone" in outcomes or "crash fixed" in outcomes or "equal" in outcomes


def test_the_runtime_cases_exercise_both_outcomes():
    """Not vacuous: some originals raise the error their rule names, some return."""
    raised = returned = 0
    for original in ORIGINALS:
        module = _load(original)
        for name in (n for n in dir(module) if n.startswith("case_")):
            outcome, _ = _run(getattr(module, name))
            raised += outcome == "raised"
            returned += outcome == "returned"
    assert raised >= 5 and returned >= 4
