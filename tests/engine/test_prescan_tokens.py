"""The pre-scan's tokenizer: its lookahead, which lets the regular-expression engine skip
characters no token starts with, must never change which tokens it finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from torchbridge.engine.prescan import _STRING, _TOKENS, prescan

# The tokenizer as it was written before the lookahead: the reference.
_PLAIN = re.compile(
    r"(?P<skip>#[^\n]*|\\\r?\n|" + _STRING + r")"
    r"|(?P<open>[(\[{])|(?P<close>[)\]}])"
    r"|(?P<sep>[,;:=\n])"
    r"|(?P<link>\b(?:and|or|not|if|else|lambda|await)\b|\*\*|//|<<|>>|[-+*/%&|^@.~<>])",
    re.DOTALL,
)

# Characters that start tokens, break words or sit inside them, quotes and prefixes, and
# the letters of the keywords, as they meet in real and in broken code.
_ALPHABET = list("()[]{},;:=\n\r#\\'\"rbufRBUF.+-*/%&|^@~<> \tx_9é") + [
    "and", "or", "not", "if", "else", "elif", "lambda", "await", "nota", "xor", "'''", '"""', "f'{", "}'",
]


def _tokens(pattern: re.Pattern[str], text: str) -> list[tuple[str | None, int, int]]:
    # A stray quote (one no string alternative took) is no token: the plain pattern skips it.
    return [(m.lastgroup, m.start(), m.end()) for m in pattern.finditer(text) if m.lastgroup != "stray"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), max_size=60).map("".join))
def test_the_lookahead_finds_the_tokens_the_plain_pattern_finds(text: str) -> None:
    assert _tokens(_TOKENS, text) == _tokens(_PLAIN, text)


def test_keywords_inside_words_are_no_links_and_prefixed_strings_are_strings() -> None:
    text = "x = android or band\ny = rb'a(' + notice\n"
    assert [(kind, text[start:end]) for kind, start, end in _tokens(_TOKENS, text) if kind in ("link", "skip")] == [
        ("link", "or"), ("skip", "rb'a('"), ("link", "+"),
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), max_size=60).map("".join))
def test_the_stray_quotes_are_the_quotes_no_token_holds(text: str) -> None:
    covered = {at for _, start, end in _tokens(_PLAIN, text) for at in range(start, end)}
    stray = [m.start() for m in _TOKENS.finditer(text) if m.lastgroup == "stray"]
    assert stray == [at for at, char in enumerate(text) if char in "'\"" and at not in covered]


def test_long_chains_and_deep_brackets_are_still_refused() -> None:
    assert prescan("x = " + "a + " * 1200 + "a\n") is not None
    assert prescan("x = " + "(" * 250 + ")" * 250 + "\n") is not None
    assert prescan("x = " + "a + " * 900 + "a\n") is None
