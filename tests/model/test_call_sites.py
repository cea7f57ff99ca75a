"""Facts that only a caller knows (``model/call_sites.py``): a private helper's parameter
takes what every call site of the module passes. Each case is a program and the exact
findings it must give; the programs that the model says crash are run with the installed
numpy and torch, and must raise what the finding says (the silent ones must not)."""

from __future__ import annotations

import textwrap

import libcst as cst
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge.model.call_sites import MAX_CALL_SITES

CODES = ["TNP101", "TNP102", "TNP201"]


def found(source: str) -> set[tuple[int, str | None]]:
    return {(f.line, f.code) for f in torchbridge.check_source(source, select=CODES)}


def program(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# (program, findings, whether running it raises ValueError from torch.from_numpy)
CASES = {
    "every-call-flips": (program("""
        import numpy as np, torch
        def _detect(img, scale=1.0):
            img = img.transpose(2, 0, 1)
            return torch.from_numpy(img) * scale
        def extract():
            return _detect(np.zeros((4, 4, 3))[..., ::-1])
        _detect(np.flip(np.zeros((2, 2, 3)), axis=2), scale=2.0)
        """), {(4, "TNP102")}, True),
    "a-call-with-an-unknown-argument": (program("""
        import numpy as np, torch
        def _detect(img):
            return torch.from_numpy(img.transpose(2, 0, 1))
        def extract(frame):
            return _detect(frame[..., ::-1])  # frame may be any object with a flip of its own
        _detect(np.zeros((4, 4, 3))[..., ::-1])
        """), set(), True),
    "one-call-is-contiguous": (program("""
        import numpy as np, torch
        def _to_tensor(img):
            return torch.from_numpy(img)
        _to_tensor(np.zeros((2, 2)))
        _to_tensor(np.zeros((2, 2))[::-1])  # ok: the helper is not known to get a flip every time
        """), set(), True),
    "used-as-a-value": (program("""
        import numpy as np, torch
        def _to_tensor(img):
            return torch.from_numpy(img)
        convert = _to_tensor
        _to_tensor(np.zeros(3)[::-1])
        """), set(), True),
    "public-function": (program("""
        import numpy as np, torch
        def to_tensor(img):
            return torch.from_numpy(img)
        to_tensor(np.zeros(3)[::-1])
        """), set(), True),
    "named-in-all": (program("""
        import numpy as np, torch
        __all__ = ["_to_tensor"]
        def _to_tensor(img):
            return torch.from_numpy(img)
        _to_tensor(np.zeros(3)[::-1])
        """), set(), True),
    "decorated": (program("""
        import functools
        import numpy as np, torch
        @functools.lru_cache
        def _to_tensor(img):
            return torch.from_numpy(img)
        """), set(), False),
    "starred-call": (program("""
        import numpy as np, torch
        def _to_tensor(img):
            return torch.from_numpy(img)
        args = (np.zeros(3)[::-1],)
        _to_tensor(*args)
        """), set(), True),
    "never-called": (program("""
        import numpy as np, torch
        def _to_tensor(img):
            return torch.from_numpy(img)
        """), set(), False),
    "shadowed-by-a-parameter": (program("""
        import numpy as np, torch
        def _to_tensor(img):
            return torch.from_numpy(img)
        def apply(_to_tensor, img):
            return _to_tensor(img[::-1])
        apply(lambda a: a.copy(), np.zeros(3))
        """), set(), False),
    "the-default-counts-for-a-left-out-argument": (program("""
        import numpy as np, torch
        def _numpy(x, grad=None):
            return x.numpy()
        w = torch.ones(3, requires_grad=True)
        _numpy(w)
        _numpy(w * 2, grad=True)
        """), {(3, "TNP201")}, False),
    "caller-under-no-grad-only": (program("""
        import numpy as np, torch
        def _numpy(x):
            return x.numpy()
        w = torch.ones(3, requires_grad=True)
        with torch.no_grad():
            _numpy(w * 2)  # ok: w * 2 made under no_grad requires no grad
        """), set(), False),
    "nested-function-called-in-its-parent": (program("""
        import numpy as np, torch
        def load(frames):
            def convert(img):
                return torch.from_numpy(img)
            first = convert(np.zeros((4, 4, 3))[..., ::-1])
            return first, convert(np.flip(np.ones((2, 3)), axis=1))
        load(None)
        """), {(4, "TNP102")}, True),
    "nested-function-in-a-method": (program("""
        import numpy as np, torch
        class Loader:
            def load(self, frame):
                def numpy_of(t):
                    return t.numpy()
                w = torch.ones(3, requires_grad=True)
                return numpy_of(w * 2)
        Loader().load(None)
        """), {(5, "TNP201")}, False),
    "nested-function-returned": (program("""
        import numpy as np, torch
        def make():
            def convert(img):
                return torch.from_numpy(img)
            convert(np.zeros(3)[::-1])
            return convert
        make()
        """), set(), True),
    "nested-function-bound-twice": (program("""
        import numpy as np, torch
        def make(copy):
            def convert(img):
                return torch.from_numpy(img)
            if copy:
                def convert(img):
                    return torch.from_numpy(img.copy())
            return convert(np.zeros(3)[::-1])
        make(True)
        """), set(), False),
    "nested-function-one-call-contiguous": (program("""
        import numpy as np, torch
        def make():
            def convert(img):
                return torch.from_numpy(img)
            convert(np.zeros(3))
            return convert(np.zeros(3)[::-1])
        make()
        """), set(), True),
    "value-rebound-before-the-call": (program("""
        import numpy as np, torch
        def _to_tensor(img):
            return torch.from_numpy(img)
        a = np.zeros(3)[::-1]
        a = a.copy()
        _to_tensor(a)
        """), set(), False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_findings(name: str) -> None:
    source, expected, _ = CASES[name]
    assert found(source) == expected


@pytest.mark.parametrize("name", list(CASES))
def test_the_programs_do_what_the_findings_say(name: str) -> None:
    source, expected, raises = CASES[name]
    if any(code == "TNP102" for _, code in expected):
        assert raises, "a TNP102 finding says the program raises"
    namespace = {"np": np, "torch": torch}
    if raises:
        with pytest.raises(ValueError, match="negative"):
            exec(compile(source, name, "exec"), namespace)  # noqa: S102 - the fixed programs above
    elif any(code == "TNP201" for _, code in expected):
        with pytest.raises(RuntimeError, match="requires grad"):
            exec(compile(source, name, "exec"), namespace)  # noqa: S102
    else:
        exec(compile(source, name, "exec"), namespace)  # noqa: S102


def test_too_many_call_sites_are_not_summarised() -> None:
    calls = "\n".join("_to_tensor(np.zeros(3)[::-1])" for _ in range(MAX_CALL_SITES + 1))
    source = "import numpy as np, torch\ndef _to_tensor(img):\n    return torch.from_numpy(img)\n" + calls + "\n"
    assert found(source) == set()
    fewer = "\n".join(calls.splitlines()[:MAX_CALL_SITES])
    assert found(source.replace(calls, fewer)) == {(3, "TNP102")}


def test_nothing_is_searched_when_no_rule_asks() -> None:
    from torchbridge.engine.walk import Dispatcher
    from torchbridge.model import SemanticModel

    # The flow itself reads values everywhere (an append records what it appends): none of
    # that is a rule's question.
    source = CASES["every-call-flips"][0] + (
        "def _collect(img):\n    frames = []\n    frames.append(img[::-1])\n    return frames\n"
        "_collect(np.zeros(3))\n"
    )
    model = SemanticModel()
    model.track_values = True
    dispatcher = Dispatcher([], model.traversals())
    model.walk = dispatcher.walk
    dispatcher.walk(cst.parse_module(source))
    assert model.call_sites is not None
    assert model.call_sites.walks == 0 and model.call_sites.rewalks == 0
