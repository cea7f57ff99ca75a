"""What editor integrations rely on: flake8 reading an unsaved buffer from standard input
(VS Code's flake8 extension, vim's ALE, Emacs' flymake all run it that way), and
``torchbridge fix -`` as a format-on-save command."""

from __future__ import annotations

import json
import subprocess
import sys

# TNP204 at 3:24 (after a string with two non-ASCII letters: columns count code points),
# suppressed at 4:5, TNP301 (only unsafe fixes) at 5:23.
BUFFER = (
    "import torch\n"
    "x = torch.ones(2)\n"
    's = "héllo wörld"; y = x.cpu().detach()\n'
    "z = x.cpu().detach()  # noqa: TNP204\n"
    'w = torch.zeros(3).to("cuda")\n'
)


def run(*args: str, stdin: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", *args], input=stdin.encode("utf-8"), capture_output=True, timeout=120)


def test_flake8_reads_the_buffer_from_standard_input():
    proc = run("flake8", "--select", "TNP", "--stdin-display-name", "x.py", "-", stdin=BUFFER)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.decode("utf-8").splitlines()
    assert [line.split(" ", 2)[:2] for line in lines] == [["x.py:3:24:", "TNP204"], ["x.py:5:23:", "TNP301"]]
    assert lines[0].endswith("records its copy in the autograd graph for `.detach()` to cut off; use `.detach().cpu()`")


def test_flake8_and_torchbridge_agree_on_the_buffer(cli, tree):
    tree({"x.py": BUFFER})
    _, out, _ = cli("check", "-j", "1", "--output-format", "json", "x.py")
    proc = run("flake8", "--select", "TNP", "--stdin-display-name", "x.py", "-", stdin=BUFFER)
    flake8 = [line.split(": ", 1) for line in proc.stdout.decode("utf-8").splitlines()]
    assert [(where, text) for where, text in flake8] == [
        (f"x.py:{r['line']}:{r['column']}", f"{r['code']} {r['message']}") for r in json.loads(out)
    ]


def test_fix_from_standard_input_is_a_format_on_save_command():
    """Standard output is the whole fixed buffer and nothing else; the exit code is 0 while
    findings without a safe fix remain, so the editor takes the output."""
    proc = run("torchbridge", "fix", "-", "--stdin-filename", "x.py", stdin=BUFFER)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode("utf-8") == BUFFER.replace("y = x.cpu().detach()", "y = x.detach().cpu()")
    assert "TNP301" in proc.stderr.decode("utf-8")


def test_fix_from_standard_input_gives_back_a_broken_buffer_unchanged():
    broken = "import torch\ny = x.cpu().detach(\n"
    proc = run("torchbridge", "fix", "-", "--stdin-filename", "x.py", stdin=broken)
    assert proc.stdout.decode("utf-8") == broken
    assert proc.returncode == 1 and b"syntax-error" in proc.stderr
