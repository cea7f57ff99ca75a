"""A one-line progress count on standard error, for long runs at a terminal only.

Piped or redirected, standard error gets nothing: logs and CI output stay clean, and the
findings on standard output are never interleaved with it.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_FILES = 20  # fewer files finish before a count would help
_INTERVAL = 0.1  # seconds between redraws: a cached run must not spend its time drawing


class Progress:
    """``checked 12/340 files``; ``minimum``: fewer items than this show nothing (files are
    quick, so only a long run gets a count; a verified fix takes seconds, so every run does)."""

    def __init__(
        self, total: int, stream: TextIO | None = None, label: str = "checked", unit: str = "files",
        minimum: int = MIN_FILES,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.label = label
        self.unit = unit
        self.done = 0
        self._drawn = 0.0
        self.enabled = total > minimum and _is_terminal(self.stream)

    def __call__(self) -> None:
        """One more item done."""
        self.done += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn >= _INTERVAL or self.done == self.total:
            self._drawn = now
            self.stream.write(f"\r{self.label} {self.done}/{self.total} {self.unit}")
            self.stream.flush()

    def finish(self) -> None:
        """Erase the line, so that what follows starts clean."""
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False
