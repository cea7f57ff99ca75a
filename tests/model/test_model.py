"""The semantic model: guard polarity, name resolution, scopes and joins."""

from __future__ import annotations

import libcst as cst
import pytest

from torchbridge.engine.walk import Dispatcher
from torchbridge.model import Polarity, SemanticModel, polarity
from torchbridge.model.guards import accelerator_only

P, N, B, X = Polarity.POSITIVE, Polarity.NEGATIVE, Polarity.BOTH, Polarity.NONE


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("torch.cuda.is_available()", P),
        ("not torch.cuda.is_available()", N),
        ("torch.accelerator.is_available()", P),
        ("torch.cuda.device_count() > 0", P),
        ("torch.cuda.device_count() >= 1", P),
        ("torch.cuda.device_count() == 0", N),
        ("n_gpu > 1", P),
        ("args.gpu is not None", P),
        ("args.gpu is None", N),
        ("use_cuda", P),
        ("args.cuda", P),
        ("self.use_gpu", P),
        ("args.no_cuda", N),
        ("not args.no_cuda", P),
        ("args.cpu", N),
        ("device.type == 'cuda'", P),
        ("device.type != 'cuda'", N),
        ("device == 'cuda:0'", P),
        ("'cuda' in str(device)", P),
        ("device != 'cpu'", P),
        ("device == 'cpu'", N),
        ("x.is_cuda", P),
        ("use_cuda and rank == 0", P),
        ("args.mode == 'train'", X),
        ("epoch > 3", X),
        ("torch.distributed.is_available()", X),
        ("ngpus == 2", B),
        # An empty selection means nothing was chosen; a non-empty one is the user's choice.
        ("os.environ.get('CUDA_VISIBLE_DEVICES', '') == ''", N),
        ("os.environ.get('CUDA_VISIBLE_DEVICES', '') != ''", P),
        ("os.environ.get('CUDA_VISIBLE_DEVICES') == '0'", B),
        # A function object is always true: no guard (fastai_dev#138's crash)
        ("torch.cuda.is_available", X),
        ("not torch.cuda.is_available", X),
    ],
)
def test_guard_polarity(condition, expected):
    assert polarity(cst.parse_expression(condition)) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("torch.accelerator.is_available()", True),
        ("torch.accelerator.device_count() > 0", True),
        ("torch.accelerator.current_accelerator() is not None", True),
        ("torch.cuda.is_available()", False),
        ("torch.accelerator.is_available() and torch.cuda.is_available()", False),
        ("use_gpu", False),
    ],
)
def test_accelerator_checks_say_nothing_of_cuda(condition, expected):
    assert accelerator_only(cst.parse_expression(condition)) is expected


class Probe:
    """Records what the model says about each ``probe(...)`` call's argument."""

    def __init__(self, model: SemanticModel):
        self.model = model
        self.seen: list[tuple[frozenset[str], bool]] = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "probe":
            self.seen.append((self.model.qualnames(node.args[0].value), self.model.in_cuda_guard))


def probe(source: str) -> list[tuple[frozenset[str], bool]]:
    model = SemanticModel()
    recorder = Probe(model)
    dispatcher = Dispatcher([recorder], model.traversals())
    model.walk = dispatcher.walk
    dispatcher.walk(cst.parse_module(source))
    return recorder.seen


def names(source: str) -> list[set[str]]:
    return [set(q) for q, _ in probe(source)]


def test_import_aliases_resolve():
    src = "import torch as th\nimport torch.nn as nn\nfrom torch import cuda, tensor as T\nimport numpy\n"
    src += "probe(th.zeros)\nprobe(nn.Linear)\nprobe(cuda.is_available)\nprobe(T)\nprobe(numpy.array)\n"
    assert names(src) == [
        {"torch.zeros"}, {"torch.nn.Linear"}, {"torch.cuda.is_available"}, {"torch.tensor"}, {"numpy.array"},
    ]


def test_import_of_a_submodule_binds_the_package():
    assert names("import torch.nn\nprobe(torch.nn.Linear)\n") == [{"torch.nn.Linear"}]


def test_local_bindings_shadow_imports():
    src = """
from torch import tensor
def f(tensor):
    probe(tensor)
def g():
    def tensor(): pass
    probe(tensor)
def h():
    tensor = 3
    probe(tensor)
class C:
    tensor = 1
    def m(self):
        probe(tensor)
probe(tensor)
"""
    assert names(src) == [set(), set(), set(), {"torch.tensor"}, {"torch.tensor"}]


def test_conditional_alias_joins_both_arms():
    src = "import torch\ncuda = True\nTensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor\nprobe(Tensor)\n"
    assert names(src) == [{"torch.cuda.FloatTensor", "torch.FloatTensor"}]


def test_try_except_import_alias():
    src = "try:\n    import torch as t\nexcept ImportError:\n    t = None\nprobe(t)\n"
    assert names(src) == [{"torch"}]


def test_function_sees_module_import_that_comes_later():
    assert names("def f():\n    probe(np.zeros)\nimport numpy as np\n") == [{"numpy.zeros"}]


