"""The runtime verifier: it proves the rules' example fixes on CPU, it is no rubber stamp
(deliberately wrong fixes are caught), it never runs what is not allowlisted, and it keeps
CUDA out of the parent and the GPUs out of CPU-only children."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from needs import needs

needs("torch", "the verifier runs fixes on it")
needs("numpy", "the verifier runs fixes on it")

from torchbridge import check_source  # noqa: E402
from torchbridge.cli import main  # noqa: E402
from torchbridge.verify import (
    Verifier,  # noqa: E402
    sandbox,  # noqa: E402
)
from torchbridge.verify.allowlist import NotAllowed, check  # noqa: E402


@pytest.fixture(scope="module")
def verifier():
    return Verifier(("cpu", "cuda"))


def one_fix(source: str, code: str):
    (finding,) = [f for f in check_source(source, select=[code]) if f.fix is not None]
    return finding


def with_fixed(finding, fixed: str):
    """The same finding, its fix's fixed snippet replaced: a deliberately wrong fix."""
    probe = dataclasses.replace(finding.fix.probe, fixed=fixed)
    return dataclasses.replace(finding, fix=dataclasses.replace(finding.fix, probe=probe))


def test_verify_rules_passes_on_cpu(capsys):
    code = main(["verify", "--rules"])
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert out.splitlines()[-1].endswith(", 0 not.")
    assert "FAIL" not in out
    assert "cpu: fixes a crash" in out and "cpu: equivalent" in out and "cpu: differs" in out


def test_require_cuda_turns_a_skip_into_a_failure(tree, cli, monkeypatch):
    monkeypatch.setattr(sandbox, "cuda_devices", lambda: 0)  # the device list, faked: no CUDA
    tree({"a.py": "import torch\nx = torch.zeros(3).cuda()\n"})
    assert cli("verify", "--isolated", "--unsafe-fixes", "a.py")[0] == 0
    code, out, _ = cli("verify", "--isolated", "--unsafe-fixes", "--require-cuda", "a.py")
    assert code == 1
    assert "cpu: fixes a crash; cuda: skipped (no CUDA)" in out


# ---------------------------------------------------------------- not a rubber stamp

NEGATIVE = "import numpy as np\nimport torch\nimage = np.zeros((4, 4, 3))\nrgb = image[:, :, ::-1]\nt = torch.from_numpy(rgb)\n"
GRAD = "import torch\nmodel = torch.nn.Linear(4, 2)\nscores = model(torch.randn(8, 4)).numpy()\n"
FRESH = "import numpy as np\nimport torch\ndef f(frames):\n    stacked = np.stack(frames)\n    return torch.tensor(stacked)\n"


def test_tnp102_fix_without_the_copy_is_no_crash_fix(verifier):
    finding = one_fix(NEGATIVE, "TNP102")
    assert verifier.verify(finding).verdicts()["cpu"] == "crash-fix"
    wrong = with_fixed(finding, finding.fix.probe.original)  # `.copy()` dropped: still raises
    verdict = verifier.verify(wrong).devices[0]
    assert verdict.verdict != "crash-fix" and verdict.crashes_fixed == 0


def test_tnp201_fix_to_cpu_numpy_keeps_the_grad_error(verifier):
    finding = one_fix(GRAD, "TNP201")
    assert verifier.verify(finding).verdicts()["cpu"] == "crash-fix"
    wrong = with_fixed(finding, "_in0.cpu().numpy()")
    verdict = verifier.verify(wrong).devices[0]
    assert verdict.verdict != "crash-fix" and verdict.crashes_fixed == 0


def test_from_numpy_under_a_meta_default_device_differs_in_device(verifier):
    """Why the contract picks as_tensor: torch.tensor and as_tensor follow the default
    device, from_numpy does not."""
    finding = one_fix(FRESH, "TNP101")
    probe = dataclasses.replace(finding.fix.probe, prelude=("_torch.set_default_device('meta')",))
    meta = dataclasses.replace(finding, fix=dataclasses.replace(finding.fix, probe=probe))
    assert verifier.verify(meta).verdicts()["cpu"] == "equivalent"  # as_tensor: meta too
    wrong = with_fixed(meta, "torch.from_numpy(_in0)")
    verdict = verifier.verify(wrong).devices[0]
    assert verdict.verdict == "differs" and "device" in verdict.differences
    assert verdict.counterexample is not None


def test_values_that_differ_are_caught(verifier):
    finding = one_fix(FRESH, "TNP101")
    verdict = verifier.verify(with_fixed(finding, "torch.as_tensor(_in0) * 2")).devices[0]
    assert verdict.verdict == "differs" and "values" in verdict.differences


