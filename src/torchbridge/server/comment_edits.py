"""Findings after an edit that changed only comments: the last check's, when provably the same.

A check's findings depend on a module's code tokens, on its ``# noqa`` comments, and on a
few searches of the whole text (which do see comments: the prefilter, the text facts, the
words a fix must not take as a new name, and the searches rules make of ``context.text``).
An edit that keeps every code token as it was (only moved with the text after the edit)
and changes only comments outside brackets that are no directive (``noqa``, ``type:``,
``flake8``, ``torchbridge``) can change none of them except the searches, which
``readings`` repeats on the new text and compares. Why outside brackets: LibCST keeps such a comment in a
statement's leading lines or trailing whitespace, never inside an expression, so no quoted
expression (messages, fix texts) holds it; a statement's own code may, so a finding whose
message or fix holds the old comment's text is not reused either.

Then the last findings hold, moved with the text after the edit (lines, the columns on the
edit's last line, a fix's offsets); a finding or fix edit whose range holds the edit, and,
where lines were added or removed, a message with a number no less than the edit's first
line (it may name an evidence line that moved), send the text to a full check. Everything here errs towards a full check.
"""

from __future__ import annotations

import io
import re
import tokenize
from bisect import bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from ..diagnostics import noqa
from ..diagnostics.edits import Fix
from ..diagnostics.finding import Finding
from ..engine.incremental import Parsed, common_prefix, common_suffix
from ..engine.lint import text_facts
from ..engine.prefilter import active_rules, mentions
from ..model.call_contexts import mentions_grad_off
from ..model.guards import AMP_OVERRIDE
from ..rules import Rule
from ..rules.base import _DECLARATION, _WORD
from ..rules.device.fix import INSERTED_NAME
from ..rules.device.string_use import _OVERRIDES
from ..rules.device.tnp305_cuda_in_dataset import _PASSED_AS
from ..rules.meta.tnp901_unused_noqa import UnusedNoqa
from ..rules.transfers.tnp402_loop_invariant_transfer import HOISTED_SUFFIX
from ..rules.transfers.tnp403_sync_in_training_loop import _DEVICE_WORDS

# Comments that mean something to a tool: an edit of one is always checked in full.
_DIRECTIVES = ("noqa", "type:", "flake8", "torchbridge")
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
_IGNORED = frozenset((tokenize.COMMENT, tokenize.NL))
_NUMBER = re.compile(r"\d+")


def readings(text: str, rules: Sequence[type[Rule]]) -> tuple[Hashable, ...]:
    """Everything a check reads from the whole text rather than from its tokens. A new
    search of ``text`` (or of ``RuleContext.text``, ``words``, ``declared_names``, a
    module's ``code``) must be
    added here: the test ``test_every_search_of_the_whole_text_is_compared`` pins the lines
    that search it, so that a changed search is looked at here again."""
    checked = [rule for rule in rules if rule is not UnusedNoqa]
    return (
        tuple(active_rules(text, checked)),
        UnusedNoqa in rules and mentions(text, UnusedNoqa.requires_text),
        "torch" in text or "numpy" in text,
        noqa.file_is_exempt([], text),
        "\x00" in text,
        text_facts(text),
        mentions_grad_off(text),
        ":=" in text,
        # RuleContext.words, as far as it is asked: whether the names a fix would insert are taken.
        frozenset(word for word in _WORD.findall(text) if word == INSERTED_NAME or word.endswith(HOISTED_SUFFIX)),
        frozenset(word for rest in _DECLARATION.findall(text) for word in _WORD.findall(rest)),
        frozenset(_PASSED_AS.findall(text)),  # TNP305
        _DEVICE_WORDS.search(text) is not None,  # TNP403
        any(sign in text for sign in _OVERRIDES),  # string_use
        AMP_OVERRIDE in text,  # cuda_guards reads the module's code
    )


