"""Facts that travel further in the flow: a tensor changed in place across a loop, lists
bound by a tuple assignment or at module level, and what a helper returns for the arguments
of one call. Each is seen through TNP205, the rule that reads them (a list of tensors that
require grad, passed to a converting call). Runtime facts checked with torch 2.13.0+cpu."""

from __future__ import annotations

import textwrap

import pytest
import torch

import torchbridge


def lines(source: str, code: str = "TNP205") -> set[int]:
    text = textwrap.dedent(source).lstrip("\n")
    return {f.line for f in torchbridge.check_source(text, select=[code])}


# ----------------------------------------------------------------- in place across a loop

def test_an_in_place_update_keeps_the_same_tensor_and_its_grad():
    w = torch.zeros(3, requires_grad=True)
    before = w
    with torch.no_grad():
        w -= 0.1 * torch.ones(3)
        w **= 2
    assert w is before and w.requires_grad


def test_a_tensor_updated_in_place_in_the_loop_still_requires_grad_at_its_head():
    assert lines("""
        import matplotlib.pyplot as plt
        import torch
        def fit(x, y, steps):
            w = torch.zeros(3, requires_grad=True)
            losses = []
            for step in range(steps):
                loss = ((x @ w - y) ** 2).mean()
                loss.backward()
                with torch.no_grad():
                    w -= 0.1 * w.grad
                losses.append(loss)
            plt.plot(losses)
        """) == {12}


def test_a_tensor_rebound_by_assignment_in_the_loop_is_unknown_at_its_head():
    assert lines("""
        import matplotlib.pyplot as plt
        import torch
        def fit(x, y, steps):
            w = torch.zeros(3, requires_grad=True)
            losses = []
            for step in range(steps):
                loss = ((x * w - y) ** 2).mean()
                losses.append(loss)
                w = load_weights(step)  # ok: anything from here on
            plt.plot(losses)
        """) == set()


def test_a_matrix_product_in_place_makes_a_new_tensor():
    # Tensor has no __imatmul__: ``w @= m`` is ``w = w @ m``, without grad under no_grad.
    assert not hasattr(torch.Tensor, "__imatmul__")
    w = torch.ones(2, 2, requires_grad=True)
    with torch.no_grad():
        w @= torch.ones(2, 2)
    assert not w.requires_grad
    assert lines("""
        import numpy as np
        import torch
        def f(m, steps):
            w = torch.ones(2, 2, requires_grad=True)
            with torch.no_grad():
                w @= m
            return np.cumsum(w)  # ok: no longer requires grad
        """) == set()


def test_an_in_place_update_under_no_grad_keeps_an_unknown_grad_unknown():
    assert lines("""
        import numpy as np
        import torch
        def f(w: torch.Tensor, g):
            with torch.no_grad():
                w -= g
            return np.cumsum(w)  # ok: w's grad was never known
        """) == set()


# ------------------------------------------------------------------------------ lists

def test_a_list_bound_by_a_tuple_assignment_is_followed_per_position():
    assert lines("""
        import matplotlib.pyplot as plt
        import torch
        def fit(x, steps):
            w = torch.randn(1, requires_grad=True)
            epochs, losses = [], []
            for epoch in range(steps):
                loss = ((w * x) ** 2).mean()
                epochs.append(epoch)
                losses.append(loss)
            plt.plot(epochs)
            plt.plot(losses)
        """) == {11}


def test_a_module_level_list_filled_by_the_module_code_before_the_call():
    assert lines("""
        import matplotlib.pyplot as plt
        import torch
        w = torch.randn(3, requires_grad=True)
        losses = []
        for i in range(10):
            losses.append((w ** 2).sum())
        plt.plot(losses)
        """) == {7}


def test_a_module_level_list_a_function_names_is_unknown():
    assert lines("""
        import matplotlib.pyplot as plt
        import torch
        w = torch.randn(3, requires_grad=True)
        losses = []
        def record(value):
            losses.append(value.item())
        for i in range(10):
            losses.append((w ** 2).sum())
        plt.plot(losses)  # ok: unknown, a function may have filled it with floats
        """) == set()


def test_a_module_level_list_read_inside_a_function_is_unknown():
    assert lines("""
        import matplotlib.pyplot as plt
        import torch
        w = torch.randn(3, requires_grad=True)
        losses = []
        for i in range(10):
            losses.append((w ** 2).sum())
        def show():
            plt.plot(losses)  # ok: runs when called, after whatever the module did by then
        """) == set()


@pytest.mark.parametrize("use", ["losses.clear()", "losses[0] = 1.0", "extend(losses)"])
def test_a_module_level_list_with_another_use_is_unknown(use):
    assert lines(f"""
        import matplotlib.pyplot as plt
        import torch
        w = torch.randn(3, requires_grad=True)
        losses = []
        for i in range(10):
            losses.append((w ** 2).sum())
        {use}
        plt.plot(losses)
        """) == set()