@pytest.mark.parametrize(
    ("source", "naive"),
    [
        # The positional argument becomes the device (P13: silent for GradScaler).
        ("import torch\nscaler = torch.cuda.amp.GradScaler(1024.0)\n", 'torch.amp.GradScaler(1024.0)'),
        # The old explicit cache setting dropped: the new API inherits the global one.
        ("import torch\nwith torch.cpu.amp.autocast(False):\n    pass\n", 'torch.amp.autocast("cpu", enabled=False)'),
    ],
)
def test_tnp304_naive_rewrites_differ(verifier, source, naive):
    finding = one_fix(source, "TNP304")
    assert verifier.verify(finding).verdicts()["cpu"] == "equivalent"
    if "autocast" in naive:  # a process that turned the autocast cache off, as P13 measured
        probe = dataclasses.replace(finding.fix.probe, prelude=("_torch.set_autocast_cache_enabled(False)",))
        finding = dataclasses.replace(finding, fix=dataclasses.replace(finding.fix, probe=probe))
        assert verifier.verify(finding).verdicts()["cpu"] == "equivalent"
    verdict = verifier.verify(with_fixed(finding, naive)).devices[0]
    assert verdict.verdict == "differs" and "values" in verdict.differences


# ---------------------------------------------------------------- isolation


@pytest.mark.parametrize(
    "snippet",
    [
        "open('{marker}', 'w')",
        "np.load('{marker}')",
        "np.save('{marker}', _in0)",
        "np.fromfile('{marker}')",
        "torch.load('{marker}')",
        "torch.save(_in0, '{marker}')",
        "torch.hub.load('{marker}', 'x')",
        "subprocess.run(['touch', '{marker}'])",
        "eval(\"open('{marker}', 'w')\")",
        "exec(\"open('{marker}', 'w')\")",
        "__import__('os').system('touch {marker}')",
        "_in0.__class__",
        "torch.ops.aten.add(_in0, _in0)",
        "ctypes.CDLL(None)",
        "user_function(_in0)",
        "(lambda: open('{marker}', 'w'))()",
        "[open('{marker}', 'w') for _ in range(1)]",
    ],
)
def test_anything_not_allowlisted_is_not_verifiable_and_never_runs(verifier, tmp_path, snippet):
    marker = tmp_path / "ran"
    finding = one_fix(FRESH, "TNP101")
    names = dict(finding.fix.probe.names) | {"np": "numpy", "subprocess": "subprocess", "ctypes": "ctypes"}
    probe = dataclasses.replace(finding.fix.probe, fixed=snippet.format(marker=marker), names=tuple(names.items()))
    bad = dataclasses.replace(finding, fix=dataclasses.replace(finding.fix, probe=probe))
    result = verifier.verify(bad)
    assert [d.verdict for d in result.devices] == ["not-verifiable"]
    assert result.devices[0].reason
    assert not marker.exists()


def test_allowlist_accepts_the_real_probes():
    check(["torch.as_tensor(np.ascontiguousarray(_in0))"], {"torch": "torch", "np": "numpy"}, ["_in0"])
    with pytest.raises(NotAllowed, match="dunder"):
        check(["_in0.__dict__"], {}, ["_in0"])


# ---------------------------------------------------------------- the fork server


def test_parent_never_initializes_cuda(verifier):
    import torch

    verifier.verify(one_fix(GRAD, "TNP201"))
    assert not torch.cuda.is_initialized()
    assert os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK") == "1"


def test_cpu_only_child_hides_the_gpus():
    seen = sandbox.run_in_child(os.environ.get, "CUDA_VISIBLE_DEVICES", cpu_only=True)
    assert seen == ""
    assert sandbox.run_in_child(os.environ.get, "CUDA_VISIBLE_DEVICES", cpu_only=False) == os.environ.get("CUDA_VISIBLE_DEVICES")


def _visible_devices() -> str | None:
    return os.environ.get("CUDA_VISIBLE_DEVICES")


def _sleep() -> None:
    import time

    time.sleep(30)


