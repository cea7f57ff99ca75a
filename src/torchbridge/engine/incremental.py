"""Parse an edited text by re-parsing only the module-level statements the edit touched.

The language server checks a document after every edit, and LibCST's parse of a 2,000-line
file costs more than the whole latency budget. An edit usually changes one statement, so
``reparse`` keeps the trees of the module-level statements whose text did not change, parses
the changed stretch of text (a *chunk*) on its own, and assembles the ``Module``. The result
must be identical to ``cst.parse_module(text)`` (equal code, ``deep_equals``); where this
module cannot show that it would be, it parses the whole text instead.

Why a chunk parses alone as it parses in context. A LibCST tree has no positions, so a
statement's tree depends only on its own text and on three things around it:

- **who owns the lines between statements.** Blank and comment lines before a statement
  belong to it, except that an indented block takes every line up to its last comment that
  is indented (a column-0 comment in between included), and the module's header takes every
  line before the first statement, its footer every line after the last. A chunk therefore
  only starts or ends at a *clean* boundary: one where the lines before the next statement's
  first token are empty or column-0 comments, which no block can take. A chunk holding the
  first (last) statement reaches the start (end) of the text, so header and footer are
  parsed with it.
- **the module's defaults.** LibCST stores a block's indentation and a line's newline only
  where they differ from the module's ``default_indent`` (the first block's) and
  ``default_newline`` (the first line's). The chunk is parsed after a prologue that sets
  both to the module's (``if 1:`` with a block, then ``pass``, so that the chunk follows a
  simple statement), and the defaults of the assembled module are worked out again; where
  they differ from those the reused trees were parsed with, the whole text is parsed.
- **what follows.** After the chunk comes ``pass`` (an epilogue), as a statement follows it
  in context. The epilogue must own no line: a line left to it belongs to the statement
  after the chunk, which is then re-parsed too.

Finally the code of the re-parsed statements must be exactly the chunk's text. Whatever
fails (a syntax error in the chunk, a text without a final newline, a check above) falls
back to a full parse, which raises the syntax error where there is one.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import libcst as cst
from libcst._nodes.internal import CodegenState

from ..model.memo import SubtreeMemo
from .parse import parse_module
from .positions import Remembered

if TYPE_CHECKING:
    from .incremental_prescan import Prescanned

_LINE_BREAK = re.compile(r"\r\n?|\n")  # LibCST's and CPython's ends of lines
# The lines a clean boundary may hold before a statement's first token: empty ones and
# comments starting in column 0. Whitespace-only or indented lines may belong to a block.
_CLEAN_LINES = re.compile(r"(?:(?:#[^\r\n]*)?(?:\r\n?|\n))*")
_NOT_CODE = frozenset(" \t\x0c\r\n#\\")
# Where LibCST nests the blocks of a compound statement, in the order they appear.
_HOLDS_BLOCKS = (
    cst.BaseCompoundStatement, cst.BaseSuite, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally,
    cst.MatchCase,
)
_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


@dataclass(frozen=True)
class Parsed:
    """A text, its module, and where each module-level statement's code starts in the text.

    ``starts[k]``: the offset of statement ``k`` (its leading blank and comment lines
    included); ``starts[-1]``: where the footer starts. ``lines[k]``: the 1-based line of
    ``starts[k]``. Both are empty when the text cannot be re-parsed in parts."""

    text: str
    module: cst.Module
    starts: tuple[int, ...] = ()
    lines: tuple[int, ...] = ()
    # The positions found in its statements, which the parses after it share (``reparse``).
    positions: Remembered = field(default_factory=Remembered, compare=False, repr=False)
    # Where the statements of a function's or class's body start, from the start of the
    # function or class, for those edited inside before (``_reparse_inside``).
    inner: dict[cst.BaseStatement, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)
    # What the checks of its statements computed that a later check may take (``model.memo``),
    # shared like ``positions`` by the parses after it.
    memo: SubtreeMemo = field(default_factory=SubtreeMemo, compare=False, repr=False)
    # How the pre-scan passed its text, for the next text's scan to start from
    # (``engine.incremental_prescan``); set by the server's check, None elsewhere.
    scanned: Prescanned | None = field(default=None, compare=False, repr=False)

    @property
    def incremental(self) -> bool:
        return bool(self.starts)

    def statement_starts(self) -> dict[int, tuple[int, int]]:
        """(line, offset) of each module-level statement, by ``id`` of its node."""
        return {id(s): (self.lines[k], self.starts[k]) for k, s in enumerate(self.module.body)} if self.starts else {}


@dataclass(frozen=True)
class Outcome:
    """What ``reparse`` did: ``full`` (no usable previous parse), ``same`` (unchanged text),
    ``partial`` (``reparsed`` statements parsed of ``statements``), or ``fallback`` (the
    checks sent it to a full parse; ``reason`` says which)."""

    kind: str
    statements: int = 0
    reparsed: int = 0
    reason: str = ""


def parse(text: str) -> Parsed:
    """A full parse (raises ``cst.ParserSyntaxError``), with the offsets that let the next
    edit be re-parsed in parts."""
    module = parse_module(text)
    return Parsed(text, module, *offsets(module, text))


def reparse(previous: Parsed | None, text: str) -> tuple[Parsed, Outcome]:
    """``text`` parsed, reusing the trees of ``previous``'s statements that the edit from
    ``previous.text`` left alone. Raises ``cst.ParserSyntaxError`` as ``cst.parse_module``
    does."""
    if previous is None:
        return parse(text), Outcome("full")
    if not previous.incremental:
        return replace(parse(text), memo=previous.memo), Outcome("full")
    if previous.text == text:
        return previous, Outcome("same", len(previous.module.body))
    try:
        result = _reparse(previous, text)
    except cst.ParserSyntaxError:
        result = "the changed statements do not parse alone"
    if isinstance(result, str):
        return replace(parse(text), memo=previous.memo), Outcome("fallback", reason=result)
    parsed, reparsed = result
    return parsed, Outcome("partial", len(parsed.module.body), reparsed)


def offsets(module: cst.Module, text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``Parsed.starts`` and ``Parsed.lines`` of ``module``, parsed from ``text``: where each
    statement starts, from the code LibCST generates for it. Nothing when that code does not
    add up to the text: a text without a final newline (LibCST adds one), a form feed that
    starts a line (LibCST drops it)."""
    if not module.body or not module.has_trailing_newline:
        return (), ()
    header = "".join(module.code_for_node(line) for line in module.header)
    footer = "".join(module.code_for_node(line) for line in module.footer)
    codes = [module.code_for_node(statement) for statement in module.body]
    if header + "".join(codes) + footer != text:
        return (), ()
    offset = len(header)
    starts, lines = [offset], [1 + _line_breaks(text, 0, offset)]
    for code in codes:
        offset += len(code)
        starts.append(offset)
        lines.append(lines[-1] + len(_LINE_BREAK.findall(code)))
    return tuple(starts), tuple(lines)


