"""The source lines findings point into (for the formats that show them or hash them), and
the repository-relative paths the CI formats report."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from ..engine.notebook import cell_sources, is_notebook
from ..engine.source import DecodeError, decode, python_lines


class SourceLines:
    """Each file read and decoded once, as the engine does (PEP 263 cookie, BOM, a lone CR
    ends a line), so line numbers agree with the findings'; a notebook's lines by cell, as
    its findings count them. ``given`` holds the bytes of inputs that are not files on disk
    (standard input)."""

    def __init__(self, given: Mapping[str, bytes] | None = None) -> None:
        self._given = dict(given or {})
        self._lines: dict[str, dict[int | None, list[str]]] = {}

    def line(self, filename: str, number: int, cell: int | None = None) -> str | None:
        if filename not in self._lines:
            self._lines[filename] = self._read(filename)
        lines = self._lines[filename].get(cell)
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    def _read(self, filename: str) -> dict[int | None, list[str]]:
        """The file's lines under None, or each notebook cell's under its number; nothing
        for a file that cannot be read."""
        data = self._given.get(filename)
        if data is None:
            try:
                # Only regular files: a named pipe called *.py would block the report.
                if not stat.S_ISREG(os.stat(filename).st_mode):
                    return {}
                with open(filename, "rb") as handle:
                    data = handle.read()
            except OSError:
                return {}
        if is_notebook(filename):
            return {number: _split(text) for number, text in cell_sources(data).items()}
        try:
            return {None: _split(decode(data).text)}
        except DecodeError:
            return {}


def _split(text: str) -> list[str]:
    lines = [line.removesuffix("\n").removesuffix("\r") for line in python_lines(text)]
    if not lines or text.endswith(("\n", "\r")):
        lines.append("")  # the empty last line, where an error at the end of the file points
    return lines


def relative_path(filename: str) -> str:
    """A POSIX path relative to the working directory (where CI runs: the repository root)
    when the file is under it; otherwise the path as given."""
    path = Path(filename)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return path.as_posix()
    return path.as_posix()

