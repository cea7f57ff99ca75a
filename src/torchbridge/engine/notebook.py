"""Jupyter notebooks: the code cells in, as one module; fixed cells back out.

A notebook is checked as one module, its code cells in order, because a name imported or
assigned in one cell is used in the next. Cells are joined with a marker comment line, so
that every module line belongs to one cell and a fixed module splits back into its cells.
IPython syntax is masked, never parsed: a line magic (``%time f()``), a shell line
(``!pip ...``, ``x = !ls``) or a help line (``x?``) becomes a placeholder line (a comment,
or ``pass`` inside a block), so every other line and column keeps its place; the leading
line of a cell magic that runs its body as Python (``%%time``) is kept out of the module;
a cell of any other cell magic (``%%bash``, ``%%writefile``) is left out like a markdown
cell.

Cells are numbered as Jupyter lists them: the 1-based index among all cells, markdown
included. Writing back touches only the ``source`` of cells whose text changed, and within
a source list only the lines that changed: every other byte of the file (layout, key
order, outputs, metadata, escaping) stays as it was.
"""

from __future__ import annotations

import bisect
import codecs
import dataclasses
import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]  # public in json.decoder, missing from typeshed

from ..diagnostics.finding import DECODE_ERROR, Finding, diagnostic
from .source import python_lines

NOTEBOOK_SUFFIX = ".ipynb"

# Not a comment any tool reads (not ``# noqa``, not ``# torchbridge: noqa``), and unlikely
# to be a line of anyone's cell; if it is, a fix is refused rather than misplaced.
CELL_BREAK = "# ---- torchbridge: next cell ----"
# A masked line at the top level is a comment, so that ``%matplotlib inline`` above the
# imports does not end the import block fixes insert after; inside a block it is a ``pass``
# statement, since it may be the block's only statement.
MASK = "# torchbridge: IPython syntax"
_MASKS = (MASK, "pass  " + MASK)

# Cell magics that run their body as Python in the kernel: the body is checked.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# ``x = !ls``, ``a, b = %sx ls``: IPython assigns the output of a shell line or magic.
_ASSIGNED_ESCAPE = re.compile(r"\s*[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[!%]")
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class NotebookError(Exception):
    """Not a notebook this tool can read; the message says why."""


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based index among all cells, as Jupyter shows them
    text: str  # the source, joined
    span: tuple[int, int]  # where the ``source`` value lies in the JSON text
    items: tuple[tuple[int, int], ...] | None  # each line's span when ``source`` is a list; None for a string
    magic: str = ""  # the leading cell-magic line kept out of the module (``%%time\n``)

    @property
    def body(self) -> str:
        return self.text[len(self.magic):]


@dataclass(frozen=True)
class Notebook:
    raw: str  # the JSON text (no BOM)
    bom: bool
    cells: tuple[Cell, ...]  # the Python code cells, in order

    def encode(self, text: str) -> bytes:
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode("utf-8")


def is_notebook(filename: str) -> bool:
    return filename.endswith(NOTEBOOK_SUFFIX)


def read_notebook(data: bytes) -> Notebook | None:
    """The notebook's Python cells; None for a notebook in another language (an R or Julia
    kernel), which is skipped like any file that is not Python. Raises NotebookError."""
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        raw = data[len(codecs.BOM_UTF8):].decode("utf-8") if bom else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not UTF-8: {exc}") from None
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"invalid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise NotebookError("invalid notebook: JSON nested too deeply") from None
    if not isinstance(document, dict):
        raise NotebookError("invalid notebook: the JSON is not an object")
    if "worksheets" in document and "cells" not in document:
        raise NotebookError("nbformat 3 is not supported; convert with 'jupyter nbconvert --to notebook --nbformat 4'")
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise NotebookError("invalid notebook: no 'cells' list")
    if not _is_python(document.get("metadata")):
        return None
    cell_spans = _elements(raw, _members(raw, _start(raw))["cells"][0])
    found = []
    for number, (cell, (cell_start, _)) in enumerate(zip(cells, cell_spans), start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"invalid notebook: cell {number} is not an object")
        kind = cell.get("cell_type")
        if not isinstance(kind, str):
            # nbformat requires it: a cell without one cannot be told from code, and
            # skipping it would pass a notebook whose code was never read.
            raise NotebookError(f"invalid notebook: cell {number} has no 'cell_type'")
        if kind != "code":
            continue
        source = cell.get("source")
        if isinstance(source, str):
            text, items = source, None
        elif isinstance(source, list) and all(isinstance(line, str) for line in source):
            text = "".join(source)
            items = None
        else:
            raise NotebookError(f"invalid notebook: cell {number}'s 'source' is neither a string nor a list of strings")
        span = _members(raw, cell_start)["source"]
        if isinstance(source, list):
            items = tuple(_elements(raw, span[0]))
        code = python_cell(number, text, span, items)
        if code is not None:
            found.append(code)
    return Notebook(raw, bom, tuple(found))


