"""What the server asks of the engine and the fixer, in terms of texts and findings (no LSP).

A *unit* is what is checked as one module: an open file, or an open notebook's Python
cells joined as the CLI joins them (``engine.notebook``). Its findings are kept twice: as
the engine reports them on the module, and placed in the editor's document they belong to
(the file itself, or one cell, lines counting within it). Every change the server offers
is made by the fixer (``fix_source_text``: non-overlapping edits, the compile gate, passes
until it settles) or by ``--add-noqa``'s ``with_noqa``, on the module text, then split back
into the documents it touches.

A check re-parses only the module-level statements an edit touched: each analysis keeps
its unit's parse, and the next check of the unit starts from it (``engine.incremental``,
which gives the tree a full parse gives or makes one). The parse carries the unit's memo
(``model.memo``): scans whose result depends only on a subtree (the ``# noqa`` token runs
of a statement's text, the attribute writes of a statement, the names a function body
assigns) are not made again for a statement that kept its tree. The model and the rules
still walk the whole module, except after an edit of comments only, where ``comment_edits``
shows that the last check's findings hold for the new text, and they are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from pathlib import Path

import libcst as cst

from ..diagnostics.finding import Finding
from ..engine.incremental import Outcome, Parsed, reparse
from ..engine.incremental_prescan import prescan_from
from ..engine.lint import default_index, lint_source
from ..engine.notebook import Locator, Notebook, NotebookError, NotebookModule, cell_texts, python_cell, to_module
from ..engine.prescan import TooComplex
from ..engine.source import from_text
from ..fixing.loop import fix_source_text
from ..fixing.noqa_comments import with_noqa
from ..project.cache import dependencies_current
from ..project.config import Settings
from .comment_edits import readings, reused


@dataclass(frozen=True)
class Part:
    """One editor document of a unit: the file, or a Python cell (``cell``: its 1-based
    number among all the notebook's cells, as Jupyter and the CLI count them)."""

    uri: str
    text: str
    cell: int | None = None


@dataclass(frozen=True)
class Unit:
    uri: str  # the file's, or the notebook's
    filename: str  # as findings name it: the path, or the uri of an unsaved document
    path: Path | None  # on disk, for the configuration; None for an untitled document
    parts: tuple[Part, ...]
    text: str  # the module the engine checks
    notebook: NotebookModule | None = None

    def line_names(self, text: str) -> Callable[[int], str]:
        """How messages name the lines of ``text`` (``3 of cell 2`` in a notebook)."""
        return Locator(self.notebook, text).line_name if self.notebook is not None else str

    def split(self, text: str) -> dict[str, str]:
        """The documents ``text`` (a changed module) changes, by uri, with their new text.
        Raises NotebookError when a change crosses a cell boundary or IPython syntax."""
        if self.notebook is None:
            part = self.parts[0]
            return {part.uri: text} if text != part.text else {}
        uris = {part.cell: part.uri for part in self.parts}
        return {uris[cell.number]: new for cell, new in cell_texts(self.notebook, text) if new != cell.text}


def file_unit(uri: str, filename: str, path: Path | None, text: str) -> Unit:
    return Unit(uri, filename, path, (Part(uri, text),), text)


def notebook_unit(uri: str, filename: str, path: Path | None, cells: list[tuple[int, str, str]]) -> Unit:
    """``cells``: (number, uri, text) of each Python code cell, in order."""
    parts, kept = [], []
    for number, cell_uri, text in cells:
        cell = python_cell(number, text)
        if cell is not None:  # %%bash and its kin are not Python
            kept.append(cell)
            parts.append(Part(cell_uri, text, number))
    module = to_module(Notebook("", False, tuple(kept)))
    return Unit(uri, filename, path, tuple(parts), module.text, module)


@dataclass(frozen=True)
class Placed:
    """A finding on the module, and the same finding in its document's positions."""

    finding: Finding  # as the engine reported it on the module text
    uri: str
    local: Finding  # lines (and cell) in the document ``uri``


@dataclass
class Analysis:
    unit: Unit
    settings: Settings
    key: tuple[int, int]  # (the unit's revision, the configuration's generation) it was made for
    placed: list[Placed] = field(default_factory=list)
    error: str | None = None  # an internal error of ours; ``placed`` then holds its diagnostic
    # The last parse of the unit's text (this one's, or an earlier one's when this text was
    # not parsed: a syntax error, nothing to check), for the next check to start from.
    parsed: Parsed | None = field(default=None, repr=False)
    outcome: Outcome | None = None  # how this check's text was parsed, when it was
    # The files of the project the check consulted (path: content hash), when it checked.
    dependencies: dict[str, str | None] | None = field(default=None, repr=False)
    reused: bool = False  # the findings are the last check's (``comment_edits``): only comments changed
    _readings: tuple[Hashable, ...] | None = field(default=None, repr=False)

    def readings(self) -> tuple[Hashable, ...]:
        """``comment_edits.readings`` of the unit's text, computed once."""
        if self._readings is None:
            self._readings = readings(self.unit.text, self.settings.rules_for(self.unit.path))
        return self._readings

    def in_document(self, uri: str) -> list[Placed]:
        return [p for p in self.placed if p.uri == uri]


class _Reparser:
    """Pre-scans and parses a unit's text from the unit's previous parse (and the pre-scan
    of its text), and keeps the result."""

    def __init__(self, previous: Parsed | None) -> None:
        self.parsed = previous
        self.scanned = previous.scanned if previous is not None else None
        self.outcome: Outcome | None = None

    def prescan(self, text: str) -> TooComplex | None:
        verdict, scanned = prescan_from(self.scanned, text)
        if scanned is not None:  # a text the scan passed: the next scan starts from it
            self.scanned = scanned
        return verdict

    def __call__(self, text: str) -> Parsed:
        parsed, self.outcome = reparse(self.parsed, text)
        # The text was just pre-scanned (``lint_source`` scans, then parses).
        self.parsed = replace(parsed, scanned=self.scanned if self.scanned is not None and self.scanned.text == text else None)
        return self.parsed


def analyze(
    unit: Unit, settings: Settings, key: tuple[int, int], previous: Parsed | None = None, last: Analysis | None = None,
) -> Analysis:
    """The unit's findings; ``previous``: a parse of an earlier text of the unit, ``last``:
    the check that made it, whose findings are taken over when the edit since changed only
    comments (``comment_edits``)."""
    rules = settings.rules_for(unit.path)
    parser = _Reparser(previous)
    if last is not None and previous is not None and last.parsed is previous:
        analysis = _after_comment_edit(unit, settings, key, last, parser)
        if analysis is not None:
            return analysis
    dependencies: dict[str, str | None] = {}
    findings = lint_source(
        from_text(unit.text), unit.filename, rules, options=settings.rule_options, line_names=unit.line_names(unit.text),
        parse=parser, prescan=parser.prescan, dependencies=dependencies,
    )
    analysis = _placed(unit, settings, key, findings)
    analysis.parsed, analysis.outcome, analysis.dependencies = parser.parsed, parser.outcome, dependencies
    return analysis


def _after_comment_edit(unit: Unit, settings: Settings, key: tuple[int, int], last: Analysis, parser: _Reparser) -> Analysis | None:
    """The last check's findings, moved, where the edit since changed only comments and
    ``comment_edits`` shows a full check would report exactly them; else None. The text is
    still pre-scanned and parsed from the last parse, for the next check to start from."""
    previous = last.parsed
    if (
        previous is None or last.error is not None or last.dependencies is None or last.outcome is None
        or unit.notebook is not None or last.unit.notebook is not None or last.unit.filename != unit.filename
        or last.unit.path != unit.path or last.settings != settings or previous.text != last.unit.text
        or any(p.finding.code is None for p in last.placed)
    ):
        return None
    moved = reused(previous, [p.finding for p in last.placed], unit.text)
    if moved is None or parser.prescan(unit.text) is not None:
        return None
    analysis = _placed(unit, settings, key, moved)
    if analysis.readings() != last.readings() or not _current(last.dependencies):
        return None
    try:
        parser(unit.text)
    except cst.ParserSyntaxError:
        return None
    analysis.parsed, analysis.outcome, analysis.reused = parser.parsed, parser.outcome, True
    analysis.dependencies = last.dependencies
    return analysis


def _current(dependencies: dict[str, str | None]) -> bool:
    """Every file of the project the last check consulted reads as it did then (through the
    index's reader: an open document's text before the file on disk)."""
    return dependencies_current(dependencies, default_index().reader)


def _placed(unit: Unit, settings: Settings, key: tuple[int, int], findings: list[Finding]) -> Analysis:
    if unit.notebook is None:
        return Analysis(unit, settings, key, [Placed(f, unit.uri, f) for f in findings])
    locator = Locator(unit.notebook, unit.text)
    cells = {part.cell: part.uri for part in unit.parts}
    placed = []
    for finding in findings:
        local = locator.finding(finding)
        placed.append(Placed(finding, cells.get(local.cell, unit.parts[0].uri), local))
    return Analysis(unit, settings, key, placed)


class Refused(Exception):
    """The change cannot be made; the message says why, in the user's words."""


def fixed(analysis: Analysis, *, unsafe: bool, only: Finding | None = None) -> dict[str, str]:
    """The documents the fixer changes, with their new text: every fix that applies (safe
    ones, or unsafe ones too), or only ``only``'s. Raises Refused."""
    unit, settings = analysis.unit, analysis.settings
    result = fix_source_text(
        from_text(unit.text), unit.filename, settings.rules_for(unit.path), unsafe=unsafe,
        options=settings.rule_options, line_names=unit.line_names, select=None if only is None else _once(only),
    )
    if result.error is not None:
        raise Refused(result.error.message)
    try:
        return unit.split(result.text)
    except NotebookError as exc:
        raise Refused(f"not fixed: {exc}") from None


def _once(only: Finding) -> Callable[[Finding], bool]:
    """Selects ``only`` the first time the fixer offers it, and nothing else: later passes,
    where the fixer looks for what the fix revealed, take nothing more."""
    taken: list[Finding] = []

    def select(finding: Finding) -> bool:
        if finding == only and not taken:
            taken.append(finding)
            return True
        return False

    return select


def with_directive(analysis: Analysis, finding: Finding) -> dict[str, str]:
    """The documents changed by a ``# noqa: CODE`` for ``finding``, as ``--add-noqa`` places it.
    Raises Refused."""
    text, added, unplaced = with_noqa(analysis.unit.text, [finding])
    if unplaced:
        raise Refused(f"no `# noqa` added: {unplaced[0].message}")
    if not added:
        return {}
    try:
        return analysis.unit.split(text)
    except NotebookError as exc:
        raise Refused(f"no `# noqa` added: {exc}") from None
