"""Facts about ``self.`` attributes, instance attributes and module parameters.

Each case is a whole file; TNP102 (a negative-stride array into ``from_numpy``) and TNP201
(``.numpy()`` on a tensor that requires grad) show what the model proved. An empty set
means the value must stay unknown.
"""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

import torchbridge
from torchbridge.model import SemanticModel
from torchbridge.model.values import Kind

CODES = ["TNP102", "TNP201"]


def found(source: str) -> set[tuple[int, str | None]]:
    text = textwrap.dedent(source).lstrip("\n")
    return {(f.line, f.code) for f in torchbridge.check_source(text, select=CODES)}


SELF = [
    pytest.param("""
        import numpy as np, torch
        class Frames(torch.utils.data.Dataset):
            def __init__(self):
                self.frames = np.zeros((4, 3))[:, ::-1]
            def __getitem__(self, i):
                return torch.from_numpy(self.frames)
        """, {(6, "TNP102")}, id="set-in-init-read-in-getitem"),
    pytest.param("""
        import numpy as np, torch
        class Frames(torch.utils.data.Dataset):
            def __getitem__(self, i):
                return torch.from_numpy(self.frames)
            def __init__(self):
                self.frames = np.zeros((4, 3))[:, ::-1]
        """, {(4, "TNP102")}, id="read-before-the-write-in-the-file"),
    pytest.param("""
        import numpy as np, torch
        class Frames:
            def __init__(self):
                self.frames = np.zeros((4, 3))[:, ::-1]
            def __getitem__(self, i):
                return torch.from_numpy(self.frames)
            def reset(self):
                self.frames = np.zeros((4, 3))
        """, set(), id="written-with-another-layout-in-another-method"),
    pytest.param("""
        import numpy as np, torch
        class Frames:
            def __init__(self):
                self.frames = np.zeros((4, 3))[:, ::-1]
            def __getitem__(self, i):
                return torch.from_numpy(self.frames)
        ds = Frames()
        ds.frames = np.zeros(3)
        """, set(), id="written-from-outside"),
    pytest.param("""
        import numpy as np, torch
        class Frames:
            def __init__(self):
                self.frames = np.zeros((4, 3))[:, ::-1]
            def __getitem__(self, i):
                return torch.from_numpy(self.frames)
        class Contiguous(Frames):
            def __init__(self):
                self.frames = np.zeros((4, 3))
        """, set(), id="written-by-a-subclass"),
    pytest.param("""
        import numpy as np, torch
        class Frames:
            def __init__(self, name):
                self.frames = np.zeros((4, 3))[:, ::-1]
                setattr(self, name, np.zeros(3))
            def __getitem__(self, i):
                return torch.from_numpy(self.frames)
        """, set(), id="setattr-with-a-computed-name"),
    pytest.param("""
        import numpy as np, torch
        class Frames:
            frames = None
            def load(self):
                self.frames = np.zeros((4, 3))[:, ::-1]
            def __getitem__(self, i):
                return torch.from_numpy(self.frames)
        """, set(), id="class-attribute-read-before-the-first-write"),
    pytest.param("""
        import numpy as np, torch
        class Frames:
            def __init__(self):
                self.frames = np.zeros((4, 3))[:, ::-1]
                self.frames += 1
            def __getitem__(self, i):
                return torch.from_numpy(self.frames)
        """, set(), id="augmented-write-is-unknown"),
    pytest.param("""
        import numpy as np, torch
        class Frames:
            def __init__(self):
                self.frames = np.zeros((4, 3))[:, ::-1]
        ds = Frames()
        t = torch.from_numpy(ds.frames)
        """, {(6, "TNP102")}, id="instance-attribute"),
    pytest.param("""
        import numpy as np, torch
        class Frames:
            def __init__(self):
                self.frames = np.zeros((4, 3))[:, ::-1]
        ds = Frames()
        def use():
            return torch.from_numpy(ds.frames)
        ds = None
        """, set(), id="instance-rebound-by-the-module"),
    pytest.param("""
        import numpy as np, torch
        class Sampler:
            def __init__(self):
                self.flip = True
            def _params(self):
                return self.base[::-1]
            def get(self):
                return torch.from_numpy(self._params())
            def load(self):
                self.base = np.zeros((3, 3))
        """, {(8, "TNP102")}, id="method-summary-reads-an-attribute-written-later"),
]


