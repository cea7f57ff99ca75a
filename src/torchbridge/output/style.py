"""Colour for the formats people read: only on a terminal, never under ``NO_COLOR``, always
under ``FORCE_COLOR`` (no-color.org and force-color.org: any non-empty value counts)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO


def use_color(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    if environ.get("NO_COLOR"):
        return False  # the user's "never" beats a tool's "always"
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


@dataclass(frozen=True)
class Style:
    """ANSI SGR sequences around parts of a line, or the text unchanged when colour is off."""

    enabled: bool

    def _paint(self, sgr: str, text: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if self.enabled and text else text

    def path(self, text: str) -> str:
        return self._paint("1", text)

    def code(self, text: str) -> str:
        return self._paint("1;31", text)

    def fixable(self, text: str) -> str:
        return self._paint("36", text)

    def gutter(self, text: str) -> str:
        return self._paint("1;34", text)

    def caret(self, text: str) -> str:
        return self._paint("1;31", text)

    def help(self, text: str) -> str:
        return self._paint("1;36", text)

    def success(self, text: str) -> str:
        return self._paint("1;32", text)


PLAIN = Style(enabled=False)
