"""The value model (model/values.py, evaluate.py, returns.py and the flow in semantic.py) as the
three rules that use it see it: TNP101 tensor-copies-ndarray, TNP102 negative-stride-to-tensor,
TNP201 numpy-without-detach-cpu.

Each case is a small program and the exact set of (line, code) findings it must give. The
runtime facts behind every case were checked by running the program (or the relevant lines)
with torch 2.13.0+cpu and numpy 2.4.6: a reported case raises (or copies) as its message says,
and a case expected silent does not. CUDA-only cases rest on the reference's [V H100] facts
(``.numpy()`` of a CUDA tensor raises, also after ``.detach()``; ``.to(<cpu device>)`` copies to
the host).

Cases marked ``xfail(strict=True, reason="BUG: ...")`` are false positives found by adversarial
review: the rule reports something that is not true on every path at run time. Each asserts
the correct answer, so it starts passing (and the strict xfail fails) once the model is fixed;
remove the mark then.
"""

from __future__ import annotations

import re
import textwrap

import pytest

import torchbridge

CODES = ["TNP101", "TNP102", "TNP201"]


def found(source: str) -> set[tuple[int, str | None]]:
    text = textwrap.dedent(source).lstrip("\n")
    return {(f.line, f.code) for f in torchbridge.check_source(text, select=CODES)}


def case(source: str, expected: set[tuple[int, str]], id: str, bug: str | None = None):  # noqa: A002
    marks = [pytest.mark.xfail(strict=True, reason=f"BUG: {bug}")] if bug else []
    return pytest.param(source, expected, id=id, marks=marks)


# --------------------------------------------------------------------------------------------
# TNP102: negative strides
# --------------------------------------------------------------------------------------------

TNP102_CORRECT = [
    case("""
        import numpy as np, torch
        image = np.zeros((4, 4, 3))
        rgb = image[:, :, ::-1]
        t = torch.from_numpy(rgb)
        """, {(4, "TNP102")}, "bgr-to-rgb-slice"),
    case("""
        import numpy as np, torch
        a = np.zeros((2, 3))
        t1 = torch.as_tensor(np.flip(a, axis=0))
        t2 = torch.tensor(np.flipud(a))
        t3 = torch.asarray(np.fliplr(a), copy=True)
        t4 = torch.Tensor(a[::-1])
        t5 = torch.tensor(a[::-1], dtype=torch.float32)
        t6 = torch.as_tensor(a[::-1], dtype=torch.float32)
        t7 = torch.LongTensor(np.zeros(3, dtype=np.int64)[::-1])
        """, {(3, "TNP102"), (4, "TNP102"), (5, "TNP102"), (6, "TNP102"), (7, "TNP102"),
              (8, "TNP102"), (9, "TNP102")}, "every-converter-raises"),
    case("""
        import numpy as np, torch
        a = np.zeros((2, 3))
        t1 = torch.from_numpy(np.rot90(a))
        t2 = torch.from_numpy(np.rot90(a, k=-1))
        t3 = torch.from_numpy(np.rot90(a, 2))
        t4 = torch.from_numpy(np.rot90(a, k=3))
        t5 = torch.from_numpy(np.rot90(a, k=4))
        t6 = torch.from_numpy(np.rot90(a, k=-4))
        t7 = torch.from_numpy(np.rot90(a, k=n))
        """, {(3, "TNP102"), (4, "TNP102"), (5, "TNP102"), (6, "TNP102")}, "rot90-turns"),
    case("""
        import numpy as np, torch
        x = np.zeros(3)[::-1]
        t1 = torch.from_numpy(x.T)
        t2 = torch.from_numpy(np.transpose(x))
        t3 = torch.from_numpy(np.asarray(x))
        t4 = torch.from_numpy(x[1:])
        t5 = torch.from_numpy(np.zeros((1, 3))[::-1])
        """, {(3, "TNP102"), (4, "TNP102"), (5, "TNP102"), (6, "TNP102"), (7, "TNP102")},
        "layout-preserving-views-and-size-1-axis"),
    case("""
        import numpy as np, torch
        x = np.zeros(3)
        a = torch.from_numpy(x[::-1].copy())
        b = torch.from_numpy(np.ascontiguousarray(x[::-1]))
        c = torch.from_numpy(np.array(x[::-1]))
        d = torch.from_numpy(x[::-1].astype(np.float32))
        e = torch.from_numpy(np.flip(np.flip(x)))
        f = torch.from_numpy(x[::-1][::-1])
        g = torch.from_numpy(x[::step])
        h = torch.tensor([1, 2, 3][::-1])
        """, set(), "copies-double-flips-variable-steps-lists"),
    case("""
        import numpy as np, torch
        x = np.zeros(3)[::-1]
        x += 1
        t = torch.from_numpy(x)
        """, {(4, "TNP102")}, "augassign-is-in-place"),
    case("""
        import numpy as np, torch
        a, b = np.flip(np.zeros(3)), np.zeros(3)
        t1 = torch.from_numpy(b)
        t2 = torch.from_numpy(a)
        """, {(4, "TNP102")}, "tuple-unpacking-element-by-element"),
    case("""
        import numpy as np, torch, random
        img = np.zeros((2, 2))
        if random.random() > 0.5:
            img = img[::-1]
        else:
            img = np.flipud(img)
        t = torch.from_numpy(img)
        """, {(7, "TNP102")}, "both-branches-flip"),
    case("""
        import numpy as np, torch
        def load(path, flip):
            image = np.zeros((4, 4))
            if flip:
                image = np.fliplr(image)
            return torch.from_numpy(image)
        """, set(), "one-branch-flips"),
    case("""
        import numpy as np, torch
        x = np.flip(np.zeros(3))
        for i in range(2):
            if i:
                t = torch.from_numpy(x)
            x = np.zeros(3)
        n = 0
        y = np.flip(np.zeros(3))
        while n < 2:
            if n:
                t = torch.from_numpy(y)
            y = y.copy()
            n += 1
        """, set(), "loop-carried-names-unknown-at-head"),
    case("""
        import contextlib
        import numpy as np, torch
        x = np.flip(np.zeros(3))
        del x
        x = np.zeros(3)
        t1 = torch.from_numpy(x)
        y = np.flip(np.zeros(3))
        with contextlib.nullcontext(np.zeros(3)) as y:
            t2 = torch.from_numpy(y)
        z = np.flip(np.zeros(3))
        for z in [np.zeros(3)]:
            t3 = torch.from_numpy(z)
        w = np.flip(np.zeros(3))
        ts = [torch.from_numpy(w) for w in [np.zeros(3)]]
        v = np.flip(np.zeros(3))
        v, *rest = np.zeros(3), 1
        t4 = torch.from_numpy(v)
        u = np.flip(np.zeros(3))
        us = [(u := np.zeros(3)) for _ in range(1)]
        t5 = torch.from_numpy(u)
        """, set(), "rebinding-forms"),
    case("""
        import numpy as np, torch
        x = np.flip(np.zeros(3))
        ts = [torch.from_numpy(x) for _ in range(1)]
        """, {(3, "TNP102")}, "comprehension-reads-outer-name"),
    case("""
        import numpy as np, torch
        x = np.zeros(3)
        class C:
            x = np.flip(np.zeros(3))
            t = torch.from_numpy(x)
            def m(self):
                return torch.from_numpy(x)
        """, {(5, "TNP102")}, "class-body-names-invisible-to-methods"),
    case("""
        import numpy as np, torch
        def augment(mask: np.ndarray):
            return torch.tensor(np.flip(mask, axis=0))
        """, {(3, "TNP102")}, "annotated-parameter"),
    case("""
        import numpy as np, torch
        import jax.numpy as jnp
        def f():
            np = jnp
            return torch.from_numpy(np.flip(np.zeros(3)))
        """, set(), "np-shadowed-by-jax"),
]

