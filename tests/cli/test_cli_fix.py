"""``torchbridge fix`` and ``check --fix`` from the command line: flags, configuration keys,
standard input, output and exit codes (Ruff's)."""

from __future__ import annotations

import json

import pytest

FLIP = "import numpy as np\nimport torch\nimage = np.zeros((2, 2, 3))\nrgb = image[:, :, ::-1]\nt = torch.from_numpy(rgb)\n"
FLIP_FIXED = FLIP.replace("from_numpy(rgb)", "from_numpy(rgb.copy())")
CUDA = "import torch\nx = torch.nn.Linear(3, 3).cuda()\n"  # only an unsafe fix
CUDA_FIXED = 'import torch\n\nDEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")\nx = torch.nn.Linear(3, 3).to(DEVICE)\n'
INDEXED = "import torch\nx = torch.zeros(3).cuda(1)\n"  # reported, never fixed


def read(tree_root, name):
    return (tree_root / name).read_text()


def test_fix_applies_safe_fixes_and_exits_0_when_nothing_remains(tree, cli):
    root = tree({"a.py": FLIP})
    code, out, err = cli("fix", "--isolated", "a.py")
    assert (code, err) == (0, "")
    assert read(root, "a.py") == FLIP_FIXED
    assert out.splitlines() == ["Fixed 1 finding.", "All checks passed!"]


def test_check_fix_is_the_same_as_fix(tree, cli):
    root = tree({"a.py": FLIP})
    assert cli("check", "--fix", "--isolated", "a.py")[0] == 0
    assert read(root, "a.py") == FLIP_FIXED


def test_remaining_findings_exit_1_and_are_listed(tree, cli):
    root = tree({"a.py": FLIP, "b.py": CUDA})
    code, out, _ = cli("fix", "--isolated", "-j", "1", ".")
    assert code == 1
    assert read(root, "b.py") == CUDA  # unsafe: not applied
    lines = out.splitlines()
    assert lines[0].startswith("b.py:2:5: TNP302 ")  # no [*]: its fix is unsafe
    assert lines[1:] == [
        "Fixed 1 finding.", "Found 1 finding in 1 file.",
        "No fixes available (1 hidden fix can be enabled with `--unsafe-fixes`).",
    ]


def test_unsafe_fixes_flag_and_configuration_key(tree, cli):
    root = tree({"a.py": CUDA, "pyproject.toml": "[tool.torchbridge]\nunsafe-fixes = true\n"})
    assert cli("fix", "--no-unsafe-fixes", "a.py")[0] == 1
    assert read(root, "a.py") == CUDA
    assert cli("fix", "a.py")[0] == 0
    assert read(root, "a.py") == CUDA_FIXED


def test_fix_configuration_key_makes_check_fix(tree, cli):
    root = tree({"a.py": FLIP, "pyproject.toml": "[tool.torchbridge]\nfix = true\n"})
    assert cli("check", "--no-fix", "a.py")[0] == 1
    assert read(root, "a.py") == FLIP
    assert cli("check", "a.py")[0] == 0
    assert read(root, "a.py") == FLIP_FIXED


def test_bad_fix_configuration_value_is_a_clear_error(tree, cli):
    tree({"a.py": FLIP, "pyproject.toml": '[tool.torchbridge]\nfix = "yes"\n'})
    code, out, err = cli("check", "a.py")
    assert code == 2 and out == ""
    assert "[tool.torchbridge] fix: expected true or false" in err


def test_diff_writes_nothing_and_exits_1(tree, cli):
    root = tree({"a.py": FLIP})
    code, out, err = cli("fix", "--isolated", "--diff", "a.py")
    assert code == 1
    assert read(root, "a.py") == FLIP
    assert out.startswith("--- a/a.py\n+++ b/a.py\n")
    assert "-t = torch.from_numpy(rgb)\n+t = torch.from_numpy(rgb.copy())\n" in out
    assert err == "Would fix 1 finding.\n"
    assert cli("check", "--isolated", "--diff", "a.py")[0] == 1


