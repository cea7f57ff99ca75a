"""``# noqa`` handling, exactly as flake8 7 does it.

flake8 searches each reported line for its inline ``# noqa`` pattern (anywhere on the line,
strings included), and treats the physical lines of one token run as one line: a
multi-line string or a backslash-continued statement, so a ``# noqa`` on any of them
covers them all. (Lines inside brackets end tokenizer runs of their own, so there the
``# noqa`` must sit on the finding's line, in flake8 and here alike.) The same regular expressions and
the same grouping are used here, so ``torchbridge check`` and ``flake8 --select TNP``
suppress the same findings; a test runs flake8 itself as the oracle.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass

# The same patterns as flake8.defaults (7.x).
NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_FILE = re.compile(r"\s*# (?:flake8|torchbridge)[:=]\s*noqa", re.IGNORECASE)
# What every inline match begins with: where it is nowhere in the text, no line is suppressed
# and the tokens need not be read.
_NOQA_START = re.compile(r"# noqa", re.IGNORECASE)
# NOQA_FILE after its leading whitespace, searched for in a whole text (no gap crosses a line's end).
_NOQA_FILE_COMMENT = re.compile(r"# (?:flake8|torchbridge)[:=][^\S\n]*noqa", re.IGNORECASE)
_SEPARATORS = re.compile(r"[,\s]")
_TRAILING_SEPARATORS = re.compile(r"[,\s]+$")


def file_is_exempt(lines: list[str], text: str | None = None) -> bool:
    """``# flake8: noqa`` or ``# torchbridge: noqa`` on a line of its own skips the file.
    ``text``, the lines joined (a parser's text: no lone CR), is searched in one pass instead."""
    if text is not None:
        for found in _NOQA_FILE_COMMENT.finditer(text):
            before = text[text.rfind("\n", 0, found.start()) + 1 : found.start()]
            if not before or before.isspace():
                return True
        return False
    return any(NOQA_FILE.match(line) for line in lines)


class _Tokenize:
    """The type of ``TOKENIZE``: no token runs given, tokenize the lines (``None`` already
    means "they do not tokenize", an answer that must not be asked for again)."""


TOKENIZE = _Tokenize()


@dataclass(frozen=True)
class TokenRun:
    """Physical lines flake8 reads as one for ``# noqa``: ``first`` to ``last`` (1-based). A
    comment can only end a run, so it sits on ``last``, from column ``comment`` (0-based,
    in code points); ``comment`` is None when the run has none."""

    first: int
    last: int
    comment: int | None


def token_runs(lines: list[str]) -> list[TokenRun] | None:
    """The file's token runs in order; None when it does not tokenize."""
    runs = []
    lowest, highest, comment = len(lines) + 2, -1, None
    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            lowest = min(lowest, token.start[0])
            highest = max(highest, token.end[0])
            if token.type == tokenize.COMMENT:
                comment = token.start[1]
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                runs.append(TokenRun(lowest, highest, comment))
                lowest, highest, comment = len(lines) + 2, -1, None
    except (tokenize.TokenError, SyntaxError):
        return None
    return runs


def noqa_line_mapping(lines: list[str], runs: list[TokenRun] | None | _Tokenize = TOKENIZE) -> dict[int, str]:
    """Map each line number to the text searched for ``# noqa`` (its whole statement);
    ``runs``: the lines' ``token_runs`` where the caller has them (None: they do not
    tokenize, so every line is read for itself), ``TOKENIZE`` to tokenize them here."""
    mapping: dict[int, str] = {}
    for run in (token_runs(lines) if isinstance(runs, _Tokenize) else runs) or ():
        joined = "".join(lines[run.first - 1 : run.last])
        for number in range(run.first, run.last + 1):
            mapping[number] = joined
    return mapping


def directive_codes(match: re.Match[str]) -> list[str]:
    """The codes a ``# noqa:`` directive names, in order (none for a blanket ``# noqa``)."""
    return [c for c in _SEPARATORS.split(match.group("codes") or "") if c]


def codes_span(match: re.Match[str]) -> tuple[int, int]:
    """Where a directive's codes start and end, without the separators the pattern takes
    after the last one (spaces, a comma, even the line's newline)."""
    start = match.start("codes")
    return start, start + len(_TRAILING_SEPARATORS.sub("", match.group("codes")))


def is_suppressed(code: str, noqa_text: str) -> bool:
    match = NOQA_INLINE.search(noqa_text)
    if match is None:
        return False
    if match.group("codes") is None:
        return True  # a blanket # noqa
    codes = directive_codes(match)
    return code in codes or code.startswith(tuple(codes))


class Suppressions:
    """Answers "is this finding suppressed?" for one file, tokenizing only when a finding is
    asked about and the text holds a ``# noqa`` (in any case, as flake8 matches it)."""

    def __init__(self, lines: list[str], runs: Callable[[], list[TokenRun] | None] | None = None) -> None:
        self._lines = lines
        self._runs = runs  # how to find the lines' token runs, when not by ``token_runs``
        self._mapping: dict[int, str] | None = None

    def suppressed(self, code: str, line: int) -> bool:
        if self._mapping is None:
            may_suppress = _NOQA_START.search("".join(self._lines)) is not None
            runs = self._runs() if may_suppress and self._runs is not None else TOKENIZE
            self._mapping = noqa_line_mapping(self._lines, runs) if may_suppress else {}
        text = self._mapping.get(line)
        if text is None:
            text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        return is_suppressed(code, text)