def _line_breaks(text: str, start: int, end: int) -> int:
    return len(_LINE_BREAK.findall(text, start, end))


def _reparse(previous: Parsed, text: str) -> tuple[Parsed, int] | str:
    """The assembled parse and the number of statements parsed, or why it cannot be done."""
    old, module, starts = previous.text, previous.module, previous.starts
    if not text.endswith(("\n", "\r")):
        return "no final newline"
    prefix = common_prefix(old, text)
    suffix = common_suffix(old, text, min(len(old), len(text)) - prefix)
    old_end, delta = len(old) - suffix, len(text) - len(old)
    count = len(module.body)
    # Every statement the changed stretch touches, a statement ending or starting right at
    # its edge included (typing at the end of one statement's line is typing before the next).
    first = max(0, bisect_left(starts, prefix) - 1)
    last = min(count - 1, max(0, bisect_right(starts, old_end) - 1))
    first = min(first, last)
    if first == last and 0 < first < count - 1:
        inside = _reparse_inside(previous, text, first, prefix, old_end, delta)
        if inside is not None:
            return inside
    while True:
        # The chunk starts at a clean boundary, and the statement after it at another.
        while first > 0 and not _clean(text, starts[first], len(text) if last == count - 1 else starts[last + 1] + delta):
            first -= 1
        while last < count - 1 and not _clean(old, starts[last + 1], starts[last + 2]):
            last += 1
        if first == 0 and last == count - 1:
            return "the edit reaches every statement"
        assembled = _assemble(previous, text, first, last, delta)
        if isinstance(assembled, int):
            last = assembled  # the statement after the chunk owns some of its lines: parse it too
            continue
        return assembled


