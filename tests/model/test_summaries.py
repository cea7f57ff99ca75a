"""Facts that cross functions: return summaries of a module's functions and methods.

Each case is a whole file; the rules' findings show what the model proved at the call
(TNP102: a negative-stride array into ``from_numpy``; TNP201: ``.numpy()`` on a tensor
that requires grad). An empty set means the value must stay unknown.
"""

from __future__ import annotations

import textwrap

import pytest

import torchbridge

CODES = ["TNP102", "TNP201"]


def found(source: str) -> set[tuple[int, str | None]]:
    text = textwrap.dedent(source).lstrip("\n")
    return {(f.line, f.code) for f in torchbridge.check_source(text, select=CODES)}


FUNCTIONS = [
    pytest.param("""
        import numpy as np, torch
        def flipped():
            return np.flip(np.zeros((2, 3)))
        t = torch.from_numpy(flipped())
        """, {(4, "TNP102")}, id="module-function"),
    pytest.param("""
        import numpy as np, torch
        def main(p):
            return torch.from_numpy(later(p))
        def later(p):
            if p:
                return np.zeros(3)[::-1]
            else:
                return np.flip(np.ones(2))
        """, {(3, "TNP102")}, id="defined-later-every-return-agrees"),
    pytest.param("""
        import numpy as np, torch
        def helper(p):
            if p:
                return np.zeros(3)[::-1]
        t = torch.from_numpy(helper(1))
        """, set(), id="falls-off-the-end-returns-None"),
    pytest.param("""
        import numpy as np, torch
        def helper(p, other):
            if p:
                return np.zeros(3)[::-1]
            return other
        t = torch.from_numpy(helper(1, None))
        """, set(), id="one-return-unknown"),
    pytest.param("""
        import numpy as np, torch
        def rec(n):
            return rec(n - 1) if n else np.flip(np.zeros(3))
        def ping(n):
            return pong(n)
        def pong(n):
            return ping(n)
        a = torch.from_numpy(rec(3))
        b = torch.from_numpy(ping(3))
        """, set(), id="recursion-is-unknown"),
    pytest.param("""
        import numpy as np, torch
        def gen():
            yield 1
            return np.flip(np.zeros(3))
        async def coro():
            return np.flip(np.zeros(3))
        a = torch.from_numpy(gen())
        b = torch.from_numpy(coro())
        """, set(), id="generators-and-coroutines"),
    pytest.param("""
        import functools
        import numpy as np, torch
        def wrap(f):
            return lambda: np.zeros(3)
        @wrap
        def helper():
            return np.flip(np.zeros(3))
        a = torch.from_numpy(helper())
        """, set(), id="decorated-function"),
    pytest.param("""
        import numpy as np, torch
        def helper():
            return np.flip(np.zeros(3))
        def use():
            return torch.from_numpy(helper())
        def helper():
            return np.zeros(3)
        """, set(), id="module-binds-the-name-twice"),
    pytest.param("""
        import numpy as np, torch
        def outer():
            def inner():
                return x
            x = np.zeros(3)
            x = x[::-1].copy()
            return torch.from_numpy(inner())
        """, set(), id="nested-functions-are-not-summarised"),
    pytest.param("""
        import numpy as np, torch
        def helper():
            try:
                return np.flip(np.zeros(3))
            except ValueError:
                raise
        t = torch.from_numpy(helper())
        """, {(7, "TNP102")}, id="try-whose-handlers-raise"),
    pytest.param("""
        import numpy as np, torch
        def helper(x: np.ndarray):
            return x
        t = torch.from_numpy(helper(np.flip(np.zeros(3))))
        u = torch.from_numpy(helper(np.zeros(3)))
        """, {(4, "TNP102")}, id="parameters-take-the-values-of-each-call"),
    pytest.param("""
        import numpy as np, torch
        def helper(x):
            return x[::-1]
        def passes(x):
            return x
        t = torch.from_numpy(passes(np.zeros(3)))
        u = torch.from_numpy(passes(x=np.flip(np.zeros(3))))
        v = torch.from_numpy(passes(*[np.flip(np.zeros(3))]))
        """, {(7, "TNP102")}, id="arguments-by-keyword-and-not-through-a-star"),
]