TNP102_BUGS = [
    case("""
        import numpy as np, torch
        img = np.zeros((4, 4, 3))
        t = torch.from_numpy(np.asarray(img[:, :, ::-1], dtype=np.float32))
        """, set(), "asarray-with-dtype-copies"),
    case("""
        import numpy as np, torch
        img = np.zeros((4, 4, 3))
        t = torch.from_numpy(np.asarray(img[:, :, ::-1], order="C"))
        """, set(), "asarray-order-C-copies"),
    case("""
        import numpy as np, torch
        a = np.zeros(3)
        b = np.flip(np.zeros(3))
        a, b = b, a
        t = torch.from_numpy(b)
        """, set(), "tuple-swap"),
    case("""
        import numpy as np, torch
        class DS:
            def __init__(self):
                self.data = np.flip(np.zeros(3))
            def get(self):
                return torch.from_numpy(self.data)
            def fix(self):
                self.data = self.data.copy()
        """, set(), "self-attribute-rebound-in-a-later-method"),
    case("""
        import numpy as np, torch
        x = np.flip(np.zeros(3))
        def f():
            return torch.from_numpy(x)
        x = np.ascontiguousarray(x)
        f()
        """, set(), "function-reads-global-rebound-later"),
    case("""
        import numpy as np, torch
        x = np.flip(np.zeros(3))
        g = lambda: torch.from_numpy(x)
        x = x.copy()
        g()
        """, set(), "lambda-reads-name-rebound-later"),
    case("""
        import numpy as np, torch
        for i in range(3):
            x = np.zeros(3)
            if i == 0:
                break
            x = np.flip(x)
        t = torch.from_numpy(x)
        """, set(), "break-leaves-intermediate-state"),
    case("""
        import numpy as np, torch
        def risky():
            raise RuntimeError
        x = np.flip(np.zeros(3))
        try:
            x = np.ascontiguousarray(x)
            risky()
            x = x[::-1]
        except RuntimeError:
            t = torch.from_numpy(x)
        """, set(), "try-handler-sees-intermediate-state"),
    case("""
        import contextlib
        import numpy as np, torch
        def risky():
            raise ValueError
        x = np.zeros(3)
        with contextlib.suppress(ValueError):
            risky()
            x = x[::-1]
        t = torch.from_numpy(x)
        """, set(), "suppressing-context-manager"),
    case("""
        import numpy as np, torch
        x = np.zeros(3)
        with lock:
            x = x[::-1]
            x = x.copy()
        t = torch.from_numpy(x)
        """, set(), "unknown-context-manager-may-swallow"),
    case("""
        import contextlib
        import numpy as np, torch
        def flipped():
            with contextlib.suppress(ValueError):
                return np.flip(np.zeros(3))
        t = torch.from_numpy(flipped())
        """, set(), "suppressed-return-may-fall-off"),
    case("""
        import contextlib
        import numpy as np, torch
        x = np.zeros(3)
        with contextlib.suppress(ValueError):
            risky()
            x = x[::-1]
        t = torch.from_numpy(x)
        with open(path) as f, torch.no_grad():
            y = np.zeros(3)[::-1]
            y = y[::-1]
            y = y[::-1]
        u = torch.from_numpy(y)
        with contextlib.suppress(ValueError):
            z = np.flip(np.zeros(3))
        v = torch.from_numpy(z)
        """, {(12, "TNP102"), (15, "TNP102")}, "propagating-managers-and-names-first-bound-once"),
    case("""
        import numpy as np, torch
        x = np.zeros(3)
        def setup():
            global x
            x = np.flip(np.zeros(3))
        t = torch.from_numpy(x)
        """, set(), "global-write-applied-at-def"),
    case("""
        import numpy as np, torch
        def outer():
            x = np.flip(np.zeros(3))
            def fix():
                nonlocal x
                x = x.copy()
            fix()
            return torch.from_numpy(x)
        """, set(), "nonlocal-write-ignored"),
    case("""
        import numpy as np, torch
        x = np.flip(np.zeros(3))
        match {"arr": np.zeros(3)}:
            case {"arr": x}:
                t = torch.from_numpy(x)
        """, set(), "match-capture-pattern-does-not-bind"),
    case("""
        import numpy as np, torch
        arr = np.flip(np.zeros(4))
        for step in range(3):
            if step > 0:
                t = torch.from_numpy(arr)
            if (arr := arr.copy()) is not None:
                pass
        """, set(), "walrus-in-loop-not-forgotten"),
    case("""
        import numpy as np, torch
        arr = np.flip(np.zeros(4))
        while True:
            t = torch.from_numpy(arr)
            if [arr := np.zeros(4) for _ in range(1)]:
                break
        """, set(), "walrus-in-comprehension-rebinds-in-loop"),
    case("""
        import numpy as np, torch
        arr = np.flip(np.zeros(4))
        for step in range(3):
            t = torch.from_numpy(arr)
            if (other := arr.copy()) is not None:
                pass
        """, {(4, "TNP102")}, "walrus-on-another-name-keeps-the-loop-value"),
    case("""
        import numpy as np, torch
        x = np.flip(np.zeros(3))
        def f():
            for i in range(3):
                if i:
                    t = torch.from_numpy(x)
                x = np.zeros(3)
        """, set(), "local-read-before-local-write-uses-global"),
    case("""
        import numpy as np, torch
        def f(*arrays: np.ndarray):
            return torch.tensor(arrays[::-1])
        """, set(), "annotated-star-args-are-a-tuple-tnp102"),
    case("""
        import numpy as np, torch
        t = torch.from_numpy(np.zeros((0, 3))[::-1])
        """, set(), "empty-array-has-zero-strides"),
    case("""
        import numpy as np, torch
        t = torch.from_numpy(np.flip(np.empty((3, 0))))
        u = torch.from_numpy(np.zeros((4, 3))[::-1][2:2])
        v = torch.from_numpy(np.zeros((n, 3))[::-1])
        """, {(3, "TNP102"), (4, "TNP102")}, "only-new-empty-arrays-have-zero-strides"),
    case("""
        import numpy as np, torch
        x = np.zeros((2, 2))
        t = torch.from_numpy(np.flip(x, axis=()))
        """, set(), "flip-with-no-axes"),
    case("""
        import numpy as np, torch
        t = torch.from_numpy(np.flip(np.zeros(())))
        u = torch.from_numpy(np.zeros(())[::-1])
        """, set(), "0d-arrays-have-no-strides-to-flip"),
    case("""
        import torch
        if USE_JAX:
            import jax.numpy as np
        else:
            import numpy as np
        x = np.flip(np.zeros(3))
        t = torch.tensor(x)
        """, set(), "numpy-or-jax-conditional-import"),
]


# --------------------------------------------------------------------------------------------
# TNP101: torch.tensor of an ndarray
# --------------------------------------------------------------------------------------------

TNP101_CORRECT = [
    case("""
        import numpy as np, torch
        features = np.load("features.npy")
        a = torch.tensor(features)
        b = torch.tensor(np.zeros((2, 3)))
        c = torch.tensor(np.array([1, 2, 3]))
        d = torch.tensor(torch.zeros(3).numpy())
        e = torch.tensor(np.random.rand(3))
        f = torch.tensor(np.asarray([1, 2, 3]))  # np.asarray of anything is an ndarray
        """, {(3, "TNP101"), (4, "TNP101"), (5, "TNP101"), (6, "TNP101"), (7, "TNP101"), (8, "TNP101")},
        "proven-arrays"),
    case("""
        import numpy as np, torch
        def to_tensor(frame: np.ndarray):
            return torch.tensor(frame, dtype=torch.float32)
        """, set(), "annotated-parameter-dtype-copies-either-way"),
    case("""
        import numpy as np, torch
        a = np.zeros(3)
        t1 = torch.tensor([0, 1, 1])
        t2 = torch.tensor(a.mean())
        t3 = torch.tensor(a, requires_grad=True)
        t4 = torch.tensor(a, pin_memory=True)
        t5 = torch.tensor(a).cuda()
        t6 = torch.tensor(a, device="cuda")
        t8 = torch.tensor(np.random.rand())
        t9 = torch.tensor(x)
        """, set(), "lists-scalars-grad-leaves-transfers-unknowns"),
    case("""
        import numpy as np
        import torch
        def tensor(x):
            return x
        out = tensor(np.zeros(3))
        def g(torch, a):
            return torch.tensor(np.zeros(3))
        """, set(), "shadowed-names"),
]

