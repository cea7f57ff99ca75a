"""Turning a file's bytes into text the parser can take, without losing what the fixer must keep."""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass

_LONE_CR = re.compile(r"\r(?!\n)")


class DecodeError(Exception):
    """The bytes are not text in the encoding the file declares."""


@dataclass(frozen=True)
class SourceText:
    text: str  # what the parser sees: no BOM, lone CRs turned into LFs
    encoding: str  # as declared by a PEP 263 cookie, else utf-8
    bom: bool
    lone_cr: bool  # the file used lone CRs (old Mac style), which LibCST cannot round-trip
    raw: str = ""  # the text as decoded (lone CRs kept; no BOM): what a fix edits and writes

    def encode(self, text: str) -> bytes:
        """``text`` as this file's bytes: its encoding, its BOM. Raises UnicodeEncodeError."""
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode(self.encoding)


def python_lines(text: str) -> list[str]:
    """``text`` split where Python ends a line (``\\n``, ``\\r\\n``, ``\\r``), each line with
    its end. ``str.splitlines`` also splits at form feeds, vertical tabs, ``\\x1c``-``\\x1e``,
    ``\\x85``, U+2028 and U+2029, which Python (and flake8, and LibCST) keep inside a line:
    using it on source text shifts every later line number."""
    return io.StringIO(text, newline="").readlines()


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text`` (the parser's text: every line
    ends in ``\\n``, lone CRs having become LFs)."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def decode(data: bytes) -> SourceText:
    """Decode source bytes as Python does: BOM, PEP 263 cookie, default UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise DecodeError(str(exc)) from None
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
        encoding = "utf-8"
    elif encoding == "utf-8-sig":
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(f"cannot decode as {encoding}: {exc}") from None
    return from_text(text, encoding=encoding, bom=bom)


def from_text(text: str, *, encoding: str = "utf-8", bom: bool = False) -> SourceText:
    if text.startswith("\ufeff"):
        text, bom = text[1:], True
    raw = text
    lone_cr = "\r" in text and _LONE_CR.search(text) is not None
    if lone_cr:
        # A lone CR ends a line for Python; LibCST does not round-trip it. Each CR becomes
        # one LF, so every line and column stays where it was.
        text = _LONE_CR.sub("\n", text)
    return SourceText(text=text, encoding=encoding, bom=bom, lone_cr=lone_cr, raw=raw)
