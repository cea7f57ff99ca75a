"""Line and column of reported nodes, computed only as far into the file as needed.

LibCST's ``PositionProvider`` generates code for the whole module, which costs about a
parse again. Findings are rare, so positions are resolved only for files that have some,
and the code generation stops as soon as the last reported node has been emitted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager

import libcst as cst
from libcst._position import CodePosition, CodeRange
from libcst.metadata.position_provider import PositionProvidingCodegenState


class _AllFound(Exception):
    pass


class _Provider:
    """Stands in for the metadata provider the codegen state writes into."""

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


class _TargetedState(PositionProvidingCodegenState):
    targets: Collection[cst.CSTNode] = ()
    remaining: int = 0

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = CodePosition(self.line, self.column)
        try:
            yield
        finally:
            # Once every target is found the generation unwinds: record nothing more (the
            # child ranges a parent would read were never computed).
            if self.remaining:
                computed = self.provider._computed
                end = CodePosition(self.line, self.column)
                if start_node is not None:
                    start = computed[start_node].start
                if end_node is not None:
                    end = computed[end_node].end
                computed[node] = CodeRange(start, end)

    def after_codegen(self, node: cst.CSTNode) -> None:
        super().after_codegen(node)
        if node in self.targets:
            self.remaining -= 1
            if self.remaining == 0:
                raise _AllFound


def resolve_positions(module: cst.Module, nodes: Collection[cst.CSTNode]) -> dict[cst.CSTNode, CodeRange]:
    """Map each node to its syntactic range (1-based lines, 0-based code-point columns)."""
    wanted = {id(n): n for n in nodes}
    if not wanted:
        return {}
    provider = _Provider()
    state = _TargetedState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=provider,
    )
    # Identity, not equality: LibCST nodes compare by identity, and a set of them is cheap.
    state.targets = set(wanted.values())
    state.remaining = len(state.targets)
    try:
        module._codegen(state)
    except _AllFound:
        pass
    computed = provider._computed
    return {n: computed[n] for n in wanted.values() if n in computed}