TNP101_BUGS = [
    case("""
        import numpy as np, torch
        x = np.zeros(3)
        t = torch.tensor(x.sum(axis=0))
        """, set(), "axis-reduction-of-1d-is-a-scalar"),
    case("""
        import numpy as np, torch
        x = np.zeros((3, 3))
        t = torch.tensor(x.sum(dtype=np.float32))
        """, set(), "reduction-with-only-dtype-is-a-scalar"),
    case("""
        import numpy as np, torch
        v = np.ones(3)
        t = torch.tensor(v @ v)
        """, set(), "matmul-of-1d-is-a-scalar"),
    case("""
        import numpy as np, torch
        z = np.zeros(())
        t = torch.tensor(z * 2)
        """, set(), "arithmetic-on-0d-is-a-scalar"),
    case("""
        import numpy as np, torch
        def sample(size=None):
            return torch.tensor(np.random.normal(0.0, 1.0, size=size))
        """, set(), "random-size-variable-may-be-None"),
    case("""
        import numpy as np, torch
        t = torch.tensor(np.unique(np.zeros(3), return_counts=True))
        """, set(), "unique-with-return-counts-is-a-tuple"),
    case("""
        import numpy as np, torch
        def f(*arrays: np.ndarray):
            return torch.tensor(arrays)
        """, set(), "annotated-star-args-are-a-tuple"),
    case("""
        import numpy as np, torch
        async def load() -> np.ndarray:
            return np.zeros(3)
        def f():
            return torch.tensor(load())
        """, set(), "async-def-returns-a-coroutine"),
    case("""
        import torch
        try:
            import cupy as xp
        except ImportError:
            import numpy as xp
        x = xp.zeros(3)
        t = torch.tensor(x)
        """, set(), "cupy-or-numpy-fallback-import"),
    case("""
        import numpy as np, torch
        a = np.zeros(3)
        t = torch.tensor(a, dtype=torch.float32)
        """, set(), "dtype-conversion-copies-with-as_tensor-too"),
    case("""
        import numpy as np, torch
        torch.set_default_device("cuda")
        a = np.zeros(3)
        t = torch.tensor(a)
        """, set(), "default-device-makes-as_tensor-copy"),
]


# --------------------------------------------------------------------------------------------
# TNP201: .numpy() on a tensor that requires grad or lives on a device
# --------------------------------------------------------------------------------------------

TNP201_CORRECT = [
    case("""
        import torch
        model = torch.nn.Linear(4, 2)
        scores = model(torch.randn(8, 4)).numpy()
        w = torch.nn.Parameter(torch.randn(3))
        a = w.numpy()
        b = w.cpu().numpy()
        c = w.float().numpy()
        d = (w // 2).numpy()
        e = torch.zeros(3, requires_grad=True).numpy()
        f = torch.bernoulli(w.sigmoid()).numpy()
        g = w.half().numpy()
        h = w.numpy(**{})
        """, {(3, "TNP201"), (5, "TNP201"), (6, "TNP201"), (7, "TNP201"), (8, "TNP201"), (9, "TNP201"),
              (10, "TNP201"), (11, "TNP201"), (12, "TNP201")}, "grad-kept"),
    case("""
        import torch
        x = torch.randn(8).cuda()
        a = x.detach().numpy()
        b = x.data.numpy()
        c = x.cpu().numpy()
        d = x.to("cpu").numpy()
        e = torch.zeros(3, device="cuda").numpy()
        f = torch.zeros(3).to(torch.device(type="cuda")).numpy()
        """, {(3, "TNP201"), (4, "TNP201"), (7, "TNP201"), (8, "TNP201")}, "device-kept-until-cpu"),
    case("""
        import torch
        w = torch.nn.Parameter(torch.randn(3))
        a = w.detach().numpy()
        b = w.data.numpy()
        c = w.numpy(force=True)
        d = torch.tensor(w).numpy()
        e = w.sum().item()
        x = torch.randn(3)
        f = x.numpy()
        """, set(), "grad-ended"),
    case("""
        import torch
        model = torch.nn.Linear(4, 2)
        torch.no_grad()
        out = model(torch.randn(1, 4)).numpy()
        """, {(4, "TNP201")}, "no_grad-called-without-with-does-nothing"),
    case("""
        import torch
        from torch.autograd import grad_mode
        model = torch.nn.Linear(4, 2)
        with torch.no_grad():
            a = model(torch.randn(1, 4)).numpy()
        with torch.set_grad_enabled(False):
            b = model(torch.randn(1, 4)).numpy()
        with torch.set_grad_enabled(mode=False):
            c = model(torch.randn(1, 4)).numpy()
        with grad_mode.no_grad():
            d = model(torch.randn(1, 4)).numpy()
        with torch.no_grad():
            out = model(torch.randn(1, 4))
        e = out.numpy()
        @torch.inference_mode()
        def f(x):
            return model(x).numpy()
        @torch.set_grad_enabled(False)
        def g(x):
            return model(x).numpy()
        async def h(x):
            with torch.no_grad():
                return model(x).numpy()
        """, set(), "grad-off-contexts"),
    case("""
        import torch
        model = torch.nn.Linear(4, 2)
        out = model(torch.randn(1, 4))
        if flag:
            out = out.detach()
        a = out.numpy()
        """, set(), "detached-on-one-branch"),
    case("""
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
            def forward(self, x):
                return self.fc(x)
        net = Net()
        y = net(torch.randn(1, 4)).numpy()
        z = Net()(torch.randn(1, 4)).numpy()
        """, {(10, "TNP201"), (11, "TNP201")}, "own-module"),
    case("""
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
            def forward(self, x, aux=False):
                out = self.fc(x)
                if aux:
                    return out, x
                return out
        class Frozen(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
            @torch.no_grad()
            def forward(self, x):
                return self.fc(x)
        a = Net()(torch.randn(1, 4), True).numpy()
        b = Frozen()(torch.randn(1, 4)).numpy()
        """, set(), "own-module-tuple-or-no-grad-forward"),
    case("""
        import torch
        m = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Identity())
        a = m(torch.randn(2)).numpy()
        emb = torch.nn.Embedding.from_pretrained(torch.zeros(3, 2))
        b = emb(torch.tensor([0])).numpy()
        lin = torch.nn.Linear(4, 2).requires_grad_(False)
        c = lin(torch.randn(1, 4)).numpy()
        """, set(), "modules-without-grad"),
    case("""
        import tensorflow as tf
        t = tf.constant([1.0])
        a = t.numpy()
        def to_array(batch):
            return batch.numpy()
        """, set(), "unknown-provenance"),
    case("""
        import torch
        import lightning as L
        class Model(L.LightningModule):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(4, 2)
            def validation_step(self, batch, idx):
                return self.fc(batch).numpy()
        """, set(), "lightning-validation-step"),
]