def _allocate() -> int:
    block = bytearray(600 << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    import time

    time.sleep(5)
    return len(block)


def test_child_past_its_time_limit_is_killed():
    with pytest.raises(sandbox.SideFailed, match="timed out"):
        sandbox.run_in_child(_sleep, cpu_only=True, time_limit=0.5)


def test_child_past_its_memory_limit_is_killed(monkeypatch):
    monkeypatch.setattr(sandbox, "MEMORY_LIMIT_BYTES", 300 << 20)
    with pytest.raises(sandbox.SideFailed, match="memory"):
        sandbox.run_in_child(_allocate, cpu_only=True, time_limit=20)


def test_cuda_half_is_skipped_without_cuda_and_never_equivalent():
    verifier = Verifier(("cpu", "cuda"), cuda_available=False)
    result = verifier.verify(one_fix("import torch\nx = torch.zeros(3).cuda()\n", "TNP302"))
    assert result.verdicts() == {"cpu": "crash-fix", "cuda": "skipped (no CUDA)"}
    assert result.proven() and not result.proven(require_cuda=True)


# ---------------------------------------------------------------- the command line


def test_verify_paths_json(tree, cli):
    tree({"a.py": NEGATIVE, "b.py": FRESH})
    import json

    code, out, _ = cli("verify", "--isolated", "--output-format", "json", "--device", "cpu", ".")
    assert code == 0
    records = json.loads(out)
    assert [(Path(r["filename"]).name, r["code"], r["verdict"]) for r in records] == [
        ("a.py", "TNP102", {"cpu": "crash-fix"}), ("b.py", "TNP101", {"cpu": "equivalent"}),
    ]
    assert records[1]["allowed_differences"] == ["aliasing"]
    assert records[0]["cases"]["cpu"]["cases"] >= 25


def test_fix_verify_applies_only_proven_fixes(tree, cli):
    unsafe_differs = "import numpy as np\nimport torch\nvalues = np.linspace(0, 1, 5)\nt = torch.tensor(values)\n"
    root = tree({"a.py": NEGATIVE + unsafe_differs.split("\n", 2)[2]})
    code, out, err = cli("fix", "--isolated", "--unsafe-fixes", "--verify", "a.py")
    text = (root / "a.py").read_text()
    assert "rgb.copy()" in text  # crash-fix: applied
    assert "torch.tensor(values)" in text  # differs: not applied
    assert "TNP101 not fixed: the verifier did not prove it (cpu: differs" in err


def test_fix_verify_says_each_fix_not_applied_once_where_it_is_now(tree, cli):
    """A device variable inserted above moves the turned-down finding a line down; the
    notice names its place in the fixed file, once."""
    source = "import numpy as np\nimport torch\n\n\ndef f(a: np.ndarray):\n    x = torch.zeros(3).cuda()\n    return torch.tensor(a), x\n"
    root = tree({"a.py": source})
    code, out, err = cli("fix", "--isolated", "--unsafe-fixes", "--verify", "--no-cache", "a.py")
    assert "DEVICE = torch.device" in (root / "a.py").read_text()
    notices = [line for line in err.splitlines() if "not fixed" in line]
    assert len(notices) == 1 and notices[0].startswith("a.py:9:12: TNP101 not fixed:"), err


def test_without_the_extra_installed_verify_says_how_to_install_it(tmp_path):
    """For real: numpy, torch and hypothesis cannot be imported in this subprocess."""
    import subprocess
    import sys

    blocker = (
        "import sys, importlib.abc, importlib.util\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('numpy', 'torch', 'hypothesis'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "_find = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n in ('numpy', 'torch', 'hypothesis') else _find(n, *a)\n"
        "from torchbridge.cli import main\n"
        "sys.exit(main(['verify', '--rules']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'torchbridge[verify]'" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_extra_is_a_clear_error(cli, monkeypatch):
    import torchbridge.verify as verify

    monkeypatch.setattr(verify, "missing_requirements", lambda: ["torch"])
    code, out, err = cli("verify", "--rules")
    assert code == 2 and out == ""
    assert "pip install 'torchbridge[verify]'" in err


def test_spawned_child_where_there_is_no_fork():
    """Windows has no fork: the verifier spawns (tried here by forcing it)."""
    assert sandbox.run_in_child(_visible_devices, cpu_only=True, spawn=True) == ""
    with pytest.raises(sandbox.SideFailed, match="timed out"):
        sandbox.run_in_child(_sleep, cpu_only=True, time_limit=1, spawn=True)


def test_tnp106_fold_on_a_list_of_floats_differs_in_values(verifier):
    """The list's first tensor is float32: folding `.double()` into the call changes values."""
    finding = one_fix("import torch\nw = torch.tensor([0.1, 0.2, 0.7]).double()\n", "TNP106")
    assert finding.fix.applicability == "unsafe"
    # Declared safe, as a careless rule might: the verifier still sees the values differ.
    safe = dataclasses.replace(finding, fix=dataclasses.replace(
        finding.fix, entry=one_fix(
            "import numpy as np\nimport torch\ndef f():\n    a = np.zeros(3)\n    return torch.tensor(a).float()\n", "TNP106",
        ).fix.entry,
    ))
    verdict = verifier.verify(safe).devices[0]
    assert verdict.verdict == "differs" and "values" in verdict.differences
    assert verdict.counterexample["case"]["_in0"]["kind"] == "list"


@pytest.mark.parametrize(("source", "names", "reason"), [
    ("x = (", {}, "cannot parse the probe: '(' was never closed"),
    ("f = lambda: 1", {}, "a lambda is not run by the verifier"),
    ("f = open", {}, "`open` is never run"),
    ("f = loader", {"loader": "pickle"}, "`pickle` is never run (imported as `loader`)"),
    ("f = helper", {}, "`helper` is not something the verifier can make or import"),
    ("f = sp", {"sp": "scipy"}, "`scipy` is not NumPy or torch (imported as `sp`)"),
    ("helper(_in0)", {}, "`helper` is not something the verifier can make or import"),
    ("x = _torch.load(_in0)", {}, "`torch.load` is never run"),
    ("f = np.load", {"np": "numpy"}, "`numpy.load` is never run"),
    ("f = torch.hub.load", {"torch": "torch"}, "`torch.hub` is never run"),
    ("f = np.linalg", {"np": "numpy"}, "`numpy.linalg` is not on the verifier's allowlist"),
    ("np.sort(_in0)", {"np": "numpy"}, "`numpy.sort` is not on the verifier's allowlist"),
    ("_in0.fill_(0)", {}, "`.fill_` of an ndarray is not on the verifier's allowlist"),
])
def test_the_reason_a_probe_is_not_run_names_what_stopped_it(source, names, reason):
    """The reason is what ``verify`` shows for a not-verifiable fix."""
    with pytest.raises(NotAllowed) as refused:
        check([source], names, ["_in0"])
    assert str(refused.value) == reason


def test_what_the_allowlist_lets_run():
    """The torch the verifier provides, names bound to allowlisted functions, a module on the
    way to an allowlisted function, and dtypes."""
    sources = ["y = _torch.zeros(3)", "f = t", "g = torch.cuda", "h = torch.float32", "k = _in0.T"]
    check(sources, {"t": "torch.tensor", "torch": "torch"}, ["_in0"])


STRING_DEVICE = (
    "import torch\ndevice = 'cuda'\ndevice_type = 'cuda' if 'cuda' in device else 'cpu'\n"
    "x = torch.zeros(3).to(device)\n"
)


def test_a_device_name_read_as_text_keeps_a_string_and_the_verifier_reads_it_so(verifier):
    """nanoGPT's bench.py: `'cuda' in device`. The fix inserts the bare-string idiom; a
    `torch.device` there (what the fix used to insert) raises TypeError, and the probe,
    which reads the name as text too, shows it."""
    finding = next(f for f in check_source(STRING_DEVICE, select=["TNP301"]) if f.fix is not None)
    assert finding.fix.entry.key == "TNP30x/insert-device-string"
    assert verifier.verify(finding).verdicts()["cpu"] == "crash-fix"
    as_device = ('DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")',)
    wrong = dataclasses.replace(finding, fix=dataclasses.replace(
        finding.fix, probe=dataclasses.replace(finding.fix.probe, fixed_prelude=as_device)))
    verdict = verifier.verify(wrong).devices[0]
    assert verdict.verdict == "differs" and verdict.differences == ["error"]


def test_numpy_force_also_fixes_conjugate_and_negative_views(verifier):
    """The verifier draws conjugate and negative views of complex tensors: `.numpy(force=True)`
    (the fix under a declared torch-version >= 1.13) turns their errors into values, where
    `.detach().cpu().numpy()` raises them just as the original did."""
    source = "import torch\nmodel = torch.nn.Linear(4, 2)\nscores = model(torch.randn(8, 4)).cpu().numpy()\n"
    (finding,) = check_source(source, select=["TNP201"], torch_version="1.13")
    assert finding.fix.entry.key == "TNP201/numpy-force"
    forced = verifier.verify(finding).devices[0]
    detached = verifier.verify(with_fixed(finding, "_in0.detach().cpu().numpy()")).devices[0]
    assert forced.verdict == detached.verdict == "crash-fix"
    assert forced.crashes_fixed > detached.crashes_fixed  # the views: fixed by force only