def python_cell(
    number: int, text: str, span: tuple[int, int] = (0, 0), items: tuple[tuple[int, int], ...] | None = None,
) -> Cell | None:
    """A code cell as the module takes it; None for a cell of a cell magic that is not
    Python (``%%bash``, ``%%writefile``, ``%%html``...). The language server builds its
    notebooks' cells here too, from the editor's cell texts (no JSON: no span)."""
    magic = _cell_magic(text)
    if magic is not None and _magic_name(magic) not in PYTHON_CELL_MAGICS:
        return None
    return Cell(number, text, span, items, magic or "")


def cell_sources(data: bytes) -> dict[int, str]:
    """Each Python cell's text by its number, for output formats that show source lines;
    empty for a notebook that cannot be read."""
    try:
        notebook = read_notebook(data)
    except NotebookError:
        return {}
    return {cell.number: cell.text for cell in notebook.cells} if notebook is not None else {}


def _is_python(metadata: object) -> bool:
    """What the kernel says (``language_info``, then ``kernelspec``); no word means Python."""
    if not isinstance(metadata, dict):
        return True
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        section = metadata.get(key)
        if isinstance(section, dict) and isinstance(section.get(field), str):
            return section[field].strip().lower() == "python"
    return True


def _cell_magic(text: str) -> str | None:
    """The first line when it is a cell magic (``%%time``), with its line ending."""
    if not text.startswith("%%"):
        return None
    lines = python_lines(text)
    return lines[0] if lines else None


def _magic_name(line: str) -> str:
    return line[2:].split(None, 1)[0] if line[2:].strip() else ""


# --------------------------------------------------------------------------- the module


@dataclass(frozen=True)
class NotebookModule:
    """The Python cells as one module, and the original lines each cell's placeholders stand for."""

    notebook: Notebook
    text: str
    masked: tuple[tuple[str, ...], ...]  # per cell, the masked lines in order


def to_module(notebook: Notebook) -> NotebookModule:
    parts: list[str] = []
    masked = []
    for index, cell in enumerate(notebook.cells):
        if index:
            parts.append(CELL_BREAK + "\n")
        lines, hidden = _mask(python_lines(cell.body))
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += "\n"
        parts.extend(lines)
        masked.append(tuple(hidden))
    return NotebookModule(notebook, "".join(parts), tuple(masked))


def _mask(lines: list[str]) -> tuple[list[str], list[str]]:
    """The lines with IPython syntax replaced by placeholders, and the lines replaced."""
    out, hidden = [], []
    scanner = _LineScanner()
    continued_escape = False
    indent = ""
    for line in lines:
        at_start = scanner.at_statement_start()
        code = line[: scanner.code_end(line)] if at_start or continued_escape else ""
        if continued_escape or (at_start and _is_escape(code)):
            if not continued_escape:  # a continuation line takes the indentation of its first line
                indent = line[: len(line) - len(line.lstrip(" \t"))]
            ending = line[len(line.rstrip("\r\n")):]
            out.append(indent + ("pass  " if indent else "") + MASK + ending)
            hidden.append(line)
            continued_escape = code.rstrip().endswith("\\")
            if not continued_escape:
                scanner.reset()
            continue
        scanner.feed(line)
        out.append(line)
    return out, hidden


def _is_escape(code: str) -> bool:
    stripped = code.strip()
    if not stripped:
        return False
    return (
        stripped[0] in "%!?"
        or stripped.endswith("?")
        or _ASSIGNED_ESCAPE.match(code) is not None
    )