TNP201_BUGS = [
    case("""
        import torch
        model = torch.nn.Linear(4, 3)
        pred = model(torch.randn(2, 4)).argmax(1).numpy()
        """, set(), "argmax-is-an-integer-tensor"),
    case("""
        import torch
        w = torch.randn(3, requires_grad=True)
        a = w.long().numpy()
        b = w.int().numpy()
        c = w.bool().numpy()
        d = w.byte().numpy()
        e = w.short().numpy()
        f = w.type_as(torch.zeros(1, dtype=torch.long)).numpy()
        """, set(), "integer-casts-drop-grad"),
    case("""
        import torch
        w = torch.randn(3, requires_grad=True)
        idx = torch.multinomial(w.softmax(0), 1).numpy()
        """, set(), "multinomial-is-an-integer-tensor"),
    case("""
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
            def forward(self, x):
                return self.fc(x).argmax(-1)
        y = Net()(torch.randn(1, 4)).numpy()
        """, set(), "own-module-returning-argmax"),
    case("""
        import torch
        torch.set_grad_enabled(False)
        model = torch.nn.Linear(4, 3)
        out = model(torch.randn(2, 4)).numpy()
        """, set(), "set_grad_enabled-False-as-a-statement"),
    case("""
        import torch
        model = torch.nn.Linear(4, 2)
        with torch.autograd.set_grad_enabled(False):
            a = model(torch.randn(1, 4)).numpy()
        with torch.autograd.inference_mode():
            b = model(torch.randn(1, 4)).numpy()
        """, set(), "autograd-namespace-grad-contexts"),
    case("""
        import torch
        model = torch.nn.Linear(4, 2)
        ctx = torch.no_grad()
        with ctx:
            out = model(torch.randn(1, 4)).numpy()
        """, set(), "no_grad-context-in-a-variable"),
    case("""
        import torch
        model = torch.nn.Linear(4, 3)
        def step(train):
            with torch.set_grad_enabled(train):
                return model(torch.randn(2, 4)).numpy()
        """, set(), "set_grad_enabled-with-a-variable"),
    case("""
        import contextlib
        import torch
        model = torch.nn.Linear(4, 2)
        def run(train):
            with (contextlib.nullcontext() if train else torch.no_grad()):
                return model(torch.randn(1, 4)).numpy()
        """, set(), "conditional-no_grad-context"),
    case("""
        import torch
        model = torch.nn.Linear(4, 3)
        def predict(x):
            return model(x).numpy()
        with torch.no_grad():
            print(predict(torch.randn(2, 4)))
        """, set(), "helper-called-only-under-no_grad"),
    case("""
        import torch
        with torch.no_grad():
            t = torch.zeros(3, requires_grad=True)
            inside = t.numpy()
        with torch.inference_mode():
            u = torch.ones(3, requires_grad=True)
        with torch.set_grad_enabled(False):
            v = torch.ones(3, requires_grad=True)
        a = t.numpy()
        b = u.numpy()
        c = v.numpy()
        """, {(9, "TNP201"), (10, "TNP201"), (11, "TNP201")}, "requires_grad-factory-under-no_grad-is-a-leaf-with-grad"),
    case("""
        import torch
        def make(requires_grad=False):
            t = torch.zeros(3, requires_grad=requires_grad)
            return t.numpy()
        def param(trainable):
            p = torch.nn.Parameter(torch.zeros(3), requires_grad=trainable)
            return p.numpy()
        def flagged(flag):
            return torch.zeros(3).requires_grad_(flag).numpy()
        """, set(), "requires_grad-from-a-variable"),
    case("""
        import torch
        p = torch.nn.Parameter(torch.zeros(3), False)
        a = p.numpy()
        """, set(), "Parameter-requires_grad-positional"),
    case("""
        import torch
        p = torch.nn.Parameter(torch.zeros(3))
        p.requires_grad_(False)
        a = p.numpy()
        w = torch.zeros(3, requires_grad=True)
        w.requires_grad = False
        b = w.numpy()
        """, set(), "in-place-requires_grad-off-on-a-tensor"),
    case("""
        import torch
        model = torch.nn.Linear(3, 3)
        y = model(torch.zeros(1, 3))
        y.detach_()
        c = y.numpy()
        """, set(), "detach_-as-a-statement"),
    case("""
        import torch
        model = torch.nn.Linear(4, 3)
        for p in model.parameters():
            p.requires_grad=False
        out = model(torch.randn(2, 4)).numpy()
        """, set(), "freeze-text-check-needs-spaces"),
    case("""
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
                self.fc.requires_grad_(requires_grad=False)
            def forward(self, x):
                return self.fc(x)
        y = Net()(torch.randn(1, 4)).numpy()
        """, set(), "freeze-with-keyword-argument"),
    case("""
        import torch
        bn = torch.nn.BatchNorm1d(4, affine=False)
        a = bn(torch.randn(2, 4)).numpy()
        ln = torch.nn.LayerNorm(4, elementwise_affine=False)
        b = ln(torch.randn(2, 4)).numpy()
        gn = torch.nn.GroupNorm(2, 4, affine=False)
        c = gn(torch.randn(2, 4)).numpy()
        emb = torch.nn.Embedding(10, 3, _freeze=True)
        d = emb(torch.tensor([1])).numpy()
        """, set(), "parameterless-configurations-of-parametrized-modules"),
    case("""
        import torch
        cpu = torch.device("cpu")
        ref = torch.zeros(1)
        x = torch.zeros(3).cuda()
        a = x.to(cpu).numpy()
        b = x.to(ref.device).numpy()
        c = x.to(ref).numpy()
        """, set(), "to-an-unknown-device-keeps-on_device"),
    case("""
        import torch
        class W:
            def __init__(self):
                self.t = torch.zeros(3, requires_grad=True)
            def get(self):
                return self.t.numpy()
            def freeze(self):
                self.t = self.t.detach()
        """, set(), "self-attribute-detached-in-a-later-method"),
    case("""
        import torch
        model = torch.nn.Linear(4, 2)
        out = model(torch.randn(1, 4))
        a = out.numpy() if not out.requires_grad else out.detach().numpy()
        w = torch.nn.Parameter(torch.zeros(3))
        if not w.requires_grad:
            b = w.numpy()
        """, set(), "guarded-by-requires_grad"),
]


@pytest.mark.parametrize(("source", "expected"), TNP102_CORRECT + TNP102_BUGS)
def test_tnp102(source: str, expected: set[tuple[int, str]]) -> None:
    assert found(source) == expected


@pytest.mark.parametrize(("source", "expected"), TNP101_CORRECT + TNP101_BUGS)
def test_tnp101(source: str, expected: set[tuple[int, str]]) -> None:
    assert found(source) == expected


@pytest.mark.parametrize(("source", "expected"), TNP201_CORRECT + TNP201_BUGS)
def test_tnp201(source: str, expected: set[tuple[int, str]]) -> None:
    assert found(source) == expected


CRASH_PROBES = {
    "no-arguments": "import torch, numpy as np\ntorch.tensor()\ntorch.from_numpy()\nnp.flip()\nnp.rot90()\n"
                    "np.transpose()\nnp.load()\ntorch.tensor(np.load())\nx = np.zeros(3)\nx.transpose()\nx.swapaxes()\n",
    "star-arguments": "import torch, numpy as np\na = [np.zeros(3)]\ntorch.from_numpy(*a)\nnp.flip(*a)\n"
                      "np.rot90(*a)\nnp.load(*a)\nnp.load(**{})\nnp.zeros(3).transpose(*a)\nnp.swapaxes(*a)\n"
                      "p = torch.nn.Parameter(*a)\nw = torch.zeros(3).requires_grad_(*a)\n",
    "star-subscript": "import numpy as np, torch\nidx = (0,)\nx = np.zeros((3, 3))\nt = torch.from_numpy(x[*idx, ::-1])\n",
    "odd-steps": "import torch, numpy as np\nx = np.zeros(3)\ntorch.from_numpy(x[::1j])\ntorch.from_numpy(x[::-1.0])\n"
                 "torch.from_numpy(np.rot90(x, 1.5))\ntorch.from_numpy(np.rot90(x, k=10**100))\n",
    "odd-forwards": "import torch\nfrom torch import nn\nclass A(nn.Module):\n    forward = lambda self, x: x\n"
                    "class B(nn.Module):\n    def forward(self, x):\n        return\n"
                    "class C(nn.Module, metaclass=type):\n    pass\nA()(1).numpy()\nB()(1).numpy()\nC()(1).numpy()\n",
    "self-targets": "import numpy as np\nclass C:\n    def __init__(self):\n        self.x, (self.y, *self.z) = np.zeros(3), (1, 2, 3)\n"
                    "        for self.w in []: pass\n        with open('f') as self.v: pass\n        self.x += 1\n"
                    "        self.q: int\n",
    "new-syntax": "import numpy as np, torch\ndef f[T](x: np.ndarray) -> T:\n    return x\ntype A = np.ndarray\n"
                  "try:\n    pass\nexcept* ValueError:\n    pass\nmatch [1]:\n    case [*rest]:\n        pass\n"
                  "    case {**kw}:\n        pass\n",
    "deep-chains": "import numpy as np, torch\nx = np.zeros(3)\ny = " + " + ".join(["x"] * 300) + "\nt = torch.tensor(y)\n"
                   "w = torch.zeros(3, requires_grad=True)\nz = w" + ".float()" * 300 + "\n"
                   "v = " + " if c else ".join(["x[::-1]"] * 150) + "\n",
    "many-branches": "import numpy as np, torch\nx = np.zeros(3)\n"
                     + "".join(f"if c{i}:\n    x = x[::-1]\n" for i in range(200)) + "t = torch.from_numpy(x)\n",
}


@pytest.mark.parametrize("source", CRASH_PROBES.values(), ids=CRASH_PROBES.keys())
def test_unusual_code_does_not_crash_the_value_model(source: str) -> None:
    findings = torchbridge.check_source(source, select=CODES)
    assert all(f.code is not None for f in findings), [f.message for f in findings]


def test_a_test_for_another_type_forgets_the_annotation():
    """`image: torch.Tensor` but `if type(image) is Image:` -- inside, it is no tensor."""
    from torchbridge import check_source

    source = (
        "import numpy as np\nimport torch\nfrom PIL.Image import Image\n"
        "def f(image: torch.Tensor):\n    if type(image) is Image:\n        return np.array(image)\n"
        "    if isinstance(image, Image):\n        return np.asarray(image)\n    return np.asarray(image)\n"
    )
    assert [f.line for f in check_source(source, select=["TNP202"]) if f.line in (6, 8)] == []
    # Without the type tests the annotation is trusted.
    plain = "import numpy as np\nimport torch\ndef f(image: torch.Tensor):\n    return np.asarray(image)\n"
    assert [f.line for f in check_source(plain, select=["TNP202"])] == [4]


