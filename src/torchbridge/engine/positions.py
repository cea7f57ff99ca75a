"""Line and column of reported nodes in the source text, computed only as far as needed.

LibCST's ``PositionProvider`` generates code for the whole module, which costs about a
parse again. Findings are rare, so positions are resolved only for files that have some,
only for the module-level statements that hold them (each generated from its own line,
which CPython's parser gives for a fraction of a parse), and the code generation stops as
soon as the last reported node has been emitted.

Positions count in the text the user wrote, not in LibCST's regenerated code. The two
differ where LibCST drops characters: a form feed in a line's indentation, which CPython's
tokenizer also ignores, is not part of any node. Each generated token is therefore matched
against the source as it is emitted; dropped whitespace is stepped over and the columns
after it are shifted, and a token that cannot be matched at all stops the resolution
(``Misaligned``) instead of producing a position that points at the wrong text.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import cast

import libcst as cst
from libcst._position import CodePosition, CodeRange
from libcst.metadata import BaseMetadataProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

# What LibCST may leave out of its regenerated code: whitespace before a line's first token.
_DROPPABLE = frozenset(" \t\x0c")


class Misaligned(Exception):
    """LibCST's code differs from the source in more than dropped whitespace."""


class _AllFound(Exception):
    pass


class _Provider:
    """Stands in for the metadata provider the codegen state writes into."""

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


class Positions(Mapping[cst.CSTNode, CodeRange]):
    """Each resolved node's range in the source (1-based lines, 0-based code-point columns),
    and the code LibCST generates for that range: what the source must hold there."""

    def __init__(self, ranges: dict[cst.CSTNode, CodeRange], code: dict[cst.CSTNode, str]) -> None:
        self._ranges = ranges
        self.code = code

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        return self._ranges[node]

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._ranges)

    def __len__(self) -> int:
        return len(self._ranges)


class _TargetedState(PositionProvidingCodegenState):
    targets: Collection[cst.CSTNode] = ()
    remaining: int = 0
    source: str = ""
    cursor: int = 0  # where the next generated token must start in ``source``
    # (line, column) where whitespace was stepped over -> the column after it: a node that
    # was entered there starts after the whitespace, not before it.
    shifted: dict[tuple[int, int], int]
    # Token indices of each node's range, so that a target's code can be read back.
    token_spans: dict[cst.CSTNode, tuple[int, int]]
    token_stack: list[int]

    def _update_position(self, value: str) -> None:
        if self.source.startswith(value, self.cursor):
            self.cursor += len(value)
            super()._update_position(value)
        else:
            self._align(value)

    def _align(self, value: str) -> None:
        """Match ``value`` against the source where LibCST's whitespace differs from it,
        and move the position over the source text it stands for."""
        source, start = self.source, self.cursor
        if start >= len(source) and not value.strip():
            return  # the newline LibCST adds after a last line that has none
        i, j = 0, start
        leading = None  # source characters stepped over before the token's first one
        while i < len(value):
            if j < len(source) and source[j] == value[i]:
                i, j = i + 1, j + 1
                leading = j - 1 - start if leading is None else leading
            elif value[i] == "\x0c":
                i += 1  # a form feed LibCST repeats in a block's indentation
            elif j < len(source) and source[j] in _DROPPABLE:
                j += 1  # whitespace LibCST left out
            else:
                self.remaining = 0  # record nothing more while the generation unwinds
                raise Misaligned(f"line {self.line}: the source does not hold {value[:20]!r} where LibCST puts it")
        if leading:
            self.shifted[(self.line, self.column)] = self.column + leading
        self.cursor = j
        super()._update_position(source[start:j])

    def before_codegen(self, node: cst.CSTNode) -> None:
        super().before_codegen(node)
        self.token_stack.append(len(self.tokens))

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = CodePosition(self.line, self.column)
        first_token = len(self.tokens)
        try:
            yield
        finally:
            # Once every target is found the generation unwinds: record nothing more (the
            # child ranges a parent would read were never computed).
            if self.remaining:
                computed = cast("dict[cst.CSTNode, CodeRange]", self.provider._computed)  # ranges, never lazy
                end = CodePosition(self.line, self.column)
                last_token = len(self.tokens)
                if start_node is not None:
                    start = computed[start_node].start
                    first_token = self.token_spans[start_node][0]
                if end_node is not None:
                    end = computed[end_node].end
                    last_token = self.token_spans[end_node][1]
                computed[node] = CodeRange(start, end)
                self.token_spans[node] = (first_token, last_token)

    def after_codegen(self, node: cst.CSTNode) -> None:
        first_token = self.token_stack.pop()
        recorded = node in self.provider._computed
        super().after_codegen(node)
        if not recorded:
            self.token_spans[node] = (first_token, len(self.tokens))
        if node in self.targets:
            self.remaining -= 1
            if self.remaining == 0:
                raise _AllFound


