"""The flake8 plugin (``flake8 --select TNP``): a thin adapter over the engine.

It takes flake8's ``lines`` (editors pipe unsaved buffers through standard input, so the
file is never re-read) and reports what ``torchbridge check`` reports for the same source
and the same project, in flake8's 0-based column form. It imports nothing from flake8
(flake8 is an optional extra: ``torchbridge[flake8]``).

Which rules run, per file, in this order (README, "flake8"):

1. ``[tool.torchbridge]``, found and read as the command line does (the nearest
   ``pyproject.toml`` with the table above the file; ``--torchbridge-config FILE`` for one
   file; none with ``--torchbridge-isolated`` or flake8's ``--isolated``): ``select``,
   ``extend-select``, ``ignore``, ``per-file-ignores``, ``exclude`` / ``extend-exclude``
   (an excluded file gives nothing), ``torch-version``, ``device-idiom``, ``max-file-size``.
2. An off-by-default rule that flake8's ``--select`` / ``--extend-select`` names more
   specifically than ``TNP`` (``TNP3``, ``TNP308``) runs too, as ``torchbridge check
   --extend-select`` would run it.
3. flake8 then applies its own selection to what the plugin reports (``--select``,
   ``--ignore``, ``--extend-ignore``, its ``per-file-ignores`` and ``# noqa``): those can
   only take findings away.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .engine.lint import lint_source
from .project.config import ConfigError, ConfigResolver, Settings
from .project.discovery import excluded_by_settings
from .project.selection import SelectionError, rules_for_codes
from .rules.catalog import CATALOG
from .version import __version__

# flake8 needs a code for everything a plugin yields; this one says "torchbridge could not
# check this file" (the CLI reports such files as diagnostics without a code).
NOT_CHECKED_CODE = "TNP999"
_ALL = "TNP"


class TorchbridgeChecker:
    name = "torchbridge"
    version = __version__

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        # ``tree`` is unused, but flake8 classifies a plugin by its parameters and
        # ``tree`` marks a whole-file checker.
        self.lines = lines
        self.filename = filename

    _options: Any = None
    _resolvers: dict[tuple[str | None, bool], ConfigResolver] = {}

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            "--torchbridge-config", metavar="FILE", default=None, parse_from_config=True,
            help="torchbridge: read this configuration file for every file (default: the nearest "
                 "pyproject.toml with [tool.torchbridge], as `torchbridge check` finds it)",
        )
        option_manager.add_option(
            "--torchbridge-isolated", action="store_true", default=False, parse_from_config=True,
            help="torchbridge: ignore [tool.torchbridge] (flake8's --isolated does too)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        # Kept by reference and read at run time: flake8's Python API (get_style_guide)
        # sets ``select`` on this object after parse_options has run.
        cls._options = options

    @classmethod
    def _resolver(cls) -> ConfigResolver:
        options = cls._options
        config = getattr(options, "torchbridge_config", None)
        isolated = bool(getattr(options, "torchbridge_isolated", False) or getattr(options, "isolated", False))
        key = (config, isolated)
        if key not in cls._resolvers:
            cls._resolvers[key] = ConfigResolver(config_file=Path(config) if config else None, isolated=isolated)
        return cls._resolvers[key]

    @classmethod
    def _flake8_selected(cls) -> tuple[str, ...]:
        """The off-by-default rules flake8's own selection names specifically (step 2)."""
        options = cls._options
        selectors = [*(getattr(options, "select", None) or ()), *(getattr(options, "extend_select", None) or ())]
        chosen = [s.strip().upper() for s in selectors]
        return tuple(
            r.code for r in CATALOG
            if not r.default_enabled and any(len(s) > len(_ALL) and r.code.startswith(s) for s in chosen)
        )

    def _settings(self) -> tuple[Path, Settings]:
        # flake8 names standard input "stdin" (or --stdin-display-name): its settings are
        # the working directory's, as for `torchbridge check -`.
        given = Path(self.filename) if self.filename not in ("stdin", "-") else Path("-")
        path = given.absolute()
        return path, self._resolver().for_path(path)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        try:
            path, settings = self._settings()
        except (ConfigError, SelectionError) as exc:
            yield 1, 0, f"{NOT_CHECKED_CODE} torchbridge could not read its configuration: {exc}", type(self)
            return
        if excluded_by_settings(path, settings):
            return
        codes = tuple(sorted({*settings.codes_for(path), *self._flake8_selected()}))
        findings = lint_source(
            "".join(self.lines), self.filename, rules_for_codes(codes), apply_noqa=False, options=settings.rule_options,
        )
        for finding in findings:
            if finding.code is None:
                text = f"{NOT_CHECKED_CODE} torchbridge could not check this file ({finding.name}): {finding.message}"
            else:
                text = f"{finding.code} {finding.message}"
            yield finding.line, finding.column - 1, text, type(self)
