"""Python's lines, everywhere source text is split: a line ends only at ``\\n``, ``\\r\\n``
or ``\\r``. ``str.splitlines`` also splits at a form feed, a vertical tab, ``\\x1c``-``\\x1e``,
``\\x85``, U+2028 and U+2029, which may sit inside a Python line (a form feed in its
whitespace, any of them in a string or a comment)."""

from __future__ import annotations

import pytest

from torchbridge.engine.source import python_lines

# Each is a line end for str.splitlines and not for Python.
NOT_LINE_ENDS = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", NOT_LINE_ENDS)
def test_python_lines_keep_what_splitlines_would_split(char):
    text = f"a = 1{char}b\r\nc\rd\n{char}"
    assert len(text.splitlines()) > 4  # the trap this helper avoids
    assert python_lines(text) == [f"a = 1{char}b\r\n", "c\r", "d\n", char]
    assert "".join(python_lines(text)) == text


@pytest.mark.parametrize("char", NOT_LINE_ENDS)
def test_diff_keeps_a_line_with_such_a_character_whole(tree, cli, char):
    source = f'import torch\ns = "a{char}b"  # c{char}d\nx = torch.zeros(1).cuda()\n'
    tree({"a.py": source})
    code, out, _ = cli("fix", "--isolated", "--no-cache", "--unsafe-fixes", "--diff", "a.py")
    assert code == 1
    assert out == (
        "--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,5 @@\n import torch\n"
        "+\n"
        '+DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
        f' s = "a{char}b"  # c{char}d\n'
        "-x = torch.zeros(1).cuda()\n"
        "+x = torch.zeros(1, device=DEVICE)\n"
    )


def test_diff_of_a_form_feed_in_the_changed_line_itself(tree, cli):
    """The issue's case: a form feed inside the line the fix changes."""
    tree({"a.py": 'import torch\nx = torch.zeros(1).to("cuda"); y = 1 \x0c + 2\nz = 3\n'})
    code, out, _ = cli("fix", "--isolated", "--no-cache", "--unsafe-fixes", "--diff", "a.py")
    assert code == 1
    changed = [line for line in out.split("\n") if line.startswith(("-x", "+x"))]
    assert changed == ['-x = torch.zeros(1).to("cuda"); y = 1 \x0c + 2', "+x = torch.zeros(1, device=DEVICE); y = 1 \x0c + 2"]
    assert "No newline at end of file" not in out


@pytest.mark.parametrize("char", ["\x0c", "\u2028", "\x85"])
def test_full_format_shows_the_finding_line_after_such_a_line(tree, cli, char):
    tree({"a.py": f'import torch\ns = "a{char}b"\nx = torch.zeros(1).cuda()\n'})
    code, out, _ = cli("check", "--isolated", "--no-cache", "--output-format", "full", "a.py")
    assert code == 1
    assert out.startswith("a.py:3:5: TNP302 ")
    assert "3 | x = torch.zeros(1).cuda()\n" in out


@pytest.mark.parametrize("newline", ["\r\n"])
def test_a_fix_copying_a_continued_line_keeps_its_line_end(newline):
    """TNP310's fix copies the dict display into ``nn.ModuleDict(...)``: the backslash
    continuation inside it keeps the file's line end, not a second CR before it (found by
    the whitespace property test: ``\\\\\\r\\r\\n``)."""
    from torchbridge import fix_source

    lines = [
        "import torch", "class Heads(torch.nn.Module):", "    def __init__(self):", "        super().__init__()",
        '        self.heads = {"a": torch.nn.Linear(4, 2), "b": torch.nn.Linear(4, \\', "    3)}",
        "    def forward(self, x):", "        return {k: head(x) for k, head in self.heads.items()}", "",
    ]
    fixed = fix_source(newline.join(lines), unsafe=True, select=["TNP310"]).source
    assert fixed == newline.join(lines).replace(
        '        self.heads = {"a": torch.nn.Linear(4, 2), "b": torch.nn.Linear(4, \\' + newline + "    3)}",
        '        self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(4, 2), "b": torch.nn.Linear(4, \\' + newline
        + "    3)})",
    )
