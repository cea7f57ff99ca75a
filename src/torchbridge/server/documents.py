"""The documents an editor has open: their text, kept in step with its changes.

The server keeps its own copies rather than pygls' workspace, for one reason: lines. LSP
ends a line at ``\\n``, ``\\r\\n`` or ``\\r`` only, as Python does; ``str.splitlines``
(which pygls' documents use) also splits at form feeds, ``\\x1c``-``\\x1e``, ``\\x85``,
U+2028 and U+2029, so an incremental change after such a character would land on the
wrong line and the buffer would silently drift from the editor's. Here every line split
is ``python_lines``, the engine's own, so positions mean the same thing on both sides.

Columns on the wire count in the negotiated position encoding (UTF-16 by default, UTF-8
or UTF-32 when the client offers them); inside, as in every ``Finding``, they count code
points. ``Codec`` converts between the two, one line at a time.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from lsprotocol import types

from ..engine.source import python_lines


@dataclass(frozen=True)
class Codec:
    """Columns in the client's units (``encoding``) to code points and back."""

    encoding: str = types.PositionEncodingKind.Utf16.value

    def units(self, text: str) -> int:
        """How many client units ``text`` takes."""
        if self.encoding == types.PositionEncodingKind.Utf32 or text.isascii():
            return len(text)
        if self.encoding == types.PositionEncodingKind.Utf8:
            return len(text.encode("utf-8", "surrogatepass"))
        return len(text.encode("utf-16-le", "surrogatepass")) // 2

    def code_points(self, line: str, units: int) -> int:
        """The code-point column of ``units`` client units into ``line`` (clamped to it; a
        column inside a character's units counts as that character's start)."""
        if self.encoding == types.PositionEncodingKind.Utf32 or line.isascii():
            return min(max(units, 0), len(line))
        count = 0
        for index, char in enumerate(line):
            count += self.units(char)
            if count > units:
                return index
        return len(line)


def _content(line: str) -> str:
    return line.rstrip("\r\n")


class TextDocument:
    """One open text document (a file, or a notebook cell)."""

    def __init__(self, uri: str, text: str, version: int | None = None, language_id: str = "python") -> None:
        self.uri = uri
        self.language_id = language_id
        self.version = version
        self._text = text
        self._lines: list[str] | None = None
        self._starts: list[int] | None = None

    @property
    def text(self) -> str:
        return self._text

    @text.setter
    def text(self, text: str) -> None:
        self._text = text
        self._lines = self._starts = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = python_lines(self._text)
        return self._lines

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            for line in self.lines:
                starts.append(starts[-1] + len(line))
            self._starts = starts
        return self._starts

    def offset(self, position: types.Position, codec: Codec) -> int:
        """The code-point offset of an LSP position, clamped into the text: a line past the
        end is the end, a column past a line's end is that line's end."""
        lines, starts = self.lines, self._line_starts()
        if position.line >= len(lines):
            return len(self._text)
        line = lines[position.line]
        return starts[position.line] + codec.code_points(_content(line), position.character)

    def position(self, line: int, column: int, codec: Codec) -> types.Position:
        """The LSP position of a 1-based line and 1-based code-point column (a ``Finding``'s)."""
        lines = self.lines
        if line - 1 >= len(lines):
            # Past the last line: the end of a text without a final newline, or the empty
            # line after one that has it.
            if lines and not lines[-1].endswith(("\n", "\r")):
                return types.Position(len(lines) - 1, codec.units(lines[-1]))
            return types.Position(len(lines), 0)
        text = _content(lines[line - 1])
        return types.Position(line - 1, codec.units(text[: max(column - 1, 0)]))

    def position_at(self, offset: int, codec: Codec) -> types.Position:
        """The LSP position of a code-point offset."""
        starts = self._line_starts()
        line = min(bisect.bisect_right(starts, offset) - 1, max(len(self.lines) - 1, 0))
        if not self.lines:
            return types.Position(0, 0)
        within = offset - starts[line]
        text = self.lines[line]
        if within > len(_content(text)):
            return types.Position(line + 1, 0)  # at the end of a line's newline: the next line
        return types.Position(line, codec.units(text[:within]))

    def apply(self, change: types.TextDocumentContentChangeEvent, codec: Codec) -> None:
        """One change of ``textDocument/didChange``: a range replaced, or the whole text."""
        if isinstance(change, types.TextDocumentContentChangePartial):
            start = self.offset(change.range.start, codec)
            end = max(start, self.offset(change.range.end, codec))
            self.text = self._text[:start] + change.text + self._text[end:]
        else:
            self.text = change.text