def test_device_strings_are_devices_and_say_where_they_point():
    """`"cuda:1"` and `"cpu"` are devices; a name bound to `"cpu"` points at the CPU, and the
    cuda-or-cpu expression is a device of unknown placement."""
    from torchbridge import check_source

    base = "import torch\n{binding}\ndef f(n):\n    return torch.zeros(n).to(device)\n"
    found = lambda binding: [f.code for f in check_source(base.format(binding=binding), select=["TNP303"])]  # noqa: E731
    assert found('device = "cpu"') == []
    assert found('device = "cuda" if torch.cuda.is_available() else "cpu"') == ["TNP303"]
    assert found("device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')") == ["TNP303"]
    assert found('device = "not a device"') == []


# --------------------------------------------------------------------------------------------
# What the model tells users beyond a finding's line: the line its message points at (where
# the model learned the fact), TNP201's state, and the facts a fix's probe hands the verifier
# (which draws its inputs from them). Every rule is selected.
# --------------------------------------------------------------------------------------------

EVIDENCE = re.compile(r"\(line (\d+)\)")
STATES = ("requires grad and is on a device", "requires grad", "on a device")
G, D, GD = "requires grad", "on a device", "requires grad and is on a device"


def seen(source: str) -> set[tuple[int, str | None, str | None, int | None]]:
    """(line, code, TNP201/TNP202's state, the line the message points at) of each finding."""
    text = textwrap.dedent(source).lstrip("\n")
    found = set()
    for f in torchbridge.check_source(text, select=["TNP"]):
        where = EVIDENCE.search(f.message)
        state = next((s for s in STATES if s in f.message), None)
        found.add((f.line, f.code, state, int(where.group(1)) if where else None))
    return found


def told(source: str, code: str) -> dict[int, tuple[object, ...]]:
    """Per line, what ``code``'s fix probe says of its first hole: kind, layout, ndim, grad, placement."""
    text = textwrap.dedent(source).lstrip("\n")
    found = {}
    for f in torchbridge.check_source(text, select=["TNP"]):
        if f.code == code and f.fix is not None and f.fix.probe is not None and f.fix.probe.holes:
            facts = dict(f.fix.probe.holes[0][2])
            found[f.line] = (facts["kind"], facts["layout"], facts["ndim"], facts["grad"], facts["on_device"])
    return found


def arr(layout: str, ndim: int | None) -> tuple[object, ...]:
    return ("ndarray", layout, ndim, None, None)


def ten(grad: bool | None, on_device: bool | None, layout: str = "unknown", ndim: int | None = None) -> tuple[object, ...]:
    return ("tensor", layout, ndim, grad, on_device)

SEEN = [
    pytest.param("""
    import numpy as np, torch
    m = np.zeros((2, 3))
    a = torch.from_numpy(m.copy().T).sum()
    b = torch.from_numpy(m.copy(order="F").T).sum()
    c = torch.from_numpy(m.copy("F").T).sum()  # an F-order copy, transposed, is C-contiguous
    d = torch.from_numpy(m.flatten().T).sum()  # 1-d: .T is the array itself
    e = torch.from_numpy(m.ravel().T).sum()
    f = torch.from_numpy(m.astype(np.float32).T).sum()
    g = torch.from_numpy(m.T.astype(np.float32)).sum()
    h = torch.from_numpy(m.T.astype(np.float32, order="C")).sum()
    i = torch.from_numpy(np.array(m.T)).sum()
    j = torch.from_numpy(np.array(m.T, order="C")).sum()
    k = torch.from_numpy(np.asarray(m.T)).sum()
    """, {(3, "TNP103", None, 3), (8, "TNP103", None, 8), (9, "TNP103", None, 9), (11, "TNP103", None, 11),
          (13, "TNP103", None, 13)}, id='array-copies-keep-or-drop-the-order'),
    pytest.param("""
    import numpy as np, torch
    m = np.zeros((2, 3))
    c = np.zeros((2, 3, 4))
    v = np.zeros(3)
    a = torch.tensor(m.sum(0))
    b = torch.tensor(m.mean(axis=1))
    s = torch.tensor(m.sum())
    d = torch.tensor(v.sum(0))
    e = torch.tensor(m.sum(0).max(0))
    f = torch.tensor(c.sum(0).sum(0))
    g = torch.tensor(m.sum(axis=None))
    h = torch.tensor(m.sum(axis=k))  # k may be None: a scalar
    i = torch.tensor(m.sum(0, out=buf))  # another keyword (out=): not judged
    j = torch.tensor(np.asarray(m, dtype=np.float32).sum(0))
    """, {(5, "TNP101", None, 5), (6, "TNP101", None, 6), (10, "TNP101", None, 10), (14, "TNP101", None, 14)}, id='reductions'),
    pytest.param("""
    import numpy as np, torch
    m = np.zeros((2, 3))
    c = np.zeros((2, 3, 4))
    v = np.zeros(3)
    a = torch.from_numpy(v.T).sum()  # a transposed 1-d array is contiguous
    b = torch.from_numpy(np.transpose(v)).sum()
    d = torch.from_numpy(c.transpose(0, 1, 2)).sum()
    e = torch.from_numpy(c.transpose((2, 0, 1))).sum()
    f = torch.from_numpy(np.swapaxes(c, 0, 1)).sum()
    g = torch.from_numpy(np.swapaxes(c, 1, 1)).sum()
    h = torch.from_numpy(c.swapaxes(0, k)).sum()
    i = torch.from_numpy(np.moveaxis(c, -1, 0)).sum()
    j = torch.tensor(c.transpose(2, 0, 1).sum(0))
    l = torch.tensor(m.T.sum(0))
    n = torch.tensor(c.transpose(0, 1, 2).sum(0))
    o = torch.tensor(np.swapaxes(c, 0, 1).sum(0))
    """, {(8, "TNP103", None, 8), (9, "TNP103", None, 9), (12, "TNP103", None, 12), (13, "TNP101", None, 13),
          (14, "TNP101", None, 14), (15, "TNP101", None, 15), (16, "TNP101", None, 16)}, id='transposes'),
    pytest.param("""
    import numpy as np, torch
    m = np.zeros((2, 3))
    a = torch.from_numpy(np.flip(m, axis=())).sum()
    b = torch.from_numpy(np.flip(np.flip(m))).sum()  # flipped back
    c = torch.from_numpy(np.rot90(m, k=n)).sum()
    d = torch.tensor(np.flip(m).sum(0))
    e = torch.tensor(np.rot90(m, k=n).sum(0))
    f = torch.tensor(np.flip(np.flip(m)).sum(0))
    g = torch.from_numpy(np.rot90(m)).sum()
    h = torch.from_numpy(np.zeros((1, 3))[::-1]).sum()
    i = torch.tensor(m[::-1].sum(0))
    j = torch.tensor(m[::-1][::-1].sum(0))
    k = torch.tensor(m[1:].sum(0))
    l = torch.from_numpy(m[::-1][1:]).sum()
    o = torch.from_numpy(m[..., ::-1]).sum()
    """, {(6, "TNP101", None, 6), (7, "TNP101", None, 7), (8, "TNP101", None, 8), (9, "TNP102", None, 9),
          (10, "TNP102", None, 10), (11, "TNP101", None, 11), (12, "TNP101", None, 12), (13, "TNP101", None, 13),
          (14, "TNP102", None, 14), (15, "TNP102", None, 15)}, id='flips-and-slices'),
    pytest.param("""
    import torch
    w = torch.zeros(3, requires_grad=True)
    d = torch.zeros(3).to("cuda")
    a = w.float().numpy()
    b = w.long().numpy()
    c = d.long().numpy()
    e = w.detach().numpy()
    f = d.detach().numpy()
    g = w.cpu().numpy()
    h = d.cpu().numpy()
    j = w.to("cpu").numpy()
    k = d.to(torch.float16).numpy()  # a dtype, not a device: still on the device
    l = d.to(dev).numpy()
    n = d.to("cpu").numpy()
    o = w.T.numpy()
    p = w[0].numpy()
    q = w.data.numpy()
    r = (-w).numpy()
    s = (w @ w).numpy()
    t = w.split(1)[0].numpy()
    u = w.type_as(w).numpy()
    """, {(3, "TNP301", None, None), (4, "TNP201", G, 2), (6, "TNP201", D, 3), (8, "TNP201", D, 3),
          (9, "TNP201", G, 2), (11, "TNP201", G, 2), (12, "TNP201", D, 3), (15, "TNP201", G, 2),
          (16, "TNP201", G, 2), (18, "TNP201", G, None), (19, "TNP201", G, 2),
          (20, "TNP201", G, 2)}, id='tensor-methods-keep-grad-and-device'),  # an element of split
    pytest.param("""
    import numpy as np, torch
    a = np.zeros(3)
    b = np.load("x.npy")
    c = np.asarray(a, dtype=np.float32)
    d = np.array(items)
    e = np.random.rand(3)
    f = a * 2
    g = 2 * a
    mt = np.zeros((2, 3)).T
    h = np.array(mt)
    i = a.astype(np.float32)
    j = np.flip(a)
    t = [torch.tensor(v) for v in (a, b, c, d, e, f, g, h, i)]
    t1, t2, t3, t4, t5 = torch.tensor(a), torch.tensor(b), torch.tensor(c), torch.tensor(d), torch.tensor(e)
    t6, t7, t8 = torch.tensor(f), torch.tensor(g), torch.tensor(i)
    u = torch.from_numpy(h).sum()
    v = torch.from_numpy(j).sum()
    k = torch.tensor((z := np.zeros(3)))
    """, {(13, "TNP101", None, None), (14, "TNP101", None, 2), (14, "TNP101", None, 3), (14, "TNP101", None, 4),
          (14, "TNP101", None, 5), (14, "TNP101", None, 6), (15, "TNP101", None, 2), (15, "TNP101", None, 11),
          (16, "TNP103", None, 9), (17, "TNP102", None, 12), (18, "TNP101", None, 18)}, id='where-arrays-were-made'),
    pytest.param("""
    import numpy as np, torch
    m = np.zeros((2, 3))
    k = 3
    a = torch.tensor(k * 2)
    b = torch.tensor(np.linspace(0, 1, 5, retstep=True))
    c = torch.tensor(np.random.randint(0, 5))
    d = torch.tensor(np.random.randint(0, 5, dtype=np.int64))
    e = np.asarray(m @ m)
    f = torch.from_numpy(np.rot90(m, k=0b10)).sum()
    g = torch.from_numpy(np.transpose(np.zeros((2, 3, 4)), axes=(0, 1, 2))).sum()
    h = torch.from_numpy(np.zeros((2, 3, 4)).transpose((0, 1, 2))).sum()
    """, {(9, "TNP102", None, 9)}, id='what-is-not-an-array'),
    pytest.param("""
    import numpy as np, torch
    w = torch.zeros(3, requires_grad=True)
    d = torch.zeros(3).to("cuda")
    x = torch.zeros(3)
    b = d.data.numpy()
    c = w.mT.numpy()
    e = w.real.numpy()
    i = x.requires_grad_().numpy()
    j = x.requires_grad_(True).numpy()
    k = w.requires_grad_(False).numpy()
    wc = w.cuda()
    l = wc.cpu().numpy()
    xc = x.cuda()
    n = xc.numpy()
    o = d.to("cpu:0").numpy()
    p = torch.add(x, other=w).numpy()
    q = torch.nn.Parameter(x)
    r = q.numpy()
    s = np.asarray(torch.as_tensor(w))
    t = np.asarray(torch.as_tensor(data))
    """, {(3, "TNP301", None, None), (5, "TNP201", D, 3), (6, "TNP201", G, 2), (7, "TNP201", G, 2),
          (8, "TNP201", G, 8), (9, "TNP201", G, 9), (11, "TNP302", None, None), (12, "TNP201", G, 11),
          (13, "TNP302", None, None), (14, "TNP201", D, 13), (16, "TNP201", G, 2), (18, "TNP201", G, 17),
          (19, "TNP202", None, None)}, id='tensor-results'),
    pytest.param("""
    import torch
    x = torch.zeros(3)
    model = torch.nn.Linear(3, 3)
    a = model.forward(x).numpy()
    b = model.__call__(x).numpy()
    """, {(4, "TNP201", G, 4), (5, "TNP201", G, 5)}, id='module-results'),
    pytest.param("""
    import numpy as np, torch
    a = np.zeros((2, 3))
    d = torch.zeros(3).to("cuda")
    x = torch.zeros(3)
    dev = "cpu:0"
    b = d.to(dev).numpy()
    cdev = torch.device("cuda")
    c = x.to(cdev).numpy()
    e = torch.as_tensor(a, device="cuda").numpy()
    f = torch.from_numpy(a[[0, 1], ::-1]).sum()
    g = torch.tensor(np.swapaxes(a, 1, 1))
    """, {(3, "TNP301", None, None), (7, "TNP301", None, None), (8, "TNP201", D, 8), (9, "TNP301", None, None),
          (9, "TNP201", D, 2), (11, "TNP101", None, None)}, id='devices-by-name-and-copies-kept'),
]



