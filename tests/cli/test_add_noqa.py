"""``check --add-noqa``: every finding gets a ``# noqa`` that our own (flake8's) noqa handling
reads, so that a second check reports nothing."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import FIXTURES

SOURCE = '''import torch
x = torch.zeros(3).cuda()  # noqa: E501
y = torch.ones(3).to("cuda")  # a comment of the author's
z = f(torch.ones(2).cuda(),
      w.cuda())
s = """
text""" + x.cuda()
t = x.cuda() + \\
    y.cuda()
u = x.cuda()  # noqa:E501 kept for a reason
v = [x.cuda(), y.cuda()]
'''

EXPECTED = '''import torch
x = torch.zeros(3).cuda()  # noqa: E501, TNP302
y = torch.ones(3).to("cuda")  # a comment of the author's  # noqa: TNP301
z = f(torch.ones(2).cuda(),  # noqa: TNP302
      w.cuda())  # noqa: TNP302
s = """
text""" + x.cuda()  # noqa: TNP302
t = x.cuda() + \\
    y.cuda()  # noqa: TNP302
u = x.cuda()  # noqa:E501, TNP302 kept for a reason
v = [x.cuda(), y.cuda()]  # noqa: TNP302
'''


def test_each_finding_gets_its_directive_where_it_counts(tree, cli):
    root = tree({"a.py": SOURCE})
    code, out, err = cli("check", "--add-noqa", "-j", "1", ".")
    assert (code, out) == (0, "")
    assert err == "Added 8 noqa directives to 1 file.\n"
    assert (root / "a.py").read_text() == EXPECTED
    assert cli("check", "-j", "1", ".") == (0, "All checks passed!\n", "")
    # Nothing is left to add, and nothing added is unused.
    assert cli("check", "--add-noqa", ".") == (0, "", "Added 0 noqa directives to 0 files.\n")
    assert cli("check", "--extend-select", "TNP901", "-j", "1", ".") == (0, "All checks passed!\n", "")
    assert (root / "a.py").read_text() == EXPECTED


def test_two_codes_on_one_line_share_one_comment(tree, cli):
    root = tree({"a.py": 'import torch\nx = torch.zeros(3).to("cuda").cuda()\n'})
    assert cli("check", "--add-noqa", ".")[0] == 0
    assert (root / "a.py").read_text().splitlines()[1].endswith("  # noqa: TNP301, TNP302")
    assert cli("check", ".")[0] == 0


def test_the_fixtures_are_silent_after_add_noqa(tmp_path, monkeypatch, cli):
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    # TNP901's own fixture holds unused noqa comments on purpose.
    (tmp_path / "fixtures" / "recall" / "tnp901_unused_noqa.py").unlink()
    monkeypatch.chdir(tmp_path)
    before = cli("check", "--no-cache", "--output-format", "concise", "--extend-select", "TNP", ".")
    assert before[0] == 1
    findings = before[1].count("\n") - 2  # the summary and the fix hint
    code, out, err = cli("check", "--add-noqa", "--extend-select", "TNP", ".")
    assert code == 0 and out == ""
    added = int(err.split()[1])
    assert 0 < added <= findings
    assert cli("check", "--no-cache", "--extend-select", "TNP", ".") == (0, "All checks passed!\n", "")
    assert cli("check", "--no-cache", "--select", "TNP901", "--extend-select", "TNP", ".")[0] == 0
    # Still Python, and still the same code with the comments taken out.
    for path in (tmp_path / "fixtures").rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_a_directive_inside_a_string_cannot_be_followed(tree, cli):
    """flake8 reads the first ``# noqa`` of a line, even one in a string: a comment after it
    would never count, so the finding is reported instead of half-fixed."""
    text = 'import torch\nv = "# noqa: E501" + x.cuda()\nw = y.cuda()\n'
    root = tree({"a.py": text})
    code, out, err = cli("check", "--add-noqa", ".")
    assert code == 1
    assert "a.py:2:22: noqa-not-added: TNP302: a `# noqa` inside a string comes first on that line" in err
    assert "Added 1 noqa directive to 1 file." in err
    assert (root / "a.py").read_text() == text.replace("w = y.cuda()", "w = y.cuda()  # noqa: TNP302")


def test_newlines_encoding_and_bom_are_kept(tree, cli):
    root = tree({})
    (root / "crlf.py").write_bytes(b"import torch\r\nx = y.cuda()\r\nz = 1\r\n")
    (root / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nimport torch\nname = '\xe9'; x = y.cuda()")
    (root / "bom.py").write_bytes(b"\xef\xbb\xbfimport torch\nx = y.cuda()\n")
    assert cli("check", "--add-noqa", "-j", "1", ".")[0] == 0
    assert (root / "crlf.py").read_bytes() == b"import torch\r\nx = y.cuda()  # noqa: TNP302\r\nz = 1\r\n"
    assert (root / "latin.py").read_bytes().endswith(b"name = '\xe9'; x = y.cuda()  # noqa: TNP302")
    assert (root / "bom.py").read_bytes() == b"\xef\xbb\xbfimport torch\nx = y.cuda()  # noqa: TNP302\n"
    assert cli("check", ".")[0] == 0


def test_a_file_that_cannot_be_checked_is_reported_and_untouched(tree, cli):
    broken = "import torch\nx = y.cuda(\n"
    root = tree({"broken.py": broken, "good.py": "import torch\nx = y.cuda()\n"})
    code, out, err = cli("check", "--add-noqa", "-j", "1", ".")
    assert code == 1
    assert "broken.py:" in err and "syntax-error" in err
    assert (root / "broken.py").read_text() == broken
    assert (root / "good.py").read_text().endswith("  # noqa: TNP302\n")


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_read_only_file_is_reported_and_untouched(tree, cli):
    text = "import torch\nx = y.cuda()\n"
    root = tree({"ro.py": text})
    os.chmod(root / "ro.py", 0o444)
    code, out, err = cli("check", "--add-noqa", ".")
    assert code == 1
    assert "ro.py:1:1: write-error: no noqa comments added: the file is read-only" in err
    assert (root / "ro.py").read_text() == text


@pytest.mark.parametrize("options", [["--fix"], ["--diff"], ["--fix-only"], ["--show-fixes"]])
def test_add_noqa_does_not_combine_with_fixing(tree, cli, options):
    tree({"a.py": "import torch\nx = y.cuda()\n"})
    code, out, err = cli("check", "--add-noqa", *options, ".")
    assert code == 2 and "--add-noqa cannot be combined with fixing" in err


def test_add_noqa_needs_files(tree, cli, stdin):
    stdin("import torch\nx = y.cuda()\n")
    code, out, err = cli("check", "--add-noqa", "-")
    assert code == 2 and "cannot read standard input" in err