def reused(last: Parsed, findings: Sequence[Finding], text: str) -> list[Finding] | None:
    """``findings`` (those of ``last.text``) as a full check of ``text`` reports them, or
    None where that is not shown. The caller has compared ``readings`` of both texts."""
    old = last.text
    if not last.starts or old == text or "\r" in old or "\r" in text:  # lines are counted by "\n" here
        return None
    start = common_prefix(old, text)
    tail = common_suffix(old, text, min(len(old), len(text)) - start)
    shift = _Shift(old, text, start, len(old) - tail, len(text) - tail)
    removed, typed = old[start : shift.old_end], text[start : shift.new_end]
    # Cheap first: an edit of comments changes text after a ``#`` on its line, or removes or
    # types a ``#``, or only white space. Anything else (an edit of code) is not tokenized.
    if "#" not in old[old.rfind("\n", 0, start) + 1 : start] and "#" not in removed + typed and (removed + typed).strip():
        return None
    # Module-level statements start where the tokenizer is fresh: tokenize only theirs.
    first = max(bisect_right(last.starts, start) - 1, 0)
    segment_start = last.starts[first] if start >= last.starts[0] else 0
    later = [s for s in last.starts if s >= shift.old_end and s > start]
    segment_end = later[0] if later else len(old)
    segment = old[segment_start:segment_end]
    lines_before = old.count("\n", 0, segment_start)
    before = _tokens(segment, lines_before)
    after = _tokens(text[segment_start : segment_end + shift.delta], lines_before)
    if before is None or after is None:
        return None
    changed = _changed_comments(before, after, shift)
    if changed is None:
        return None
    boundaries = _boundaries(before)
    # The segment's lines (its tokenizer's last tokens stand on the line after it).
    lines = (lines_before + 1, lines_before + segment.count("\n") + (0 if segment.endswith("\n") else 1))
    mapped = []
    for finding in findings:
        moved = _moved(finding, changed, boundaries, lines, shift)
        if moved is None:
            return None
        mapped.append(moved)
    return mapped


Position = tuple[int, int]  # 1-based line, 0-based column


@dataclass(frozen=True)
class _Shift:
    """Where what stood in the old text stands in the new one: the text before ``start``
    and from ``old_end`` on is the same in both (the new text's copy of the latter starts at
    ``new_end``)."""

    old: str
    new: str
    start: int
    old_end: int
    new_end: int

    @property
    def delta(self) -> int:
        return self.new_end - self.old_end

    def position(self, text: str, offset: int) -> Position:
        return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1)

    # The edit's bounds as positions, read once: each costs a count over the text.
    @cached_property
    def first(self) -> Position:
        return self.position(self.old, self.start)

    @cached_property
    def last(self) -> Position:
        return self.position(self.old, self.old_end)

    @cached_property
    def last_new(self) -> Position:
        return self.position(self.new, self.new_end)

    @property
    def lines_moved(self) -> bool:
        return self.last[0] != self.last_new[0]

    def side(self, begin: Position | int, end: Position | int, moves_at_insertion: bool) -> str | None:
        """``before``, ``after`` the edit, or None where the span holds part of it (as
        offsets, or as positions). A span of no width where the edit only inserted belongs
        after it only where ``moves_at_insertion``."""
        first = self.start if type(begin) is int else self.first
        last = self.old_end if type(begin) is int else self.last
        if begin == end and begin == first == last:
            return "after" if moves_at_insertion else None
        if end <= first and (begin < end or begin < first or first < last):  # type: ignore[operator]
            return "before"
        if begin >= last:  # type: ignore[operator]
            return "after"
        return None

    def moved(self, position: Position) -> Position:
        """A position after the edit, in the new text."""
        old_line, old_column = self.last
        new_line, new_column = self.last_new
        line, column = position
        if line == old_line:
            return new_line, column - old_column + new_column
        return line + new_line - old_line, column


