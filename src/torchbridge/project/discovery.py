"""Which files a run checks: walk the given paths, skip what must be skipped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

from . import gitignore
from .config import ConfigResolver, Settings, compiled_patterns, relative_to_root

PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")  # notebooks: their Python code cells (notebook.py)
# Never worth descending into: version control, environments, caches, build output.
DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", ".eggs", "*.egg-info",
    "__pycache__", "__pypackages__", "build", "dist", "_build", "buck-out", "node_modules",
    "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".torchbridge_cache",
    ".ipynb_checkpoints",
)


@dataclass(frozen=True)
class Target:
    path: Path
    settings: Settings
    error: str | None = None  # why it cannot even be opened (a symlink loop, say)


def _exempted(relative: str, exempt: str | None) -> str:
    """``generated/gen.py`` as the patterns must see it when ``generated`` was given
    explicitly: the folder itself is named out of every pattern, so that a rule matching the
    folder does not skip what it holds, while its files' own patterns still apply."""
    if exempt and (relative == exempt or relative.startswith(exempt + "/")):
        return _EXEMPT_MARK + relative[len(exempt):]
    return relative


_EXEMPT_MARK = "\x00given"


def _excluded(path: Path, settings: Settings, is_dir: bool, exempt: Path | None = None) -> bool:
    name = path.name + ("/" if is_dir else "")
    if compiled_patterns(DEFAULT_EXCLUDES).match_file(name):
        return True
    patterns = (*settings.exclude, *settings.extend_exclude)
    if not patterns:
        return False
    # Only the path relative to the configuration's folder: matching the bare name as well
    # would let an anchored pattern ("/top.py") match at any depth.
    relative = relative_to_root(path, settings.root)
    if exempt is not None:
        relative = _exempted(relative, relative_to_root(exempt, settings.root))
    return compiled_patterns(patterns).match_file(relative + ("/" if is_dir else ""))


def excluded_by_settings(path: Path, settings: Settings) -> bool:
    """Whether the configured ``exclude`` / ``extend-exclude`` name ``path`` or a folder
    between it and the configuration's folder (for a tool that was handed the file, such
    as flake8, which has its own walk and its own default excludes)."""
    patterns = (*settings.exclude, *settings.extend_exclude)
    if not patterns:
        return False
    spec = compiled_patterns(patterns)
    root = settings.root.absolute()
    if not path.is_relative_to(root):
        return False
    relative = path.relative_to(root).as_posix()
    if spec.match_file(relative):
        return True
    parts = relative.split("/")[:-1]
    return any(spec.match_file("/".join(parts[: i + 1]) + "/") for i in range(len(parts)))


class _GitIgnores:
    """The .gitignore files that apply below a directory, read as the walk meets them."""

    def __init__(self) -> None:
        self._specs: dict[Path, GitIgnoreSpec | None] = {}
        # directory -> (its folders up to the enclosing repository's root, that root or None)
        self._chains: dict[Path, tuple[tuple[Path, ...], Path | None]] = {}
        self._repository_specs: dict[Path, GitIgnoreSpec | None] = {}

    def _spec(self, directory: Path) -> GitIgnoreSpec | None:
        if directory not in self._specs:
            spec = None
            try:
                with open(directory / ".gitignore", encoding="utf-8", errors="replace") as handle:
                    spec = GitIgnoreSpec.from_lines(handle.read().splitlines())
            except OSError:
                pass
            self._specs[directory] = spec
        return self._specs[directory]

    def _chain(self, directory: Path) -> tuple[tuple[Path, ...], Path | None]:
        """The folders from ``directory`` up to its repository's root, and that root (None
        outside a repository). Each folder is asked about ``.git`` once per run: a tree
        outside any repository would otherwise be walked up to ``/`` for every file."""
        found = self._chains.get(directory)
        if found is None:
            if (directory / ".git").exists():
                found = ((directory,), directory)
            elif directory.parent == directory:
                found = ((directory,), None)
            else:
                above, root = self._chain(directory.parent)
                found = ((directory, *above), root)
            self._chains[directory] = found
        return found

    def _repository_spec(self, root: Path) -> GitIgnoreSpec | None:
        """What git ignores in the whole repository besides its .gitignore files: its
        ``info/exclude`` and the global excludes file (``core.excludesFile``)."""
        if root not in self._repository_specs:
            lines = [line for path in gitignore.repository_excludes(root) for line in _read_lines(path)]
            self._repository_specs[root] = GitIgnoreSpec.from_lines(lines) if lines else None
        return self._repository_specs[root]

    def ignored(self, path: Path, is_dir: bool, exempt: Path | None = None) -> bool:
        """Checks the .gitignore of every folder from the repository root down to ``path``,
        then the repository's own excludes (``exempt``: a folder given explicitly, see
        ``_exempted``)."""
        chain, root = self._chain(path.parent)
        folders = chain if root is not None else (path.parent,)
        specs = [(directory, self._spec(directory)) for directory in folders]
        if root is not None:
            specs.append((root, self._repository_spec(root)))
        for directory, spec in specs:
            if spec is None:
                continue
            relative = path.relative_to(directory).as_posix()
            if exempt is not None and exempt != directory and directory in exempt.parents:
                relative = _exempted(relative, exempt.relative_to(directory).as_posix())
            if spec.match_file(relative + ("/" if is_dir else "")):
                return True
        return False