# The flow: grad modes that nest and end, in-place grad changes, assignments, joins of
# branches, loops and handlers, narrowing, annotations.
FLOW = [
    pytest.param("""
    import torch
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        with open("log") as f:
            a = model(torch.zeros(2)).numpy()
    with torch.set_grad_enabled(flag):
        with open("log") as f:
            b = model(torch.zeros(2)).numpy()
    with torch.set_grad_enabled(flag):
        pass
    c = model(torch.zeros(2)).numpy()
    @torch.no_grad()
    def predict(x):
        return model(x).numpy()
    d = model(torch.zeros(2)).numpy()
    """, {(11, "TNP201", G, 11), (15, "TNP201", G, 15)}, id='grad-contexts-nest-and-end'),
    pytest.param("""
    import torch
    model = torch.nn.Linear(2, 2)
    def f():
        torch.set_grad_enabled(False)
        a = model(torch.zeros(2)).numpy()
        torch.set_grad_enabled(True)
        b = model(torch.zeros(2)).numpy()
    def g(flag):
        torch.set_grad_enabled(flag)
        c = model(torch.zeros(2)).numpy()
    def h():
        torch.set_grad_enabled(True)
        e = model(torch.zeros(2)).numpy()
    e = model(torch.zeros(2)).numpy()
    """, {(14, "TNP201", G, 14)}, id='set_grad_enabled-statements'),
    pytest.param("""
    import torch
    w = torch.zeros(3)
    w.requires_grad_()
    a = w.numpy()
    v = torch.zeros(3)
    v.requires_grad_(True)
    b = v.numpy()
    u = torch.zeros(3, requires_grad=True)
    u.requires_grad_(flag)
    c = u.numpy()
    t = torch.zeros(3)
    t.requires_grad = True
    d = t.numpy()
    m = torch.nn.Linear(2, 2)
    m.requires_grad_(False)
    e = m(torch.zeros(2)).numpy()
    s = torch.zeros(3, requires_grad=True)
    s.detach_()
    f = s.numpy()
    """, {(4, "TNP201", G, 3), (7, "TNP201", G, 6), (13, "TNP201", G, 12)}, id='grad-changed-in-place'),
    pytest.param("""
    import numpy as np, torch
    w = torch.zeros(3, requires_grad=True)
    if (n := np.zeros(3)) is not None:
        a = torch.tensor(n)
    x = np.zeros(3)
    x += 1
    b = torch.tensor(x)
    t = torch.zeros(3)
    t += w
    c = t.numpy()
    k = foo()
    k += w
    d = k.numpy()
    """, {(4, "TNP101", None, 3), (7, "TNP101", None, 5), (10, "TNP201", G, 2)}, id='walrus-and-augmented-assignment'),
    pytest.param("""
    import numpy as np, torch
    def f(path):
        a = np.zeros(3)
        try:
            pass
        except OSError as err:
            a = None
        return torch.tensor(a)
    def g():
        b = np.zeros(3)
        try:
            compute()
        except ValueError:
            log()
        else:
            log()
        return torch.tensor(b)
    def m(x):
        y = np.zeros(3)
        match x:
            case {"a": arr}:
                y = None
            case _:
                pass
        return torch.tensor(y)
    def m2(x):
        z = np.zeros(3)
        match x:
            case [first, *rest]:
                pass
        return torch.tensor(z)
    """, {(17, "TNP101", None, 10), (31, "TNP101", None, 27)}, id='try-and-match-join-their-paths'),
    pytest.param("""
    import numpy as np, torch
    def f(x):
        y = None if not isinstance(x, np.ndarray) else torch.tensor(x)
        return torch.tensor(x)
    def g(x):
        y = torch.tensor(x) if isinstance(x, np.ndarray) else None
        return torch.tensor(x)
    """, {(3, "TNP101", None, 3), (6, "TNP101", None, 6)}, id='narrowing-inside-a-conditional-expression'),
    pytest.param("""
    import torch
    def f(xs):
        for x in xs:
            pass
        else:
            a = torch.zeros(1).cuda()
        while xs:
            break
        else:
            b = torch.zeros(1).cuda()
    """, {(6, "TNP302", None, None), (10, "TNP302", None, None)}, id='loop-else-clauses-are-walked'),
    pytest.param("""
    import numpy as np, torch
    arrays = [np.zeros(3), np.ones(3)]
    for i, a in enumerate(arrays):
        t = torch.tensor(a)
    for a, w in zip(arrays, arrays):
        u = torch.tensor(w)
    for row in np.zeros((2, 3)):
        r = torch.tensor(row)
    for a, b in zip(arrays):
        s = torch.tensor(a)
    for i, a in enumerate(arrays, 1):
        q = torch.tensor(a)
    """, {(4, "TNP101", None, None), (6, "TNP101", None, None), (8, "TNP101", None, None)}, id='loop-elements'),
    pytest.param("""
    import numpy as np, torch
    def make() -> np.ndarray:
        return load()
    async def amake() -> np.ndarray:
        return load()
    a = torch.tensor(make())
    b = torch.tensor(amake())
    x: np.ndarray = load()
    t = torch.tensor(x)
    y: np.ndarray
    u = torch.tensor(y)
    c: torch.Tensor = np.zeros(3)
    w = torch.tensor(c)
    """, {(6, "TNP101", None, 2), (9, "TNP101", None, 8), (13, "TNP101", None, 12)}, id='annotations'),
    pytest.param("""
    import torch
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        with torch.no_grad():
            torch.set_grad_enabled(False)
        a = model(torch.zeros(2)).numpy()
    def f(flag):
        with torch.set_grad_enabled(flag):
            with torch.set_grad_enabled(flag):
                torch.set_grad_enabled(flag)
            b = model(torch.zeros(2)).numpy()
    def g(flag):
        torch.set_grad_enabled(False)
        torch.set_grad_enabled(False)
        torch.set_grad_enabled(flag)
        torch.set_grad_enabled(flag)
    c = model(torch.zeros(2)).numpy()
    """, {(17, "TNP201", G, 17)}, id='grad-statements-inside-contexts'),
    pytest.param("""
    import torch
    from torch import nn
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
        def forward(self, x):
            if x is None:
                return self.fc(x)
            return None
    y = Net()(torch.zeros(2)).numpy()
    """, set(), id='a-forward-with-two-returns'),
    pytest.param("""
    import numpy as np, torch
    def outer():
        a = np.zeros(3)
        def middle():
            def inner():
                nonlocal a
                a = load()
            inner()
        middle()
        return torch.tensor(a)
    g = np.zeros(3)
    def reads_global():
        global g
        t = torch.tensor(g)
        g = None
    """, {(14, "TNP101", None, 11)}, id='names-written-from-elsewhere'),
    pytest.param("""
    import numpy as np, torch
    a = np.zeros(3)
    def augmented():
        t = torch.tensor(a)
        a += 1
    def annotated():
        t = torch.tensor(a)
        a: int = 1
    def in_a_loop():
        t = torch.tensor(a)
        for _ in range(1):
            a = 1
    def in_with():
        t = torch.tensor(a)
        with open("f") as a:
            pass
    def in_try():
        t = torch.tensor(a)
        try:
            a = 1
        finally:
            pass
    def in_else():
        t = torch.tensor(a)
        if c:
            pass
        else:
            a = 2
    """, set(), id='locals-assigned-later-in-any-block'),
    pytest.param("""
    import numpy as np, torch
    model = torch.nn.Linear(2, 2)
    ctx, n = torch.no_grad(), 1
    with ctx:
        a = model(torch.zeros(2)).numpy()
    x, *np = load()
    t = torch.tensor(np.zeros(3))
    """, set(), id='bindings-unpacked-and-starred'),
    pytest.param("""
    import numpy as np, torch
    d: np.ndarray = (
        np.zeros(3)
    )
    t = torch.tensor(d)
    """, {(5, "TNP101", None, 3)}, id='an-annotation-does-not-override-what-the-value-shows'),
    pytest.param("""
    import numpy as np, torch
    a = np.zeros(3)
    T = torch.cuda.FloatTensor if cuda else MyTensor
    t = T(a)
    """, set(), id='conditional-aliases-of-legacy-constructors'),
    pytest.param("""
    import torch
    model = torch.nn.Linear(2, 2)
    ctx: object = torch.no_grad()
    with ctx:
        a = model(torch.zeros(2)).numpy()
    """, set(), id='an-annotated-grad-context'),
    pytest.param("""
    import torch
    w = torch.zeros(3, requires_grad=True)
    x = torch.zeros(3)
    if w.requires_grad:
        a = w.numpy()
    else:
        b = w.numpy()
    v = torch.ones(3, requires_grad=True)
    if not v.requires_grad:
        c = v.numpy()
    else:
        d = v.numpy()
    if x.requires_grad:
        e = x.numpy()
    if q.requires_grad:
        pass
    """, {(5, "TNP201", G, 2), (12, "TNP201", G, 8)}, id='grad-narrowed-by-requires_grad'),
    pytest.param("""
    import contextlib
    import torch
    model = torch.nn.Linear(2, 2)
    with torch.inference_mode(False):
        a = model(torch.zeros(2)).numpy()
    with torch.inference_mode(flag):
        b = model(torch.zeros(2)).numpy()
    with torch.inference_mode(True):
        c = model(torch.zeros(2)).numpy()
    with open("log") as f:
        d = model(torch.zeros(2)).numpy()
    with (torch.no_grad() if evaluating else contextlib.nullcontext()):
        e = model(torch.zeros(2)).numpy()
    with (open("a") if flag else open("b")):
        g = model(torch.zeros(2)).numpy()
    """, {(5, "TNP201", G, 5), (11, "TNP201", G, 11), (15, "TNP201", G, 15)}, id='grad-modes-with-switches'),
    pytest.param("""
    import torch
    m = torch.nn.Linear(2, 2)
    m.requires_grad_(False)
    m.requires_grad_()
    a = m(torch.zeros(2)).numpy()
    seq = torch.nn.Sequential(foo)
    seq.requires_grad_(False)
    """, {(5, "TNP201", G, 5)}, id='module-grad-switched-back-on'),
    pytest.param("""
    import numpy as np, torch
    from PIL.Image import Image
    x = load()
    def f():
        if isinstance(x, np.ndarray):
            return torch.tensor(x)
    def g(image: torch.Tensor):
        if not isinstance(image, Image):
            return np.asarray(image)
    """, {(6, "TNP101", None, 5), (9, "TNP202", None, None)}, id='narrowing-a-module-level-name'),
    pytest.param("""
    import numpy as np, torch
    a = np.zeros(3)
    def f(xs):
        a = load()
        for x in xs:
            t = torch.tensor(a)
            a = np.ones(3)
    """, set(), id='a-loop-head-forgets-what-the-body-rebinds'),
    pytest.param("""
    import numpy as np, torch
    a = np.zeros(3)
    def outer():
        a = np.ones(3)
        def middle():
            def inner():
                nonlocal a
                a = load()
                t = torch.tensor(a)
            inner()
        middle()
        return torch.tensor(a)
    """, set(), id='nonlocal-writes-hide-no-module-name'),
    pytest.param("""
    import numpy as np, torch
    T = torch
    t = T.tensor(np.zeros(3))
    """, {(3, "TNP101", None, 3)}, id='a-module-bound-to-another-name'),
]


