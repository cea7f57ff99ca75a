"""Line and column of reported nodes in the source text, computed only as far as needed.

LibCST's ``PositionProvider`` generates code for the whole module, which costs about a
parse again. Findings are rare, so positions are resolved only for files that have some,
and the code generation stops as soon as the last reported node has been emitted.

Positions count in the text the user wrote, not in LibCST's regenerated code. The two
differ where LibCST drops characters: a form feed in a line's indentation, which CPython's
tokenizer also ignores, is not part of any node. Each generated token is therefore matched
against the source as it is emitted; dropped whitespace is stepped over and the columns
after it are shifted, and a token that cannot be matched at all stops the resolution
(``Misaligned``) instead of producing a position that points at the wrong text.
"""

from __future__ import annotations

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


def resolve_positions(module: cst.Module, nodes: Collection[cst.CSTNode], source: str | None = None) -> Positions:
    """Map each node to its syntactic range in ``source`` (the text ``module`` was parsed
    from; LibCST's own code when not given). Raises ``Misaligned`` when the module's code
    cannot be matched against ``source``."""
    wanted = {id(n): n for n in nodes}
    if not wanted:
        return Positions({}, {})
    provider = _Provider()
    state = _TargetedState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=cast("BaseMetadataProvider[CodeRange]", provider),  # a stand-in: only its _computed is written
    )
    # Identity, not equality: LibCST nodes compare by identity, and a set of them is cheap.
    state.targets = set(wanted.values())
    state.remaining = len(state.targets)
    state.source = module.code if source is None else source
    state.shifted, state.token_spans, state.token_stack = {}, {}, []
    with suppress(_AllFound):
        module._codegen(state)
    computed = provider._computed
    ranges, code = {}, {}
    for node in wanted.values():
        where = computed.get(node)
        if where is None:
            continue
        column = state.shifted.get((where.start.line, where.start.column))
        if column is not None:
            where = CodeRange(CodePosition(where.start.line, column), where.end)
        ranges[node] = where
        first, last = state.token_spans[node]
        code[node] = "".join(state.tokens[first:last])
    return Positions(ranges, code)
