"""Where git keeps ignore patterns besides ``.gitignore`` files: the repository's
``info/exclude`` and the global excludes file (``core.excludesFile``, by default
``$XDG_CONFIG_HOME/git/ignore``), found by reading git's configuration files, never by
running git (a run must not depend on git being installed, nor pay a process per repository).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_SECTION = re.compile(r'^\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]\s*(.*)$')
_ENTRY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$")


def repository_excludes(root: Path) -> list[Path]:
    """The exclude files that apply to the repository whose work tree is ``root``: its
    ``info/exclude`` and the global excludes file."""
    common = _common_dir(root)
    files = [common / "info" / "exclude"] if common is not None else []
    excludes = _excludes_file(common)
    return files + ([excludes] if excludes is not None else [])


def _common_dir(root: Path) -> Path | None:
    """The repository's git folder (``.git``, or where a ``.git`` file of a worktree or
    submodule points, then its ``commondir``)."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        first = dot_git.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return None
    if not first.startswith("gitdir:"):
        return None
    git_dir = (root / first[len("gitdir:"):].strip()).resolve()
    try:
        common = (git_dir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        return git_dir
    return (git_dir / common).resolve()


def _config_home() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return Path(xdg) if xdg else Path.home() / ".config"


def _excludes_file(common: Path | None) -> Path | None:
    """``core.excludesFile`` as git reads it: the system, global and repository
    configuration in that order, the last setting winning; unset, git's default."""
    value: str | None = None
    where: Path | None = None
    global_config = os.environ.get("GIT_CONFIG_GLOBAL")
    configs = [Path(os.environ.get("GIT_CONFIG_SYSTEM", "/etc/gitconfig"))]
    configs += [Path(global_config)] if global_config else [_config_home() / "git" / "config", Path.home() / ".gitconfig"]
    if common is not None:
        configs.append(common / "config")
    for config in configs:
        found = _core_excludes_file(config)
        if found is not None:
            value, where = found, config
    if value is None:
        return _config_home() / "git" / "ignore"
    if not value:
        return None  # set to nothing: no global excludes
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() or where is None else where.parent / path


def _core_excludes_file(config: Path) -> str | None:
    """The last ``excludesfile`` of the ``[core]`` section of one configuration file."""
    try:
        lines = config.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    section = ""
    found = None
    for line in lines:
        header = _SECTION.match(line)
        if header is not None:
            section, line = header.group(1).lower(), header.group(2)
        entry = _ENTRY.match(line)
        if entry is not None and section == "core" and entry.group(1).lower() == "excludesfile":
            found = _value(entry.group(2) or "")
    return found


def _value(raw: str) -> str:
    """A configuration value: quotes removed, a comment after it dropped, escapes read."""
    out, quoted, i = [], False, 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            out.append({"n": "\n", "t": "\t"}.get(raw[i + 1], raw[i + 1]))
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char in "#;" and not quoted:
            break
        else:
            out.append(char)
        i += 1
    return "".join(out).strip()
