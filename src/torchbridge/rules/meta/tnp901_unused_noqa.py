"""TNP901: a ``# noqa: TNPxxx`` code that suppresses nothing.

It is not a tree rule: the engine calls ``unused_noqa`` after the other rules ran and the
``# noqa`` comments hid what they hide, with the (code, line) of every finding hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ...diagnostics import noqa
from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    Precondition,
    Verdict,
)
from ...diagnostics.finding import Finding
from ...diagnostics.fix import Edit, Fix, TextIndex
from ..base import Invalid, Rule, Valid

# The flake8 plugin's code for "torchbridge could not check this file": a ``# noqa`` for it
# is meant for flake8, where it can suppress something.
_FLAKE8_NOT_CHECKED = "TNP999"


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
REMOVE_CODE = ContractEntry(
    key="TNP901/remove-code",
    rewrite="`# noqa: CODES` → the same comment without the codes that suppress nothing (without the "
            "directive when no code is left)",
    applicability=Applicability.SAFE,
    preconditions=(Precondition(F, "every rule the code covers is enabled and reported nothing on the line, "
                                   "or the code covers no rule"),),
    expect={"cpu": Verdict.NOT_VERIFIABLE},
    note="A comment changes no behaviour of the program, only what is reported.",
    title="Remove the unused `noqa` code",
)


class UnusedNoqa(Rule):
    """
    ## What it does
    Finds the codes of a `# noqa: TNPxxx` comment that suppress nothing: the rule they name
    is enabled and reported nothing on that line, or no torchbridge rule has that code (a
    typo such as `TNP3001`).

    A code is judged only when every rule it covers is enabled in this run: a `# noqa` for
    a rule that is off may well be needed where it is on. Codes of other tools (`E501`),
    a bare `# noqa`, and a comment that names `TNP901` itself are left alone. Only
    `torchbridge check` and `fix` report it; the flake8 plugin leaves `# noqa` to flake8.

    ## Why is this bad?
    A suppression that outlived its finding hides the next real problem on that line, and
    a mistyped code never suppressed anything: the finding it was meant for is still
    reported, and the comment misleads the reader.

    ## Example
    ```python
    import torch

    x = torch.zeros(3).cuda()  # noqa: TNP3001
    y = torch.ones(3)  # noqa: TNP302
    ```

    ## Use instead
    ```python
    import torch

    x = torch.zeros(3).cuda()  # noqa: TNP302
    y = torch.ones(3)
    ```

    ## Fix safety
    Removing a suppression changes no behaviour of the program, only what is reported.

    ## References
    - [flake8: selecting and ignoring violations (`# noqa`)](https://flake8.pycqa.org/en/latest/user/violations.html#in-line-ignoring-errors)
    - [Ruff: RUF100 unused-noqa](https://docs.astral.sh/ruff/rules/unused-noqa/)
    """

    code = "TNP901"
    name = "unused-noqa"
    message = "Unused `noqa` code"
    category = "style"
    default_enabled = False
    requires_text = ("TNP",)
    contract = (REMOVE_CODE,)
    VALID = (
        Valid("x = 1  # noqa\n"),  # a blanket noqa is not judged
        Valid("x = 1  # noqa: E501\n"),  # another tool's code
        Valid("x = 1  # noqa: TNP301\n"),  # TNP301 is not enabled here: it may be needed where it is
        Valid("x = 1  # noqa: TNP3001, TNP901\n"),  # it silences this rule itself
        Valid("x = 1  # noqa: TNP999\n"),  # the flake8 plugin's not-checked code
        Valid('s = "# noqa: TNP3001"\n'),  # a string, not a comment
    )
    INVALID = (
        Invalid(
            """
            import torch
            x = torch.zeros(3).cuda()  # noqa: TNP3001
            """,
            findings=[(2, 28)],
            fixed="""
            import torch
            x = torch.zeros(3).cuda()
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
        Invalid(
            """
            x = "a long line"  # noqa: E501, TNP21
            y = 2  # noqa: TNP3001 kept for the reader
            """,
            findings=[(1, 20), (2, 8)],
            fixed="""
            x = "a long line"  # noqa: E501
            y = 2  # kept for the reader
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
    )


def unused_noqa(
    lines: list[str], filename: str, suppressed: Sequence[tuple[str, int]], rules: Sequence[type[Rule]],
    runs_of: Callable[[], list[noqa.TokenRun] | None] | None = None,
) -> list[Finding]:
    """A finding for each ``# noqa`` comment with codes that hid none of ``suppressed``;
    ``runs_of``: how to find the lines' token runs, when not by ``noqa.token_runs``."""
    from .. import all_rules

    runs = noqa.token_runs(lines) if runs_of is None else runs_of()
    if not runs:
        return []
    known = [rule.code for rule in all_rules()]
    enabled = {rule.code for rule in rules}
    index = TextIndex(lines, "\n")
    findings = []
    for run in runs:
        if run.comment is None:
            continue
        joined = "".join(lines[run.first - 1 : run.last])
        match = noqa.NOQA_INLINE.search(joined)
        comment_at = index.offset(run.last, run.comment) - index.offset(run.first, 0)
        # flake8 reads the first directive of the run: one inside a string is not a comment to edit.
        if match is None or match.group("codes") is None or match.start() < comment_at:
            continue
        codes = noqa.directive_codes(match)
        if any(UnusedNoqa.code.startswith(code) for code in codes):
            continue
        hidden = {code for code, line in suppressed if run.first <= line <= run.last}
        unused = [code for code in codes if _judged(code, known, enabled) and not any(h.startswith(code) for h in hidden)]
        if unused:
            findings.append(_finding(lines, filename, run, index, match, comment_at, codes, unused, known))
    return findings


def _judged(code: str, known: list[str], enabled: set[str]) -> bool:
    """Whether this run can tell that ``code`` is unused: every rule it covers is enabled
    (a code that covers no rule at all is a mistake anywhere)."""
    if not code.startswith("TNP") or code == _FLAKE8_NOT_CHECKED:
        return False
    return all(rule in enabled for rule in known if rule.startswith(code))


def _finding(
    lines: list[str], filename: str, run: noqa.TokenRun, index: TextIndex, match, comment_at: int,  # noqa: ANN001
    codes: list[str], unused: list[str], known: list[str],
) -> Finding:
    line = lines[run.last - 1].rstrip("\r\n")
    line_start = index.offset(run.last, 0)
    run_start = index.offset(run.first, 0)
    # Columns within the last line, 0-based.
    comment = run.comment or 0
    start = run_start + match.start() - line_start
    codes_start, codes_end = (run_start + offset - line_start for offset in noqa.codes_span(match))
    kept = [code for code in codes if code not in unused]
    if kept:
        edit_start, edit_end, content = codes_start, codes_end, ", ".join(kept)
    else:
        before, after = line[comment:start].rstrip(), line[codes_end:].lstrip(", \t")
        if before:  # "# type: ignore  # noqa: TNP301": keep the comment before it
            edit_start, edit_end, content = comment + len(before), len(line), (" " + after if after else "")
        elif after:  # "# noqa: TNP301 why": keep the words after it
            edit_start, edit_end, content = comment, len(line), "# " + after
        else:  # the whole comment, and the space before it
            edit_start, edit_end, content = len(line[:comment].rstrip()), len(line), ""
    unknown = [code for code in unused if not any(rule.startswith(code) for rule in known)]
    message = f"{UnusedNoqa.message}{'s' if len(unused) > 1 else ''}: {', '.join(unused)}"
    if unknown:
        message += f" ({', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a torchbridge rule)"
    title = "Remove the unused `noqa` code" + ("s" if len(unused) > 1 else "") if kept else "Remove the unused `noqa` directive"
    edit = Edit(line_start + edit_start, line_start + edit_end, content, run.last, edit_start + 1, run.last, edit_end + 1)
    return Finding(
        filename=filename, line=run.last, column=start + 1, code=UnusedNoqa.code, name=UnusedNoqa.name,
        message=message, end_line=run.last, end_column=codes_end + 1,
        fix=Fix(title, REMOVE_CODE, (edit,)),
    )