def test_diff_without_changes_exits_0(tree, cli):
    tree({"a.py": INDEXED})
    code, out, err = cli("fix", "--isolated", "--diff", "a.py")
    assert (code, out, err) == (0, "", "No fixes to apply.\n")


def test_fix_only_exits_0_whatever_remains(tree, cli):
    root = tree({"a.py": FLIP + "y = torch.ones(1).cuda(1)\n"})
    code, out, err = cli("fix", "--isolated", "--fix-only", "a.py")
    assert (code, out, err) == (0, "", "")
    assert "rgb.copy()" in read(root, "a.py")


def test_fix_only_still_fails_on_a_file_it_cannot_write(tree, cli):
    root = tree({"a.py": FLIP})
    (root / "a.py").chmod(0o444)
    code, _, _ = cli("fix", "--isolated", "--fix-only", "a.py")
    assert code == 1


def test_show_fixes_lists_what_was_fixed(tree, cli):
    tree({"a.py": FLIP, "b.py": CUDA})
    code, out, _ = cli("fix", "--isolated", "-j", "1", "--unsafe-fixes", "--show-fixes", ".")
    assert code == 0
    assert out.splitlines()[-5:] == [
        "Fixed 2 findings:",
        "- a.py:",
        "    1 × TNP102 (Pass a copy (`.copy()`): torch cannot hold negative strides)",
        "- b.py:",
        "    1 × TNP302 (Choose the device at run time (`DEVICE`, inserted after the imports))",
    ]


def test_check_marks_fixable_findings(tree, cli):
    tree({"a.py": FLIP + CUDA.split("\n", 1)[1]})
    code, out, _ = cli("check", "--isolated", "a.py")
    assert code == 1
    lines = out.splitlines()
    assert " TNP102 [*] " in lines[0] and " TNP302 " in lines[1] and "[*]" not in lines[1]
    assert lines[-1] == "[*] 1 fixable with `torchbridge fix` (1 hidden fix can be enabled with `--unsafe-fixes`)."
    code, out, _ = cli("check", "--isolated", "--unsafe-fixes", "a.py")
    assert out.splitlines()[-1] == "[*] 2 fixable with `torchbridge fix --unsafe-fixes`."


def test_json_after_fixing_lists_what_remains_with_its_fix(tree, cli):
    tree({"a.py": FLIP + "y = torch.ones(1).cuda()\n"})
    code, out, err = cli("fix", "--isolated", "--output-format", "json", "--show-fixes", "a.py")
    assert code == 1
    (record,) = json.loads(out)  # standard output stays JSON
    assert record["code"] == "TNP302" and record["fix"]["applicability"] == "unsafe"
    assert err.startswith("Fixed 1 finding:")


def test_parallel_fix_run(tree, cli):
    root = tree({f"m{i}.py": FLIP for i in range(6)})
    assert cli("fix", "--isolated", "-j", "2", ".")[0] == 0
    assert all(read(root, f"m{i}.py") == FLIP_FIXED for i in range(6))


def test_fix_stdin_writes_code_to_stdout_and_exits_0(tree, cli, stdin):
    tree({})
    stdin(FLIP + "y = torch.ones(1).cuda(1)\n")
    code, out, err = cli("fix", "-", "--isolated")
    assert code == 0  # a finding remains: editors still take the output
    assert out == FLIP_FIXED + "y = torch.ones(1).cuda(1)\n"
    assert "TNP302" in err and "Fixed 1 finding." in err


def test_fix_stdin_fix_only_is_quiet(tree, cli, stdin):
    tree({})
    stdin(FLIP)
    assert cli("fix", "-", "--isolated", "--fix-only") == (0, FLIP_FIXED, "")


def test_fix_stdin_with_a_syntax_error_gives_back_the_input(tree, cli, stdin):
    tree({})
    broken = "import torch\nx = torch.zeros(3).cuda(\n"
    stdin(broken)
    code, out, err = cli("fix", "-", "--isolated")
    assert code == 1 and out == broken
    assert "syntax-error" in err


