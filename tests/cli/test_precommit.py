"""The pre-commit hooks (``.pre-commit-hooks.yaml``) driven by real pre-commit.

The hook repository is a git copy of this working tree, so pre-commit installs what is
being tested (uncommitted changes included) into its own environment, from the package
registry, once for the module (about a minute); every test then runs hooks in a project
repository of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytest.importorskip("pre_commit", reason="the hooks are driven by pre-commit (in the test extra)")
if shutil.which("git") is None:
    pytest.skip("pre-commit needs git", allow_module_level=True)

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}
SAFE = "import torch\nx = torch.ones(2)\ny = x.cpu().detach()\n"  # TNP204 at 3:5, with a safe fix
UNSAFE_ONLY = 'import torch\nx = torch.zeros(3).to("cuda")\n'  # TNP301, whose fixes are all unsafe
# What the package build needs from the tree: the rest (tests, fixtures) is not installed.
PACKAGE_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "src")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_IDENTITY}, check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment that runs pre-commit: its cache shared by the module's tests, and
    the hook repository at a commit of this tree."""
    repository = tmp_path_factory.mktemp("hook-repo")
    for name in PACKAGE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repository / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, repository / name)
    git(repository, "init", "-q")
    git(repository, "add", ".")
    git(repository, "commit", "-q", "-m", "hooks")
    return {
        "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
        "repo": str(repository),
        "rev": git(repository, "rev-parse", "HEAD").strip(),
    }


@pytest.fixture
def project(tmp_path: Path, hooks: dict[str, str]):  # type: ignore[no-untyped-def]
    """A git repository whose ``.pre-commit-config.yaml`` uses both hooks; returns
    ``run(*args) -> (exit code, output)`` for ``pre-commit run ARGS`` in it."""
    config = (
        "repos:\n"
        f"  - repo: {hooks['repo']}\n"
        f"    rev: {hooks['rev']}\n"
        "    hooks:\n"
        "      - id: torchbridge\n"
        "      - id: torchbridge-fix\n"
    )
    (tmp_path / ".pre-commit-config.yaml").write_text(config)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".pre-commit-config.yaml")
    git(tmp_path, "commit", "-q", "-m", "config")
    environment = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": hooks["PRE_COMMIT_HOME"], "NO_COLOR": "1"}
    environment.pop("PRE_COMMIT", None)

    def run(*args: str) -> tuple[int, str]:
        proc = subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--color", "never", *args], cwd=tmp_path, env=environment,
            capture_output=True, text=True, timeout=600,
        )
        return proc.returncode, proc.stdout + proc.stderr

    def stage(files: dict[str, str]) -> None:
        for name, text in files.items():
            (tmp_path / name).write_text(text)
        git(tmp_path, "add", *files)

    run.stage = stage  # type: ignore[attr-defined]
    run.root = tmp_path  # type: ignore[attr-defined]
    return run


def test_the_check_hook_fails_on_a_finding(project):
    project.stage({"a.py": SAFE, "clean.py": "import torch\n"})
    code, output = project("torchbridge", "--files", "a.py", "clean.py")
    assert code == 1, output
    assert "a.py:3:5: TNP204" in output
    assert "clean.py" not in output


def test_the_fix_hook_fixes_fails_once_then_passes(project):
    project.stage({"a.py": SAFE})
    code, output = project("torchbridge-fix", "--files", "a.py")
    assert code == 1, output
    assert "files were modified by this hook" in output
    assert (project.root / "a.py").read_text() == SAFE.replace("x.cpu().detach()", "x.detach().cpu()")
    code, output = project("torchbridge-fix", "--files", "a.py")
    assert code == 0, output
    assert project("torchbridge", "--files", "a.py")[0] == 0


def test_the_fix_hook_passes_on_a_finding_without_a_safe_fix(project):
    """It fails only by changing files: a finding whose fixes are unsafe is the check hook's."""
    project.stage({"b.py": UNSAFE_ONLY})
    code, output = project("torchbridge-fix", "--files", "b.py")
    assert code == 0, output
    assert (project.root / "b.py").read_text() == UNSAFE_ONLY
    code, output = project("torchbridge", "--files", "b.py")
    assert code == 1 and "TNP301" in output


def test_the_hooks_take_notebooks(project):
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": SAFE}]
    document = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"
    project.stage({"n.ipynb": document})
    code, output = project("torchbridge", "--files", "n.ipynb")
    assert code == 1 and "n.ipynb:cell 1:3:5: TNP204" in output, output
    assert project("torchbridge-fix", "--files", "n.ipynb")[0] == 1
    assert (project.root / "n.ipynb").read_text() == document.replace("x.cpu().detach()", "x.detach().cpu()")


def test_no_python_files_staged_is_a_clean_pass(project):
    project.stage({"notes.txt": "x.cpu().detach()\n", "data.json": "{}\n"})
    code, output = project()  # the staged files, as on commit
    assert code == 0, output
    assert output.count("(no files to check)Skipped") == 2
