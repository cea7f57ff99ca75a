"""The fixer's helpers and the preconditions of each fix, one behaviour per test."""

from __future__ import annotations

import pytest

from torchbridge import check_source, fix_source


def fixed(source: str, unsafe: bool = True, **options) -> str:
    return fix_source(source, unsafe=unsafe, select=["TNP"], **options).source


def fix_of(source: str, code: str):
    (finding,) = [f for f in check_source(source, select=[code]) if f.code == code]
    return finding.fix


# ---------------------------------------------------------------- the import helper


def test_existing_alias_is_reused():
    source = "import numpy as np\nfrom torch import tensor\nimport torch as th\ndef f():\n    a = np.zeros(3)\n    return tensor(a)\n"
    assert fixed(source).endswith("    return th.as_tensor(a)\n")


def test_new_import_goes_after_docstring_future_and_leading_imports():
    source = '"""Doc."""\nfrom __future__ import annotations\nimport torch\nx = torch.nn.Linear(3, 3).cuda()\n'
    assert fixed(source) == (
        '"""Doc."""\nfrom __future__ import annotations\nimport torch\n'
        '\nDEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")\nx = torch.nn.Linear(3, 3).to(DEVICE)\n'
    )


def test_import_added_for_a_from_import_only_file():
    """``import torch`` goes where isort puts it (after numpy, before the from-imports), and
    the ``from torch import tensor`` the fix left unused goes (pyflakes' F401)."""
    source = "import numpy as np\nfrom torch import tensor\ndef f():\n    a = np.zeros(3)\n    return tensor(a)\n"
    assert fixed(source) == "import numpy as np\nimport torch\ndef f():\n    a = np.zeros(3)\n    return torch.as_tensor(a)\n"


def test_an_import_left_unused_is_kept_where_anything_still_names_it():
    source = (
        "import numpy as np\nimport torch\nmodel = torch.nn.Linear(4, 2)\n"
        "scores = np.asarray(model(torch.randn(8, 4)))\n"
    )
    assert fixed(source).startswith("import torch\n")  # np was used only in the fixed call
    for kept in ('__all__ = ["np"]\n', "x = 1  # type: np.ndarray\n", "def f(np):\n    return np\n", "import numpy as np\n"):
        assert fixed(source + kept).startswith("import numpy as np\n"), kept
    assert fixed(source, filename="pkg/__init__.py").startswith("import numpy as np\n")  # an interface


def test_an_import_unused_before_the_fix_is_left_alone():
    source = "import os\nimport torch\nt = torch.zeros(3).cpu().detach()\n"
    assert fixed(source) == source.replace("cpu().detach()", "detach().cpu()")


def test_shadowed_module_name_is_never_used():
    # ``torch`` is a parameter here: importing it at module level would not reach this use.
    source = "import numpy as np\nfrom torch import tensor\ndef f(torch):\n    a = np.zeros(3)\n    return tensor(a)\n"
    finding = [f for f in check_source(source, select=["TNP101"])]
    assert finding and finding[0].fix is None
    assert fixed(source) == source


def test_name_bound_to_something_else_is_never_imported_over():
    # numpy under ``np`` is taken: a TNP103 fix needing numpy must not add ``import numpy as np``.
    source = (
        "import numpy\nimport torch\nnp = 'taken'\ndef f():\n    m = numpy.zeros((3, 4))\n"
        "    return torch.as_tensor(m.T) @ torch.ones(3, dtype=torch.float64)\n"
    )
    assert "numpy.ascontiguousarray(m.T)" in fixed(source)


# ---------------------------------------------------------------- preconditions


def test_tnp101_array_used_again_is_unsafe():
    source = "import numpy as np\nimport torch\ndef f():\n    a = np.zeros(3)\n    t = torch.tensor(a)\n    a += 1\n    return t\n"
    assert fix_of(source, "TNP101").applicability == "unsafe"


def test_tnp101_array_converted_in_a_loop_is_unsafe():
    source = "import numpy as np\nimport torch\ndef f():\n    a = np.zeros(3)\n    for _ in range(2):\n        t = torch.tensor(a)\n    return t\n"
    assert fix_of(source, "TNP101").applicability == "unsafe"


def test_tnp101_array_captured_by_a_closure_is_unsafe():
    source = "import numpy as np\nimport torch\ndef f():\n    a = np.zeros(3)\n    g = lambda: a\n    return torch.tensor(a), g\n"
    assert fix_of(source, "TNP101").applicability == "unsafe"


def test_tnp101_view_of_a_parameter_is_unsafe():
    source = "import numpy as np\nimport torch\ndef f(a: np.ndarray):\n    b = np.asarray(a)\n    return torch.tensor(b)\n"
    assert fix_of(source, "TNP101").applicability == "unsafe"


