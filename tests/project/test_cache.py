"""The result cache: a hit answers without checking, anything that could change a file's
findings is a miss, entries are written atomically and a bad one is ignored and rewritten."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import torchbridge.project.cache as cache_module
from torchbridge.diagnostics.finding import diagnostic
from torchbridge.project import runner

DEVICE = 'import torch\nx = torch.zeros(3).to("cuda")\n'  # TNP301, an unsafe fix
CALL = "import torch\ny = x.cuda()\n"  # TNP302
CLEAN = "import torch\nz = torch.zeros(3)\n"
BROKEN = "import torch\nx = y.cuda(\n"  # a syntax error: a diagnostic, cached like a finding


@pytest.fixture
def lints(monkeypatch):
    """The names of the files the engine really checked (not answered by the cache)."""
    checked: list[str] = []
    real = runner.lint_bytes

    def counting(data, filename, *args, **kwargs):
        checked.append(Path(filename).name)
        return real(data, filename, *args, **kwargs)

    monkeypatch.setattr(runner, "lint_bytes", counting)
    return checked


def run(cli, *args: str) -> tuple[int, str, str]:
    return cli("check", "-j", "1", "--output-format", "json", *args)


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.json"))


def test_second_run_is_answered_by_the_cache(tree, cli, lints):
    root = tree({"a.py": DEVICE, "b.py": CALL, "c.py": CLEAN, "d.py": BROKEN})
    first = run(cli, ".")
    assert sorted(lints) == ["a.py", "b.py", "c.py", "d.py"]
    lints.clear()
    second = run(cli, ".")
    assert lints == []
    # The same output, fixes and diagnostics included.
    assert second == first
    records = json.loads(first[1])
    assert {r["name"] for r in records} >= {"syntax-error", "hardcoded-cuda-device"}
    assert any(r["fix"] for r in records)
    folder = root / ".torchbridge_cache"
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert len(entries(folder)) == 4


def test_text_output_of_a_cached_run_is_the_same(tree, cli):
    tree({"a.py": DEVICE, "b.py": CALL})
    first = cli("check", "-j", "1", "--output-format", "concise", ".")
    assert cli("check", "-j", "1", "--output-format", "concise", ".") == first


def test_changed_content_is_a_miss(tree, cli, lints):
    root = tree({"a.py": DEVICE, "b.py": CLEAN})
    run(cli, ".")
    lints.clear()
    (root / "b.py").write_text(CALL)
    code, out, _ = run(cli, ".")
    assert lints == ["b.py"]
    assert [(r["filename"], r["code"]) for r in json.loads(out)] == [("a.py", "TNP301"), ("b.py", "TNP302")]


def test_a_copy_under_another_name_hits_and_is_named_right(tree, cli, lints):
    root = tree({"a.py": DEVICE})
    run(cli, ".")
    lints.clear()
    (root / "sub").mkdir()
    (root / "sub" / "copy.py").write_text(DEVICE)
    _, out, _ = run(cli, ".")
    assert lints == []  # rules never read the name: the content's entry serves both
    assert [r["filename"] for r in json.loads(out)] == ["a.py", "sub/copy.py"]


def test_a_new_version_is_a_miss(tree, cli, lints, monkeypatch):
    tree({"a.py": DEVICE})
    run(cli, ".")
    lints.clear()
    monkeypatch.setattr(cache_module, "__version__", "99.0")
    cache_module._code_fingerprint.cache_clear()
    try:
        run(cli, ".")
    finally:
        cache_module._code_fingerprint.cache_clear()
    assert lints == ["a.py"]


def test_another_python_is_a_miss(tree, cli, lints, monkeypatch):
    tree({"a.py": DEVICE})
    run(cli, ".")
    lints.clear()
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    cache_module._code_fingerprint.cache_clear()
    try:
        run(cli, ".")
    finally:
        cache_module._code_fingerprint.cache_clear()
    assert lints == ["a.py"]


def test_an_edited_torchbridge_file_is_a_miss(tree, cli, lints, monkeypatch):
    """A development checkout keeps its version while its rules change."""
    tree({"a.py": DEVICE})
    run(cli, ".")
    lints.clear()
    real_stat = Path.stat

    def touched(self, *args, **kwargs):
        info = real_stat(self, *args, **kwargs)
        if self.name == "tnp301_hardcoded_cuda_device.py":
            return SimpleNamespace(st_size=info.st_size, st_mtime_ns=info.st_mtime_ns + 1)
        return info

    monkeypatch.setattr(Path, "stat", touched)
    cache_module._code_fingerprint.cache_clear()
    try:
        run(cli, ".")
    finally:
        monkeypatch.undo()
        cache_module._code_fingerprint.cache_clear()
    assert lints == ["a.py"]


@pytest.mark.parametrize(
    ("config", "options"),
    [
        ("", ["--select", "TNP302"]),
        ("", ["--extend-select", "TNP308"]),
        ("", ["--ignore", "TNP301"]),
        ('device-idiom = "accelerator"\n', []),
        ('torch-version = "2.4"\n', []),
        ('per-file-ignores = {"a.py" = ["TNP301"]}\n', []),
    ],
)
def test_settings_that_shape_findings_are_a_miss(tree, cli, lints, config, options):
    root = tree({"a.py": DEVICE, "pyproject.toml": "[tool.torchbridge]\n"})
    run(cli, ".")
    lints.clear()
    (root / "pyproject.toml").write_text("[tool.torchbridge]\n" + config)
    run(cli, *options, ".")
    assert lints == ["a.py"]
    lints.clear()
    run(cli, *options, ".")  # and that run's results are cached in turn
    assert lints == []


def test_settings_that_do_not_shape_findings_still_hit(tree, cli, lints):
    tree({"a.py": DEVICE})
    run(cli, ".")
    lints.clear()
    cli("check", "-j", "1", "--output-format", "concise", "--exit-zero", ".")
    assert lints == []


@pytest.mark.parametrize("damage", ["torn", "not-json", "other-schema", "foreign", "bad-record", "bad-contract"])
def test_a_bad_entry_is_ignored_and_rewritten(tree, cli, lints, damage):
    root = tree({"a.py": DEVICE, "b.py": CALL})
    first = run(cli, ".")
    folder = root / ".torchbridge_cache"
    a_entry, b_entry = entries(folder)
    text = a_entry.read_text()
    document = json.loads(text)
    if damage == "torn":
        a_entry.write_text(text[: len(text) // 2])
    elif damage == "not-json":
        a_entry.write_bytes(b"\xff\x00garbage")
    elif damage == "other-schema":
        a_entry.write_text(json.dumps({**document, "schema": 0}))
    elif damage == "foreign":
        a_entry.write_text(b_entry.read_text())  # another file's findings under this key
    elif damage == "bad-record":
        a_entry.write_text(json.dumps({**document, "findings": [{"line": "x"}]}))
    else:
        for record in document["findings"]:
            if record["fix"]:
                record["fix"]["contract"]["applicability"] = "sometimes"  # not a word of the contract
        a_entry.write_text(json.dumps(document))
    lints.clear()
    assert run(cli, ".") == first
    assert len(lints) == 1
    assert json.loads(a_entry.read_text()) == json.loads(text)  # rewritten
    lints.clear()
    assert run(cli, ".") == first
    assert lints == []


def test_no_cache_neither_reads_nor_writes(tree, cli, lints):
    root = tree({"a.py": DEVICE})
    run(cli, "--no-cache", ".")
    assert not (root / ".torchbridge_cache").exists()
    run(cli, ".")
    lints.clear()
    run(cli, "--no-cache", ".")
    assert lints == ["a.py"]


def test_cache_dir_option_and_environment(tree, cli, monkeypatch):
    root = tree({"a.py": DEVICE})
    run(cli, "--cache-dir", "elsewhere", ".")
    assert entries(root / "elsewhere") and not (root / ".torchbridge_cache").exists()
    monkeypatch.setenv("TORCHBRIDGE_CACHE_DIR", str(root / "from-env"))
    run(cli, ".")
    assert entries(root / "from-env")
    run(cli, "--cache-dir", "given", ".")  # the option beats the environment
    assert entries(root / "given")
    assert not (root / ".torchbridge_cache").exists()


def test_default_folder_is_the_project_root(tree, cli):
    """The folder of the configuration file that applies, else the working directory."""
    root = tree({
        "proj/pyproject.toml": "[tool.torchbridge]\n", "proj/pkg/a.py": DEVICE, "loose/b.py": CALL,
    })
    code, out, err = run(cli, "proj/pkg", "loose")
    assert code == 1 and err == ""
    assert entries(root / "proj" / ".torchbridge_cache")  # a.py's project
    assert entries(root / ".torchbridge_cache")  # b.py has no configuration: the working directory
    assert not (root / "proj" / "pkg" / ".torchbridge_cache").exists()


def test_the_cache_folder_is_never_checked(tree, cli):
    root = tree({"a.py": DEVICE})
    run(cli, ".")
    (root / ".torchbridge_cache" / "planted.py").write_text(CALL)
    _, out, _ = run(cli, ".")
    assert [r["filename"] for r in json.loads(out)] == ["a.py"]


def test_an_unusable_cache_folder_warns_once_and_the_run_goes_on(tree, cli):
    root = tree({"a.py": DEVICE, "b.py": CALL, "c.py": CLEAN})
    (root / "blocker").write_text("a file where the folder should be\n")
    code, out, err = cli("check", "-j", "1", "--output-format", "json", "--cache-dir", "blocker/cache", ".")
    assert code == 1
    assert [r["code"] for r in json.loads(out)] == ["TNP301", "TNP302"]
    assert err.count("warning: cannot use the cache folder") == 1
    assert "running without the cache" in err


def test_an_internal_error_is_not_cached(tree, cli, monkeypatch):
    """A crash may not happen again; the file is checked afresh next time."""
    tree({"a.py": DEVICE})
    with monkeypatch.context() as patch:
        patch.setattr(runner, "lint_bytes", lambda data, name, *a, **k: [diagnostic(name, "internal-error", "boom")])
        code, _, _ = run(cli, ".")
        assert code == 2
    code, out, _ = run(cli, ".")
    assert code == 1 and [r["code"] for r in json.loads(out)] == ["TNP301"]


def test_parallel_runs_fill_and_read_the_cache(tree, cli, lints):
    root = tree({f"m{i:02}.py": (DEVICE if i % 3 else CALL) + f"v = {i}\n" for i in range(12)})
    cold = cli("check", "-j", "2", "--output-format", "json", ".")
    assert len(entries(root / ".torchbridge_cache")) == 12  # written by the workers
    lints.clear()
    assert cli("check", "-j", "2", "--output-format", "json", ".") == cold
    assert lints == []  # every file answered in the parent: no worker needed


def test_concurrent_runs_never_corrupt_the_cache(tmp_path):
    """Two processes fill one cache at the same time; both report the truth, and every entry
    they leave is whole."""
    for i in range(60):
        (tmp_path / f"m{i:02}.py").write_text((DEVICE if i % 2 else CALL) + f"v{i} = {i}\n" * (1 + i % 7))
    command = [sys.executable, "-m", "torchbridge", "check", "--output-format", "json", "-j", "2", "."]
    expected = subprocess.run([*command, "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert not (tmp_path / ".torchbridge_cache").exists()
    procs = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for out, err in outputs:
        assert (out, err) == (expected.stdout, expected.stderr)
    folder = tmp_path / ".torchbridge_cache"
    found = entries(folder)
    assert len(found) == 60
    for entry in found:
        assert json.loads(entry.read_text())["key"] == f"{entry.parent.parent.name}{entry.parent.name}/{entry.stem}"
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]  # no temporary left behind
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert (again.stdout, again.stderr) == (expected.stdout, expected.stderr)


def test_fix_does_not_use_the_cache(tree, cli, lints):
    root = tree({"a.py": CALL + "import numpy as np\nt = torch.tensor(np.zeros(3))\n"})
    run(cli, ".")
    lints.clear()
    cli("fix", "-j", "1", ".")
    assert "torch.as_tensor" in (root / "a.py").read_text()
    lints.clear()
    run(cli, ".")
    assert lints == ["a.py"]  # the fixed file is new content


# --------------------------------------------------------------------------- pruning, clean


def contents(folder: Path) -> set[str]:
    """The content hashes that have entries (an entry lives under its file's hash)."""
    return {entry.parent.parent.name + entry.parent.name for entry in entries(folder)}


def sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def test_a_full_run_prunes_entries_no_file_can_hit(tree, cli):
    root = tree({"a.py": DEVICE, "b.py": CALL, "sub/c.py": CLEAN})
    run(cli, ".")
    folder = root / ".torchbridge_cache"
    assert contents(folder) == {sha(DEVICE), sha(CALL), sha(CLEAN)}
    (root / "a.py").write_text(DEVICE + "# edited\n")
    run(cli, "sub")  # not the whole project: nothing is pruned
    assert contents(folder) == {sha(DEVICE), sha(CALL), sha(CLEAN)}
    run(cli, ".")  # the whole project: a.py's old content is gone, the new one is kept
    assert contents(folder) == {sha(DEVICE + "# edited\n"), sha(CALL), sha(CLEAN)}


def test_other_settings_keep_their_entries_while_the_content_is_current(tree, cli):
    root = tree({"a.py": DEVICE})
    run(cli, ".")
    run(cli, "--select", "TNP3", ".")
    assert len(entries(root / ".torchbridge_cache")) == 2  # the same bytes, two selections


def test_entries_unused_for_a_month_are_pruned_by_any_run(tree, cli):
    root = tree({"a.py": DEVICE, "sub/b.py": CALL})
    run(cli, ".")
    folder = root / ".torchbridge_cache"
    old = __import__("time").time() - 31 * 86_400
    for path in [*entries(folder), folder / "last-pruned"]:
        os.utime(path, (old, old))
    run(cli, "sub")  # hits b.py's entry (its age starts again); a.py's has aged out
    assert contents(folder) == {sha(CALL)}


def test_clean_removes_the_projects_cache(tree, cli):
    root = tree({"pyproject.toml": "[tool.torchbridge]\n", "src/a.py": DEVICE})
    run(cli, "src")
    assert (root / ".torchbridge_cache").is_dir()
    code, out, err = cli("clean", "src")
    assert (code, err) == (0, "")
    assert out == f"Removed the cache at {root / '.torchbridge_cache'}.\n"
    assert not (root / ".torchbridge_cache").exists()
    assert cli("clean") == (0, f"No cache at {root / '.torchbridge_cache'}.\n", "")


def test_clean_leaves_a_folder_that_is_not_a_cache_alone(tree, cli):
    root = tree({"mine/notes.txt": "keep me"})
    code, out, err = cli("clean", "--cache-dir", "mine")
    assert code == 2 and "is not a torchbridge cache" in err
    assert (root / "mine" / "notes.txt").read_text() == "keep me"


LOADS = "import numpy as np\n\n\ndef load(p):\n    return np.load(p)\n"
LISTS = "def load(p):\n    return [p]\n"
IMPORTER = "import torch\nfrom .io import load\n\nt = torch.tensor(load('a.npy'))\n"  # TNP101 when load gives an ndarray


def _codes(out: str) -> list[tuple[str, str]]:
    return [(r["filename"], r["code"]) for r in json.loads(out)]


def test_editing_an_imported_module_invalidates_its_importers(tree, cli, lints):
    root = tree({"pkg/__init__.py": "", "pkg/io.py": LISTS, "pkg/main.py": IMPORTER})
    _, out, _ = run(cli, "pkg/main.py")
    assert _codes(out) == []
    lints.clear()
    _, out, _ = run(cli, "pkg/main.py")
    assert lints == []  # nothing changed: a hit
    (root / "pkg" / "io.py").write_text(LOADS)
    _, out, _ = run(cli, "pkg/main.py")
    assert lints == ["main.py"]  # main.py's bytes are the same, what it imports is not
    assert _codes(out) == [("pkg/main.py", "TNP101")]
    lints.clear()
    (root / "pkg" / "io.py").write_text(LISTS)
    _, out, _ = run(cli, "pkg/main.py")
    assert lints == ["main.py"]
    assert _codes(out) == []


def test_creating_a_module_an_import_looked_for_invalidates_the_importer(tree, cli, lints):
    root = tree({"pkg/__init__.py": "", "pkg/main.py": IMPORTER})
    _, out, _ = run(cli, "pkg/main.py")
    assert _codes(out) == []
    lints.clear()
    (root / "pkg" / "io.py").write_text(LOADS)
    _, out, _ = run(cli, "pkg/main.py")
    assert lints == ["main.py"]
    assert _codes(out) == [("pkg/main.py", "TNP101")]


def test_an_entry_that_rests_on_other_files_serves_only_its_own_path(tree, cli, lints):
    root = tree({"a/__init__.py": "", "a/io.py": LOADS, "a/main.py": IMPORTER,
                 "b/__init__.py": "", "b/io.py": LISTS})
    run(cli, "a/main.py")
    (root / "b" / "main.py").write_text(IMPORTER)  # the same bytes, another ``.io``
    lints.clear()
    _, out, _ = run(cli, "b/main.py")
    assert lints == ["main.py"]
    assert _codes(out) == []