METHODS = [
    pytest.param("""
        import numpy as np, torch
        class Sampler:
            def get(self, n):
                lam = self._params(n)
                return torch.from_numpy(lam)
            def _params(self, n):
                return np.ones((n, 3))[::-1]
        """, {(5, "TNP102")}, id="method-through-self"),
    pytest.param("""
        import numpy as np, torch
        class Sampler:
            def get(self, n):
                return torch.from_numpy(self._params(n))
            def _params(self, n):
                return np.ones((n, 3))[::-1]
        class Fixed(Sampler):
            def _params(self, n):
                return np.ones((n, 3))
        """, set(), id="overridden-in-a-subclass"),
    pytest.param("""
        import numpy as np, torch
        class Sampler:
            def __init__(self, params):
                self._params = params
            def get(self, n):
                return torch.from_numpy(self._params(n))
            def _params(self, n):
                return np.ones((n, 3))[::-1]
        """, set(), id="method-name-stored-on-the-instance"),
    pytest.param("""
        import numpy as np, torch
        class Sampler:
            def get(self, n):
                return torch.from_numpy(self._params(n))
            def _params(self, n):
                return np.ones((n, 3))[::-1]
        sampler = Sampler()
        sampler._params = lambda n: np.ones((n, 3))
        """, set(), id="method-replaced-from-outside"),
    pytest.param("""
        import numpy as np, torch
        class Sampler:
            def get(self, n, other):
                self = other
                return torch.from_numpy(self._params(n))
            def _params(self, n):
                return np.ones((n, 3))[::-1]
        """, set(), id="self-rebound"),
    pytest.param("""
        import numpy as np, torch
        class Sampler:
            @property
            def _params(self):
                return lambda n: np.ones(3)
            def get(self, n):
                return torch.from_numpy(self._params(n))
        """, set(), id="property-is-not-a-method-call"),
    pytest.param("""
        import numpy as np, torch
        class Sampler:
            def get(self, n):
                return torch.from_numpy(self.helper(n))
            @staticmethod
            def make(n):
                return np.ones(3)[::-1]
            def helper(self, n):
                return self.make(n)
        """, {(4, "TNP102")}, id="static-method-through-a-method"),
]


GRAD = [
    pytest.param("""
        import torch
        model = torch.nn.Linear(4, 2)
        def predict(x):
            return model(x)
        def features(x):
            return predict(x)
        a = predict(torch.randn(1, 4)).numpy()
        b = features(torch.randn(1, 4)).numpy()
        """, {(7, "TNP201"), (8, "TNP201")}, id="helper-output-requires-grad"),
    pytest.param("""
        import torch
        model = torch.nn.Linear(4, 2)
        def predict(x):
            return model(x)
        @torch.no_grad()
        def predict_without_grad(x):
            return model(x)
        with torch.no_grad():
            a = predict(torch.randn(1, 4)).numpy()
        b = predict_without_grad(torch.randn(1, 4)).numpy()
        def step(train, x):
            with torch.set_grad_enabled(train):
                return predict(x).numpy()
        """, set(), id="call-without-grad-or-a-no_grad-helper"),
    pytest.param("""
        import torch
        model = torch.nn.Linear(4, 2)
        def predict(x):
            return model(x).detach()
        a = predict(torch.randn(1, 4)).numpy()
        """, set(), id="helper-detaches"),
]


