"""The server's copies of open documents stay the editor's text, in LSP's own terms: lines
end at LF, CRLF or CR only, and columns count UTF-16 units (or UTF-8, or code points)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lsp_helpers import apply
from lsprotocol import types

from torchbridge.server.convert import text_edits
from torchbridge.server.documents import Codec, TextDocument

UTF16, UTF8, UTF32 = Codec("utf-16"), Codec("utf-8"), Codec("utf-32")


def change(document: TextDocument, start: tuple[int, int], end: tuple[int, int], text: str, codec: Codec = UTF16) -> str:
    where = types.Range(types.Position(*start), types.Position(*end))
    document.apply(types.TextDocumentContentChangePartial(where, text), codec)
    return document.text


def test_a_line_separator_inside_a_string_is_not_a_line_end():
    # U+2028, a form feed and \x1c end lines for str.splitlines, never for LSP or Python.
    document = TextDocument("file:///x.py", 's = "a\u2028b\x0cc\x1cd"\nx = 1\n')
    assert change(document, (1, 4), (1, 5), "2") == 's = "a\u2028b\x0cc\x1cd"\nx = 2\n'


def test_crlf_and_lone_cr_end_lines():
    document = TextDocument("file:///x.py", "a = 1\r\nb = 2\rc = 3\n")
    assert change(document, (2, 4), (2, 5), "4") == "a = 1\r\nb = 2\rc = 4\n"
    assert change(document, (0, 5), (1, 0), "\n") == "a = 1\nb = 2\rc = 4\n"


def test_columns_in_each_encoding():
    line = 's = "é🔥"; x'
    assert [codec.units(line[:9]) for codec in (UTF16, UTF8, UTF32)] == [10, 13, 9]
    assert [codec.code_points(line, units) for codec, units in ((UTF16, 10), (UTF8, 13), (UTF32, 9))] == [9, 9, 9]
    assert UTF16.code_points(line, 7) == 6  # inside the emoji's two units: at the emoji


def test_positions_past_the_end_are_clamped():
    document = TextDocument("file:///x.py", "ab\ncd")
    assert change(document, (0, 99), (0, 99), "!") == "ab!\ncd"
    assert change(document, (7, 0), (9, 3), "?") == "ab!\ncd?"


def test_a_finding_position_after_a_missing_final_newline():
    document = TextDocument("file:///x.py", "ab\ncd")
    assert document.position(3, 1, UTF16) == types.Position(1, 2)


texts = st.lists(st.sampled_from(["x = 1", "é = 2", "🔥", "", "  y", "\r\n", "\n", "\r", "a\u2028b"]), max_size=12).map("".join)


@given(texts, texts)
def test_text_edits_turn_one_text_into_the_other(old, new):
    document = TextDocument("file:///x.py", old)
    assert apply(old, text_edits(document, new, UTF16)) == new