def test_a_list_converted_into_its_own_name_is_followed_up_to_that_statement():
    assert lines("""
        import numpy as np
        import torch
        def f(w: torch.Tensor, steps):
            w = w.cuda()
            losses = []
            for step in range(steps):
                losses.append((w ** 2).sum())
            losses = np.mean(losses)
            print(losses)
            return losses
        """) == {8}


def test_a_rebinding_before_the_definition_in_a_loop_is_no_such_statement():
    assert lines("""
        import numpy as np
        import torch
        def f(w: torch.Tensor, steps):
            w = w.cuda()
            losses = [w]
            for step in range(steps):
                losses = np.mean(losses)  # ok: the previous iteration's list may be anything by now
                losses = []
                losses.append(1.0)
        """) == set()


def test_a_rebinding_in_another_block_than_the_definition_stops_nothing():
    assert lines("""
        import numpy as np
        import torch
        def f(w: torch.Tensor, steps):
            w = w.cuda()
            losses = []
            for step in range(steps):
                losses.append((w ** 2).sum())
                if step % 10 == 0:
                    losses = np.mean(losses)  # ok: the next iteration appends to a number
        """) == set()


# --------------------------------------------------------------------------- tuples

def test_a_tuple_return_is_unpacked_position_by_position():
    assert lines("""
        import numpy as np
        import torch
        def pair(image):
            counts, _ = np.histogram(image, bins=3)
            return image, counts
        def stacked(images):
            found = []
            for image in images:
                _, counts = pair(image)
                found.append(counts)
            first, second = pair(images[0])
            a = torch.tensor(found)
            b = torch.tensor([first])  # ok: the parameter's value, unknown
            c = torch.tensor([pair(images[0])[1]])
            return a, b, c
        """, "TNP104") == {12, 14}


def test_histogram_gives_two_ndarrays():
    import numpy as np
    counts, edges = np.histogram(np.arange(5.0), bins=3)
    assert isinstance(counts, np.ndarray) and isinstance(edges, np.ndarray)


# ------------------------------------------------------------- helpers that return tensors

def test_a_comparison_with_a_tensor_is_a_bool_tensor_that_never_requires_grad():
    w = torch.ones(2, requires_grad=True)
    assert isinstance(w == 0, torch.Tensor) and not (w == 0).requires_grad
    assert (w == None) is False  # noqa: E711  # against None: a Python bool
    assert lines("""
        import numpy as np
        import torch
        def f(w: torch.Tensor):
            w = w.cuda()
            g = torch.ones(2, requires_grad=True)
            a = np.cumsum(w > 0)
            b = np.cumsum(g > 0)  # ok: on the CPU, no grad
            c = np.cumsum(w == None)  # ok: a bool
        """) == {6}


def test_a_helper_s_tensor_moved_and_discarded_is_reported_at_the_call_site():
    from torch.autograd import Variable
    t = torch.ones(2, requires_grad=True)
    assert not Variable(t).requires_grad  # a new, detached tensor
    assert lines("""
        import numpy as np
        import torch
        from torch.autograd import Variable
        def mask(size, flag):
            m = Variable(torch.from_numpy(np.ones((size, size))) == 0)
            if flag:
                m = m.cuda()
            return m
        def masks(trg):
            m = mask(trg.size(1), True)
            if trg.is_cuda:
                m.cuda()
            return m
        """, "TNP404") == {12}


# --------------------------------------------------------------- lists held in self.<name>

DQN = """
    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    import torch.nn as nn
    class Agent:
        def __init__(self, n):
            self.net = nn.Sequential(nn.Linear(n, 10), nn.ReLU(), nn.Linear(10, 2))
            self.loss_func = nn.MSELoss()
            self.cost_his = []
        def learn(self, s, target):
            loss = self.loss_func(self.net(s), target)
            loss.backward()
            self.cost_his.append({appended})
        def plot_cost(self):
            plt.plot(np.arange(len(self.cost_his)), self.cost_his)
    {outside}
    """


def test_a_list_attribute_filled_by_the_class_s_methods_is_followed():
    assert lines(DQN.format(appended="loss", outside="")) == {15}


@pytest.mark.parametrize(("appended", "outside"), [
    ("loss.item()", ""),  # floats
    ("loss", "Agent(3).cost_his.append(1.0)"),  # other code of the module fills it too
    ("loss", "def reset(agent):\n        agent.cost_his = []"),
])
def test_a_list_attribute_with_another_element_or_writer_is_unknown(appended, outside):
    assert lines(DQN.format(appended=appended, outside=outside)) == set()


def test_a_list_attribute_appended_in_a_nested_function_is_unknown():
    assert lines("""
        import matplotlib.pyplot as plt
        import torch
        class Agent:
            def __init__(self):
                self.w = torch.ones(3, requires_grad=True)
                self.cost_his = []
            def learn(self, values):
                def record(v):
                    self.cost_his.append(v)
                record(1.0)
                self.cost_his.append((self.w ** 2).sum())
            def plot_cost(self):
                plt.plot(self.cost_his)  # ok: unknown, the nested function adds a float
        """) == set()
