"""The prefilter: whether a rule can match a file at all, from its text alone.

A rule names the text it needs (``requires_text = (".cuda(",)``), and finds it in the
code: a needle that occurs only inside string literals and comments (``flip`` in
``'flip-flop.n.02'``, ``amp.`` in ``'lamp.n.02'``, ``.to(`` in a docstring's example) lets
no rule match. A rule that reads string values for its needle (``'cuda'``) says so
(``Rule.requires_text_in_strings``) and is matched against the whole text. Python allows whitespace,
a backslash continuation, or (inside brackets) a newline between any two tokens, so
``x.cuda ()`` and ``from torch.cuda.amp\\timport autocast`` must pass too: a needle of
several tokens matches with any such gap between them. The test stays cheap: a needle's
longest word is looked up as a plain substring first, and the pattern runs only on files
that contain it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..rules.base import Rule

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
    return _Needles(text).any_of(needles)


def could_match(text: str, rule: type[Rule]) -> bool:
    """Whether ``text`` holds one of the rule's needles and each of its ``requires_also``."""
    return _Needles(text).could_match(rule)


class _Needles:
    """The needles found in one text, each looked for once: rules share needles (``.to(`` is
    several rules'), and the pattern's search over a file that has the word but not the
    needle is the costly case."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Keyed by the test, not the needle: ``.device!=`` and ``.device !=`` are one pattern.
        self._found: dict[tuple[str, re.Pattern[str] | None], bool] = {}

    def holds(self, needle: str) -> bool:
        test = _matcher(needle)
        found = self._found.get(test)
        if found is None:
            word, pattern = test
            found = word in self.text and (pattern is None or pattern.search(self.text) is not None)
            self._found[test] = found
        return found

    def any_of(self, needles: Iterable[str]) -> bool:
        return any(self.holds(needle) for needle in needles)

    def could_match(self, rule: type[Rule]) -> bool:
        return self.any_of(rule.requires_text) and all(self.holds(needle) for needle in rule.requires_also)


def active_rules(text: str, rules: Sequence[type[Rule]]) -> list[type[Rule]]:
    """The rules whose needles are in ``text``: in its code, or anywhere for a rule whose
    needle may be string data. The code is read only for a file that passes the plain test."""
    in_text = _Needles(text)
    candidates = [rule for rule in rules if in_text.could_match(rule)]
    if all(rule.requires_text_in_strings for rule in candidates):
        return candidates
    in_code = _Needles(code_only(text))
    return [rule for rule in candidates if rule.requires_text_in_strings or in_code.could_match(rule)]


# Comments and string literals, earliest first, so that a ``#`` in a string and a quote in a
# comment are read as what they are. An unterminated string ends at its line's end (a
# one-quote string) or at the end of the text (three quotes): such text does not parse.
_NOT_CODE = re.compile(
    r"#[^\r\n]*"
    r"|'''[^'\\]*(?:(?:\\(?:\r\n|.)|'(?!''))[^'\\]*)*(?:'''|\Z)"
    r'|"""[^"\\]*(?:(?:\\(?:\r\n|.)|"(?!""))[^"\\]*)*(?:"""|\Z)'
    r"|'[^'\\\r\n]*(?:\\(?:\r\n|.)[^'\\\r\n]*)*'?"
    r'|"[^"\\\r\n]*(?:\\(?:\r\n|.)[^"\\\r\n]*)*"?',
    re.DOTALL,
)
# What changes the reading of an f-string's replacement fields.
_FIELD_MARKS = re.compile(r"\{\{|\}\}|[{}'\"\\]")


class _Unsure(Exception):
    """An f-string whose fields do not close inside it (quotes reused inside a field, as
    Python 3.12 allows, or a format spec with a quote): the scan may be out of step."""


def code_only(text: str) -> str:
    """``text`` with each comment and each string literal other than an f-string (whose
    fields are code) replaced by a space; ``text`` itself where an f-string cannot be read
    with certainty."""
    try:
        return _NOT_CODE.sub(_blank, text)
    except _Unsure:
        return text


def _blank(match: re.Match[str]) -> str:
    piece = match.group()
    if piece[0] == "#":
        return " "
    start = match.start()
    # The prefix is at most two letters before the quote; a keyword before it (``elif"x"``)
    # can only make a plain string look like an f-string, which keeps more text.
    if "f" not in match.string[max(0, start - 2) : start].lower():
        return " "
    quotes = 3 if piece[:3] in ("'''", '"""') else 1
    if len(piece) < 2 * quotes or piece[-quotes:] != piece[:quotes] or not _fields_close(piece[quotes:-quotes]):
        raise _Unsure
    return piece


def _fields_close(body: str) -> bool:
    """Whether every replacement field of an f-string's body closes inside it, with no
    quote or backslash left open."""
    depth, quote = 0, ""
    for mark in _FIELD_MARKS.finditer(body):
        char = mark.group()
        if quote:
            quote = "" if char == quote else quote
        elif depth == 0:
            depth = 1 if char == "{" else 0  # literal text: only a single brace opens a field
        elif char in ("'", '"'):
            quote = char
        elif char == "\\":
            return False  # not allowed in a field before Python 3.12
        else:
            depth += {"{": 1, "}": -1, "{{": 2, "}}": -2}[char]
            if depth < 0:
                return False
    return depth == 0 and not quote
