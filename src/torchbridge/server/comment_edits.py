"""Findings after an edit that changed only comments: the last check's, when provably the same.

A check's findings depend on a module's code tokens, on its ``# noqa`` comments, and on a
few searches of the whole text (which do see comments: the prefilter, the text facts, the
words a fix must not take as a new name, and the searches rules make of ``context.text``).
An edit that keeps every code token where it was, changes no line count, and changes only
comments outside brackets that are no directive (``noqa``, ``type:``, ``flake8``,
``torchbridge``) can change none of them except the searches, which ``readings`` repeats on
the new text and compares. Why outside brackets: LibCST keeps such a comment in a
statement's leading lines or trailing whitespace, never inside an expression, so no quoted
expression (messages, fix texts) holds it; a statement's own code may, so a finding whose
message or fix holds the old comment's text is not reused either.

Then the last findings hold, with each fix's offsets after the edit moved by the change in
length; any finding or fix edit that touches the edited line after the edit, or whose
range holds it, sends the text to a full check. Everything here errs towards a full check.
"""

from __future__ import annotations

import io
import tokenize
from bisect import bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import replace

from ..diagnostics import noqa
from ..diagnostics.edits import Fix
from ..diagnostics.finding import Finding
from ..engine.incremental import Parsed, common_prefix, common_suffix
from ..engine.lint import text_facts
from ..engine.prefilter import active_rules, mentions
from ..model.call_contexts import mentions_grad_off
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


def readings(text: str, rules: Sequence[type[Rule]]) -> tuple[Hashable, ...]:
    """Everything a check reads from the whole text rather than from its tokens. A new
    search of ``text`` (or of ``RuleContext.text``, ``words``, ``declared_names``) must be
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
    )


def reused(last: Parsed, findings: Sequence[Finding], text: str) -> list[Finding] | None:
    """``findings`` (those of ``last.text``) as a full check of ``text`` reports them, or
    None where that is not shown. The caller has compared ``readings`` of both texts."""
    old = last.text
    if not last.starts or old == text:
        return None
    start = common_prefix(old, text)
    tail = common_suffix(old, text, min(len(old), len(text)) - start)
    old_end, new_end = len(old) - tail, len(text) - tail
    # Module-level statements start where the tokenizer is fresh: tokenize only theirs.
    first = max(bisect_right(last.starts, start) - 1, 0)
    segment_start = last.starts[first] if start >= last.starts[0] else 0
    later = [s for s in last.starts if s >= old_end and s > start]
    segment_end = later[0] if later else len(old)
    before = _tokens(old[segment_start:segment_end])
    after = _tokens(text[segment_start : segment_end + new_end - old_end])
    if before is None or after is None:
        return None
    if "\r" in old or "\r" in text:  # CR line breaks: lines are counted by "\n" below
        return None
    changed = _changed_comments(before, after, old[segment_start:segment_end], text[segment_start : segment_end + new_end - old_end])
    if changed is None:
        return None
    offset_line = old.count("\n", 0, segment_start)
    segment = old[segment_start:segment_end]
    boundaries = _boundaries(before, offset_line)
    lines = (offset_line + 1, offset_line + segment.count("\n") + (0 if segment.endswith("\n") else 1))
    edited = (old.count("\n", 0, start) + 1, old.count("\n", 0, old_end) + 1)
    mapped = []
    for finding in findings:
        moved = _moved(finding, changed, boundaries, lines, edited, _column(old, start), (old, start, old_end, new_end - old_end))
        if moved is None:
            return None
        mapped.append(moved)
    return mapped


def _tokens(source: str) -> list[tokenize.TokenInfo] | None:
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None


def _changed_comments(
    before: list[tokenize.TokenInfo], after: list[tokenize.TokenInfo], old: str, new: str,
) -> list[str] | None:
    """The text of every comment the edit changed, added or removed, or None where the edit
    did more: code tokens moved or changed, a line added or removed, a directive touched, a
    comment inside brackets touched."""
    code_before = [t for t in before if t.type not in _IGNORED]
    code_after = [t for t in after if t.type not in _IGNORED]
    if len(code_before) != len(code_after) or old.count("\n") != new.count("\n"):
        return None
    for a, b in zip(code_before, code_after, strict=True):
        # A NEWLINE token starts after a trailing comment: only its line must match.
        moved = a.start != b.start if a.type != tokenize.NEWLINE else a.start[0] != b.start[0]
        if a.type != b.type or a.string != b.string or moved:
            return None
    comments_before, comments_after = _comments(before), _comments(after)
    changed = []
    for line in comments_before.keys() | comments_after.keys():
        was, now = comments_before.get(line), comments_after.get(line)
        if was == now:
            continue
        for comment in (was, now):
            if comment is not None:
                if comment[2] or any(directive in comment[1].lower() for directive in _DIRECTIVES):
                    return None
                changed.append(comment[1])
    return changed


def _comments(tokens: list[tokenize.TokenInfo]) -> dict[int, tuple[int, str, int]]:
    """(column, text, bracket depth) of each comment, by line."""
    depth, found = 0, {}
    for token in tokens:
        if token.type == tokenize.OP:
            depth += token.string in _OPENING
            depth -= token.string in _CLOSING
        elif token.type == tokenize.COMMENT:
            found[token.start[0]] = (token.start[1], token.string, depth)
    return found


def _boundaries(tokens: list[tokenize.TokenInfo], offset_line: int) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Where code tokens start and end, as 1-based lines and 1-based columns of the text."""
    code = [t for t in tokens if t.type not in _IGNORED and t.type not in (tokenize.NEWLINE, tokenize.ENDMARKER)]
    starts = {(t.start[0] + offset_line, t.start[1] + 1) for t in code}
    ends = {(t.end[0] + offset_line, t.end[1] + 1) for t in code}
    return starts, ends


