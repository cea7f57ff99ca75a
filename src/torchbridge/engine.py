"""The path of one file: decode, prefilter, pre-scan, parse, one walk, positions, noqa.

Every front end (the CLI, the flake8 plugin, the Python API) calls ``lint_source``, so they
can never disagree about a finding.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Callable, Sequence

import libcst as cst

from . import noqa
from .finding import Finding, diagnostic
from .fixes import TextIndex, resolve
from .model import SemanticModel
from .notebook import is_notebook, lint_notebook
from .positions import resolve_positions
from .prescan import prescan
from .rules import CATEGORIES, Rule, RuleContext, RuleOptions
from .rules.base import Report
from .rules.meta.tnp901_unused_noqa import UnusedNoqa, unused_noqa
from .source import DecodeError, SourceText, decode, from_text, python_lines
from .walk import Dispatcher

# ``p.requires_grad = False``, ``m.requires_grad_(False)``, ``requires_grad_(requires_grad=False)``:
# some parameters of the file may not require grad, so module outputs are not known to.
_FREEZES = re.compile(r"requires_grad_?\s*(?:=|\()[^\n]*?False")

# The walk recurses once per tree level; the pre-scan bounds the depth well below this.
_RECURSION_LIMIT = 20_000
BUG_REPORT = "please report it at https://github.com/torchbridge/torchbridge/issues"


def lint_bytes(
    data: bytes, filename: str, rules: Sequence[type[Rule]], *, apply_noqa: bool = True,
    options: RuleOptions | None = None,
) -> list[Finding]:
    if is_notebook(filename):
        # Its code cells as one module; findings come back in cell positions.
        return lint_notebook(
            data, filename,
            lambda text, names: lint_source(text, filename, rules, apply_noqa=apply_noqa, options=options, line_names=names),
        )
    try:
        source = decode(data)
    except DecodeError as exc:
        return [diagnostic(filename, "decode-error", f"cannot read the file as Python source: {exc}")]
    return lint_source(source, filename, rules, apply_noqa=apply_noqa, options=options)


def lint_source(
    source: SourceText | str, filename: str, rules: Sequence[type[Rule]], *, apply_noqa: bool = True,
    options: RuleOptions | None = None, line_names: Callable[[int], str] = str,
) -> list[Finding]:
    """``line_names`` says how a message names a line of ``source`` (a notebook's module
    says ``3 of cell 2``)."""
    if isinstance(source, str):
        source = from_text(source)
    text = source.text
    # TNP901 reads the noqa comments after the other rules ran: it needs no tree of its own.
    judge_noqa = apply_noqa and UnusedNoqa in rules and any(needle in text for needle in UnusedNoqa.requires_text)
    active = [rule for rule in rules if rule is not UnusedNoqa and any(needle in text for needle in rule.requires_text)]
    if not active and not judge_noqa:
        return []
    lines = python_lines(text)
    if noqa.file_is_exempt(lines):
        return []
    if "\x00" in text:
        return [diagnostic(filename, "syntax-error", "source contains a NUL byte", *_line_col(text, text.index("\x00")))]
    too_complex = prescan(text)
    if too_complex is not None:
        return [
            diagnostic(
                filename, "too-complex",
                f"not checked: {too_complex.reason} (LibCST's parser can crash on such input)",
                too_complex.line,
            )
        ]
    suppressed: list[tuple[str, int]] = []  # (code, line) of each finding a noqa comment hid
    findings: list[Finding] = []
    if active:
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            return [_parse_failure(text, filename, exc)]
        findings = _run_rules(
            module, text, filename, active, lines, apply_noqa, options or RuleOptions(), line_names, suppressed,
        )
    if judge_noqa and not any(f.is_diagnostic for f in findings):
        findings = sorted([*findings, *unused_noqa(lines, filename, suppressed, rules)])
    return findings


def _parse_failure(text: str, filename: str, exc: cst.ParserSyntaxError) -> Finding:
    """Say where the file is broken, in CPython's words and position.

    LibCST's native parser reports column 0 for most errors, no position at all for tokenizer
    errors, and sometimes the line after the error; CPython's own parser is exact. Asked only
    on this error path, it also tells a real syntax error from valid Python that LibCST
    cannot parse (thousands of concatenated strings or comprehension clauses).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings must not reach the user's terminal
            compile(text, filename, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        line = error.lineno or exc.raw_line
        column = error.offset if error.lineno and error.offset else 1
        return diagnostic(filename, "syntax-error", f"{type(error).__name__}: {error.msg}", line, max(column, 1))
    except (ValueError, RecursionError, MemoryError):
        pass  # CPython gave up too; LibCST's account is the best there is
    else:
        return diagnostic(
            filename, "too-complex",
            "not checked: valid Python that LibCST's parser cannot parse (often thousands of chained terms)",
            exc.raw_line,
        )
    return diagnostic(filename, "syntax-error", f"SyntaxError: {exc.message}", exc.raw_line, exc.raw_column + 1)


def _run_rules(
    module: cst.Module, text: str, filename: str, rules: Sequence[type[Rule]], lines: list[str], apply_noqa: bool,
    options: RuleOptions, line_names: Callable[[int], str], suppressed: list[tuple[str, int]],
) -> list[Finding]:
    model = SemanticModel()
    model.track_values = any(rule.needs_values for rule in rules)
    model.freezes_parameters = _FREEZES.search(text) is not None
    model.sets_default_device = "set_default_device" in text
    context = RuleContext(model, text, options)
    instances = [rule(context) for rule in rules]
    dispatcher = Dispatcher([*instances], model.traversals())
    model.walk = dispatcher.walk
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        dispatcher.walk(module)
        reports = context.reports
        if model.cuda_only_module:
            reports = [r for r in reports if not r.rule.silent_in_cuda_only_modules]
        reports = _by_precedence(reports)
        wanted = [r.node for r in reports] + [r.evidence for r in reports if r.evidence is not None]
        wanted += [node for r in reports if r.fix is not None for node in r.fix.anchors()]
        positions = resolve_positions(module, wanted) if reports else {}
    except RecursionError:
        return [diagnostic(filename, "too-complex", "not checked: the syntax tree is too deep")]
    except Exception as exc:  # noqa: BLE001 - one file's bug must not end the run
        return [
            diagnostic(
                filename, "internal-error",
                f"internal error while checking this file ({_describe(exc)}); {BUG_REPORT}",
            )
        ]
    finally:
        sys.setrecursionlimit(limit)
    suppressions = noqa.Suppressions(lines) if apply_noqa else None
    index = TextIndex(lines, module.default_newline, text) if any(r.fix is not None for r in reports) else None
    findings = []
    for report in reports:
        where = positions[report.node]
        line, column = where.start.line, where.start.column + 1
        if suppressions is not None and suppressions.suppressed(report.rule.code, line):
            suppressed.append((report.rule.code, line))
            continue
        findings.append(
            Finding(
                filename=filename, line=line, column=column, code=report.rule.code,
                name=report.rule.name, message=_with_evidence_line(report, positions, line_names),
                end_line=where.end.line, end_column=where.end.column + 1,
                fix=resolve(report.fix, positions, index) if report.fix is not None and index is not None else None,
            )
        )
    return sorted(findings)


def _with_evidence_line(report: Report, positions: dict, line_names: Callable[[int], str]) -> str:
    if report.evidence is None:
        return report.message
    return report.message.replace("{line}", line_names(positions[report.evidence].start.line))


def _by_precedence(reports: list[Report]) -> list[Report]:
    """One finding per node: the higher class wins (correctness > portability > performance >
    style), then the lower code."""
    best: dict[int, Report] = {}
    for report in reports:
        key = id(report.node)
        current = best.get(key)
        if current is None or _rank(report) < _rank(current):
            best[key] = report
    return list(best.values())


def _rank(report: Report) -> tuple[int, str]:
    return CATEGORIES.index(report.rule.category), report.rule.code


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}{'...' if len(text) > 160 else ''}"


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