def test_tnp101_fresh_array_defined_and_converted_in_the_same_loop_is_safe():
    source = "import numpy as np\nimport torch\ndef f(xs):\n    for x in xs:\n        a = np.stack([x, x])\n        yield torch.tensor(a)\n"
    assert fix_of(source, "TNP101").applicability == "safe"


def test_tnp103_view_with_a_dtype_falls_back_to_the_unsafe_fix():
    source = (
        "import numpy as np\nimport torch\nimage = np.zeros((4, 5, 3), dtype=np.float32)\n"
        "chw = torch.from_numpy(image.transpose(2, 0, 1))\nbits = chw.view(torch.int32)\n"
    )
    fix = fix_of(source, "TNP103")
    assert (fix.applicability, fix.entry.key) == ("unsafe", "TNP103/ascontiguousarray")


def test_tnp201_numpy_with_arguments_has_no_fix():
    source = "import torch\nw = torch.nn.Parameter(torch.ones(2))\nv = w.numpy(force=False)\n"
    assert fix_of(source, "TNP201") is None


@pytest.mark.parametrize("call", ["x.cuda(1)", "x.cuda(device=0)", 'x.to("cuda:1")', 'x.to(torch.device("cuda", 1))'])
def test_indexed_device_is_reported_never_rewritten(call):
    source = f"import torch\nx = torch.zeros(2)\ny = {call}\n"
    findings = check_source(source, select=["TNP3"])
    assert findings and all(f.fix is None for f in findings)
    assert fixed(source) == source


def test_device_variable_rebound_by_an_import_is_not_reused():
    source = 'import torch\ndevice = "cuda" if torch.cuda.is_available() else "cpu"\nfrom cfg import device\nx = torch.zeros(2, device="cuda")\n'
    assert fix_of(source, "TNP301").entry.key == "TNP30x/insert-device"


def test_device_variable_written_through_global_is_not_reused():
    source = (
        'import torch\ndevice = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
        "def pick():\n    global device\n    device = torch.device('cpu')\n"
        'x = torch.zeros(2, device="cuda")\n'
    )
    fix = fix_of(source, "TNP301")
    assert fix.entry.key == "TNP30x/insert-device"


def test_accelerator_device_variable_is_not_reused():
    source = (
        "import torch\ndevice = torch.accelerator.current_accelerator() if torch.accelerator.is_available() "
        'else torch.device("cpu")\nx = torch.zeros(2, device="cuda")\n'
    )
    assert fix_of(source, "TNP301").entry.key == "TNP30x/insert-device"


def test_device_variable_defined_after_the_use_is_not_reused():
    source = 'import torch\nx = torch.zeros(2, device="cuda")\ndevice = "cuda" if torch.cuda.is_available() else "cpu"\n'
    assert fix_of(source, "TNP301").entry.key == "TNP30x/insert-device"


def test_pin_memory_device_takes_only_a_string_variable():
    base = "import torch\nfrom torch.utils.data import DataLoader\n{var}\ndef f(ds):\n    return DataLoader(ds, pin_memory_device=\"cuda\")\n"
    as_device = base.format(var='device = torch.device("cuda" if torch.cuda.is_available() else "cpu")')
    as_string = base.format(var='device = "cuda" if torch.cuda.is_available() else "cpu"')
    assert fix_of(as_device, "TNP301") is None
    assert fix_of(as_string, "TNP301").applicability == "safe"


def test_name_device_already_used_blocks_insertion():
    source = "import torch\nDEVICE = 3\nx = torch.nn.Linear(3, 3).cuda()\n"
    assert fix_of(source, "TNP302") is None


def test_accelerator_idiom():
    source = "import torch as th\nx = th.nn.Linear(3, 3).cuda()\n"
    assert fixed(source, device_idiom="accelerator") == (
        "import torch as th\n\nDEVICE = th.accelerator.current_accelerator() if th.accelerator.is_available() "
        'else th.device("cpu")\nx = th.nn.Linear(3, 3).to(DEVICE)\n'
    )
    with pytest.raises(ValueError, match="device_idiom"):
        fix_source(source, device_idiom="mps")


@pytest.mark.parametrize(
    ("declared", "inserted"),
    [
        # torch.accelerator is in the 2.6 docs (docs.pytorch.org/docs/2.6/accelerator.html) and not in 2.5's.
        ("2.4", 'DEVICE = th.device("cuda" if th.cuda.is_available() else "cpu")'),
        ("2.5", 'DEVICE = th.device("cuda" if th.cuda.is_available() else "cpu")'),
        ("2.6", "DEVICE = th.accelerator.current_accelerator() if th.accelerator.is_available() else th.device(\"cpu\")"),
        (None, "DEVICE = th.accelerator.current_accelerator() if th.accelerator.is_available() else th.device(\"cpu\")"),
    ],
)
def test_accelerator_idiom_only_where_the_declared_torch_has_it(declared, inserted):
    source = "import torch as th\nx = th.nn.Linear(3, 3).cuda()\n"
    assert fixed(source, device_idiom="accelerator", torch_version=declared).splitlines()[2] == inserted  # after a blank line