class Remembered:
    """The ranges a resolution found in each module-level statement, counted from the
    statement's first line, for the next resolution over a module that reuses the same
    statement nodes (``engine.incremental``): an unchanged statement holds its nodes at the
    same lines after its start and the same columns, wherever it moved."""

    def __init__(self) -> None:
        self.found: dict[cst.BaseStatement, dict[cst.CSTNode, tuple[CodeRange, str]]] = {}


def _moved(where: CodeRange, lines: int) -> CodeRange:
    return CodeRange(
        CodePosition(where.start.line + lines, where.start.column), CodePosition(where.end.line + lines, where.end.column),
    )


def resolve_positions(
    module: cst.Module, nodes: Collection[cst.CSTNode], source: str | None = None,
    near: Collection[cst.BaseStatement] = (), starts: Mapping[int, tuple[int, int]] | None = None,
    remembered: Remembered | None = None,
) -> Positions:
    """Map each node to its syntactic range in ``source`` (the text ``module`` was parsed
    from; LibCST's own code when not given). Raises ``Misaligned`` when the module's code
    cannot be matched against ``source``.

    ``near``: module-level statements that probably hold the nodes (those being walked when
    they were reported). Each is generated on its own, from the line CPython's parser puts
    it on, so a finding at the end of a long file does not pay for the code before it; the
    nodes found in none of them are looked for from the start of the module. ``starts``:
    the (line, offset) of each module-level statement by ``id``, where the caller knows
    them (``engine.incremental``); otherwise CPython's parser places them. ``remembered``:
    what earlier resolutions found in these statements; read first, and updated."""
    wanted = list({id(n): n for n in nodes}.values())
    ranges: dict[cst.CSTNode, CodeRange] = {}
    code: dict[cst.CSTNode, str] = {}
    if not wanted:
        return Positions(ranges, code)
    left = set(wanted)
    if near and source is not None:
        placed = (
            _statement_starts(module, source, near) if starts is None
            else {s: starts[id(s)] for s in near if id(s) in starts}
        )
        kept: dict[cst.BaseStatement, dict[cst.CSTNode, tuple[CodeRange, str]]] = {}
        for statement, (line, _) in placed.items():
            known = remembered.found.get(statement) if remembered is not None else None
            if known:
                for node in left & known.keys():
                    ranges[node], code[node] = _moved(known[node][0], line), known[node][1]
                left -= known.keys()
                kept[statement] = dict(known)
        # A remembered statement may hold nodes not reported in it before: generated last.
        for statement, (line, offset) in sorted(placed.items(), key=lambda item: item[0] in kept):
            if not left:
                break
            state = _state(module, source, left, line, offset)
            try:
                with suppress(_AllFound):
                    statement._codegen(state)
            except Misaligned:
                continue  # never seen; the nodes are looked for from the start below
            found = _collect(state, left, ranges, code)
            left -= found
            kept.setdefault(statement, {}).update({node: (_moved(ranges[node], -line), code[node]) for node in found})
        if remembered is not None:
            remembered.found = kept
    if left:
        state = _state(module, module.code if source is None else source, left, 1, 0)
        with suppress(_AllFound):
            module._codegen(state)
        _collect(state, left, ranges, code)
    return Positions({n: ranges[n] for n in wanted if n in ranges}, {n: code[n] for n in wanted if n in code})