def _read_lines(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    except OSError:
        return []


def discover(paths: list[Path], resolver: ConfigResolver, *, force_exclude: bool = False) -> Iterator[Target]:
    """Yield the files to check, in a stable order. Explicit files are checked even when
    excluded, unless ``force_exclude``."""
    gitignores = _GitIgnores()
    seen: set[Path] = set()
    for given in paths:
        path = given.absolute()
        try:
            is_dir = path.is_dir()
            exists = is_dir or path.exists()
        except OSError as exc:
            yield Target(given, resolver.for_path(path), f"cannot open: {exc.strerror or exc}")
            continue
        if not exists:
            if path.is_symlink():
                yield Target(given, resolver.for_path(path), "cannot open: a broken symlink or a symlink loop")
            else:
                yield Target(given, resolver.for_path(path), "no such file or directory")
            continue
        settings = resolver.for_path(path)
        if force_exclude and _force_excluded(path, settings, is_dir, gitignores):
            continue
        if not is_dir:
            if path not in seen:
                seen.add(path)
                yield Target(given, settings)
            continue
        yield from _walk(given, resolver, gitignores, seen)


def _force_excluded(path: Path, settings: Settings, is_dir: bool, gitignores: _GitIgnores) -> bool:
    """Whether the walk would have skipped ``path``: it, or a folder between it and the
    configuration's root (``node_modules/``, a virtual environment), is excluded."""
    if settings.respect_gitignore and gitignores.ignored(path, is_dir):
        return True
    if _excluded(path, settings, is_dir) or (is_dir and (path / "pyvenv.cfg").exists()):
        return True
    root = settings.root.absolute()
    folders = [parent for parent in path.parents if parent != root and parent.is_relative_to(root)]
    return any(_excluded(folder, settings, True) or (folder / "pyvenv.cfg").exists() for folder in folders)


def _walk(root: Path, resolver: ConfigResolver, gitignores: _GitIgnores, seen: set[Path]) -> Iterator[Target]:
    exempt = root.absolute()  # given explicitly: checked even when a pattern names it
    unlistable: list[OSError] = []
    for directory, dirnames, filenames in os.walk(root, onerror=unlistable.append, followlinks=False):
        yield from _unlistable_targets(unlistable, resolver)
        base = Path(directory)
        if (base / "pyvenv.cfg").exists() and base != root:
            dirnames[:] = []
            continue
        settings = resolver.for_path(base / "_")
        kept = []
        for name in sorted(dirnames):
            child = base / name
            if child.is_symlink():
                continue  # never follow directory links: they can loop
            if _excluded(child, settings, True, exempt):
                continue
            if settings.respect_gitignore and gitignores.ignored(child.absolute(), True, exempt):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(PYTHON_SUFFIXES):
                continue
            child = base / name
            if _excluded(child, settings, False, exempt):
                continue
            if settings.respect_gitignore and gitignores.ignored(child.absolute(), False, exempt):
                continue
            absolute = child.absolute()
            if absolute in seen:
                continue
            seen.add(absolute)
            if child.is_symlink() and not child.exists():
                yield Target(child, settings, "cannot open: a broken symlink or a symlink loop")
            else:
                yield Target(child, settings)
    yield from _unlistable_targets(unlistable, resolver)


def _unlistable_targets(errors: list[OSError], resolver: ConfigResolver) -> Iterator[Target]:
    """A directory the walk could not list is reported, never skipped in silence: the run
    must not say 'All checks passed!' about files it never saw."""
    while errors:
        error = errors.pop(0)
        where = Path(os.fsdecode(error.filename)) if error.filename is not None else Path(".")
        yield Target(where, resolver.for_path(where.absolute() / "_"), f"cannot list the directory: {error.strerror or error}")
