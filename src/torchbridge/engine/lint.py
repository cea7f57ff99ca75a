"""The path of one file: decode, prefilter, pre-scan, parse, one walk, positions, noqa.

Every front end (the CLI, the flake8 plugin, the Python API) calls ``lint_source``, so they
can never disagree about a finding.
"""

from __future__ import annotations

import ast
import gc
import os
import re
import sys
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import libcst as cst

from ..diagnostics import noqa
from ..diagnostics.finding import (
    BUG_REPORT,
    DECODE_ERROR,
    INTERNAL_ERROR,
    SYNTAX_ERROR,
    TOO_COMPLEX,
    TOO_LARGE,
    Finding,
    diagnostic,
)
from ..diagnostics.fix import TextIndex
from ..diagnostics.noqa import TokenRun
from ..model.call_contexts import mentions_grad_off
from ..model.memo import NO_MEMO, SubtreeMemo
from ..model.project_index import FileImports, ProjectIndex, TextFacts
from ..model.semantic import SemanticModel
from ..rules import Rule, RuleContext, RuleOptions
from ..rules.base import RuleReport
from ..rules.meta.tnp901_unused_noqa import UnusedNoqa, unused_noqa
from .incremental import Parsed
from .noqa_runs import runs_by_statement
from .notebook import is_notebook, lint_notebook
from .parse import parse_module
from .positions import Misaligned, Positions, Remembered, resolve_positions
from .prefilter import active_rules, mentions
from .prescan import TooComplex, prescan
from .resolve import resolve
from .source import DecodeError, SourceText, decode, from_text, line_and_column, python_lines
from .walk import Dispatcher

# ``p.requires_grad = False``, ``m.requires_grad_(False)``, ``requires_grad_(requires_grad=False)``:
# some parameters of the file may not require grad, so module outputs are not known to.
_FREEZES = re.compile(r"requires_grad_?\s*(?:=|\()[^\n]*?False")

# The walk recurses once per tree level; the pre-scan bounds the depth well below this.
_RECURSION_LIMIT = 20_000


def lint_bytes(
    data: bytes, filename: str, rules: Sequence[type[Rule]], *, apply_noqa: bool = True,
    options: RuleOptions | None = None, dependencies: dict[str, str | None] | None = None,
) -> list[Finding]:
    if is_notebook(filename):
        # Its code cells as one module; findings come back in cell positions.
        return lint_notebook(
            data, filename,
            lambda text, names: lint_source(
                text, filename, rules, apply_noqa=apply_noqa, options=options, line_names=names,
                dependencies=dependencies,
            ),
        )
    try:
        source = decode(data)
    except DecodeError as exc:
        return [diagnostic(filename, DECODE_ERROR, f"cannot read the file as Python source: {exc}")]
    return lint_source(source, filename, rules, apply_noqa=apply_noqa, options=options, dependencies=dependencies)