def _assemble(previous: Parsed, text: str, first: int, last: int, delta: int) -> tuple[Parsed, int] | int | str:
    """Parse statements ``first``..``last`` of ``previous`` as they read in ``text`` and
    assemble the module; or the new ``last`` when the chunk must grow; or why it cannot."""
    module, starts = previous.module, previous.starts
    count = len(module.body)
    at_start, at_end = first == 0, last == count - 1
    begin = 0 if at_start else starts[first]
    end = len(text) if at_end else starts[last + 1] + delta
    chunk = text[begin:end]
    newline, indent = module.default_newline, module.default_indent
    prologue = "" if at_start else f"if 1:{newline}{indent}pass{newline}pass{newline}"
    epilogue = "" if at_end else f"pass{newline}"
    parsed = parse_module(prologue + chunk + epilogue)
    body = list(parsed.body)
    if not at_start:
        if len(body) < 2 or parsed.code_for_node(body[0]) + parsed.code_for_node(body[1]) != prologue:
            return "the prologue took lines of the chunk"
        body = body[2:]
    if not at_end:
        if not body or not _is_pass(body[-1]):
            return "the epilogue was not parsed as a statement of its own"
        if body[-1].leading_lines:
            return last + 1
        body = body[:-1]
    if not body:
        return "no statement left in the chunk"
    # The defaults of the assembled module, and those its statements were parsed with.
    if parsed.default_newline != newline or parsed.encoding != module.encoding:
        return "the chunk's first line ends differently"
    default = _default_indent(previous, first, last, body, parsed.default_indent)
    if default != indent or (_first_indent(body, parsed.default_indent) is not None and parsed.default_indent != indent):
        return "the first indented block changed its indentation"
    codes = [parsed.code_for_node(statement) for statement in body]
    header = "".join(parsed.code_for_node(line) for line in parsed.header) if at_start else ""
    footer = "".join(parsed.code_for_node(line) for line in parsed.footer) if at_end else ""
    if header + "".join(codes) + footer != chunk:
        return "the chunk's code differs from its text"
    if at_end and not parsed.has_trailing_newline:
        return "LibCST reads no final newline (a comment ending in a backslash)"  # as ``offsets`` refuses
    assembled = cst.Module(
        body=[*module.body[:first], *body, *module.body[last + 1 :]],
        header=parsed.header if at_start else module.header,
        footer=parsed.footer if at_end else module.footer,
        encoding=module.encoding,
        default_indent=indent,
        default_newline=newline,
        has_trailing_newline=parsed.has_trailing_newline if at_end else module.has_trailing_newline,
    )
    new_starts, new_lines = list(starts[:first]), list(previous.lines[:first])
    offset = begin + len(header)
    line = 1 + _line_breaks(header, 0, len(header)) if at_start else previous.lines[first]
    for code in codes:
        new_starts.append(offset)
        new_lines.append(line)
        offset += len(code)
        line += _line_breaks(code, 0, len(code))
    if at_end:  # where the footer starts
        new_starts.append(offset)
        new_lines.append(line)
    else:  # the statements after the chunk, and the footer, moved by the edit
        shift = line - previous.lines[last + 1]
        new_starts.extend(start + delta for start in starts[last + 1 :])
        new_lines.extend(number + shift for number in previous.lines[last + 1 :])
    kept = previous.inner.keys() - set(module.body[first : last + 1])
    inner = {statement: previous.inner[statement] for statement in kept}
    return Parsed(text, assembled, tuple(new_starts), tuple(new_lines), previous.positions, inner, previous.memo), len(body)


