"""``[tool.torchbridge]`` in ``pyproject.toml``: discovery, validation, and the settings it yields."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from pathspec import GitIgnoreSpec

from ..rules.options import DEFAULT_MAX_FILE_SIZE, RuleOptions
from .selection import Selection, SelectionError, rules_for_codes, unfixable_codes, validate_selectors

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class ConfigError(Exception):
    """A configuration file or option is wrong; the message names the file and the key."""


DEVICE_IDIOMS = ("cuda", "accelerator")
_VERSION = re.compile(r"^\d+(?:\.\d+){0,2}$")


@dataclass(frozen=True)
class Settings:
    root: Path  # where relative patterns are anchored: the configuration file's folder
    config_file: Path | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    torch_version: str | None = None
    device_idiom: str = "cuda"
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    fixable: tuple[str, ...] | None = None  # Ruff's: the codes whose fixes are offered (None: all)
    unfixable: tuple[str, ...] = ()  # Ruff's: the codes whose fixes never are
    fix: bool = False  # ``check`` applies safe fixes
    unsafe_fixes: bool = False  # fixes apply unsafe ones too
    _selection_cache: dict[tuple[str, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def rule_options(self) -> RuleOptions:
        return RuleOptions(
            device_idiom=self.device_idiom, torch_version=self.torch_version, max_file_size=self.max_file_size,
            unfixable=unfixable_codes(self.fixable, self.unfixable),
        )

    @property
    def selection(self) -> Selection:
        return Selection(self.select, self.extend_select, self.ignore)

    def codes_for(self, path: Path | None) -> tuple[str, ...]:
        """The codes of the enabled rules for one file, with its per-file ignores applied
        (known without loading a rule: what the cache's keys need)."""
        ignored: tuple[str, ...] = ()
        if path is not None and self.per_file_ignores:
            ignored = tuple(
                code for pattern, codes in self.per_file_ignores if _matches(pattern, path, self.root) for code in codes
            )
        cached = self._selection_cache.get(ignored)
        if cached is None:
            # A per-file ignore removes every rule it names, however specifically the rule
            # was selected (Ruff's per-file-ignores): no specificity contest as with ``ignore``.
            cached = self._selection_cache[ignored] = tuple(
                code for code in self.selection.codes() if not code.startswith(ignored)
            )
        return cached

    def rules_for(self, path: Path | None) -> tuple:
        """The enabled rules for one file, with its per-file ignores applied."""
        return rules_for_codes(self.codes_for(path))


@lru_cache(maxsize=256)
def compiled_patterns(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    return GitIgnoreSpec.from_lines(patterns)


def relative_to_root(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.name


def _matches(pattern: str, path: Path, root: Path) -> bool:
    return compiled_patterns((pattern,)).match_file(relative_to_root(path, root))


def _expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: expected {what}, got {type(value).__name__} {value!r}")
    return value


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    _expect(value, list, where, "a list of strings")
    for item in value:
        _expect(item, str, where, "a list of strings")
    return tuple(value)


def _codes(value: Any, where: str) -> tuple[str, ...]:
    try:
        return tuple(validate_selectors(_string_list(value, where), where))
    except SelectionError as exc:
        raise ConfigError(str(exc)) from None


def parse_table(table: dict[str, Any], config_file: Path) -> Settings:
    """Validate a ``[tool.torchbridge]`` table; every problem names the file and key."""
    settings = Settings(root=config_file.parent, config_file=config_file)
    changes: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{config_file}: [tool.torchbridge] {key}"
        if key == "select":
            changes["select"] = _codes(value, where)
        elif key == "extend-select":
            changes["extend_select"] = _codes(value, where)
        elif key in ("ignore", "fixable", "unfixable"):
            changes[key] = _codes(value, where)
        elif key == "per-file-ignores":
            _expect(value, dict, where, "a table of glob = [codes]")
            changes["per_file_ignores"] = tuple(
                (pattern, _codes(codes, f"{where}.{pattern!r}")) for pattern, codes in value.items()
            )
        elif key in ("exclude", "extend-exclude"):
            changes[key.replace("-", "_")] = _string_list(value, where)
        elif key in ("respect-gitignore", "fix", "unsafe-fixes"):
            changes[key.replace("-", "_")] = _expect(value, bool, where, "true or false")
        elif key == "torch-version":
            _expect(value, str, where, 'a version string such as "2.4"')
            if not _VERSION.match(value):
                raise ConfigError(f'{where}: expected a version such as "2.4", got {value!r}')
            changes["torch_version"] = value
        elif key == "device-idiom":
            if value not in DEVICE_IDIOMS:
                raise ConfigError(f"{where}: expected one of {', '.join(map(repr, DEVICE_IDIOMS))}, got {value!r}")
            changes["device_idiom"] = value
        elif key == "max-file-size":
            _expect(value, int, where, "a size in bytes")
            if value < 1:
                raise ConfigError(f"{where}: expected a positive size in bytes, got {value!r}")
            changes["max_file_size"] = value
        else:
            raise ConfigError(f"{config_file}: unknown key {key!r} in [tool.torchbridge]")
    return replace(settings, **changes)


def load_file(path: Path, *, explicit: bool = False) -> Settings | None:
    """Settings from a pyproject.toml; None when it has no [tool.torchbridge] (unless explicit)."""
    table = _read_table(path, explicit=explicit)
    if table is None:
        return None
    return parse_table(_extended(table, path, (path.resolve(),)), path)


def _read_table(path: Path, *, explicit: bool) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # TOML must be UTF-8
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    tool = document.get("tool", {})
    table = tool.get("torchbridge") if isinstance(tool, dict) else None
    if table is None:
        if explicit:
            # A file given with --config (or named by ``extend``) may be a bare torchbridge
            # table or a pyproject.
            table = {k: v for k, v in document.items() if k != "tool"} if path.name != "pyproject.toml" else {}
        else:
            return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.torchbridge] must be a table")
    return table


# Lists that add to what an extended file says rather than replace it.
_ACCUMULATED = ("extend-select", "extend-exclude")


def _extended(table: dict[str, Any], path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """``table`` on top of the file its ``extend`` names (Ruff's ``extend``, relative to
    ``path``'s folder): its keys replace the inherited ones, except ``extend-select`` and
    ``extend-exclude``, which add to them, and ``per-file-ignores``, merged by pattern.
    Patterns stay relative to the project's own configuration file."""
    if "extend" not in table:
        return table
    where = f"{path}: [tool.torchbridge] extend"
    target = table["extend"]
    if not isinstance(target, str):
        raise ConfigError(f"{where}: expected a path to a configuration file, got {type(target).__name__} {target!r}")
    parent_path = (path.parent / Path(target).expanduser()).resolve()
    if parent_path in chain:
        raise ConfigError(f"{where}: {target!r} extends itself ({' -> '.join(str(p) for p in (*chain, parent_path))})")
    if not parent_path.is_file():
        raise ConfigError(f"{where}: no such file {target!r} ({parent_path})")
    parent = _extended(_read_table(parent_path, explicit=True) or {}, parent_path, (*chain, parent_path))
    parse_table(parent, parent_path)  # its own mistakes are named as its own
    merged = {**parent, **{k: v for k, v in table.items() if k != "extend"}}
    for key in _ACCUMULATED:
        if isinstance(parent.get(key), list) and isinstance(table.get(key), list):
            merged[key] = [*parent[key], *table[key]]
    if isinstance(parent.get("per-file-ignores"), dict) and isinstance(table.get("per-file-ignores"), dict):
        merged["per-file-ignores"] = {**parent["per-file-ignores"], **table["per-file-ignores"]}
    merged.pop("extend", None)
    return merged


class ConfigResolver:
    """The settings that apply to each file: the nearest pyproject.toml with [tool.torchbridge]
    above it, or one file given with --config, or none with --isolated; then the command
    line's overrides on top."""

    def __init__(self, *, config_file: Path | None = None, isolated: bool = False, overrides: dict[str, Any] | None = None):
        self._overrides = overrides or {}
        self._fixed: Settings | None = None
        if isolated:
            self._fixed = self._apply(Settings(root=Path.cwd()))
        elif config_file is not None:
            loaded = load_file(config_file, explicit=True)
            self._fixed = self._apply(loaded or Settings(root=config_file.parent, config_file=config_file))
        self._by_dir: dict[Path, Settings] = {}

    def for_path(self, path: Path) -> Settings:
        if self._fixed is not None:
            return self._fixed
        directory = path.parent if not path.is_dir() else path
        return self._for_dir(directory.resolve())

    def _for_dir(self, directory: Path) -> Settings:
        cached = self._by_dir.get(directory)
        if cached is not None:
            return cached
        candidate = directory / "pyproject.toml"
        settings = load_file(candidate) if candidate.is_file() else None
        if settings is not None:
            settings = self._apply(settings)
        elif directory.parent != directory:
            settings = self._for_dir(directory.parent)
        else:
            settings = self._apply(Settings(root=Path.cwd()))
        self._by_dir[directory] = settings
        return settings

    def _apply(self, settings: Settings) -> Settings:
        o = self._overrides
        changes: dict[str, Any] = {}
        if o.get("select") is not None:
            changes["select"] = tuple(o["select"])
        if o.get("extend_select"):
            changes["extend_select"] = (*settings.extend_select, *o["extend_select"])
        if o.get("ignore"):
            changes["ignore"] = (*settings.ignore, *o["ignore"])
        for key in ("respect_gitignore", "fix", "unsafe_fixes"):
            if o.get(key) is not None:
                changes[key] = o[key]
        if o.get("extend_exclude"):
            changes["extend_exclude"] = (*settings.extend_exclude, *o["extend_exclude"])
        return replace(settings, **changes) if changes else settings
