"""What git ignores besides .gitignore files: a repository's ``.git/info/exclude`` and the
global excludes file (``core.excludesFile``), in a real repository made by git, with git
itself as the oracle (``git check-ignore``)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

FINDING = 'import torch\nx = torch.zeros(3).to("cuda")\n'


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home of its own: no user's or system's git configuration leaks in."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    monkeypatch.setenv("GIT_CONFIG_SYSTEM", str(folder / "no-system-config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return folder


def git(root, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False).stdout


def repository(tree, names: list[str]):
    root = tree({name: FINDING for name in names})
    git(root, "init", "-q")
    return root


def checked(cli) -> set[str]:
    return {name for name, _ in cli.found("--isolated", ".")}


def test_info_exclude_is_respected(tree, cli, home):
    root = repository(tree, ["kept.py", "scratch.py", "tmp/notes.py"])
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("# local only\nscratch.py\ntmp/\n")
    assert git(root, "check-ignore", "scratch.py", "tmp/notes.py", "kept.py").split() == ["scratch.py", "tmp/notes.py"]
    assert checked(cli) == {"kept.py"}


@pytest.mark.parametrize("how", ["global-config", "xdg-default", "repository-config"])
def test_the_global_excludes_file_is_respected(tree, cli, home, how):
    root = repository(tree, ["kept.py", "mine.py"])
    if how == "xdg-default":  # unset: git reads $XDG_CONFIG_HOME/git/ignore, ~/.config by default
        (home / ".config" / "git").mkdir(parents=True)
        (home / ".config" / "git" / "ignore").write_text("mine.py\n")
    else:
        excludes = home / "my excludes"
        excludes.write_text("mine.py\n")
        config = home / ".gitconfig" if how == "global-config" else root / ".git" / "config"
        subprocess.run(["git", "config", "--file", str(config), "core.excludesFile", "~/my excludes"], check=True)
    assert git(root, "check-ignore", "mine.py", "kept.py").split() == ["mine.py"]
    assert checked(cli) == {"kept.py"}


def test_no_respect_gitignore_checks_them_all(tree, cli, home):
    root = repository(tree, ["kept.py", "scratch.py"])
    (root / ".git" / "info" / "exclude").write_text("scratch.py\n")
    assert {name for name, _ in cli.found("--isolated", "--no-respect-gitignore", ".")} == {"kept.py", "scratch.py"}


def test_a_worktree_reads_its_repository_exclude(tree, cli, home):
    """In a linked worktree ``.git`` is a file; the excludes live in the main repository."""
    main = tree({"main/kept.py": FINDING}) / "main"
    git(main, "init", "-q")
    git(main, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "start")
    (main / ".git" / "info" / "exclude").write_text("scratch.py\n")
    linked = main.parent / "linked"
    git(main, "worktree", "add", "-q", str(linked))
    (linked / "scratch.py").write_text(FINDING)
    (linked / "kept.py").write_text(FINDING)
    assert git(linked, "check-ignore", "scratch.py").split() == ["scratch.py"]
    assert {name for name, _ in cli.found("--isolated", str(linked))} == {str(linked / "kept.py")}
