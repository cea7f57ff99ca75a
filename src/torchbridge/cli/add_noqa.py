"""``check --add-noqa``: a ``# noqa: TNPxxx`` for every current finding, so that a team can
turn the linter on today and fix later; a second ``check`` then reports nothing.

The comment goes where ``# noqa`` handling (flake8's) will read it for the finding's line:
at the end of the last physical line of the finding's token run, so never after a
backslash and never inside a multi-line string. Where that run already has a
``# noqa: CODES`` comment, the new codes join it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..diagnostics.finding import (
    DECODE_ERROR,
    INTERNAL_ERROR,
    WRITE_ERROR,
    Finding,
    diagnostic,
)
from ..engine.lint import lint_bytes, lint_source
from ..engine.notebook import Locator, NotebookError, from_module, is_notebook, read_notebook, to_module
from ..engine.source import DecodeError, decode
from ..fixing.noqa_comments import with_noqa
from ..project.discovery import Target
from ..project.runner import read_target, run_all, sort_key
from ..project.writing import WriteError, write_atomically
from ..rules import RuleOptions
from ..rules.meta.tnp901_unused_noqa import UnusedNoqa
from .exit_codes import exit_code

_EDITABLE_SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass
class NoqaAdded:
    filename: str
    added: int = 0  # codes added, one per line and code
    problems: list[Finding] = field(default_factory=list)  # why a finding or a file got none


def add_noqa(targets: Sequence[Target], jobs: int) -> int:
    """Edit the files; report what could not be done on standard error. Exit 0, or 1 when
    a file could not be checked or written, or a finding could not be given its comment.
    The cache is not used: every file with a finding is about to change."""
    results = run_all(
        targets, jobs, add_noqa_to_file,
        lambda target, why: NoqaAdded(str(target.path), problems=[diagnostic(str(target.path), INTERNAL_ERROR, why)]),
    )
    problems = sorted((p for result in results for p in result.problems), key=sort_key)
    for problem in problems:
        sys.stderr.write(f"{problem.location}: {problem.name}: {problem.message}\n")
    added = sum(result.added for result in results)
    files = sum(1 for result in results if result.added)
    sys.stderr.write(
        f"Added {added} noqa directive{'' if added == 1 else 's'} to {files} file{'' if files == 1 else 's'}.\n"
    )
    return exit_code(problems)


def add_noqa_to_file(target: Target) -> NoqaAdded:
    filename = str(target.path)
    done = NoqaAdded(filename)
    if target.path.suffix not in _EDITABLE_SUFFIXES:
        return done
    data = read_target(target)
    if isinstance(data, Finding):
        done.problems.append(data)
        return done
    settings = target.settings
    rules, options = settings.rules_for(target.path), settings.rule_options
    if is_notebook(filename):
        edited = _notebook_with_noqa(data, filename, rules, options, done)
    else:
        edited = _source_with_noqa(data, filename, rules, options, done)
    if edited is None:
        return done
    new_data, added = edited
    try:
        write_atomically(target.path, new_data)
    except WriteError as exc:
        reason = str(exc).removeprefix("not fixed: ")
        done.problems.append(diagnostic(filename, WRITE_ERROR, f"no noqa comments added: {reason}"))
        return done
    done.added = added
    return done


def _wanted(findings: list[Finding], done: NoqaAdded) -> list[Finding]:
    """The findings that get a comment; the file's diagnostics are reported."""
    done.problems += [f for f in findings if f.is_diagnostic]
    return [f for f in findings if f.code is not None and f.code != UnusedNoqa.code]


def _source_with_noqa(data: bytes, filename: str, rules: tuple, options: RuleOptions, done: NoqaAdded) -> tuple[bytes, int] | None:
    """The file's new bytes and how many codes were added; None when nothing changes."""
    wanted = _wanted(lint_bytes(data, filename, rules, options=options), done)
    if not wanted:
        return None
    try:
        source = decode(data)
    except DecodeError as exc:  # lint_bytes reported it already
        done.problems.append(diagnostic(filename, DECODE_ERROR, str(exc)))
        return None
    text, added, unplaced = with_noqa(source.raw, wanted)
    done.problems += unplaced
    if not added:
        return None
    try:
        return source.encode(text), added
    except UnicodeEncodeError:
        done.problems.append(diagnostic(filename, WRITE_ERROR, f"no noqa comments added: cannot be written in {source.encoding}"))
        return None


def _notebook_with_noqa(data: bytes, filename: str, rules: tuple, options: RuleOptions, done: NoqaAdded) -> tuple[bytes, int] | None:
    """A notebook's cells are checked as one module (``engine.notebook``): the comments go
    into that module's lines, and the cells that changed are written back."""
    try:
        notebook = read_notebook(data)
    except NotebookError as exc:
        done.problems.append(diagnostic(filename, DECODE_ERROR, f"cannot read the notebook: {exc}"))
        return None
    if notebook is None or not notebook.cells:
        return None
    module = to_module(notebook)
    locator = Locator(module, module.text)
    found = lint_source(module.text, filename, rules, options=options, line_names=locator.line_name)
    wanted = _wanted(found, done)
    if not wanted:
        done.problems = [locator.finding(p) if p.is_diagnostic else p for p in done.problems]
        return None
    text, added, unplaced = with_noqa(module.text, wanted)
    done.problems += [locator.finding(p) for p in unplaced]
    if not added:
        return None
    try:
        return notebook.encode(from_module(module, text)), added
    except NotebookError as exc:
        done.problems.append(diagnostic(filename, WRITE_ERROR, f"no noqa comments added: {exc}"))
        return None