def test_many_findings_share_one_inserted_variable():
    source = 'import torch\na = torch.nn.Linear(3, 3).cuda()\nb = torch.ones(3, device="cuda")\nc = a.to("cuda")\n'
    out = fixed(source)
    assert out.count("DEVICE = torch.device(") == 1
    assert out.endswith("a = torch.nn.Linear(3, 3).to(DEVICE)\nb = torch.ones(3, device=DEVICE)\nc = a.to(DEVICE)\n")


def test_noqa_suppressed_finding_is_not_fixed():
    source = "import numpy as np\nimport torch\nimage = np.zeros((2, 2))\nt = torch.from_numpy(image[::-1])  # noqa: TNP102\n"
    assert fixed(source) == source


LATE_IMPORT = "import os\nos.environ.setdefault('A', '1')\nimport torch\nimport torch.nn as nn\n"


def test_device_variable_goes_after_a_late_torch_import_and_its_run_of_imports():
    result = fix_source(LATE_IMPORT + "x = nn.Linear(2, 2).cuda()\n", unsafe=True, select=["TNP302"])
    assert result.source == LATE_IMPORT + (
        '\nDEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")\nx = nn.Linear(2, 2).to(DEVICE)\n'
    )


@pytest.mark.parametrize(
    "source",
    [
        # A function defined before the import might be called before the new line runs.
        "import os\ndef early():\n    return torch.ones(2).cuda()\nimport torch\n",
        # The name is assigned too: `torch` in the new line may not be the module.
        "import os\nprint(1)\nimport torch\ntorch = None\nx = torch.ones(2).cuda()\n",
    ],
)
def test_no_device_variable_where_a_late_import_does_not_come_first(source):
    (finding,) = check_source(source, select=["TNP302"])
    assert finding.fix is None
    assert fix_source(source, unsafe=True, select=["TNP302"]).source == source


@pytest.mark.parametrize(("source", "code", "original", "fixed", "names", "prelude", "hole_sources"), [
    ("import numpy as np\nimport torch\nrgb = np.zeros((2, 3))[:, ::-1]\nt = torch.from_numpy(rgb)\n", "TNP102",
     "torch.from_numpy(_in0)", "torch.from_numpy(_in0.copy())", {"torch": "torch"}, (), ("rgb",)),
    ("import numpy as np\nimport torch\nw = torch.ones(3, requires_grad=True)\nb = torch.ones(3)\na = np.asarray(w * b)\n",
     "TNP202", "np.asarray(_in0)", "(_in0).detach().cpu().numpy()", {"np": "numpy"}, (), ("",)),
    ("import torch\nx = torch.nn.Linear(3, 3).cuda()\n", "TNP302", "_in0.cuda()", "_in0.to(DEVICE)", {"torch": "torch"},
     ('DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")',), ("",)),
])
def test_the_probe_is_the_fixed_expression_with_its_inputs_named(source, code, original, fixed, names, prelude, hole_sources):
    """What the verifier runs: the expression before and after the edits inside it, each input
    (hole) named ``_inN``; an inserted statement runs first on the fixed side; imports map names."""
    (finding,) = [f for f in check_source(source, select=[code]) if f.fix is not None]
    probe = finding.fix.probe
    assert (probe.original, probe.fixed) == (original, fixed)
    assert dict(probe.names) == names and probe.fixed_prelude == prelude and probe.hole_sources == hole_sources


def test_text_positions_at_the_ends_of_a_text():
    from torchbridge.diagnostics.edits import TextIndex

    unterminated = TextIndex(["ab\n", "cd"], "\n")
    assert unterminated.position(5) == (2, 3)  # the end of a text without a final newline: its last line
    assert unterminated.offset(9, 0) == unterminated.length  # a line past the end
    terminated = TextIndex(["ab\r", "cd\r"], "\r")
    assert terminated.position(6) == (3, 1)
    assert TextIndex([], "\n").position(0) == (1, 1)


def test_edits_that_only_touch_can_be_made_together_and_overlapping_ones_cannot():
    from torchbridge.diagnostics.edits import Edit, compatible

    replaced = Edit(3, 6, "r")
    assert compatible([replaced], (Edit(6, 8, "after"),)) and compatible([replaced], (Edit(0, 3, "before"),))
    assert not compatible([replaced], (Edit(5, 7, "overlap"),))
    assert compatible([replaced], (Edit(3, 6, "r"),))  # the very same edit (one import two fixes need)
    assert compatible([Edit(3, 3, "i")], (Edit(3, 3, "i"),))
    assert not compatible([Edit(3, 3, "i")], (Edit(3, 3, "j"),))  # two insertions at one point: which first?
    assert not compatible([Edit(3, 3, "i")], (replaced,)) and not compatible([replaced], (Edit(3, 3, "i"),))
    assert compatible([replaced], (Edit(6, 6, "i"),))  # an insertion right after a replacement