def _moved(
    finding: Finding, changed: list[str], boundaries: tuple[set[tuple[int, int]], set[tuple[int, int]]],
    lines: tuple[int, int], edited: tuple[int, int], edit_column: int, edit: tuple[str, int, int, int],
) -> Finding | None:
    """``finding`` in the new text; ``lines``: the tokenized statements' first and last line;
    ``edited``: the first and last line the edit changed, ``edit_column`` where it starts;
    ``edit``: the old text, and where the edit starts, ends in it, and the change in length."""
    if finding.code is None or finding.cell is not None:
        return None
    starts, ends = boundaries
    first, last = lines
    begin, end = (finding.line, finding.column), (finding.end_line, finding.end_column)
    # In the edited statements a range must lie on code tokens (LibCST's ranges leave out
    # comments), and must not hold the edited line.
    if first <= finding.line <= last and begin not in starts:
        return None
    if first <= finding.end_line <= last and end not in ends:
        return None
    if finding.line <= edited[1] and finding.end_line >= edited[0] and not (
        finding.end_line == edited[0] and finding.end_column - 1 <= edit_column
    ):
        return None
    if any(comment in finding.message for comment in changed):
        return None
    if finding.fix is None:
        return finding
    fix = _moved_fix(finding.fix, changed, *edit)
    return None if fix is None else replace(finding, fix=fix)


def _column(text: str, offset: int) -> int:
    return offset - (text.rfind("\n", 0, offset) + 1)


def _moved_fix(fix: Fix, changed: list[str], old: str, start: int, old_end: int, delta: int) -> Fix | None:
    texts = [edit.content for edit in fix.edits] + [code for edit in fix.edits for _, _, code in edit.expects]
    if fix.probe is not None:
        probe = fix.probe
        texts += [probe.original, probe.fixed, probe.use, *probe.prelude, *probe.fixed_prelude, *probe.hole_sources]
    if any(comment in text for comment in changed for text in texts):
        return None
    edits = []
    for edit in fix.edits:
        span = _moved_span(edit.start, edit.end, old, start, old_end, delta)
        expects = [_moved_span(s, e, old, start, old_end, delta) for s, e, _ in edit.expects]
        if span is None or any(e is None for e in expects):
            return None
        moved_expects = tuple((*moved, code) for moved, (_, _, code) in zip(expects, edit.expects, strict=True) if moved)
        edits.append(replace(edit, start=span[0], end=span[1], expects=moved_expects))
    return replace(fix, edits=tuple(edits))


def _moved_span(begin: int, end: int, old: str, start: int, old_end: int, delta: int) -> tuple[int, int] | None:
    """The span in the new text, or None where it holds the edit, or lies after it on the
    edited line (its columns would change)."""
    if end <= start:
        return begin, end
    if begin < old_end or "\n" not in old[old_end:begin]:
        return None
    return begin + delta, end + delta