def lint_source(
    source: SourceText | str, filename: str, rules: Sequence[type[Rule]], *, apply_noqa: bool = True,
    options: RuleOptions | None = None, line_names: Callable[[int], str] = str,
    project: ProjectIndex | None = None, dependencies: dict[str, str | None] | None = None,
    parse: Callable[[str], Parsed] | None = None, prescan: Callable[[str], TooComplex | None] = prescan,
) -> list[Finding]:
    """``line_names`` says how a message names a line of ``source`` (a notebook's module
    says ``3 of cell 2``). ``project`` gives the project's other modules (default: the
    process's index, for a file that names a real folder: ``project_imports``); the files it
    consulted go into ``dependencies`` with their content hashes. ``parse``: how to parse the
    text, when not whole with LibCST (the language server re-parses only what an edit
    changed: ``engine.incremental``), and ``prescan`` how to pre-scan it (the server scans only
    around the edit: ``engine.incremental_prescan``)."""
    if isinstance(source, str):
        source = from_text(source)
    text = source.text
    # TNP901 reads the noqa comments after the other rules ran: it needs no tree of its own.
    judge_noqa = apply_noqa and UnusedNoqa in rules and mentions(text, UnusedNoqa.requires_text)
    active = active_rules(text, [rule for rule in rules if rule is not UnusedNoqa])
    about_torch = "torch" in text or "numpy" in text
    if not active and not judge_noqa and not about_torch:
        return []
    options = options or RuleOptions()
    size = _utf8_size(text, options.max_file_size)
    if size > options.max_file_size:
        return [
            diagnostic(
                filename, TOO_LARGE,
                f"not checked: {size:,} bytes of code, over the {options.max_file_size:,}-byte limit "
                "(max-file-size in [tool.torchbridge])",
            )
        ]
    if not active:
        # No rule needs a tree; a broken file that is about torch or NumPy is still reported,
        # by CPython's parser (about 15 times cheaper than LibCST's).
        broken = _syntax_errors(text, filename) if about_torch else []
        if broken or not judge_noqa:
            return broken
    lines = python_lines(text)
    if noqa.file_is_exempt(lines, text):
        return []
    if "\x00" in text:
        return [diagnostic(filename, SYNTAX_ERROR, "source contains a NUL byte", *line_and_column(text, text.index("\x00")))]
    too_complex = prescan(text)
    if too_complex is not None:
        return [
            diagnostic(
                filename, TOO_COMPLEX,
                f"not checked: {too_complex.reason} (LibCST's parser can crash on such input)",
                too_complex.line,
            )
        ]
    suppressed: list[tuple[str, int]] = []  # (code, line) of each finding a noqa comment hid
    findings: list[Finding] = []
    runs_of: Callable[[], list[TokenRun] | None] | None = None
    if active:
        with _without_cyclic_gc():
            # The tree and the model die when this call returns, before the collector is back on.
            findings, runs_of = _parse_and_check(
                text, filename, active, lines, apply_noqa, options, line_names, suppressed, project, dependencies, parse,
            )
    if judge_noqa and not any(f.is_diagnostic for f in findings):
        findings = sorted([*findings, *unused_noqa(lines, filename, suppressed, rules, runs_of)])
    return findings


def _parse_and_check(
    text: str, filename: str, rules: Sequence[type[Rule]], lines: list[str], apply_noqa: bool,
    options: RuleOptions, line_names: Callable[[int], str], suppressed: list[tuple[str, int]],
    project: ProjectIndex | None, dependencies: dict[str, str | None] | None, parse: Callable[[str], Parsed] | None,
) -> tuple[list[Finding], Callable[[], list[TokenRun] | None] | None]:
    try:
        parsed = Parsed(text, parse_module(text)) if parse is None else parse(text)
    except cst.ParserSyntaxError as exc:
        return [_parse_failure(text, filename, exc)], None
    imports = project_imports(filename, project)
    memo = parsed.memo if parsed.incremental else NO_MEMO  # kept for the next check of the text
    memo.begin()
    runs_of = _runs_by_statement(parsed)
    findings = _run_rules(
        parsed.module, text, filename, rules, lines, apply_noqa, options, line_names, suppressed, imports,
        parsed.statement_starts if parsed.incremental else None, parsed.positions if parsed.incremental else None,
        runs_of, memo,
    )
    if imports is not None and dependencies is not None:
        dependencies.update(imports.dependencies)
    return findings, runs_of


def _runs_by_statement(parsed: Parsed) -> Callable[[], list[TokenRun] | None] | None:
    """How a check of a text parsed in parts (the server's) finds its ``# noqa`` token runs:
    statement by statement, each segment tokenized once per document (``noqa_runs``)."""
    if not parsed.incremental:
        return None
    found: list[list[TokenRun] | None] = []

    def runs_of() -> list[TokenRun] | None:
        if not found:
            found.append(runs_by_statement(parsed, parsed.memo))
        return found[0]

    return runs_of


def project_imports(filename: str, project: ProjectIndex | None = None) -> FileImports | None:
    """The project a checked file belongs to, found from its name: standard input without a
    name (``-``, flake8's ``stdin``) and names that are no path (``<string>``) have none; a
    file named by ``--stdin-filename`` has the project of the file it names."""
    if filename in ("-", "stdin") or filename.startswith("<") or not os.path.isdir(os.path.dirname(os.path.abspath(filename))):
        return None
    return (project or default_index()).for_file(Path(filename))


_DEFAULT_INDEX: list[ProjectIndex] = []


def default_index() -> ProjectIndex:
    """The index every check of this process shares (the disk as it is)."""
    if not _DEFAULT_INDEX:
        _DEFAULT_INDEX.append(ProjectIndex(decode_for_index, parse_for_index, SemanticModel.for_module))
    return _DEFAULT_INDEX[0]