CONTEXTS = [
    pytest.param("""
        import torch
        model = torch.nn.Linear(4, 3)
        def predict(x):
            return model(x).numpy()
        @torch.inference_mode()
        def evaluate(x):
            return predict(x)
        with torch.no_grad():
            print(predict(torch.randn(2, 4)))
        """, set(), id="called-only-without-grad"),
    pytest.param("""
        import torch
        model = torch.nn.Linear(4, 3)
        def predict(x):
            return model(x).numpy()
        def train(x):
            return predict(x)
        """, {(4, "TNP201")}, id="called-only-with-grad"),
    pytest.param("""
        import torch
        model = torch.nn.Linear(4, 3)
        def predict(x):
            return model(x).numpy()
        def train(x):
            return predict(x)
        with torch.no_grad():
            print(predict(torch.randn(2, 4)))
        """, set(), id="called-both-ways-is-unknown"),
    pytest.param("""
        import torch
        model = torch.nn.Linear(4, 3)
        def predict(x):
            return model(x).numpy()
        with torch.no_grad():
            print(predict(torch.randn(2, 4)))
        callbacks = [predict]
        """, set(), id="called-without-grad-and-passed-on"),
    pytest.param("""
        import torch
        model = torch.nn.Linear(4, 3)
        def predict(x):
            return model(x).numpy()
        def step(train, x):
            with torch.set_grad_enabled(train):
                return predict(x)
        """, set(), id="called-where-a-flag-decides"),
    pytest.param("""
        import torch
        def make():
            return torch.zeros(3, requires_grad=True)
        with torch.no_grad():
            leaf = make()
        a = leaf.numpy()
        """, {(6, "TNP201")}, id="a-leaf-made-without-grad-still-requires-it"),
]


@pytest.mark.parametrize(("source", "expected"), FUNCTIONS + METHODS + GRAD + CONTEXTS)
def test_return_summaries(source: str, expected: set[tuple[int, str]]) -> None:
    assert found(source) == expected


def test_a_summary_is_computed_once_per_function() -> None:
    from torchbridge.model import summaries

    calls: list[str] = []
    original = summaries.Summaries._walk

    def counting(self, function, owner, mode, arguments):  # type: ignore[no-untyped-def]
        calls.append(function.name.value)
        return original(self, function, owner, mode, arguments)

    source = """
        import numpy as np, torch
        def helper():
            return np.flip(np.zeros(3))
        a = torch.from_numpy(helper())
        b = torch.from_numpy(helper())
        def use():
            return torch.from_numpy(helper())
        """
    summaries.Summaries._walk = counting  # type: ignore[method-assign]
    try:
        assert found(source) == {(4, "TNP102"), (5, "TNP102"), (7, "TNP102")}
    finally:
        summaries.Summaries._walk = original  # type: ignore[method-assign]
    assert calls == ["helper"]


def test_a_summary_for_arguments_is_made_only_where_the_plain_one_is_open_and_once_per_values() -> None:
    from torchbridge.model import summaries

    calls: list[tuple[str, tuple[str, ...]]] = []
    original = summaries.Summaries._walk

    def counting(self, function, owner, mode, arguments):  # type: ignore[no-untyped-def]
        calls.append((function.name.value, tuple(name for name, _ in arguments)))
        return original(self, function, owner, mode, arguments)

    source = """
        import numpy as np, torch
        def settled(x):
            return np.flip(np.zeros(3))
        def passes(x):
            return x
        a = torch.from_numpy(settled(np.zeros(3)))
        b = torch.from_numpy(passes(np.flip(np.zeros(3))))
        c = torch.from_numpy(passes(np.flip(np.zeros(3))))
        """
    summaries.Summaries._walk = counting  # type: ignore[method-assign]
    try:
        assert found(source) == {(6, "TNP102"), (7, "TNP102"), (8, "TNP102")}
    finally:
        summaries.Summaries._walk = original  # type: ignore[method-assign]
    # settled: its plain summary is a negative-strided array, nothing to learn from the call;
    # passes: the plain one, then one per call (each call's own evidence for its message).
    assert calls == [("settled", ()), ("passes", ()), ("passes", ("x",)), ("passes", ("x",))]


def test_a_long_body_is_not_summarised() -> None:
    from torchbridge.model.summaries import MAX_STATEMENTS

    padding = "\n".join(f"    v{i} = {i}" for i in range(MAX_STATEMENTS))
    source = f"import numpy as np, torch\ndef helper():\n{padding}\n    return np.flip(np.zeros(3))\nt = torch.from_numpy(helper())\n"
    assert {(f.line, f.code) for f in torchbridge.check_source(source, select=CODES)} == set()
