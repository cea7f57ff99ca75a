"""JSON text that every stream can take and every JSON parser can read.

A file name the file-system encoding cannot decode reaches us with lone surrogates
(``os.fsdecode``'s ``surrogateescape``), which no UTF codec encodes: each is written as a
``\\udcXX`` escape instead, as ``json.dumps`` writes it by default. That keeps the name
exact: ``os.fsencode(json.loads(text)[...]["filename"])`` gives back the file's bytes. On a
stream whose encoding is not a UTF one, everything that is not ASCII is escaped, so that
the document stays valid JSON rather than having characters replaced.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, TextIO

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def dumps(value: Any, stream: TextIO, *, indent: int | None = None) -> str:
    """``value`` as JSON for ``stream``: non-ASCII text as it is where the stream's encoding
    holds all of it, escapes where it does not. A surrogate only ever appears inside a
    string, where its escape means the same character."""
    if not _unicode_stream(stream):
        return json.dumps(value, indent=indent)
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _unicode_stream(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True  # an in-memory stream holds any text
    try:
        return codecs.lookup(encoding).name.startswith("utf-")
    except LookupError:
        return False
