"""How a file name is written into each kind of output.

A name is any byte string the file system allows: Python hands it over as ``str`` with
each byte that is not valid in the file-system encoding kept as a lone surrogate
(``os.fsdecode``'s ``surrogateescape``). Such a ``str`` cannot be encoded to UTF-8, and a
newline, a tab or an escape sequence in a name can break a line format or drive a terminal.
So each kind of output gets its own spelling, never lossy where the format can carry the
bytes:

- text for people (``full``, ``text``, ``concise``, ``grouped``, messages on standard
  error): :func:`for_text`, ``bad_\\xff.py``, one line whatever the name holds;
- unified diff headers: :func:`for_diff`, quoted in C style as Git quotes them, which GNU
  ``patch`` and ``git apply`` read back to the exact bytes;
- URIs (SARIF): :func:`for_uri`, every byte outside RFC 3986's unreserved set (and ``/``)
  percent-encoded;
- JSON: the name as it is; ``output.json_text`` writes a lone surrogate as a ``\\udcXX``
  escape, which ``json.loads`` and ``os.fsencode`` turn back into the exact bytes.
"""

from __future__ import annotations

import os
import re
import sys
from urllib.parse import quote

# C0 controls, DEL and C1 controls: characters a terminal or a line-based reader acts on.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r"}
# What Git quotes in a path (core.quotePath=false): controls, the quote and the backslash;
# a lone surrogate is a byte the file-system encoding cannot decode.
_DIFF_QUOTED = re.compile(r'[\x00-\x1f\x7f"\\\ud800-\udfff]')


def decodable(name: str) -> str:
    """``name`` with each byte the file-system encoding cannot decode written as ``\\xNN``
    (``os.fsdecode`` with ``backslashreplace``): text any UTF codec can encode."""
    if name.isascii():
        return name  # the common case, and nothing to undo
    return _bytes(name).decode(sys.getfilesystemencoding(), "backslashreplace")


def for_text(name: str) -> str:
    """The name as people read it: :func:`decodable`, and control characters as escapes
    (``\\n``, ``\\t``, ``\\x1b``), so that a finding stays on one line and a name cannot
    send the terminal an escape sequence."""
    return _CONTROL.sub(_escape_control, decodable(name))


def for_diff(path: str) -> str:
    """A ``---``/``+++`` header path: as it is, or in double quotes with C escapes (octal for
    bytes) when it holds what Git quotes, so that a newline cannot end the header."""
    if _DIFF_QUOTED.search(path) is None:
        return path
    out = []
    for char in path:
        if _DIFF_QUOTED.fullmatch(char) is None:
            out.append(char)
        elif char in _NAMED:
            out.append(_NAMED[char])
        elif char in '"\\':
            out.append("\\" + char)
        else:
            out.extend(f"\\{byte:03o}" for byte in _bytes(char))
    return '"' + "".join(out) + '"'


def for_uri(path: str) -> str:
    """A relative URI reference for a POSIX path: its bytes (UTF-8 for text, the raw bytes
    for the rest) percent-encoded except unreserved characters and ``/`` (RFC 3986 section
    2; SARIF 2.1.0 section 3.10)."""
    return quote(_bytes(path), safe="/")


def _bytes(name: str) -> bytes:
    """The name's bytes as the file system has them; a name that did not come from it (a
    ``--stdin-filename`` the file-system encoding cannot hold) as UTF-8."""
    try:
        return os.fsencode(name)
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass")


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"
