"""What the server asks of the engine and the fixer, without LSP around it."""

from __future__ import annotations

from torchbridge.server.analysis import analyze, file_unit, fixed, notebook_unit, with_directive
from torchbridge.server.settings import Configuration

URI = "file:///t.py"


def defaults():
    return Configuration([]).for_path(None)


def test_a_quick_fix_fixes_its_own_finding_even_beside_an_identical_one():
    # Two findings with the same snippet share a verifier probe; the quick fix of the
    # second must still fix the second, and only it.
    text = "import torch\nx = torch.ones(2)\na = x.cpu().detach()\nb = x.cpu().detach()\n"
    analysis = analyze(file_unit(URI, "t.py", None, text), defaults(), (1, 0))
    first, second = (p.finding for p in analysis.placed)
    assert fixed(analysis, unsafe=False, only=second) == {URI: text.replace("b = x.cpu().detach()", "b = x.detach().cpu()")}
    assert fixed(analysis, unsafe=False, only=first) == {URI: text.replace("a = x.cpu().detach()", "a = x.detach().cpu()")}
    assert fixed(analysis, unsafe=False) == {URI: text.replace("cpu().detach()", "detach().cpu()")}


def test_notebook_cells_are_one_module_and_edits_go_back_to_their_cells():
    cells = [(1, "cell-1", "import torch\nx = torch.ones(2)\n"), (3, "cell-3", "%%time\ny = x.cpu().detach()\n"),
             (4, "cell-4", "%%bash\necho x.cpu().detach()\n")]
    analysis = analyze(notebook_unit("nb", "nb.ipynb", None, cells), defaults(), (1, 0))
    [placed] = analysis.placed  # the %%bash cell is not Python
    assert (placed.uri, placed.local.cell, placed.local.line, placed.local.column) == ("cell-3", 3, 2, 5)
    assert fixed(analysis, unsafe=False) == {"cell-3": "%%time\ny = x.detach().cpu()\n"}
    assert with_directive(analysis, placed.finding) == {"cell-3": "%%time\ny = x.cpu().detach()  # noqa: TNP204\n"}