def test_fix_stdin_diff(tree, cli, stdin):
    tree({})
    stdin(FLIP)
    code, out, _ = cli("fix", "-", "--isolated", "--diff", "--stdin-filename", "x.py")
    assert code == 1 and out.startswith("--- a/x.py\n+++ b/x.py\n")


def test_device_idiom_accelerator_inserts_the_accelerator_form(tree, cli):
    root = tree({"a.py": CUDA, "pyproject.toml": '[tool.torchbridge]\ndevice-idiom = "accelerator"\n'})
    assert cli("fix", "--unsafe-fixes", "a.py")[0] == 0
    assert read(root, "a.py") == (
        "import torch\n\nDEVICE = torch.accelerator.current_accelerator() if torch.accelerator.is_available() "
        'else torch.device("cpu")\nx = torch.nn.Linear(3, 3).to(DEVICE)\n'
    )


AMP = "import torch\nscaler = torch.cuda.amp.GradScaler(1024.0)\n@torch.cuda.amp.custom_bwd\ndef backward(ctx, g):\n    return g\n"


@pytest.mark.parametrize(("declared", "fixed"), [(None, False), ("2.3", False), ("2.4", True), ("2.13.0", True)])
def test_amp_fixes_are_safe_only_under_a_declared_torch_version(tree, cli, declared, fixed):
    config = f'[tool.torchbridge]\ntorch-version = "{declared}"\n' if declared else "[tool.torchbridge]\n"
    root = tree({"a.py": AMP, "pyproject.toml": config})
    code = cli("fix", "a.py")[0]
    expected = (
        'import torch\nscaler = torch.amp.GradScaler("cuda", init_scale=1024.0)\n'
        '@torch.amp.custom_bwd(device_type="cuda")\ndef backward(ctx, g):\n    return g\n'
    )
    assert (read(root, "a.py") == expected) is fixed
    assert code == (0 if fixed else 1)


def test_display_suggestion_is_shown_and_never_applied(tree, cli):
    source = (
        "import numpy as np\nimport torch\nsamples = [np.zeros(16) for _ in range(1024)]\n"
        'inputs = [torch.from_numpy(s).to("cuda") for s in samples]\n'
    )
    root = tree({"a.py": source})
    code, out, _ = cli("check", "--isolated", "--select", "TNP401", "a.py")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("a.py:4:11: TNP401 ") and "[*]" not in lines[0]
    assert lines[1] == "  help: Move the batch to the device once, outside the loop (stack the samples first)"
    assert cli("fix", "--isolated", "--unsafe-fixes", "--select", "TNP401", "a.py")[0] == 1
    assert read(root, "a.py") == source


def _stdin(monkeypatch, text: str) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


def test_fix_stdin_reports_in_the_format_asked_for_on_standard_error(tree, cli, monkeypatch):
    """Ruff's way: the code has standard output, a report for programs goes to standard error as it is."""
    tree({})
    _stdin(monkeypatch, FLIP + CUDA.split("\n", 1)[1])
    code, out, err = cli("fix", "--isolated", "-", "--stdin-filename", "a.py", "--output-format", "json")
    assert code == 0 and out == FLIP_FIXED + CUDA.split("\n", 1)[1]
    records = json.loads(err)
    assert [(r["filename"], r["line"], r["code"]) for r in records] == [("a.py", 6, "TNP302")]


def test_fix_stdin_reports_as_text_for_the_human_formats(tree, cli, monkeypatch):
    tree({})
    _stdin(monkeypatch, FLIP)
    code, out, err = cli("fix", "--isolated", "-", "--stdin-filename", "a.py", "--output-format", "full")
    assert (code, out) == (0, FLIP_FIXED)
    assert err.splitlines() == ["Fixed 1 finding.", "All checks passed!"]
