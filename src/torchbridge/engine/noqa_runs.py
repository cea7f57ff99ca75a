"""The token runs ``# noqa`` handling reads (``diagnostics.noqa.token_runs``), statement by statement.

Tokenizing a 2,000-line file costs more than a re-parse of an edited statement, and after
an edit only one statement's text changed. A text the incremental parse could split
(``engine.incremental.Parsed.starts``) is tokenized in *segments*: module-level statement
``k`` with its leading blank and comment lines (the first with the module's header, the
last with its footer), each on its own, and a segment whose text the previous check
tokenized is not tokenized again (``model.memo``).

Why the runs of the segments, moved down to the segment's first line, are the runs of the
whole text. A segment starts at the start of a line where a module-level statement ended
on the line before: no bracket, string or backslash continuation is open there, and the
lines up to the statement's first token are blank or comments, which the tokenizer reads
without looking at indentation. The first code line is in column 0, where the whole
text's tokenizer closes every open block with DEDENT tokens, which no run counts; a fresh
tokenizer is in the same state without them. Every segment ends with a line break, so the
tokenizer adds no NEWLINE at its end. A segment that does not tokenize makes the whole text
one that does not, as for the whole text. ``tests/engine/test_noqa_runs.py`` compares the
two on random edits.
"""

from __future__ import annotations

from functools import partial

from ..diagnostics.noqa import TokenRun, token_runs
from ..model.memo import SubtreeMemo
from .incremental import Parsed
from .source import python_lines


def runs_by_statement(parsed: Parsed, memo: SubtreeMemo) -> list[TokenRun] | None:
    """``token_runs`` of ``parsed.text``'s lines, from the runs of its statements' segments;
    None when the text does not tokenize. ``parsed`` must be ``incremental``."""
    text = parsed.text
    # ``token_runs`` reads the joined lines back by ``readline``, which ends a line at ``\n``
    # only: after a lone ``\r`` its line goes on, so no segment starts there.
    cuts = [start for start in parsed.starts[1:-1] if text[start - 1] == "\n"]
    runs: list[TokenRun] = []
    shift = 0  # the tokenizer's lines before the segment
    for begin, end in zip([0, *cuts], [*cuts, len(text)]):
        segment = text[begin:end]
        found = memo.of_text("token-runs", segment, partial(_runs, segment))
        if found is None:
            return None
        runs.extend(TokenRun(run.first + shift, run.last + shift, run.comment) for run in found)
        shift += segment.count("\n")
    return runs


def _runs(segment: str) -> tuple[TokenRun, ...] | None:
    found = token_runs(python_lines(segment))
    return tuple(found) if found is not None else None