def decode_for_index(data: bytes) -> tuple[str, TextFacts] | None:
    """Another module of the project, decoded as a checked file is, with its text's facts."""
    try:
        text = decode(data).text
    except DecodeError:
        return None
    return text, text_facts(text)


def parse_for_index(text: str) -> cst.Module | None:
    """The part of another module a summary needs, parsed as a checked file is: pre-scanned
    first (LibCST's parser must never see what could crash it)."""
    if "\x00" in text or prescan(text) is not None:
        return None
    with _without_cyclic_gc():
        try:
            return parse_module(text)
        except (cst.ParserSyntaxError, RecursionError):
            return None


def text_facts(text: str) -> TextFacts:
    """The whole-file facts the model reads from a file's text (``TextFacts``)."""
    return TextFacts(
        freezes_parameters=_FREEZES.search(text) is not None,
        sets_default_device="set_default_device" in text,
        sets_default_dtype="set_default_dtype" in text or "set_default_tensor_type" in text,
    )


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """A tree and its model are freed by reference counting; the cyclic collector would only
    rescan their millions of young objects, again and again as they are made (9-12% of the
    time on real files, a third on a 30,000-line one)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _utf8_size(text: str, limit: int) -> int:
    """The size of ``text`` in UTF-8, counted only where it may exceed ``limit``."""
    if len(text) * 4 <= limit:  # no character takes more than four bytes
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _syntax_errors(text: str, filename: str) -> list[Finding]:
    verdict = _cpython_parse(text, filename)
    if not isinstance(verdict, SyntaxError):
        return []
    # Code newer than the Python running us (``type A = ...`` on 3.11) is not broken: LibCST
    # reads newer grammars. Asked only on this rare path, where the cost does not matter.
    if "\x00" not in text and prescan(text) is None and _libcst_parses(text):
        return []
    return [_syntax_error(filename, verdict)]


def _libcst_parses(text: str) -> bool:
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError:
        return False
    return True


def _cpython_parse(text: str, filename: str) -> SyntaxError | bool:
    """CPython's ``SyntaxError`` for ``text``; True when it parses, False when it gives up."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings must not reach the user's terminal
            compile(text, filename, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        return error
    except (ValueError, RecursionError, MemoryError):
        return False
    return True


def _syntax_error(filename: str, error: SyntaxError, line: int = 1) -> Finding:
    column = error.offset if error.lineno and error.offset else 1
    return diagnostic(filename, SYNTAX_ERROR, f"{type(error).__name__}: {error.msg}", error.lineno or line, max(column, 1))


def _parse_failure(text: str, filename: str, exc: cst.ParserSyntaxError) -> Finding:
    """Say where the file is broken, in CPython's words and position.

    LibCST's native parser reports column 0 for most errors, no position at all for tokenizer
    errors, and sometimes the line after the error; CPython's own parser is exact. Asked only
    on this error path, it also tells a real syntax error from valid Python that LibCST
    cannot parse (thousands of concatenated strings or comprehension clauses).
    """
    verdict = _cpython_parse(text, filename)
    if isinstance(verdict, SyntaxError):
        return _syntax_error(filename, verdict, exc.raw_line)
    if verdict:
        return diagnostic(
            filename, TOO_COMPLEX,
            f"not checked: valid Python that LibCST's parser cannot parse ({_libcst_reason(exc)})",
            exc.raw_line,
        )
    # CPython gave up too; LibCST's account is the best there is.
    return diagnostic(filename, SYNTAX_ERROR, f"SyntaxError: {exc.message}", exc.raw_line, exc.raw_column + 1)


def _libcst_reason(exc: cst.ParserSyntaxError) -> str:
    # Thousands of chained terms; or a form feed before a nested block's first line, which
    # LibCST's tokenizer takes for a dedent.
    reason = " ".join(str(exc.message).split())
    return f"LibCST says: {reason[:120]}" if reason else "often thousands of chained terms"


def _run_rules(
    module: cst.Module, text: str, filename: str, rules: Sequence[type[Rule]], lines: list[str], apply_noqa: bool,
    options: RuleOptions, line_names: Callable[[int], str], suppressed: list[tuple[str, int]],
    imports: FileImports | None = None,
    starts: Callable[[], Mapping[int, tuple[int, int]]] | None = None, remembered: Remembered | None = None,
    runs_of: Callable[[], list[TokenRun] | None] | None = None, memo: SubtreeMemo = NO_MEMO,
) -> list[Finding]:
    model = SemanticModel()
    model.memo = memo
    model.track_values = any(rule.needs_values for rule in rules)
    facts = text_facts(text)
    model.freezes_parameters = facts.freezes_parameters
    model.sets_default_device = facts.sets_default_device
    model.sets_default_dtype = facts.sets_default_dtype
    model.project = imports
    model.may_turn_grad_off = mentions_grad_off(text)
    model.may_use_walrus = ":=" in text  # loop heads look for walrus targets only where there may be one
    context = RuleContext(model, text, options, reports=_Reports(model))
    instances = [rule(context) for rule in rules]
    dispatcher = Dispatcher([*instances], model.traversals())
    model.walk = dispatcher.walk
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        dispatcher.walk(module)
        reports = context.reports
        # Asked only when it matters: the answer may read the project helpers the module calls.
        if any(r.rule.silent_in_cuda_only_modules for r in reports) and model.cuda_only_module:
            reports = [r for r in reports if not r.rule.silent_in_cuda_only_modules]
        reports = _one_per_rule_and_node(reports)
        wanted = [r.node for r in reports] + [r.evidence for r in reports if r.evidence is not None]
        wanted += [node for r in reports if r.fix is not None for node in r.fix.anchors()]
        near = context.reports.near.values() if isinstance(context.reports, _Reports) else ()
        positions = _positions(module, wanted, text, near, starts, remembered) if reports else Positions({}, {})
    except RecursionError:
        return [diagnostic(filename, TOO_COMPLEX, "not checked: the syntax tree is too deep")]
    except Exception as exc:  # noqa: BLE001 - one file's bug must not end the run
        return [
            diagnostic(
                filename, INTERNAL_ERROR,
                f"internal error while checking this file ({_describe(exc)}); {BUG_REPORT}",
            )
        ]
    finally:
        sys.setrecursionlimit(limit)
        # Freed by reference counting, before the cyclic collector is back on (``SemanticModel.close``).
        model.close()
        if imports is not None:
            imports.close_hosts()
    suppressions = noqa.Suppressions(lines, runs_of) if apply_noqa else None
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
                fix=(
                    resolve(report.fix, positions, index)
                    if report.fix is not None and index is not None and report.rule.code not in options.unfixable
                    else None
                ),
            )
        )
    return sorted(findings)


