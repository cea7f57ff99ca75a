"""A cheap scan that keeps pathological files away from LibCST's native parser.

LibCST's parser does not raise on some inputs: it crashes the process. Measured with
libcst 1.9 on Python 3.11: 2,000 nested brackets, or an 8,000-term ``a+a+...`` /
``a and a and ...`` / ``a.b.b...`` / ``f()()...`` chain, end in a segmentation fault, and
parse time grows quadratically on the way there (1k/2k/4k-term ``+`` chains: 0.4/1.1/3.8 s;
1,000 nested lists: 5 s). CPython itself rejects more than 200 nested brackets.

The scan reads only structure (brackets, separators, operators), skipping comments and
strings (except the fields of f-strings, which are code), with one regular expression; it costs about 4% of a LibCST parse.
A text with too few brackets and link characters to reach a limit is passed on their counts alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .source import line_and_column

MAX_DEPTH = 200  # CPython's own limit on nested brackets
MAX_CHAIN = 1000  # operator or trailer links in one expression

_STRING = (
    r"[rRbBuUfF]{0,2}(?:'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|"(?:[^"\\\n]|\\.)*")'
)
_TOKENS = re.compile(
    # The lookahead only names the characters a token can start with (a keyword only after
    # a non-word character, as its ``\b`` demands): the engine then skips other characters
    # without trying each alternative at each of them (41% less time, the same tokens).
    r"(?=[#\\'\"rRbBuUfF()\[\]{},;:=\n*/<>+\-%&|^@.~]|(?<!\w)[aoniel])"
    r"(?:(?P<skip>#[^\n]*|\\\r?\n|" + _STRING + r")"
    r"|(?P<open>[(\[{])|(?P<close>[)\]}])"
    r"|(?P<sep>[,;:=\n])"
    r"|(?P<link>\b(?:and|or|not|if|else|lambda|await)\b|\*\*|//|<<|>>|[-+*/%&|^@.~<>])"
    # A quote no string alternative took (not in code that parses): no token for the scan,
    # but ``Scan.anomaly`` must hear of it (the failed attempt may have read lines ahead).
    r"|(?P<stray>['\"]))",
    re.DOTALL,
)


@dataclass(frozen=True)
class TooComplex:
    line: int
    reason: str


# Every link token holds one of these characters or is one of these words.
_LINK_CHARACTERS = ".(-+*/%&|^@~<>[{"
_LINK_WORDS = ("and", "or", "not", "if", "else", "lambda", "await")


def _too_few_links(text: str) -> bool:
    """Whether ``text`` is too small to hit a limit at all: fewer than ``MAX_DEPTH`` opening
    brackets and ``MAX_CHAIN`` possible link tokens, counted as characters and substrings
    anywhere, strings and comments included (each such count bounds its tokens from above).
    Most files of a project are that small; their tokens need not be read."""
    if text.count("(") + text.count("[") + text.count("{") > MAX_DEPTH:
        return False
    links = 0
    for needle in (*_LINK_CHARACTERS, *_LINK_WORDS):
        links += text.count(needle)
        if links > MAX_CHAIN:
            return False
    return True


def prescan(text: str) -> TooComplex | None:
    """Return why the file must not be parsed, or None when it is safe."""
    if _too_few_links(text):
        return None
    return scan(text).verdict


@dataclass
class Scan:
    """What a scan of a text found, from ``start``: the verdict, and (when asked to
    ``record``) what lets a scan of an edited text start late and stop early
    (``engine.incremental_prescan``)."""

    verdict: TooComplex | None = None
    # Where the scan restarted in a fresh state (no bracket open, no chain, no lambda: right
    # after a newline outside brackets), in order; recorded only when asked.
    restarts: list[int] = field(default_factory=list)
    # Where the first attempt that may have read past its own line is (a quote no string
    # took, or ``'''`` taken as an empty string: the regular expression read on, perhaps to
    # the text's end, before it gave up); None when there was none.
    anomaly: int | None = None
    stopped: int | None = None  # the restart where ``stop`` ended the scan

    def restarted(self, at: int, record: bool, stop: Callable[[int], bool] | None) -> bool:
        """The scan restarts at ``at``: noted, or (True) ended there by ``stop``."""
        if stop is not None and stop(at):
            self.stopped = at
            return True
        if record:
            self.restarts.append(at)
        return False


def scan(text: str, start: int = 0, *, record: bool = False, stop: Callable[[int], bool] | None = None) -> Scan:
    """The scan of ``text`` from ``start``, where it must be in a fresh state (0, or a
    restart); it ends at the first verdict, at the text's end, or at the first restart for
    which ``stop`` answers True."""
    result = Scan()
    depth = 0
    links = [0]  # links counted at each open bracket level
    lambdas = 0  # ``lambda:`` nests through the ':' that resets a chain, so count it apart
    for match in _TOKENS.finditer(text, start):
        kind = match.lastgroup
        if kind == "skip":
            token = match.group()
            if "{" in token:
                result.verdict = _in_fstring(text, match.start(), token)
                if result.verdict is not None:
                    return result
            if record and result.anomaly is None and _empty_before_quote(token, text, match.end()):
                result.anomaly = match.start()
            continue
        if kind == "open":
            links[-1] += 1  # a call or subscript trailer is a link of the enclosing chain
            if links[-1] > MAX_CHAIN:  # f()()()...: a chain of trailers alone
                result.verdict = _chain_too_long(text, match.start())
                return result
            depth += 1
            links.append(0)
            if depth > MAX_DEPTH:
                result.verdict = TooComplex(line_and_column(text, match.start())[0], f"brackets nested more than {MAX_DEPTH} deep")
                return result
        elif kind == "close":
            if depth:
                depth -= 1
                links.pop()
        elif kind == "sep":
            separator = match.group()
            if separator != "\n" or not depth:
                links[-1] = 0
            if separator in ";\n" and not depth:
                lambdas = 0
                if separator == "\n" and (record or stop is not None) and result.restarted(match.end(), record, stop):
                    return result
        elif kind == "link":
            if match.group() == "lambda":
                lambdas += 1
                if lambdas > MAX_CHAIN:
                    result.verdict = TooComplex(line_and_column(text, match.start())[0], f"more than {MAX_CHAIN} nested lambdas")
                    return result
            links[-1] += 1
            if links[-1] > MAX_CHAIN:
                result.verdict = _chain_too_long(text, match.start())
                return result
        elif record and result.anomaly is None:  # a stray quote
            result.anomaly = match.start()
    return result


def _in_fstring(text: str, start: int, token: str) -> TooComplex | None:
    """Why the expressions inside the f-string ``token`` (at ``start``) must not be parsed:
    they reach the parser too, so they are scanned as code."""
    inner = _fstring_body(token)
    found = prescan(inner) if inner is not None else None
    if found is None:
        return None
    return TooComplex(line_and_column(text, start)[0] + found.line - 1, found.reason)


def _empty_before_quote(token: str, text: str, end: int) -> bool:
    """Whether ``token``, a string, is an empty one followed by its own quote: three quotes
    that the triple-quoted alternative did not take."""
    return token[-2:] in ("''", '""') and token.lstrip("rRbBuUfF") == token[-2:] and text[end : end + 1] == token[-1]


def _chain_too_long(text: str, offset: int) -> TooComplex:
    return TooComplex(line_and_column(text, offset)[0], f"an expression chains more than {MAX_CHAIN} operators")


def _fstring_body(token: str) -> str | None:
    """The text between the quotes of an f-string literal, or None for anything else."""
    prefix_length = len(token) - len(token.lstrip("rRbBuUfF"))
    if "f" not in token[:prefix_length].lower() or "{" not in token:
        return None
    quote = 3 if token[prefix_length : prefix_length + 3] in ('"""', "'''") else 1
    return token[prefix_length + quote : len(token) - quote]