def _reparse_inside(
    previous: Parsed, text: str, k: int, prefix: int, old_end: int, delta: int,
) -> tuple[Parsed, int] | None:
    """When the edit lies among the statements of the body of module-level function or
    class ``k``, parse only those it touched, the same way as at module level: between
    clean boundaries (empty lines or comments at the body's indentation), after a prologue
    that opens a block of the same indentation under the module's defaults, before an
    epilogue at that indentation that must own no line. None where this does not apply;
    the caller then re-parses the whole function or class."""
    module, starts = previous.module, previous.starts
    outer = module.body[k]
    if not (type(outer) is cst.FunctionDef or type(outer) is cst.ClassDef) or type(outer.body) is not cst.IndentedBlock:
        return None
    inner = previous.inner.get(outer) or _inner_starts(module, outer, previous.text[starts[k] : starts[k + 1]])
    if inner is None:
        return None
    statements = outer.body.body
    count = len(statements)
    base = starts[k]
    low, high = prefix - base, old_end - base
    if low < inner[0] or high >= inner[-1]:
        return None  # the edit touches the header, the block's footer, or what follows it
    first = max(0, bisect_left(inner, low) - 1)
    last = bisect_right(inner, high) - 1
    newline, indent = module.default_newline, module.default_indent
    block = outer.body.indent if outer.body.indent is not None else indent
    clean = re.compile(rf"(?:(?:{re.escape(block)}#[^\r\n]*)?(?:\r\n?|\n))*{re.escape(block)}[^ \t\x0c\r\n#\\]")
    old = previous.text
    while True:
        while first > 0 and not clean.match(text, base + inner[first]):
            first -= 1
        while last < count - 1 and not clean.match(old, base + inner[last + 1]):
            last += 1
        if last >= count - 1 or not clean.match(text, base + inner[first]):
            return None  # no statement of the body after the chunk, or no clean start
        begin, end = base + inner[first], base + inner[last + 1] + delta
        chunk = text[begin:end]
        # ``async def`` where the function is: ``await`` and ``async for`` read the same in both.
        opener = "async def" if type(outer) is cst.FunctionDef and outer.asynchronous is not None else "def"
        head = f"if 1:{newline}{indent}pass{newline}{opener} _():{newline}{block}pass{newline}"
        wrapper = parse_module(head + chunk + f"{block}pass{newline}")
        if wrapper.default_newline != newline or wrapper.default_indent != indent or len(wrapper.body) != 2:
            return None
        function = wrapper.body[1]
        if type(function) is not cst.FunctionDef or type(function.body) is not cst.IndentedBlock:
            return None
        body = [statement for statement in function.body.body if isinstance(statement, _STATEMENTS)]
        if len(body) != len(function.body.body) or function.body.indent != outer.body.indent or len(body) < 3 or not _is_pass(body[0]) or not _is_pass(body[-1]):
            return None
        if body[0].leading_lines or body[-1].leading_lines:
            if body[-1].leading_lines:
                last += 1  # the statement after the chunk owns some of its lines: parse it too
                continue
            return None
        new = body[1:-1]
        marks = _inner_starts(wrapper, function, wrapper.code_for_node(function))
        if marks is None or wrapper.code_for_node(function)[marks[1] : marks[-2]] != chunk:
            return None
        break
    replaced = outer.with_changes(body=outer.body.with_changes(body=[*statements[:first], *new, *statements[last + 1 :]]))
    assembled = module.with_changes(body=[*module.body[:k], replaced, *module.body[k + 1 :]])
    shift = _line_breaks(chunk, 0, len(chunk)) - _line_breaks(old, begin, base + inner[last + 1])
    new_inner = [*inner[:first], *(inner[first] + mark - marks[1] for mark in marks[1:-2])]
    new_inner += [start + delta for start in inner[last + 1 :]]
    positions = {**previous.inner}
    positions.pop(outer, None)
    positions[replaced] = tuple(new_inner)
    parsed = Parsed(
        text, assembled, (*starts[: k + 1], *(start + delta for start in starts[k + 1 :])),
        (*previous.lines[: k + 1], *(line + shift for line in previous.lines[k + 1 :])), previous.positions, positions,
        previous.memo,
    )
    return parsed, len(new)


