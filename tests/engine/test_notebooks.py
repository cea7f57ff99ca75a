"""Jupyter notebooks: ``check`` and ``fix`` read the code cells as one module, report
``path:cell N:line:col`` (JSON ``cell``), honour ``# noqa`` per line, mask IPython syntax,
and write fixes back with every other byte of the file unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from torchbridge.engine.notebook import (
    MASK,
    NotebookError,
    cell_sources,
    from_module,
    read_notebook,
    to_module,
)

PYTHON = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python", "version": "3.11.0"}}


def code(source: str, *, as_string: bool = False, outputs: list | None = None) -> dict:
    """A code cell; its source as nbformat writes it (a list of lines) unless ``as_string``."""
    lines = source.splitlines(keepends=True)
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": outputs or [],
            "source": source if as_string else lines}


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(keepends=True)}


def notebook(*cells: dict, metadata: dict | None = None, ensure_ascii: bool = False) -> str:
    """The JSON text as Jupyter writes it (indent 1, sorted keys, final newline)."""
    document = {"cells": list(cells), "metadata": PYTHON if metadata is None else metadata, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=ensure_ascii) + "\n"


def records(cli, *args: str) -> list[tuple]:
    code, out, err = cli("check", "-j", "1", "--output-format", "json", *args)
    found = json.loads(out)
    assert code == (1 if found else 0), (code, err)
    return [(r["filename"], r.get("cell"), r["line"], r["column"], r["code"] or r["name"]) for r in found]


# Cell 1 imports, cell 2 (markdown) says nothing, cell 3 makes an array that cell 4 copies
# (TNP101 at 2:5 of cell 4: the flow crosses cells) and moves badly (TNP204 at 3:5).
TRAIN = notebook(
    code("import numpy as np\nimport torch"),
    markdown("# Training\nThe array comes first."),
    code("a = np.zeros((2, 3))"),
    code("# convert\nt = torch.tensor(a)\ny = t.cpu().detach()\n"),
)


# --------------------------------------------------------------------------- checking


def test_cells_are_one_module_and_positions_are_per_cell(tree, cli):
    tree({"train.ipynb": TRAIN})
    assert records(cli, ".") == [
        ("train.ipynb", 4, 2, 5, "TNP101"),
        ("train.ipynb", 4, 3, 5, "TNP204"),
    ]
    code, out, _ = cli("check", "-j", "1", "train.ipynb")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("train.ipynb:cell 4:2:5: TNP101 `a` is an ndarray (line 1 of cell 3):")
    assert lines[1].startswith("train.ipynb:cell 4:3:5: TNP204 [*] ")


def test_json_edits_carry_the_cell(tree, cli):
    tree({"train.ipynb": TRAIN})
    _, out, _ = cli("check", "-j", "1", "--output-format", "json", "--select", "TNP204", "train.ipynb")
    (record,) = json.loads(out)
    assert record["cell"] == 4
    assert record["fix"]["edits"][0]["location"] == {"cell": 4, "line": 3, "column": 7}


def test_python_files_have_no_cell_key(tree, cli):
    tree({"a.py": "import torch\ny = x.cpu().detach()\n"})
    _, out, _ = cli("check", "-j", "1", "--output-format", "json", "--select", "TNP204", "a.py")
    (record,) = json.loads(out)
    assert "cell" not in record
    assert "cell" not in record["fix"]["edits"][0]["location"]


def test_string_and_list_sources_are_the_same_notebook(tree, cli):
    cells = ["import torch\nimport numpy as np\n", "a = np.ones(3)\nt = torch.tensor(a)"]
    tree({
        "lists.ipynb": notebook(*(code(c) for c in cells)),
        "strings.ipynb": notebook(*(code(c, as_string=True) for c in cells)),
    })
    found = records(cli, ".")
    assert [r[1:] for r in found if r[0] == "lists.ipynb"] == [(2, 2, 5, "TNP101")]
    assert [r[1:] for r in found if r[0] == "strings.ipynb"] == [(2, 2, 5, "TNP101")]


def test_noqa_is_per_line(tree, cli):
    tree({"n.ipynb": notebook(
        code("import torch\nimport numpy as np\na = np.ones(3)"),
        code("t = torch.tensor(a)  # noqa: TNP101\nu = torch.tensor(a)\nv = torch.tensor(a)  # noqa"),
    )})
    assert records(cli, "n.ipynb") == [("n.ipynb", 2, 2, 5, "TNP101")]


def test_ipython_syntax_is_masked_and_positions_stay(tree, cli):
    cells = [
        "%matplotlib inline\n%load_ext autoreload\nimport torch\nimport numpy as np",
        "!pip install torch\nfiles = !ls\nnp.zeros?\n??torch.tensor\na = np.ones(3)",
        "for i in range(2):\n    %time b = a + 1\n    !echo $i\n    t = torch.tensor(a)",
        '%%time\nq = """\n%not a magic inside a string\n"""\nu = torch.tensor(a)',
        "%%capture captured\nw = torch.tensor(a)",
        "!ls \\\n  -la\nx = torch.tensor(a)",
    ]
    tree({"m.ipynb": notebook(*(code(c) for c in cells))})
    assert records(cli, "m.ipynb") == [
        ("m.ipynb", 3, 4, 9, "TNP101"),
        ("m.ipynb", 4, 5, 5, "TNP101"),  # after the %%time line, which counts as line 1
        ("m.ipynb", 5, 2, 5, "TNP101"),
        ("m.ipynb", 6, 3, 5, "TNP101"),
    ]


def test_a_magic_inside_a_string_is_not_masked():
    nb = read_notebook(notebook(code('s = """\n%d items\n!x\n"""\nt = 1')).encode())
    assert to_module(nb).text == 's = """\n%d items\n!x\n"""\nt = 1\n'


def test_cells_of_other_cell_magics_are_not_python(tree, cli):
    tree({"w.ipynb": notebook(
        code("import torch\nimport numpy as np\na = np.ones(3)"),
        code("%%bash\nfor f in *; do echo $f; done"),
        code("%%writefile script.py\nt = torch.tensor(a)\nthis is not python("),
        code("%%html\n<b>t = torch.tensor(a)</b>"),
        code("t = torch.tensor(a)"),
    )})
    assert records(cli, "w.ipynb") == [("w.ipynb", 5, 1, 5, "TNP101")]


def test_a_syntax_error_points_into_its_cell(tree, cli):
    tree({"s.ipynb": notebook(code("import torch"), markdown("x"), code("x = 1\ny = torch.zeros(3.cuda()\n"))})
    ((name, cell, line, _, what),) = records(cli, "s.ipynb")
    assert (name, cell, line, what) == ("s.ipynb", 3, 2, "syntax-error")


def test_a_name_from_an_earlier_cell_is_known(tree, cli):
    """A fix is safe only where the model proves the value: the array made in cell 1 is."""
    tree({"f.ipynb": notebook(code("import numpy as np\nimport torch\nt = torch.zeros(2, requires_grad=True)"),
                              code("n = t.numpy()"))})
    assert records(cli, "f.ipynb") == [("f.ipynb", 2, 1, 5, "TNP201")]


def test_a_notebook_from_standard_input(tree, cli, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(TRAIN.encode())))
    code_, out, _ = cli("check", "-", "--stdin-filename", "train.ipynb", "--output-format", "json")
    assert code_ == 1
    assert [(r["filename"], r["cell"], r["line"], r["code"]) for r in json.loads(out)] == [
        ("train.ipynb", 4, 2, "TNP101"), ("train.ipynb", 4, 3, "TNP204"),
    ]


def test_cell_sources_are_the_python_cells_by_number():
    data = notebook(markdown("m"), code("%%bash\nls"), code("%%time\nx = 1"), code("y = 2", as_string=True)).encode()
    assert cell_sources(data) == {3: "%%time\nx = 1", 4: "y = 2"}
    assert cell_sources(b"{") == {}


# --------------------------------------------------------------------------- which notebooks


def test_discovery_finds_notebooks_and_applies_excludes(tree, cli):
    tree({
        "a.ipynb": TRAIN,
        "sub/b.ipynb": TRAIN,
        "sub/.ipynb_checkpoints/b-checkpoint.ipynb": TRAIN,
        "drafts/c.ipynb": TRAIN,
        "pyproject.toml": '[tool.torchbridge]\nextend-exclude = ["drafts/"]\n',
    })
    assert sorted({r[0] for r in records(cli, ".")}) == ["a.ipynb", "sub/b.ipynb"]
    assert {r[0] for r in records(cli, "drafts/c.ipynb")} == {"drafts/c.ipynb"}  # given explicitly


@pytest.mark.parametrize(
    "metadata",
    [
        {"kernelspec": {"language": "R", "name": "ir"}, "language_info": {"name": "R"}},
        {"language_info": {"name": "julia"}},
        {"kernelspec": {"language": "scala", "name": "spark"}},
    ],
)
def test_notebooks_in_other_languages_are_skipped(tree, cli, metadata):
    tree({"r.ipynb": notebook(code("t = torch.tensor(a)\nthis is R <- 1"), metadata=metadata)})
    assert records(cli, "r.ipynb") == []


def test_no_language_metadata_means_python(tree, cli):
    tree({"p.ipynb": notebook(code("import torch\ny = x.cpu().detach()"), metadata={})})
    assert records(cli, "p.ipynb") == [("p.ipynb", 1, 2, 5, "TNP204")]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ('{"cells": [', "invalid JSON (line 1, column 12"),
        ("[1, 2]", "the JSON is not an object"),
        ('{"metadata": {}, "nbformat": 4}', "no 'cells' list"),
        ('{"cells": ["import torch"], "metadata": {}}', "cell 1 is not an object"),
        ('{"cells": [{"cell_type": "code", "source": 3}], "metadata": {}}', "cell 1's 'source' is neither"),
        ('{"cells": [{"cell_type": "code"}], "metadata": {}}', "cell 1's 'source' is neither"),
        ('{"cells": [{"source": "import torch\\nx.cuda()"}], "metadata": {}}', "cell 1 has no 'cell_type'"),
        ('{"cells": [{"cell_type": null, "source": ""}], "metadata": {}}', "cell 1 has no 'cell_type'"),
        ('{"worksheets": [], "nbformat": 3}', "nbformat 3 is not supported"),
    ],
)
@pytest.mark.parametrize("command", ["check", "fix"])
def test_broken_notebooks_are_diagnostics(tree, cli, content, why, command):
    tree({"bad.ipynb": content, "good.py": "import torch\n"})
    code, out, err = cli(command, "-j", "1", "--output-format", "json", ".")
    (record,) = json.loads(out)
    assert code == 1
    assert (record["filename"], record["code"], record["name"]) == ("bad.ipynb", None, "decode-error")
    assert why in record["message"]
    assert Path("bad.ipynb").read_text() == content


def test_undecodable_bytes_are_a_diagnostic(tree, cli):
    root = tree({})
    (root / "bad.ipynb").write_bytes(b'{"cells": [], "x": "\xff"}')
    assert records(cli, "bad.ipynb") == [("bad.ipynb", None, 1, 1, "decode-error")]


def test_an_empty_notebook_is_clean(tree, cli):
    tree({"e.ipynb": notebook(), "m.ipynb": notebook(markdown("only text")), "c.ipynb": notebook(code(""))})
    assert cli("check", "-j", "1", ".") == (0, "All checks passed!\n", "")


# --------------------------------------------------------------------------- fixing


def test_fix_changes_one_cell_and_no_other_byte(tree, cli):
    outputs = [{"name": "stdout", "output_type": "stream", "text": ["tensor([1., 2.])\n"]},
               {"data": {"image/png": "iVBORw0KGgo=\n", "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
                "metadata": {"needs_background": "light"}, "output_type": "display_data"}]
    before = notebook(
        code("%matplotlib inline\nimport torch", outputs=outputs),
        markdown("Ünïcödé prose stays as it is"),
        code("x = torch.ones(2)\n# é\ny = x.cpu().detach()\nprint(y)", outputs=outputs),
        code("z = x.cpu().detach()  # noqa\n!nvidia-smi"),
    )
    root = tree({"n.ipynb": before})
    code_, out, err = cli("fix", "-j", "1", "n.ipynb")
    assert code_ == 0, (out, err)
    after = (root / "n.ipynb").read_text(encoding="utf-8")
    expected = before.replace('"y = x.cpu().detach()\\n"', '"y = x.detach().cpu()\\n"')
    assert expected != before and after == expected
    assert cli("check", "-j", "1", "n.ipynb")[0] == 0


def test_fix_keeps_an_unusual_layout(tree, cli):
    """Not Jupyter's layout: 4-space indent, unsorted keys, \\u escapes, no final newline,
    a source string; only the fixed string changes."""
    document = {"metadata": PYTHON, "nbformat_minor": 2,
                "cells": [{"source": "import torch\nx = torch.ones(2)\n# caf\u00e9\ny = x.cpu().detach()", "cell_type": "code",
                           "outputs": [], "metadata": {"collapsed": True}, "execution_count": 3}],
                "nbformat": 4}
    before = json.dumps(document, indent=4, ensure_ascii=True)
    root = tree({"n.ipynb": before})
    assert cli("fix", "-j", "1", "n.ipynb")[0] == 0
    after = (root / "n.ipynb").read_text(encoding="utf-8")
    assert after == before.replace("x.cpu().detach()", "x.detach().cpu()")
    assert "\\u00e9" in after


def test_fix_inserts_lines_into_the_cell_that_holds_the_imports(tree, cli):
    before = notebook(
        code("%matplotlib inline\nimport torch"),
        markdown("text"),
        code('x = torch.zeros(3).to("cuda")\ny = x.cuda()'),
    )
    root = tree({"d.ipynb": before})
    assert cli("fix", "-j", "1", "--unsafe-fixes", "d.ipynb")[0] == 0
    cells = json.loads((root / "d.ipynb").read_text())["cells"]
    assert "".join(cells[0]["source"]) == (
        '%matplotlib inline\nimport torch\n\nDEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")'
    )
    assert cells[1] == json.loads(before)["cells"][1]
    assert "".join(cells[2]["source"]) == "x = torch.zeros(3, device=DEVICE)\ny = x.to(DEVICE)"


def test_fix_in_a_cell_magic_body_keeps_the_magic_first(tree, cli):
    root = tree({"t.ipynb": notebook(code("%%time\nimport torch\nx = torch.ones(2)\ny = x.cpu().detach()", as_string=True))})
    assert cli("fix", "-j", "1", "t.ipynb")[0] == 0
    cell = json.loads((root / "t.ipynb").read_text())["cells"][0]
    assert cell["source"] == "%%time\nimport torch\nx = torch.ones(2)\ny = x.detach().cpu()"


def test_fix_diff_is_per_cell_and_writes_nothing(tree, cli):
    root = tree({"train.ipynb": TRAIN})
    code_, out, err = cli("fix", "-j", "1", "--diff", "train.ipynb")
    assert code_ == 1
    assert out == (
        "--- a/train.ipynb:cell 4\n+++ b/train.ipynb:cell 4\n@@ -1,3 +1,3 @@\n # convert\n"
        " t = torch.tensor(a)\n-y = t.cpu().detach()\n+y = t.detach().cpu()\n"
    )
    assert "Would fix 1 finding." in err
    assert (root / "train.ipynb").read_text() == TRAIN


def test_remaining_findings_are_reported_in_cells(tree, cli):
    root = tree({"train.ipynb": TRAIN})
    code_, out, _ = cli("fix", "-j", "1", "--output-format", "json", "train.ipynb")
    assert code_ == 1
    assert [(r["cell"], r["line"], r["code"]) for r in json.loads(out)] == [(4, 2, "TNP101")]
    assert "t.detach().cpu()" in (root / "train.ipynb").read_text()


def test_a_fix_that_would_move_masked_lines_is_refused():
    nb = read_notebook(notebook(code("%time f()\nimport torch"), code("x = 1")).encode())
    module = to_module(nb)
    assert module.text.splitlines()[0] == MASK
    with pytest.raises(NotebookError, match="IPython syntax in cell 1"):
        from_module(module, module.text.replace(MASK, "", 1))
    with pytest.raises(NotebookError, match="across a cell boundary"):
        from_module(module, module.text.replace("# ---- torchbridge: next cell ----\n", ""))
    assert from_module(module, module.text) == nb.raw


# --------------------------------------------------------------------------- every command


def _stdin(monkeypatch, text: str) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


FLIPPED = notebook(
    markdown("# Flip"),
    code("import numpy as np\nimport torch"),
    code("image = np.zeros((2, 2, 3))\nrgb = image[:, :, ::-1]\nt = torch.from_numpy(rgb)\nm = torch.nn.Linear(2, 2).cuda()"),
)


def test_fix_stdin_fixes_a_notebook_named_by_stdin_filename(tree, cli, monkeypatch):
    """The notebook's JSON in, the fixed JSON out; what is left is reported in cell positions."""
    tree({})
    _stdin(monkeypatch, FLIPPED)
    code, out, err = cli("fix", "--isolated", "-", "--stdin-filename", "nb.ipynb")
    assert code == 0
    assert out == FLIPPED.replace("from_numpy(rgb)", "from_numpy(rgb.copy())")
    assert err.splitlines()[:2] == [
        "nb.ipynb:cell 3:4:5: TNP302 `.cuda()` crashes on machines without CUDA; use `.to(device)` with a device chosen at run time",
        "Fixed 1 finding.",
    ]


def test_fix_stdin_gives_back_a_broken_notebook_unchanged(tree, cli, monkeypatch):
    tree({})
    _stdin(monkeypatch, '{"cells": [')
    code, out, err = cli("fix", "--isolated", "-", "--stdin-filename", "nb.ipynb")
    assert (code, out) == (1, '{"cells": [')
    assert "nb.ipynb:1:1: decode-error: cannot read the notebook: invalid JSON" in err


def test_add_noqa_comments_notebook_cells(tree, cli):
    root = tree({"nb.ipynb": FLIPPED})
    code, out, err = cli("check", "--add-noqa", "--isolated", "nb.ipynb")
    assert (code, out, err) == (0, "", "Added 2 noqa directives to 1 file.\n")
    cells = json.loads((root / "nb.ipynb").read_text())["cells"]
    assert cells[2]["source"][2:] == ["t = torch.from_numpy(rgb)  # noqa: TNP102\n", "m = torch.nn.Linear(2, 2).cuda()  # noqa: TNP302"]
    assert cells[:2] == json.loads(FLIPPED)["cells"][:2]
    assert records(cli, "--no-cache", "nb.ipynb") == []