PARAMETERS = [
    pytest.param("""
        import torch
        from torch import nn
        model = nn.Linear(3, 4)
        a = model.weight.numpy()
        b = model.weight.detach().numpy()
        c = nn.Conv2d(3, 4, 3).weight.numpy()
        """, {(4, "TNP201"), (6, "TNP201")}, id="layer-weight-requires-grad"),
    pytest.param("""
        import torch
        from torch import nn
        seq = nn.Sequential(nn.Linear(3, 4))
        a = seq.weight.numpy()
        bn = nn.BatchNorm1d(3, affine=False)
        b = bn.weight.numpy()
        frozen = nn.Linear(3, 4)
        frozen.requires_grad_(False)
        c = frozen.weight.numpy()
        """, set(), id="no-weight-or-frozen"),
    pytest.param("""
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.zeros(3))
                self.b = nn.Parameter(torch.zeros(3), requires_grad=False)
        net = Net()
        a = net.w.numpy()
        b = net.b.numpy()
        """, {(9, "TNP201")}, id="own-module-parameter"),
    pytest.param("""
        import torch
        from torch import nn
        model = nn.Linear(3, 4)
        for p in model.parameters():
            p.requires_grad = False
        a = model.weight.numpy()
        """, set(), id="file-freezes-parameters"),
    pytest.param("""
        import torch
        from torch import nn
        class Probe:
            def __init__(self):
                self.head = nn.Linear(3, 4)
                self.frozen = nn.Linear(3, 4)
                self.moved = nn.Linear(3, 4)
            def read(self):
                a = self.head.weight.numpy()
                b = self.moved.weight.numpy()
                c = self.frozen.weight.numpy()
                return a, b, c
            def reset(self):
                self.moved = nn.Identity()
        probe = Probe()
        probe.frozen = None
        """, {(9, "TNP201")}, id="self-layer-weight-when-every-write-makes-the-layer"),
    pytest.param("""
        import torch
        from torch import nn
        class Probe:
            def __init__(self):
                self.head = nn.Linear(3, 4)
            def read(self):
                return self.head.weight.numpy()
        probe = Probe()
        probe.head = nn.Identity()
        """, set(), id="self-layer-written-outside-the-class"),
    pytest.param("""
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 4)
            def forward(self, x):
                return self.fc(x)
        class Runner:
            def __init__(self, device):
                self.model = Net().to(device).eval()
            def predict(self, x):
                return self.model(x).numpy()
            def predict_quietly(self, x):
                with torch.no_grad():
                    return self.model(x).numpy()
        model = nn.Linear(3, 4).cuda().eval()
        y = model(torch.ones(3)).numpy()
        """, {(13, "TNP201"), (18, "TNP201")}, id="moved-or-evaluated-module-keeps-its-grad"),
]


@pytest.mark.parametrize(("source", "expected"), SELF + PARAMETERS)
def test_attribute_facts(source: str, expected: set[tuple[int, str]]) -> None:
    assert found(source) == expected


def test_class_attributes_api_gives_each_known_attribute_with_its_writes() -> None:
    source = textwrap.dedent("""
        import numpy as np, torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.convs = [nn.Conv2d(3, 3, 3) for _ in range(n)]
                self.scale = torch.ones(3)
                self.name = n
                self.table = np.zeros(3)
            def reset(self):
                self.table = np.ones(3)
        """)
    module = cst.parse_module(source)
    model = SemanticModel()
    model.track_values = True
    seen: dict[str, object] = {}
    table = model.traversals()

    def walk(node: cst.CSTNode) -> None:
        traverse = table.get(type(node))
        if traverse is not None:
            traverse(node)
        else:
            from torchbridge.model.tree import walk_children

            walk_children(node, walk)
        if isinstance(node, cst.ClassDef):
            seen.update(model.class_attributes(node))

    model.walk = walk
    walk(module)
    facts = {name: (f.value.kind, len(f.writes)) for name, f in seen.items()}  # type: ignore[attr-defined]
    assert facts == {
        "convs": (Kind.LIST, 1), "scale": (Kind.TENSOR, 1), "name": (Kind.UNKNOWN, 1), "table": (Kind.NDARRAY, 2),
    }