class _LineScanner:
    """Just enough of Python's tokenizer to know whether a line starts a statement: open
    brackets, open strings and backslash continuations carry a statement over lines."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.depth = 0
        self.quote: str | None = None
        self.backslash = False

    def at_statement_start(self) -> bool:
        return not (self.depth or self.quote or self.backslash)

    def code_end(self, line: str) -> int:
        """Where the line's comment starts (its length when it has none), from a statement start."""
        saved = (self.depth, self.quote, self.backslash)
        end = self.feed(line)
        self.depth, self.quote, self.backslash = saved
        return end

    def feed(self, line: str) -> int:
        i, n = 0, len(line)
        comment = n
        while i < n:
            char = line[i]
            if self.quote is not None:
                if char == "\\":
                    i += 2
                elif line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                else:
                    i += 1
                continue
            if char == "#":
                comment = i
                break
            if char in "'\"":
                self.quote = char * 3 if line.startswith(char * 3, i) else char
                i += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        content = line.rstrip("\r\n")
        self.backslash = comment == n and content.endswith("\\") and self.quote is None
        if self.quote is not None and len(self.quote) == 1 and not content.endswith("\\"):
            self.quote = None  # an unterminated string ends with its line
        return comment


class Locator:
    """Module lines to (cell number, line within the cell), for one module text (the
    original or a fixed one: the cell breaks say where each cell starts)."""

    def __init__(self, module: NotebookModule, text: str) -> None:
        self.cells = module.notebook.cells
        self.starts = [1]
        for number, line in enumerate(python_lines(text), start=1):
            if line.rstrip("\r\n") == CELL_BREAK:
                self.starts.append(number + 1)

    def locate(self, line: int) -> tuple[int, int]:
        index = max(0, min(bisect.bisect_right(self.starts, line) - 1, len(self.cells) - 1))
        cell = self.cells[index] if self.cells else None
        if cell is None:
            return 1, line
        offset = 1 if cell.magic else 0
        return cell.number, max(1, line - self.starts[index] + 1 + offset)

    def line_name(self, line: int) -> str:
        """How a message names a module line: ``3 of cell 2``."""
        cell, within = self.locate(line)
        return f"{within} of cell {cell}"

    def finding(self, finding: Finding) -> Finding:
        cell, line = self.locate(finding.line)
        _, end_line = self.locate(finding.end_line)
        fix = finding.fix
        if fix is not None:
            fix = dataclasses.replace(fix, edits=tuple(self._edit(edit) for edit in fix.edits))
        return dataclasses.replace(finding, line=line, end_line=max(end_line, line), cell=cell, fix=fix)

    def _edit(self, edit):
        cell, line = self.locate(edit.line)
        _, end_line = self.locate(edit.end_line)
        return dataclasses.replace(edit, line=line, end_line=end_line, cell=cell)


# --------------------------------------------------------------------------- checking


def lint_notebook(data: bytes, filename: str, lint: Callable[[str, Callable[[int], str]], list[Finding]]) -> list[Finding]:
    """``lint(text, line_names)`` (the engine, on the module) on the notebook, findings in cell positions."""
    try:
        notebook = read_notebook(data)
    except NotebookError as exc:
        return [diagnostic(filename, DECODE_ERROR, f"cannot read the notebook: {exc}")]
    if notebook is None or not notebook.cells:
        return []
    module = to_module(notebook)
    locator = Locator(module, module.text)
    return [locator.finding(f) for f in lint(module.text, locator.line_name)]


# --------------------------------------------------------------------------- writing back


def from_module(module: NotebookModule, fixed: str) -> str:
    """The notebook's JSON text with the cells of ``fixed`` (a fixed module) written back.
    Raises NotebookError when the fix moved a cell break or a masked line."""
    raw = module.notebook.raw
    out, cursor = [], 0
    for cell, text in cell_texts(module, fixed):
        if text != cell.text:
            start, end = cell.span
            out += [raw[cursor:start], _source_json(raw, cell, text)]
            cursor = end
    out.append(raw[cursor:])
    return "".join(out)


