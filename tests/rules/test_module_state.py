"""TNP310: what silences it, where its fixes are offered, and what the fixed module does.

The runtime tests build the original and the fixed module with torch and move each to the
``meta`` device, which stands in for a GPU: what `module.to()` moves goes there, what it
leaves behind stays on the CPU.
"""

from __future__ import annotations

import textwrap

import pytest
from needs import needs

from torchbridge import check_source, fix_source


def lines(source: str) -> list[int]:
    return [f.line for f in check_source(textwrap.dedent(source).lstrip("\n"), select=["TNP310"])]


HEADER = """
import torch
from torch import nn
class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.ones(8)
"""


@pytest.mark.parametrize(
    ("forward", "reported"),
    [
        ("def forward(self, x):\n        return x * self.scale", True),
        ("def forward(self, x: torch.Tensor, y: torch.Tensor):\n        return x + y * self.scale", True),
        # The helper forward calls is judged too.
        ("def forward(self, x):\n        return self.helper(x)\n    def helper(self, h):\n"
         "        return torch.cat([h, self.scale])", True),
        # Derived from the input: still on its device.
        ("def forward(self, x):\n        y = torch.relu(x).view(-1)\n        return y - self.scale", True),
        # A number parameter: no tensor to meet.
        ("def forward(self, x, step: int):\n        return step * self.scale", False),
        ("def forward(self, x, step):\n        return step * self.scale", False),
        # Moved to the CPU first, or the attribute moved to the input.
        ("def forward(self, x):\n        x = x.cpu()\n        return x * self.scale", False),
        ("def forward(self, x):\n        return x * self.scale.to(x)", False),
        # Only its shape is read.
        ("def forward(self, x):\n        return x.view(*self.scale.shape)", False),
        # Not run by forward.
        ("def forward(self, x):\n        return x\n    def unused(self, x):\n        return x * self.scale", False),
    ],
)
def test_what_meets_the_input(forward, reported):
    assert lines(HEADER + "    " + forward + "\n") == ([6] if reported else [])


@pytest.mark.parametrize(
    "other",
    [
        # A computed buffer name could be any attribute.
        'def register(module, name):\n    module.register_buffer(name, torch.ones(1))\n',
        # Written from outside the class: its value there is not known.
        'def reset(module):\n    module.scale = torch.ones(8).cuda()\n',
    ],
)
def test_other_code_in_the_file_silences_it(other):
    source = HEADER + "    def forward(self, x):\n        return x * self.scale\n" + other
    assert lines(source) == []


@pytest.mark.parametrize(("base", "reported"), [("Base", False), ("nn.Module", True)])
def test_a_buffer_registered_by_a_base_class(base, reported):
    """The base registers the name: the subclass's assignment fills the buffer. Another
    class of the file that registers the same name says nothing about this one."""
    source = f"""
    import torch
    from torch import nn
    class Base(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("scale", None)
    class Scale({base}):
        def __init__(self):
            super().__init__()
            self.scale = torch.ones(8)
        def forward(self, x):
            return x * self.scale
    """
    assert lines(source) == ([10] if reported else [])


def test_a_second_write_on_another_device_silences_it():
    source = HEADER + (
        "    def forward(self, x):\n"
        "        self.scale = self.scale.to(x.device)\n"
        "        return x * self.scale\n"
    )
    assert lines(source) == []


def test_no_register_fix_before_super_init_or_with_two_writes():
    before = """
    import torch
    from torch import nn
    class Scale(nn.Module):
        def __init__(self):
            self.scale = torch.ones(8)
            super().__init__()
        def forward(self, x):
            return x * self.scale
    """
    twice = """
    import torch
    from torch import nn
    class Scale(nn.Module):
        def __init__(self, big):
            super().__init__()
            self.scale = torch.ones(8)
            if big:
                self.scale = torch.ones(8) * 2
        def forward(self, x):
            return x * self.scale
    """
    for source, line in ((before, 5), (twice, 6)):
        findings = check_source(textwrap.dedent(source).lstrip("\n"), select=["TNP310"])
        assert [f.line for f in findings] == [line] and findings[0].fix is None


