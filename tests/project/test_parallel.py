"""``-j N``: worker processes give the very output a serial run gives; progress shows only
on a terminal."""

from __future__ import annotations

import io
import shutil

import pytest
from conftest import FIXTURES

from torchbridge.cli.progress import MIN_FILES, Progress

# Files the fixtures lack: clean ones, broken ones, many findings in one, a non-UTF-8 one.
GENERATED = {
    "gen/clean.py": "import torch\nx = torch.zeros(3)\n",
    "gen/broken.py": "import torch\nx = y.cuda(\n",
    "gen/many.py": "import torch\n" + "".join(f"t{i} = torch.zeros({i}).cuda()\n" for i in range(40)),
    "gen/nested/deep.py": 'import torch\ndef f(x):\n    return x.to("cuda")\n',
    "gen/exempt.py": "# flake8: noqa\nimport torch\nx = y.cuda()\n",
}


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    """The fixtures plus generated files, in a fresh folder that is the working directory."""
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    for name, text in GENERATED.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "gen" / "latin1.py").write_bytes(b"# -*- coding: latin-1 -*-\nimport torch\nname = '\xe9'\nx = y.cuda()\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("output_format", ["json", "concise", "full"])
def test_two_jobs_give_the_serial_output(corpus, cli, output_format):
    serial = cli("check", "--no-cache", "-j", "1", "--output-format", output_format, ".")
    assert serial[0] == 1 and serial[1].count("\n") > 100  # a real amount of output
    assert "broken.py" in serial[1] and "latin1.py" in serial[1]
    assert cli("check", "--no-cache", "-j", "2", "--output-format", output_format, ".") == serial


def test_two_jobs_with_the_cache_give_the_serial_output(corpus, cli):
    serial = cli("check", "--no-cache", "-j", "1", "--output-format", "json", "--extend-select", "TNP", ".")
    cold = cli("check", "-j", "2", "--output-format", "json", "--extend-select", "TNP", ".")
    warm = cli("check", "-j", "2", "--output-format", "json", "--extend-select", "TNP", ".")
    assert cold == serial and warm == serial


def test_two_jobs_fix_like_one(corpus, cli, tmp_path_factory, monkeypatch):
    copy = tmp_path_factory.mktemp("copy")
    shutil.copytree(corpus, copy, dirs_exist_ok=True)
    serial = cli("fix", "--unsafe-fixes", "-j", "1", "--show-fixes", ".")
    monkeypatch.chdir(copy)
    assert cli("fix", "--unsafe-fixes", "-j", "2", "--show-fixes", ".") == serial
    assert "Fixed" in serial[1]
    for path in corpus.rglob("*.py"):
        assert (copy / path.relative_to(corpus)).read_bytes() == path.read_bytes()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_for_many_files():
    stream = _Terminal()
    progress = Progress(MIN_FILES + 5, stream)
    for _ in range(MIN_FILES + 5):
        progress()
    progress.finish()
    text = stream.getvalue()
    assert text.startswith("\r") and f"{MIN_FILES + 5}/{MIN_FILES + 5} files" in text
    assert "\n" not in text  # one line, rewritten, then erased
    assert text.endswith("\r\x1b[2K")


def test_no_progress_when_piped_or_for_few_files():
    piped = io.StringIO()
    progress = Progress(100, piped)
    for _ in range(100):
        progress()
    progress.finish()
    assert piped.getvalue() == ""
    terminal = _Terminal()
    few = Progress(MIN_FILES, terminal)
    for _ in range(MIN_FILES):
        few()
    few.finish()
    assert terminal.getvalue() == ""


def test_a_piped_run_prints_nothing_but_its_report_on_standard_error(corpus, cli):
    code, out, err = cli("check", "-j", "2", ".")
    assert err == ""  # captured: not a terminal