def _tokens(source: str, lines_before: int) -> list[tokenize.TokenInfo] | None:
    """``source``'s tokens, their lines counted in the whole text."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    return [t._replace(start=(t.start[0] + lines_before, t.start[1]), end=(t.end[0] + lines_before, t.end[1])) for t in tokens]


def _changed_comments(before: list[tokenize.TokenInfo], after: list[tokenize.TokenInfo], shift: _Shift) -> list[str] | None:
    """The text of every comment the edit changed, added or removed, or None where the edit
    did more: a code token changed, or not moved with the text around it, a directive
    touched, a comment inside brackets touched."""
    code_before = [t for t in before if t.type not in _IGNORED]
    code_after = [t for t in after if t.type not in _IGNORED]
    if len(code_before) != len(code_after):
        return None
    for a, b in zip(code_before, code_after, strict=True):
        if a.type != b.type or a.string != b.string:
            return None
        if a.type != tokenize.NEWLINE and _moved_span(a.start, a.end, shift, True) != (b.start, b.end):
            return None  # (a NEWLINE starts after a trailing comment: only its kind counts)
    comments_after = _comments(after)
    changed = []
    for position, (comment, depth) in _comments(before).items():
        end = (position[0], position[1] + len(comment))
        now = _moved_span(position, end, shift, False)
        if now is not None and comments_after.get(now[0]) == (comment, depth):
            del comments_after[now[0]]
        else:
            changed.append((comment, depth))
    changed += comments_after.values()
    if any(depth or any(word in comment.lower() for word in _DIRECTIVES) for comment, depth in changed):
        return None
    return [comment for comment, _ in changed]


def _comments(tokens: list[tokenize.TokenInfo]) -> dict[Position, tuple[str, int]]:
    """The text and bracket depth of each comment, by where it starts."""
    depth, found = 0, {}
    for token in tokens:
        if token.type == tokenize.OP:
            depth += token.string in _OPENING
            depth -= token.string in _CLOSING
        elif token.type == tokenize.COMMENT:
            found[token.start] = (token.string, depth)
    return found


def _moved_span(begin: Position, end: Position, shift: _Shift, moves_at_insertion: bool) -> tuple[Position, Position] | None:
    side = shift.side(begin, end, moves_at_insertion)
    if side is None:
        return None
    return (begin, end) if side == "before" else (shift.moved(begin), shift.moved(end))


def _boundaries(tokens: list[tokenize.TokenInfo]) -> tuple[set[Position], set[Position]]:
    """Where code tokens start and end."""
    code = [t for t in tokens if t.type not in _IGNORED and t.type not in (tokenize.NEWLINE, tokenize.ENDMARKER)]
    return {t.start for t in code}, {t.end for t in code}


def _moved(
    finding: Finding, changed: list[str], boundaries: tuple[set[Position], set[Position]], lines: tuple[int, int],
    shift: _Shift,
) -> Finding | None:
    """``finding`` in the new text; ``lines``: the first and last line of the tokenized statements."""
    if finding.code is None or finding.cell is not None:
        return None
    starts, ends = boundaries
    first, last = lines
    begin, end = (finding.line, finding.column - 1), (finding.end_line, finding.end_column - 1)
    # In the edited statements a range must lie on code tokens: LibCST's ranges leave out comments.
    if (first <= finding.line <= last and begin not in starts) or (first <= finding.end_line <= last and end not in ends):
        return None
    if any(comment in finding.message for comment in changed):
        return None
    # A message may name an evidence line (``{line}``): one at or after the edit may have moved.
    if shift.lines_moved and any(int(number) >= shift.first[0] for number in _NUMBER.findall(finding.message)):
        return None
    span = _moved_span(begin, end, shift, False)
    if span is None:
        return None
    (line, column), (end_line, end_column) = span
    moved = replace(finding, line=line, column=column + 1, end_line=end_line, end_column=end_column + 1)
    if finding.fix is None:
        return moved
    fix = _moved_fix(finding.fix, changed, shift)
    return None if fix is None else replace(moved, fix=fix)


def _moved_fix(fix: Fix, changed: list[str], shift: _Shift) -> Fix | None:
    texts = [edit.content for edit in fix.edits] + [code for edit in fix.edits for _, _, code in edit.expects]
    if fix.probe is not None:
        probe = fix.probe
        texts += [probe.original, probe.fixed, probe.use, *probe.prelude, *probe.fixed_prelude, *probe.hole_sources]
    if any(comment in text for comment in changed for text in texts):
        return None
    edits = []
    for edit in fix.edits:
        side = shift.side(edit.start, edit.end, False)
        # The same edit as positions (1-based columns): it must lie on the same side.
        where = _moved_span((edit.line, edit.column - 1), (edit.end_line, edit.end_column - 1), shift, False)
        expects = [(shift.side(s, e, False), s, e, code) for s, e, code in edit.expects]
        if side is None or where is None or shift.side((edit.line, edit.column - 1), (edit.end_line, edit.end_column - 1), False) != side:
            return None
        if any(found is None for found, _, _, _ in expects):
            return None
        by = shift.delta if side == "after" else 0
        (line, column), (end_line, end_column) = where
        edits.append(replace(
            edit, start=edit.start + by, end=edit.end + by, line=line, column=column + 1, end_line=end_line,
            end_column=end_column + 1,
            expects=tuple((s + (shift.delta if found == "after" else 0), e + (shift.delta if found == "after" else 0), code)
                          for found, s, e, code in expects),
        ))
    return replace(fix, edits=tuple(edits))