@dataclass
class NotebookDocument:
    """An open notebook: its cells in order (markdown ones too: Jupyter numbers them all)."""

    uri: str
    notebook_type: str
    version: int
    cells: list[types.NotebookCell] = field(default_factory=list)


class Documents:
    """Every open document and notebook; a cell belongs to its notebook."""

    def __init__(self) -> None:
        self.texts: dict[str, TextDocument] = {}
        self.notebooks: dict[str, NotebookDocument] = {}
        self._owner: dict[str, str] = {}  # cell uri -> notebook uri

    def open_text(self, item: types.TextDocumentItem, notebook: str | None = None) -> None:
        self.texts[item.uri] = TextDocument(item.uri, item.text, item.version, item.language_id)
        if notebook is not None:
            self._owner[item.uri] = notebook

    def close_text(self, uri: str) -> None:
        self.texts.pop(uri, None)
        self._owner.pop(uri, None)

    def change_text(self, params: types.DidChangeTextDocumentParams, codec: Codec) -> TextDocument | None:
        document = self.texts.get(params.text_document.uri)
        if document is None:
            return None  # a change to a document never opened: nothing to keep in step
        for change in params.content_changes:
            document.apply(change, codec)
        document.version = params.text_document.version
        return document

    def notebook_of(self, uri: str) -> str | None:
        return self._owner.get(uri)

    def open_notebook(self, params: types.DidOpenNotebookDocumentParams) -> NotebookDocument:
        given = params.notebook_document
        notebook = NotebookDocument(given.uri, given.notebook_type, given.version, list(given.cells))
        self.notebooks[given.uri] = notebook
        for item in params.cell_text_documents:
            self.open_text(item, notebook=given.uri)
        return notebook

    def close_notebook(self, uri: str) -> list[str]:
        """Forget the notebook and its cells; the cells' uris."""
        notebook = self.notebooks.pop(uri, None)
        cells = [cell.document for cell in notebook.cells] if notebook is not None else []
        for cell in [*cells, *(c for c, owner in self._owner.items() if owner == uri)]:
            self.close_text(cell)
        return cells

    def change_notebook(self, params: types.DidChangeNotebookDocumentParams, codec: Codec) -> tuple[NotebookDocument, list[str]] | None:
        """Apply the change; the notebook and the cells it closed (their diagnostics must go)."""
        notebook = self.notebooks.get(params.notebook_document.uri)
        if notebook is None:
            return None
        notebook.version = params.notebook_document.version
        changes = params.change.cells
        closed: list[str] = []
        if changes is None:
            return notebook, closed
        if changes.structure is not None:
            array = changes.structure.array
            notebook.cells[array.start : array.start + array.delete_count] = list(array.cells or ())
            for item in changes.structure.did_open or ():
                self.open_text(item, notebook=notebook.uri)
            for gone in changes.structure.did_close or ():
                self.close_text(gone.uri)
                closed.append(gone.uri)
        if changes.data:
            by_document = {cell.document: cell for cell in changes.data}
            notebook.cells = [by_document.get(cell.document, cell) for cell in notebook.cells]
        for content in changes.text_content or ():
            cell = self.texts.get(content.document.uri)
            if cell is None:
                continue
            for change in content.changes:
                cell.apply(change, codec)
            cell.version = content.document.version
        return notebook, closed