class _Reports(list[RuleReport]):
    """The rules' reports, and the module-level statements being walked when they came:
    where the positions pass looks for their nodes first."""

    def __init__(self, model: SemanticModel) -> None:
        super().__init__()
        self._model = model
        self.near: dict[int, cst.BaseStatement] = {}

    def append(self, report: RuleReport) -> None:
        super().append(report)
        statement = self._model.top_statement
        if statement is not None:
            self.near[id(statement)] = statement


def _positions(
    module: cst.Module, nodes: list[cst.CSTNode], text: str, near: Collection[cst.BaseStatement] = (),
    starts: Callable[[], Mapping[int, tuple[int, int]]] | None = None, remembered: Remembered | None = None,
) -> Positions:
    try:
        return resolve_positions(module, nodes, text, near, starts() if starts is not None else None, remembered)
    except Misaligned:
        # Never seen: LibCST's code differs from the source in more than dropped whitespace.
        # Report at LibCST's own positions; the fixer refuses every edit that does not land
        # on its node's text.
        return resolve_positions(module, nodes)


def _with_evidence_line(report: RuleReport, positions: Positions, line_names: Callable[[int], str]) -> str:
    if report.evidence is None:
        return report.message
    return report.message.replace("{line}", line_names(positions[report.evidence].start.line))


def _one_per_rule_and_node(reports: list[RuleReport]) -> list[RuleReport]:
    """Every rule's finding on a node, each once: a rule that meets one node twice (from two
    visitors) reports it once. Rules that meet on one node are all reported; precedence
    only orders their fixes (``fixing.loop``)."""
    seen: set[tuple[int, str]] = set()
    kept = []
    for report in reports:
        key = (id(report.node), report.rule.code)
        if key not in seen:
            seen.add(key)
            kept.append(report)
    return kept


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}{'...' if len(text) > 160 else ''}"