class _Marking(CodegenState):
    """A code generation that notes the token where each of ``marked`` starts."""

    def __init__(self, module: cst.Module, marked: Sequence[cst.CSTNode]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.marked = {id(node) for node in marked}
        self.marks: list[int] = []

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.marked:
            self.marks.append(len(self.tokens))


def _inner_starts(module: cst.Module, outer: cst.FunctionDef | cst.ClassDef, text: str) -> tuple[int, ...] | None:
    """Where each statement of ``outer``'s body starts in ``text`` (its code in ``module``,
    from its first leading line), and where the body's last statement ends; None when the
    code is not ``text``."""
    assert type(outer.body) is cst.IndentedBlock
    statements = outer.body.body
    if not statements:
        return None
    state = _Marking(module, statements)
    outer._codegen(state)
    if len(state.marks) != len(statements):
        return None
    # The last statement ends where the block's footer starts: its tokens come last.
    footer = "".join(module.code_for_node(line) for line in outer.body.footer)
    lengths = [0]
    for token in state.tokens:
        lengths.append(lengths[-1] + len(token))
    code = "".join(state.tokens)
    if code != text or not code.endswith(footer):
        return None
    return (*(lengths[mark] for mark in state.marks), len(code) - len(footer))


def _clean(text: str, start: int, end: int) -> bool:
    """Whether the lines from ``start`` up to the first token are clean (empty or column-0
    comments) and that token starts its line; a stretch with no token up to ``end`` is clean
    when all its lines are."""
    match = _CLEAN_LINES.match(text, start, end)
    assert match is not None  # the pattern matches the empty string
    stop = match.end()
    return stop >= end or text[stop] not in _NOT_CODE


def _is_pass(statement: cst.BaseStatement) -> bool:
    return (
        type(statement) is cst.SimpleStatementLine
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Pass)
    )


def _default_indent(previous: Parsed, first: int, last: int, body: Sequence[cst.BaseStatement], chunk_indent: str) -> str:
    """The assembled module's ``default_indent``: that of its first indented block, looked
    for in the reused statements before the chunk, the chunk, then those after it."""
    module = previous.module
    for statements, indent in (
        (module.body[:first], module.default_indent),
        (body, chunk_indent),
        (module.body[last + 1 :], module.default_indent),
    ):
        found = _first_indent(statements, indent)
        if found is not None:
            return found
    return cst.Module(body=[]).default_indent


def _first_indent(statements: Sequence[cst.BaseStatement], default: str) -> str | None:
    """The indentation of the first indented block in ``statements`` (``default`` where the
    block stores none), or None when they have no block."""
    for statement in statements:
        if type(statement) is cst.SimpleStatementLine:
            continue
        block = _first_block(statement)
        if block is not None:
            return block.indent if block.indent is not None else default
    return None


def _first_block(node: cst.CSTNode) -> cst.IndentedBlock | None:
    if type(node) is cst.IndentedBlock:
        return node
    for child in node.children:
        if isinstance(child, _HOLDS_BLOCKS):
            block = _first_block(child)
            if block is not None:
                return block
    return None


def common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix, by halving (each comparison is a C memcmp)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def common_suffix(a: str, b: str, limit: int) -> int:
    """The length of the longest common suffix, at most ``limit``."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low
