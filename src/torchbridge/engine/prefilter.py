"""The prefilter: whether a rule can match a file at all, from its text alone.

A rule names the text it needs (``requires_text = (".cuda(",)``). Python allows whitespace,
a backslash continuation, or (inside brackets) a newline between any two tokens, so
``x.cuda ()`` and ``from torch.cuda.amp\\timport autocast`` must pass too: a needle of
several tokens matches with any such gap between them. The test stays cheap: a needle's
longest word is looked up as a plain substring first, and the pattern runs only on files
that contain it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

_TOKEN = re.compile(r"\w+|[^\w\s]")
_GAP = r"(?:[ \t\f]|\\\r?\n|\r?\n)*"


@cache
def _matcher(needle: str) -> tuple[str, re.Pattern[str] | None]:
    """The needle's longest word, and the pattern to confirm it with (None: the word is the
    whole needle, a plain substring test suffices)."""
    tokens = _TOKEN.findall(needle)
    word = max(tokens, key=len)
    if tokens == [needle]:
        return word, None
    return word, re.compile(_GAP.join(re.escape(token) for token in tokens))


def mentions(text: str, needles: Iterable[str]) -> bool:
    """Whether ``text`` holds one of ``needles``, allowing any gap Python allows between tokens."""
    for needle in needles:
        word, pattern = _matcher(needle)
        if word in text and (pattern is None or pattern.search(text) is not None):
            return True
    return False