def test_module_level_use_before_import_is_unknown():
    assert names("probe(np.zeros)\nimport numpy as np\n") == [set()]


def test_comprehension_targets_are_local():
    src = "import torch\nprobe([torch for torch in range(3)])\nx = [probe(torch) for torch in range(3)]\n"
    assert names(src) == [set(), set()]


def guards_at_probes(source: str) -> list[bool]:
    return [guarded for _, guarded in probe("import torch\n" + source)]


def test_if_branches_and_else():
    src = """
if torch.cuda.is_available():
    probe(1)
else:
    probe(2)
if not torch.cuda.is_available():
    probe(3)
else:
    probe(4)
probe(5)
"""
    assert guards_at_probes(src) == [True, False, False, True, False]


def test_early_exit_guards_the_rest_of_the_block_only():
    src = """
def f():
    probe(1)
    if not torch.cuda.is_available():
        raise SystemExit
    probe(2)
def g():
    probe(3)
"""
    assert guards_at_probes(src) == [False, True, False]


def test_ifexp_choice_is_guarded_and_nested_function_inherits_guard():
    src = """
x = probe(1) if use_gpu else probe(2)
y = probe(3) if flag else 'cpu'
if use_cuda:
    def inner():
        probe(4)
"""
    assert guards_at_probes(src) == [True, False, True, True]


def test_decorator_guard_through_a_name():
    src = """
import pytest
gpu_only = pytest.mark.skipif(not torch.cuda.is_available(), reason="x")
@gpu_only
def test_a():
    probe(1)
@pytest.mark.parametrize("device", ["cuda"])
def test_b(device):
    probe(2)
"""
    assert guards_at_probes(src) == [True, False]


def test_a_name_guards_only_tests_and_cuda_variants_of_an_api():
    src = """
def cuda_tensor():
    probe(1)
def to_gpu(x):
    probe(2)
def test_matmul_cuda():
    probe(3)
class TestOps:
    def _run_on_gpu(self):
        probe(4)
class CudaTests(unittest.TestCase):
    def helper(self):
        probe(5)
class Op:
    def forward_cuda(self, x):
        probe(6)
    def forward_native(self, x):
        probe(7)
class Other:
    def set_gpu_device(self):
        probe(8)
    def step_cuda(self):
        probe(9)
    def step(self):
        pass
class CUDAAccelerator(Accelerator):
    def setup_device(self, device):
        probe(10)
class HighPerfGpuNet(nn.Module):
    def forward(self, x):
        probe(11)
class GpuCache:
    def put(self, x):
        probe(12)
"""
    assert guards_at_probes(src) == [False, False, True, True, True, True, False, False, True, True, False, False]


def test_a_loop_over_gpus_and_a_cuda_library_import_guard():
    src = """
for gpu_idx in visible_devices:
    probe(1)
for i in range(torch.cuda.device_count()):
    probe(2)
for i in range(n):
    probe(3)
for batch in tqdm(loader, desc="on GPU"):
    probe(4)
def engine():
    probe(5)
    import tensorrt as trt
    probe(6)
"""
    assert guards_at_probes(src) == [True, True, False, False, False, True]


@pytest.mark.parametrize("literal", [
    '"a"', "'cuda:0'", "r'x\\\\y'", "R'\\d+'", 'u"""ab"""', "'''q\nr'''", "'tab\\there'", "'\\x41'", "'é'",
    "'a' 'b'", "b'x'", "f'{x}'", "rb'x'", "'\\N{EM DASH}'",
])
def test_string_value_reads_a_literal_as_python_does(literal: str) -> None:
    import ast

    from torchbridge.model.names import string_value

    node = cst.parse_module(f"x = {literal}\n").body[0].body[0].value  # type: ignore[attr-defined]
    expected = None
    if isinstance(node, cst.SimpleString):
        value = ast.literal_eval(literal) if "b" not in node.prefix.lower() and "f" not in node.prefix.lower() else None
        expected = value if isinstance(value, str) else None
    assert string_value(node) == expected


def test_an_attribute_chains_qualnames_follow_its_heads_binding_when_asked_again():
    """``qualnames`` of an attribute chain is kept per chain while its head's binding names
    the same objects: asked again after the head is rebound, it names the new ones."""
    model = SemanticModel()
    dispatcher = Dispatcher([], model.traversals())
    model.walk = dispatcher.walk
    module = cst.parse_module("import torch as t\nt.cuda.is_available()\n")
    dispatcher.walk(module)
    chain = module.body[1].body[0].value.func
    assert model.qualnames(chain) == {"torch.cuda.is_available"}
    assert model.qualnames(chain) is model.qualnames(chain)  # built once
    model.bind("t", "import", None, qualnames=frozenset({"numpy"}))
    assert model.qualnames(chain) == {"numpy.cuda.is_available"}
    model.bind("t", "assign", None)
    assert model.qualnames(chain) == frozenset()
    model.bind("t", "import", None, qualnames=frozenset({"torch", "jax"}))
    assert model.qualnames(chain) == {"torch.cuda.is_available", "jax.cuda.is_available"}