def _state(module: cst.Module, source: str, targets: set[cst.CSTNode], line: int, offset: int) -> _TargetedState:
    """A generation that starts at ``line`` (column 0), at ``offset`` in ``source``."""
    state = _TargetedState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=cast("BaseMetadataProvider[CodeRange]", _Provider()),  # a stand-in: only its _computed is written
        line=line,
    )
    # Identity, not equality: LibCST nodes compare by identity, and a set of them is cheap.
    state.targets = set(targets)
    state.remaining = len(state.targets)
    state.source = source
    state.cursor = offset
    state.shifted, state.token_spans, state.token_stack = {}, {}, []
    return state


def _collect(
    state: _TargetedState, nodes: Collection[cst.CSTNode], ranges: dict[cst.CSTNode, CodeRange],
    code: dict[cst.CSTNode, str],
) -> set[cst.CSTNode]:
    """Record the range and code of each of ``nodes`` the generation met; return those."""
    computed = cast("_Provider", state.provider)._computed
    found = set()
    for node in nodes:
        where = computed.get(node)
        if where is None:
            continue
        column = state.shifted.get((where.start.line, where.start.column))
        if column is not None:
            where = CodeRange(CodePosition(where.start.line, column), where.end)
        ranges[node] = where
        first, last = state.token_spans[node]
        code[node] = "".join(state.tokens[first:last])
        found.add(node)
    return found


_LINE_BREAK = re.compile(r"\r\n?|\n")  # what LibCST and CPython count as the end of a line
_BLANK_OR_COMMENT = re.compile(r"(?:[ \t\x0c]*(?:#[^\r\n]*)?(?:\r\n?|\n))*")
_NOT_A_TOKEN = frozenset(("", " ", "\t", "\x0c", "\r", "\n", "#", "\\"))


def _statement_starts(
    module: cst.Module, source: str, statements: Collection[cst.BaseStatement],
) -> dict[cst.BaseStatement, tuple[int, int]]:
    """Where each of ``statements`` (module-level) starts in ``source``: the line of its
    first leading blank or comment line, and that line's offset. CPython's parser gives the
    line of each statement's first token; LibCST's statement owns the blank and comment
    lines before it, one line each. Empty when CPython does not parse the source or the two
    parsers count the statements differently."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are not ours to show
            tree = ast.parse(source, "<positions>")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}  # code newer than this Python, say
    wanted = {id(s) for s in statements}
    lines: dict[cst.SimpleStatementLine | cst.BaseCompoundStatement, int] = {}
    index = 0
    for statement in module.body:
        if id(statement) in wanted:
            if index >= len(tree.body):
                return {}
            parsed = tree.body[index]
            decorators = getattr(parsed, "decorator_list", None)
            line = decorators[0].lineno if decorators else parsed.lineno
            lines[statement] = line - len(statement.leading_lines)
        # ``a = 1; b = 2`` is one LibCST statement line and two CPython statements.
        index += len(statement.body) if type(statement) is cst.SimpleStatementLine else 1
    if index != len(tree.body):
        return {}
    line_starts = [0, *(m.end() for m in _LINE_BREAK.finditer(source)), len(source) + 1]
    starts: dict[cst.BaseStatement, tuple[int, int]] = {}
    for owner, line in lines.items():
        first = line + len(owner.leading_lines)  # the line of its first token
        if line < 1 or first >= len(line_starts):
            continue
        # A check that costs nothing: the lines it owns before its first token are blank or
        # comments, and that token starts its line. A statement placed wrongly would still be
        # caught by the matching of its tokens, but only as far as the generation goes.
        owned = source[line_starts[line - 1] : line_starts[first - 1]]
        if _BLANK_OR_COMMENT.fullmatch(owned) and source[line_starts[first - 1] : line_starts[first - 1] + 1] not in _NOT_A_TOKEN:
            starts[owner] = (line, line_starts[line - 1])
    return starts