@pytest.mark.parametrize(
    ("container", "reported"),
    [
        ("[nn.Linear(4, 4) for _ in range(2)]", True),
        ("[nn.Linear(4, 4), nn.ReLU()]", True),
        ("{1: nn.Linear(4, 4)}", True),  # reported, not rewritten: ModuleDict takes string keys
        ("[self.shared, nn.Linear(4, 4)]", False),  # the shared layer is registered already
        ("[]", False),  # never filled
    ],
)
def test_containers_of_layers(container, reported):
    source = f"""
    import torch
    from torch import nn
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.shared = nn.Linear(4, 4)
            self.layers = {container}
        def forward(self, x):
            for key in range(len(self.layers)):
                x = self.layers[key](x)
            return x
    """
    findings = check_source(textwrap.dedent(source).lstrip("\n"), select=["TNP310"])
    assert [f.line for f in findings] == ([7] if reported else [])
    if reported:
        assert (findings[0].fix is None) == container.startswith("{1:")


@pytest.mark.parametrize(
    "use",
    [
        "self.net = nn.Sequential(*self.layers)",
        "self.all = nn.ModuleList(self.layers)",
        "for i, layer in enumerate(self.layers):\n                self.add_module(f'layer{i}', layer)",
    ],
)
def test_layers_registered_some_other_way(use):
    source = f"""
    import torch
    from torch import nn
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(4, 4) for _ in range(2)]
            {use}
        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x
    """
    assert lines(source) == []


def test_the_fix_names_torch_nn_as_the_file_does():
    source = textwrap.dedent("""
    import torch as th
    class Stack(th.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [th.nn.Linear(4, 4)]
        def forward(self, x):
            return self.layers[0](x)
    """).lstrip("\n")
    fixed = fix_source(source, unsafe=True, select=["TNP310"]).source
    assert "self.layers = th.nn.ModuleList([th.nn.Linear(4, 4)])" in fixed
    assert fix_source(source, select=["TNP310"]).source == source  # unsafe: not applied by default


ORIGINAL = """
import torch
from torch import nn
class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.ones(3)
        self.layers = [nn.Linear(3, 3)]
    def forward(self, x):
        return self.layers[0](x * self.scale)
"""


def _build(source: str):
    namespace: dict[str, object] = {}
    exec(compile(source, "<module>", "exec"), namespace)  # noqa: S102 - our own test source
    return namespace["Scale"]()


def test_the_fixed_module_moves_its_state_and_keeps_its_state_dict():
    torch = needs("torch", "builds the original and the fixed module")
    fixed_source = fix_source(ORIGINAL.lstrip("\n"), unsafe=True, select=["TNP310"]).source
    assert 'self.register_buffer("scale", torch.ones(3), persistent=False)' in fixed_source
    original, fixed = _build(ORIGINAL), _build(fixed_source)
    original.to("meta")
    fixed.to("meta")
    assert original.scale.device.type == "cpu" and original.layers[0].weight.device.type == "cpu"
    assert fixed.scale.device.type == "meta" and fixed.layers[0].weight.device.type == "meta"
    # What the documentation says changes, and what does not.
    original, fixed = _build(ORIGINAL), _build(fixed_source)
    assert list(original.state_dict()) == []
    assert list(fixed.state_dict()) == ["layers.0.weight", "layers.0.bias"]  # the layers' keys, not the buffer's
    assert [n for n, _ in fixed.named_buffers()] == ["scale"]
    assert original.half().scale.dtype == torch.float32 and fixed.half().scale.dtype == torch.float16
    with pytest.raises(TypeError):
        _build(fixed_source).scale = 3.0


def test_every_attribute_of_one_call_is_reported():
    source = """
    import torch
    import torch.nn.functional as F
    class FunctionalLinear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.rand((5, 5))
            self.bias = torch.zeros(5)
        def forward(self, x):
            return F.linear(x, self.weight, self.bias)
    """
    assert lines(source) == [6, 7]


def test_a_lightning_step_meets_the_batch():
    source = """
    import torch
    import torch.nn.functional as F
    import lightning.pytorch as pl
    class Model(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.weights = torch.ones(10)
            self.layer = torch.nn.Linear(4, 10)
        def forward(self, x):
            return self.layer(x)
        def training_step(self, batch, batch_idx):
            x, y = batch
            return F.cross_entropy(self(x), y, weight=self.weights)
    """
    assert lines(source) == [7]
