"""The ``# noqa: CODE`` comments that silence findings where they are: the text edits that
add them, shared by ``--add-noqa`` (cli/add_noqa.py) and the language server's "Add
``# noqa``" code action. A directive already on the statement gets the missing codes; one
that flake8 would read inside a string first gets none (a comment after it would not count).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ..diagnostics import noqa
from ..diagnostics.finding import NOQA_NOT_ADDED, Finding, diagnostic
from ..diagnostics.fix import Edit, TextIndex, apply_edits
from ..engine.source import python_lines


def with_noqa(text: str, findings: Sequence[Finding]) -> tuple[str, int, list[Finding]]:
    """``text`` with the comments added, how many codes were added, and the findings that
    could not get one (with why)."""
    lines = python_lines(text)
    runs = noqa.token_runs(lines)
    if runs is None:
        return text, 0, [_unplaced(f, "the file does not tokenize") for f in findings]
    run_of = {line: run for run in runs for line in range(run.first, run.last + 1)}
    wanted: dict[noqa.TokenRun, set[str]] = defaultdict(set)
    unplaced = []
    for finding in findings:
        run = run_of.get(finding.line)
        if run is None:
            unplaced.append(_unplaced(finding, "no statement on that line"))
        elif finding.code is not None:
            wanted[run].add(finding.code)
    index = TextIndex(lines, "\n")
    edits = []
    added = 0
    for run, codes in wanted.items():
        placed = _directive_edit(lines, index, run, codes)
        if placed is None:
            unplaced += [_unplaced(f, "a `# noqa` inside a string comes first on that line") for f in findings
                         if run.first <= f.line <= run.last]
            continue
        edit, count = placed
        edits.append(edit)
        added += count
    return apply_edits(text, sorted(edits, key=lambda e: e.start)), added, unplaced


def _directive_edit(lines: list[str], index: TextIndex, run: noqa.TokenRun, codes: set[str]) -> tuple[Edit, int] | None:
    """The edit that makes the run's directive name ``codes``; None where it cannot."""
    joined = "".join(lines[run.first - 1 : run.last])
    run_start = index.offset(run.first, 0)
    match = noqa.NOQA_INLINE.search(joined)
    if match is None:
        last = lines[run.last - 1]
        end = index.offset(run.last, len(last.rstrip("\r\n")))
        directive = f"  # noqa: {', '.join(sorted(codes))}"
        return Edit(end, end, directive), len(codes)
    comment_at = index.offset(run.last, run.comment) - run_start if run.comment is not None else len(joined)
    if match.start() < comment_at or match.group("codes") is None:
        return None  # flake8 reads a directive inside a string first: a comment after it would not count
    present = noqa.directive_codes(match)
    missing = sorted(codes - set(present))
    start, end = noqa.codes_span(match)
    return Edit(run_start + start, run_start + end, ", ".join([*present, *missing])), len(missing)


def _unplaced(finding: Finding, why: str) -> Finding:
    return diagnostic(finding.filename, NOQA_NOT_ADDED, f"{finding.code}: {why}", finding.line, finding.column)
