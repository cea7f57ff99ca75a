"""Which settings apply to an open document: ``[tool.torchbridge]`` found as the CLI finds
it, with the editor's own settings on top.

The editor may set two things (in ``initializationOptions`` or
``workspace/didChangeConfiguration``, either bare or under a ``torchbridge`` key):
``unsafeFixes`` (true or false: what ``--unsafe-fixes`` / ``--no-unsafe-fixes`` say on the
command line, over the configuration's ``unsafe-fixes``) and ``configuration`` (one
configuration file for every document, as ``--config`` gives it; a relative path is taken
from the first workspace folder). Anything else is ignored with a log line, so that an
editor's settings for a newer torchbridge never stop an older one.

A document without a file (an untitled buffer) takes the settings of the first workspace
folder. Excludes apply as ``--force-exclude`` applies them: an excluded file gets no
findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..project.config import ConfigError, ConfigResolver, Settings
from ..project.discovery import discover


@dataclass(frozen=True)
class ClientSettings:
    unsafe_fixes: bool | None = None  # None: the configuration's ``unsafe-fixes`` decides
    configuration: str | None = None  # one configuration file for every document

    @classmethod
    def parse(cls, value: Any) -> tuple[ClientSettings, list[str]]:
        """The settings in ``value``, and a line for each thing in it that was not understood."""
        if isinstance(value, dict) and isinstance(value.get("torchbridge"), dict):
            value = value["torchbridge"]
        if not isinstance(value, dict):
            return cls(), [] if value is None else [f"settings: expected an object, got {type(value).__name__}"]
        problems = []
        unsafe = value.get("unsafeFixes")
        if unsafe is not None and not isinstance(unsafe, bool):
            problems.append(f"settings: unsafeFixes: expected true or false, got {unsafe!r}")
            unsafe = None
        configuration = value.get("configuration")
        if configuration is not None and not isinstance(configuration, str):
            problems.append(f"settings: configuration: expected a path, got {configuration!r}")
            configuration = None
        problems += [f"settings: unknown key {key!r} ignored" for key in value if key not in ("unsafeFixes", "configuration")]
        return cls(unsafe, configuration or None), problems


class Configuration:
    """The settings of each document, rebuilt whole (``reload``) when a configuration file
    or the editor's settings change; ``generation`` counts the rebuilds, so that a finding
    computed under old settings is never taken for a current one."""

    def __init__(self, folders: list[Path], client: ClientSettings | None = None) -> None:
        self.folders = folders
        self.client = client or ClientSettings()
        self.generation = 0
        self.errors: list[str] = []  # what the last reload or lookup could not read
        self._resolver = self._new_resolver()
        self._excluded: dict[Path, bool] = {}

    def reload(self, *, folders: list[Path] | None = None, client: ClientSettings | None = None) -> None:
        if folders is not None:
            self.folders = folders
        if client is not None:
            self.client = client
        self.generation += 1
        self.errors = []
        self._excluded = {}
        self._resolver = self._new_resolver()

    def _new_resolver(self) -> ConfigResolver:
        overrides = {"unsafe_fixes": self.client.unsafe_fixes}
        if self.client.configuration is not None:
            path = Path(self.client.configuration).expanduser()
            if not path.is_absolute() and self.folders:
                path = self.folders[0] / path
            try:
                return ConfigResolver(config_file=path, overrides=overrides)
            except ConfigError as exc:
                self.errors.append(f"{exc}; the configuration files found beside each document are used instead")
        return ConfigResolver(overrides=overrides)

    def for_path(self, path: Path | None) -> Settings:
        """The settings of a document at ``path`` (None: untitled). A configuration file
        that cannot be read gives the defaults, and its error in ``errors``."""
        where = path if path is not None else (self.folders[0] / "untitled.py" if self.folders else None)
        try:
            if where is not None:
                return self._resolver.for_path(where)
            return ConfigResolver(isolated=True, overrides={"unsafe_fixes": self.client.unsafe_fixes}).for_path(Path.cwd())
        except ConfigError as exc:
            message = f"{exc}; the default settings are used"
            if message not in self.errors:
                self.errors.append(message)
            return ConfigResolver(isolated=True, overrides={"unsafe_fixes": self.client.unsafe_fixes}).for_path(Path.cwd())

    def excluded(self, path: Path | None) -> bool:
        """Whether the configuration excludes the file (``exclude``, ``extend-exclude``, the
        default excludes, ``.gitignore`` with ``respect-gitignore``), as ``--force-exclude`` does."""
        if path is None:
            return False
        known = self._excluded.get(path)
        if known is None:
            try:
                known = self._excluded[path] = not any(discover([path], self._resolver, force_exclude=True))
            except (ConfigError, OSError):
                known = False  # the lookup reports the configuration's error
        return known
