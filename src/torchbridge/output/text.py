"""``path:line:col: CODE message``, then a one-line summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from ..finding import Finding


def render(findings: Sequence[Finding], stream: TextIO) -> None:
    for f in findings:
        label = f.code if f.code is not None else f"{f.name}:"
        stream.write(f"{f.filename}:{f.line}:{f.column}: {label} {f.message}\n")
    stream.write(summary(findings) + "\n")


def summary(findings: Sequence[Finding]) -> str:
    problems = [f for f in findings if not f.is_diagnostic]
    unchecked = len({f.filename for f in findings if f.is_diagnostic})
    if not findings:
        return "All checks passed!"
    parts = []
    if problems:
        files = len({f.filename for f in problems})
        parts.append(f"Found {_plural(len(problems), 'finding')} in {_plural(files, 'file')}.")
    if unchecked:
        parts.append(f"{_plural(unchecked, 'file')} could not be checked.")
    return " ".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