def cell_texts(module: NotebookModule, fixed: str) -> list[tuple[Cell, str]]:
    """Each Python cell and its text in ``fixed``, IPython syntax restored. Raises
    NotebookError when the fix moved a cell break or a masked line."""
    chunks = _split_cells(fixed)
    if len(chunks) != len(module.notebook.cells):
        raise NotebookError("a fix would move code across a cell boundary")
    out = []
    for cell, chunk, hidden in zip(module.notebook.cells, chunks, module.masked):
        body = _unmask(chunk, hidden, cell.number)
        if body and cell.magic and not cell.magic.endswith(("\n", "\r")):
            body = "\n" + body  # a cell that held only its magic line
        text = cell.magic + body
        if not cell.body.endswith(("\n", "\r")) and text.endswith("\n"):
            text = text[:-1]  # the newline the module gave the cell's last line
        out.append((cell, text))
    return out


def _split_cells(text: str) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    for line in python_lines(text):
        if line.rstrip("\r\n") == CELL_BREAK:
            chunks.append([])
        else:
            chunks[-1].append(line)
    return chunks


def _unmask(lines: list[str], hidden: Sequence[str], number: int) -> str:
    restored = list(hidden)
    out = []
    for line in lines:
        if line.strip() in _MASKS:
            if not restored:
                raise NotebookError(f"a fix would change IPython syntax in cell {number}")
            out.append(restored.pop(0))
        else:
            out.append(line)
    if restored:
        raise NotebookError(f"a fix would change IPython syntax in cell {number}")
    return "".join(out)


def _source_json(raw: str, cell: Cell, text: str) -> str:
    """The new ``source`` value, in the form and layout the file uses."""
    # Escape non-ASCII as the file does: nbformat writes it raw, some tools as \\u escapes.
    ascii_only = raw.isascii() and "\\u" in raw
    if cell.items is None:
        return json.dumps(text, ensure_ascii=ascii_only)
    old_raw = [raw[start:end] for start, end in cell.items]
    old = [json.loads(item) for item in old_raw]
    new = python_lines(text)
    pieces: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        # Unchanged lines keep their exact JSON text (their escapes included).
        pieces += old_raw[i1:i2] if tag == "equal" else [json.dumps(line, ensure_ascii=ascii_only) for line in new[j1:j2]]
    if not pieces:
        return "[]"
    start, end = cell.span
    if not cell.items:
        return "[" + ", ".join(pieces) + "]"
    lead = raw[start + 1 : cell.items[0][0]]
    separator = raw[cell.items[0][1] : cell.items[1][0]] if len(cell.items) > 1 else "," + lead
    trail = raw[cell.items[-1][1] : end - 1]
    return "[" + lead + separator.join(pieces) + trail + "]"


# --------------------------------------------------------------------------- JSON positions
# The document is valid JSON (json.loads said so) by the time these walk it.


def _start(raw: str) -> int:
    return _JSON_SPACE.match(raw, 0).end()  # type: ignore[union-attr]  # whitespace* always matches


def _skip(raw: str, index: int) -> int:
    return _JSON_SPACE.match(raw, index).end()  # type: ignore[union-attr]  # whitespace* always matches


def _members(raw: str, index: int) -> dict[str, tuple[int, int]]:
    """Each key of the object at ``index`` and where its value lies (the last one wins, as in json.loads)."""
    spans: dict[str, tuple[int, int]] = {}
    index = _skip(raw, index + 1)
    while raw[index] != "}":
        key, index = scanstring(raw, index + 1)
        index = _skip(raw, _skip(raw, index) + 1)  # past the colon
        _, end = _DECODER.raw_decode(raw, index)
        spans[key] = (index, end)
        index = _skip(raw, end)
        if raw[index] == ",":
            index = _skip(raw, index + 1)
    return spans


def _elements(raw: str, index: int) -> list[tuple[int, int]]:
    """Where each element of the array at ``index`` lies."""
    spans = []
    index = _skip(raw, index + 1)
    while raw[index] != "]":
        _, end = _DECODER.raw_decode(raw, index)
        spans.append((index, end))
        index = _skip(raw, end)
        if raw[index] == ",":
            index = _skip(raw, index + 1)
    return spans
