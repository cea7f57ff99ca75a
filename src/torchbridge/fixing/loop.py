"""Applying fixes to one source text until none applies.

Each pass lints the text, takes the applicable fixes in source order, keeps those whose edits
do not overlap the ones already taken (identical edits, such as one import two fixes need,
are made once), applies them, and checks that the result still compiles. A later pass sees
the fixed code, so nested findings (a fix that reveals another) are fixed in the same run.
A result that does not compile, or a run that does not settle within ``MAX_PASSES``, gives
back the original text untouched and a diagnostic that names the rules involved.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..diagnostics.finding import FIX_ERROR, Finding, diagnostic
from ..diagnostics.fix import Edit, apply_edits, compatible, misplaced
from ..engine.lint import lint_source
from ..engine.source import SourceText, from_text, python_lines
from ..rules import CATEGORIES, Rule, RuleOptions, rule_by_code

MAX_PASSES = 10


@dataclass
class FixResult:
    source: SourceText  # the original
    text: str  # the fixed text (the original when nothing applied or the fix was refused)
    applied: list[Finding] = field(default_factory=list)  # fixed, in the pass they were fixed
    remaining: list[Finding] = field(default_factory=list)  # findings of ``text``
    before: list[Finding] = field(default_factory=list)  # findings of the original
    rejected: list[tuple[Finding, str]] = field(default_factory=list)  # fixes ``accept`` turned down, and why
    error: Finding | None = None  # why the fixes were refused

    @property
    def changed(self) -> bool:
        return self.text != self.source.raw


def fix_source_text(
    source: SourceText, filename: str, rules: Sequence[type[Rule]], *, unsafe: bool = False,
    options: RuleOptions | None = None, accept: Callable[[Finding], str | None] | None = None,
    line_names: Callable[[str], Callable[[int], str]] | None = None,
    select: Callable[[Finding], bool] | None = None,
) -> FixResult:
    """``accept`` (the verifier, with ``fix --verify``) may turn a fix down: it returns None
    to accept, else the reason. ``line_names(text)`` says how messages name the lines of
    ``text`` (a notebook's module: ``3 of cell 2``). ``select`` narrows which findings may be
    fixed at all (an editor's quick fix: one finding); unlike ``accept`` it is asked every
    time, never cached per probe, since two identical snippets are two different findings."""

    def lint(text: SourceText) -> list[Finding]:
        names = line_names(text.text) if line_names is not None else str
        return lint_source(text, filename, rules, options=options, line_names=names)

    result = FixResult(source, source.raw)
    turned_down: set[object] = set()
    current = source
    seen = {source.raw}
    passes = 0  # each pass lints what the last one made; the one after MAX_PASSES only looks
    while True:
        findings = lint(current)
        if current is source:
            result.before = result.remaining = findings  # what a refusal leaves
        if any(f.is_diagnostic for f in findings):
            if current is not source:  # a fix made code LibCST cannot read: refuse it
                return _refused(result, filename, result.applied, "produced code that cannot be parsed")
            return result
        fixable = [f for f in findings if f.fix is not None and f.fix.applies(unsafe) and (select is None or select(f))]
        if accept is not None:
            fixable = _accepted(fixable, accept, result, turned_down)
        if not fixable:
            if result.applied:
                current, findings = _without_imports_made_unused(source, current, filename, lint, findings)
            result.text, result.remaining = current.raw, findings
            return result
        if passes == MAX_PASSES:
            return _refused(result, filename, fixable, f"still finds something to fix after {MAX_PASSES} passes")
        chosen, edits = _non_overlapping(fixable)
        astray = [f for f in chosen if any(misplaced(current.text, edit) for edit in _edits(f))]
        if astray:
            # A position that does not match the source: the edit would land on other text.
            return _refused(result, filename, astray, "would edit text other than the code it was made for")
        text = apply_edits(current.raw, edits)
        problem = compile_problem(text, filename)
        if problem is not None:
            culprits = [f for f in chosen if compile_problem(apply_edits(current.raw, list(_edits(f))), filename)]
            return _refused(result, filename, culprits or chosen, f"produced code that does not compile ({problem})")
        if text in seen:
            return _refused(result, filename, chosen, "undoes an earlier fix (the fixes do not settle)")
        seen.add(text)
        result.applied += chosen
        current = from_text(text, encoding=source.encoding, bom=source.bom)
        passes += 1


def _without_imports_made_unused(
    source: SourceText, current: SourceText, filename: str, lint: Callable[[SourceText], list[Finding]],
    findings: list[Finding],
) -> tuple[SourceText, list[Finding]]:
    """The fixed text without the module-level imports the fixes left unused (a TNP202 fix
    can take the last ``np`` away), so that pyflakes' F401 does not flag what was clean.
    Only an import that is provably unused goes: a statement of its own, on lines of its
    own (a plain comment after it goes with it, a tool's directive keeps it), binding one
    name that the original read and that the fixed module never names
    again, as a name, a parameter, in a string (``__all__``, ``eval``, doctests) or in a
    type comment; never in an ``__init__.py``, whose imports are its interface."""
    if filename.endswith("__init__.py"):
        return current, findings
    before, after = _parsed(source.text), _parsed(current.text)
    if before is None or after is None:
        return current, findings
    lines = python_lines(current.raw)
    read_before = {n.id for n in ast.walk(before) if isinstance(n, ast.Name)}
    imports = [(node, _single_binding(node)) for node in after.body]
    drop: set[int] = set()
    for node, bound in imports:
        if bound is None or bound not in read_before or node.end_lineno is None:
            continue
        first, last = node.lineno - 1, node.end_lineno
        own = lines[first:last]
        code = "".join(line.split("#", 1)[0] for line in own)  # no "#" in an import but a comment's
        if _squashed(code) != _squashed(ast.get_source_segment(current.text, node) or ""):
            continue  # another statement shares its lines
        if any(_DIRECTIVE.search(line) for line in own):
            continue  # ``# noqa: F401``, ``# isort: skip``...: the user wants it there
        if sum(1 for _, other in imports if other == bound) == 1 and not _mentioned(after, current.text, bound, node):
            drop.update(range(first, last))
    if not drop:
        return current, findings
    text = "".join(line for number, line in enumerate(lines) if number not in drop)
    if compile_problem(text, filename) is not None:
        return current, findings
    pruned = from_text(text, encoding=current.encoding, bom=current.bom)
    return pruned, lint(pruned)


# Comments that are instructions to a tool; an import carrying one is never removed.
_DIRECTIVE = re.compile(r"#.*\b(?:noqa|type:|isort:|pragma|pylint|fmt:|ruff:)", re.IGNORECASE)


def _squashed(text: str) -> str:
    return "".join(text.split())


def _parsed(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _mentioned(tree: ast.Module, text: str, name: str, importing: ast.stmt) -> bool:
    """Whether anything but ``importing`` names ``name``: a name, a parameter, a
    ``global``, another import, a word of a string or of a type comment (``# type:``;
    other comments run nothing)."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    for node in ast.walk(tree):
        if node is importing:
            continue
        if isinstance(node, ast.Name) and node.id == name or isinstance(node, ast.arg) and node.arg == name:
            return True
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and word.search(node.value):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name.split(".")[0]) == name for a in node.names):
            return True
    try:
        comments = [
            t.string for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type == tokenize.COMMENT and t.string.lstrip("#").lstrip().startswith("type:")
        ]
    except (tokenize.TokenError, SyntaxError):
        return True
    return any(word.search(comment) for comment in comments)


def _single_binding(node: ast.stmt) -> str | None:
    """The one name an ``import`` statement binds, when it binds exactly one."""
    if not isinstance(node, (ast.Import, ast.ImportFrom)) or len(node.names) != 1:
        return None
    alias = node.names[0]
    if alias.name == "*" or (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
        return None
    return alias.asname or alias.name.split(".")[0]


def _accepted(fixable: list[Finding], accept: Callable[[Finding], str | None], result: FixResult,
              turned_down: set[object]) -> list[Finding]:
    kept = []
    for finding in fixable:
        # The same probe (snippet, hole facts, contract entry) gets the same verdict: ask once.
        fix = finding.fix
        key = (fix.entry.key, fix.probe) if fix is not None and fix.probe is not None else (finding.code, finding.message)
        if key in turned_down:
            continue
        why = accept(finding)
        if why is None:
            kept.append(finding)
        else:
            turned_down.add(key)
            result.rejected.append((finding, why))
    return kept


def _non_overlapping(fixable: list[Finding]) -> tuple[list[Finding], list[Edit]]:
    chosen: list[Finding] = []
    edits: list[Edit] = []
    for finding in sorted(fixable, key=_precedence):
        candidate = _edits(finding)
        if compatible(edits, candidate):
            chosen.append(finding)
            edits.extend(edit for edit in candidate if edit not in edits)
    # Stable: edits a fix inserts at one point keep the order the fix gave them.
    return chosen, sorted(edits, key=lambda edit: (edit.start, edit.end))


def _precedence(finding: Finding) -> tuple:
    """Which fix is taken first where fixes overlap: the higher class (correctness >
    portability > performance > style), then the lower code, then source order. An
    overlapping fix waits for the next pass, which lints the fixed code afresh."""
    rule = rule_by_code(finding.code or "")
    rank = CATEGORIES.index(rule.category) if rule is not None else len(CATEGORIES)
    return (rank, finding.code or "", finding.cell or 0, finding.line, finding.column)


def _edits(finding: Finding) -> tuple[Edit, ...]:
    """A fixable finding's edits (the fixer handles no other)."""
    return finding.fix.edits if finding.fix is not None else ()


def compile_problem(text: str, filename: str) -> str | None:
    """Why Python would reject ``text``, or None. LibCST accepts some code Python does not
    (an import before ``from __future__``, a misplaced ``nonlocal``)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # A full compile: an AST alone misses the symbol table's errors (``nonlocal``).
            compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError as error:
        return f"{type(error).__name__}: {error.msg} (line {error.lineno})"
    except (ValueError, RecursionError, MemoryError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def _refused(result: FixResult, filename: str, culprits: list[Finding], why: str) -> FixResult:
    codes = ", ".join(sorted({f.code for f in culprits if f.code}))
    result.text = result.source.raw
    result.applied = []
    result.error = diagnostic(
        filename, FIX_ERROR, f"not fixed: the fix for {codes or 'a finding'} {why}; the file was left unchanged",
        culprits[0].line if culprits else 1, culprits[0].column if culprits else 1,
    )
    return result