@pytest.mark.parametrize(("source", "expected"), SEEN + FLOW)
def test_messages_point_at_what_the_model_learned(source: str, expected: set[tuple[int, str, str | None, int | None]]) -> None:
    assert seen(source) == expected

TOLD = [
    pytest.param("""
    import numpy as np, torch
    m = np.zeros((2, 3))
    c = np.zeros((2, 3, 4))
    t1 = torch.tensor(m.copy())
    t2 = torch.tensor(m.copy(order="F"))
    t3 = torch.tensor(m.flatten())
    t4 = torch.tensor(m.ravel("F"))
    t5 = torch.tensor(m.T)
    t6 = torch.tensor(np.transpose(c, (1, 0, 2)))
    t7 = torch.tensor(c.swapaxes(0, 2))
    t8 = torch.tensor(m[::-1])
    t9 = torch.tensor(m[1:])
    t10 = torch.tensor(np.flip(m, 0))
    t11 = torch.tensor(np.rot90(m, 2))
    t12 = torch.tensor(np.rot90(m, 4))
    t13 = torch.tensor(np.rot90(m, k))
    t14 = torch.tensor(np.zeros(3)[::-1].T)
    t15 = torch.tensor(np.random.rand(2, 3))
    t16 = torch.tensor(np.random.randint(0, 5, size=(2, 3)))
    t17 = torch.tensor(np.random.normal(0, 1, (4,)))
    t18 = torch.tensor(np.random.random(n))
    t19 = torch.tensor(np.load("a.npy"))
    t20 = torch.tensor(np.eye(3))
    t21 = torch.tensor(np.ones(shape=(2, 2)))
    t22 = torch.tensor(np.zeros(5))
    t23 = torch.tensor(np.asarray(m))
    t24 = torch.tensor(np.array(m.T))
    t25 = torch.tensor(m.astype(np.float32))
    t26 = torch.tensor(m * 2)
    t27 = torch.tensor(m.sum(0))
    t28 = torch.tensor(np.flip(m, axis=()))
    t29 = torch.tensor(np.flip(np.flip(m)))
    t30 = torch.tensor(m[::-1][::-1])
    t31 = torch.tensor(np.zeros((2, 3))[..., ::-1])
    """, "TNP101", {4: arr("contiguous", 2), 5: arr("unknown", 2), 6: arr("contiguous", 1), 7: arr("unknown", 1),
          8: arr("transposed", 2), 9: arr("transposed", 3), 10: arr("transposed", 3), 
          12: arr("contiguous", 2),  # m[1:] of a C-contiguous array
          15: arr("contiguous", 2), 16: arr("unknown", 2),  18: arr("contiguous", 2),
          19: arr("contiguous", 2), 20: arr("contiguous", 1), 21: arr("contiguous", None),
          # np.load: an .npy file written from a Fortran-ordered array loads Fortran-ordered (measured)
          22: arr("unknown", None), 23: arr("contiguous", 2), 24: arr("contiguous", 2),
          25: arr("contiguous", 1), 26: arr("contiguous", 2), 27: arr("transposed", 2), 28: arr("contiguous", 2),
          29: arr("contiguous", 2),  # m * 2: a new array in m's order
          30: arr("unknown", 1), 31: arr("contiguous", 2), 32: arr("unknown", 2),
          33: arr("unknown", 2)}, id='arrays'),
    pytest.param("""
    import torch
    x = torch.zeros(3)
    w = torch.zeros(3, requires_grad=True)
    d = torch.zeros(3).to("cuda")
    a = x.cpu().detach()
    b = w.cpu().detach()
    c = d.cpu().detach()
    e = torch.add(w, d).cpu().detach()
    f = (x + u).cpu().detach()
    g = torch.zeros(3, requires_grad=flag).cpu().detach()
    h = torch.zeros(3, device=dev).cpu().detach()
    i = torch.zeros(3, device="cpu").cpu().detach()
    j = w.long().cpu().detach()
    k = w.type_as(x).cpu().detach()
    l = w.detach().cpu().detach()
    n = torch.nn.Parameter(x).cpu().detach()
    o = torch.nn.Parameter(x, flag).cpu().detach()
    p = torch.nn.Parameter(x, True).cpu().detach()
    q = torch.nn.Linear(2, 2)(x).cpu().detach()
    r = torch.nn.ReLU()(w).cpu().detach()
    s = torch.nn.BatchNorm1d(2, affine=False)(x).cpu().detach()
    t = torch.nn.LayerNorm(2, elementwise_affine=flag)(x).cpu().detach()
    v = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh())(w).cpu().detach()
    y = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())(x).cpu().detach()
    z = torch.nn.Sequential(foo)(x).cpu().detach()
    with torch.no_grad():
        A = torch.nn.Linear(2, 2)(x).cpu().detach()
        B = torch.add(w, x).cpu().detach()
        C = torch.zeros(3, requires_grad=True).cpu().detach()
    with torch.set_grad_enabled(flag):
        D = torch.add(w, x).cpu().detach()
        E = torch.nn.Linear(2, 2)(x).cpu().detach()
        F = torch.add(x, x).cpu().detach()
    for row in w:
        G = row.cpu().detach()
    for row in d:
        H = row.cpu().detach()
    """, "TNP204", {5: ten(False, False), 6: ten(True, False), 7: ten(False, True), 8: ten(True, True), 9: ten(None, None),
          10: ten(None, False), 11: ten(False, None), 12: ten(False, False), 13: ten(False, False),
          14: ten(None, False), 15: ten(False, False), 16: ten(True, None), 17: ten(None, None), 18: ten(True, None),
          19: ten(True, None), 20: ten(True, False), 21: ten(False, False), 22: ten(None, None),
          23: ten(True, False), 24: ten(True, None), 25: ("unknown", "unknown", None, None, None), 27: ten(False, None), 28: ten(False, False),
          29: ten(True, False), 31: ten(None, False), 32: ten(None, None), 33: ten(False, False),
          35: ten(True, False), 37: ten(False, True)}, id='tensors'),
    pytest.param("""
    import torch
    x = torch.zeros(3)
    a = torch.nn.Parameter(x, requires_grad=False).cpu().detach()
    b = torch.nn.Linear(2, 2)(x).cpu().detach()
    """, "TNP204", {3: ten(False, None), 4: ten(None, None)}, id='frozen-parameters'),
    pytest.param("""
    import numpy as np, torch
    m = np.zeros((2, 3))
    t1 = torch.tensor(m[::-1])
    t2 = torch.tensor(np.flip(m, 0))
    t3 = torch.tensor(np.rot90(m, 2))
    t4 = torch.tensor(np.zeros(3)[::-1].T)
    t5 = torch.tensor(np.zeros((2, 3))[..., ::-1])
    t6 = torch.tensor(np.transpose(m[::-1], (1, 0)))
    """, "TNP102", {3: arr("negative strides", 2), 4: arr("negative strides", 2), 5: arr("negative strides", 2),
                    6: arr("negative strides", 1), 7: arr("negative strides", 2), 8: arr("negative strides", 2)}, id='negative-strides'),
    pytest.param("""
    import numpy as np, torch
    m = np.zeros((2, 3))
    c = np.zeros((2, 3, 4))
    a = torch.tensor(np.array(m[::-1]))
    b = torch.tensor(c.transpose(0, 1, 2))
    """, "TNP101", {4: arr("unknown", 2), 5: arr("unknown", 3)}, id='more-arrays'),
    pytest.param("""
    import numpy as np, torch
    m = np.zeros((2, 3))
    x = torch.zeros(3)
    w = torch.zeros(3, requires_grad=True)
    a = (x + x).cpu().detach()
    b = torch.from_numpy(m.T).cpu().detach()
    c = torch.from_numpy(m.T).cuda().cpu().detach()
    d = torch.from_numpy(m.T).to("cuda").cpu().detach()
    e = torch.as_tensor(m, device="cuda").cpu().detach()
    f = torch.nn.Parameter(x, *flags).cpu().detach()
    g = torch.zeros(3, requires_grad=False).cpu().detach()
    for part in w.split(1):
        h = part.cpu().detach()
    """, "TNP204", {5: ten(False, False), 6: ten(False, False, "transposed", 2), 7: ten(False, True, ndim=2),
                    8: ten(False, True, ndim=2), 9: ten(False, True, "contiguous", 2), 10: ten(True, None),
                    11: ten(False, False), 13: ten(True, False)}, id='more-tensors'),
    pytest.param("""
    import torch
    torch.set_default_device("cuda")
    a = torch.zeros(3).cpu().detach()
    b = torch.zeros(3, device="cpu").cpu().detach()
    c = torch.zeros(3, device="cuda").cpu().detach()
    """, "TNP204", {3: ten(False, None), 4: ten(False, False), 5: ten(False, True)}, id='a-default-device'),
    pytest.param("""
    import torch
    x = torch.zeros(3)
    w = torch.zeros(3, requires_grad=True)
    d = torch.zeros(3).to("cuda")
    a = w.data.cpu().detach()
    b = x.requires_grad_(flag).cpu().detach()
    c = w.requires_grad_(False).cpu().detach()
    e = d.cpu().cpu().detach()
    """, "TNP204", {5: ten(False, False), 6: ten(None, False), 7: ten(False, False), 8: ten(False, False)}, id='grad-and-placement-changes'),
]


@pytest.mark.parametrize(("source", "code", "expected"), TOLD)
def test_the_verifier_is_told_what_the_model_proved(source: str, code: str, expected: dict[int, tuple[object, ...]]) -> None:
    assert told(source, code) == expected
