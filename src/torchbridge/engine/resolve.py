"""Resolving a rule's fix (edits anchored on nodes) to text edits, once positions are known.

Only files with findings get here: the engine resolves positions for the reported nodes and
their fixes' anchors, then each ``FixSpec`` becomes a ``Fix`` whose edits are offsets in the
source, with the verifier's probe as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import libcst as cst
from libcst._position import CodeRange

from ..diagnostics.fix import (
    INDENT,
    Anchor,
    Edit,
    Fix,
    FixSpec,
    Probe,
    ProbeText,
    TextIndex,
)
from .positions import Positions

_LONE_LF = re.compile(r"(?<!\r)\n")


def resolve(spec: FixSpec, positions: Positions, index: TextIndex) -> Fix | None:
    """The fix's edits as text; None when a node's position is unknown (it never should be)."""
    edits = []
    for edit in spec.edits:
        start = _offset(edit.start, positions, index)
        end = _offset(edit.end, positions, index)
        if start is None or end is None or end < start:
            return None
        expects = tuple(_occupied(node, positions, index) for node in dict.fromkeys((edit.start.node, edit.end.node)))
        # A "\n" the rule wrote becomes the file's newline; a line end copied with the user's
        # code (``code_for_node`` of a node with a backslash continuation in a CRLF file) stays.
        content = _LONE_LF.sub(index.newline, edit.content) if index.newline != "\n" else edit.content
        if INDENT in content:
            line_start = index.offset(index.position(start)[0], 0)
            indentation = index.text[line_start:start] if index.text is not None else ""
            if indentation.strip():
                return None  # the statement does not start its line (``x = 1; for ...``)
            content = content.replace(INDENT, indentation)
        if edit.start.side == "next-line" and start == index.length and not index.ends_with_newline:
            # After the last line of a file without a final newline: start a line, add none.
            content = index.newline + content[: -len(index.newline)]
        line, column = index.position(start)
        end_line, end_column = index.position(end)
        edits.append(Edit(start, end, content, line, column, end_line, end_column, expects=expects))
    probe = _probe_text(spec.probe, edits, positions, index) if spec.probe is not None else None
    return Fix(spec.title or spec.entry.title, spec.entry, tuple(edits), probe)


def _probe_text(probe: Probe, edits: list[Edit], positions: Mapping[cst.CSTNode, CodeRange], index: TextIndex) -> ProbeText | None:
    """The subject's text before and after the edits inside it, holes named ``_in0``..."""
    span = _span(probe.subject, positions, index)
    holes = [found for h in probe.holes if (found := _span(h.node, positions, index)) is not None]
    prelude = [found for n in probe.prelude if (found := _span(n, positions, index)) is not None]
    if span is None or len(holes) < len(probe.holes) or len(prelude) < len(probe.prelude) or index.text is None:
        return None  # a node without a position (it never should be)
    start, end = span
    inside = [e for e in edits if start <= e.start and e.end <= end]
    outside = [e for e in edits if not (start <= e.start and e.end <= end)]
    named = [(f"_in{i}", s, e) for i, (s, e) in enumerate(holes)]
    for edit in inside:
        if any(s < edit.end and edit.start < e for _, s, e in named):
            return None  # an edit inside a hole: the hole cannot stand for it
    pieces = [*((s, e, name) for name, s, e in named), *((e.start, e.end, e.content) for e in inside)]
    original = _splice(index.text, start, end, [(s, e, name) for name, s, e in named])
    fixed = _splice(index.text, start, end, pieces)
    text = index.text
    inserted = tuple(e.content.strip() for e in outside if e.start == e.end and e.content.strip())
    names = dict(probe.names)
    statements = []
    for line in inserted:
        alias = _imported_alias(line)
        if alias is not None:
            names.setdefault(*alias)
        else:
            statements.append(line)
    return ProbeText(
        original=original, fixed=fixed,
        holes=tuple((name, h.role, tuple(sorted(h.facts.items()))) for (name, _, _), h in zip(named, probe.holes)),
        use=probe.use,
        prelude=tuple(text[s:e] for s, e in prelude),
        fixed_prelude=tuple(statements),
        names=tuple(sorted(names.items())),
        hole_sources=tuple(h.node.value if type(h.node) is cst.Name else "" for h in probe.holes),
    )


def _span(node: cst.CSTNode, positions: Mapping[cst.CSTNode, CodeRange], index: TextIndex) -> tuple[int, int] | None:
    where = positions.get(node)
    if where is None:
        return None
    return index.offset(where.start.line, where.start.column), index.offset(where.end.line, where.end.column)


def _occupied(node: cst.CSTNode, positions: Positions, index: TextIndex) -> tuple[int, int, str]:
    """Where ``node`` lies in the text and the code it must hold there."""
    where = positions[node]
    start = index.offset(where.start.line, where.start.column)
    return start, index.offset(where.end.line, where.end.column), positions.code[node]


def _splice(text: str, start: int, end: int, pieces: list[tuple[int, int, str]]) -> str:
    out, cursor = [], start
    for s, e, content in sorted(pieces, key=lambda p: (p[0], p[1])):
        out.append(text[cursor:s])
        out.append(content)
        cursor = e
    out.append(text[cursor:end])
    return "".join(out)


def _imported_alias(line: str) -> tuple[str, str] | None:
    """``import numpy as np`` -> ("np", "numpy"); ``import torch`` -> ("torch", "torch")."""
    words = line.split()
    if len(words) == 2 and words[0] == "import":
        return words[1].split(".")[0], words[1].split(".")[0]
    if len(words) == 4 and words[0] == "import" and words[2] == "as":
        return words[3], words[1]
    return None


def _offset(anchor: Anchor, positions: Mapping[cst.CSTNode, CodeRange], index: TextIndex) -> int | None:
    where = positions.get(anchor.node)
    if where is None:
        return None
    if anchor.side == "start":
        return index.offset(where.start.line, where.start.column)
    if anchor.side == "end":
        return index.offset(where.end.line, where.end.column)
    return index.offset(where.end.line + 1, 0)
