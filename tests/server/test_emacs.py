"""Another real editor: Emacs with eglot (Debian's ``emacs-nox`` and ``elpa-eglot``)
receives torchbridge's diagnostics and applies a quick fix. Skipped, saying why, where
either is absent (CI installs neither; Neovim's smoke test is the one CI runs)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "emacs_smoke.el"
EMACS = shutil.which("emacs")
EGLOT = sorted(Path("/usr/share/emacs/site-lisp/elpa").glob("eglot-*"))


@pytest.mark.skipif(EMACS is None or not EGLOT, reason="Emacs with eglot is not installed (apt-get install emacs-nox elpa-eglot)")
def test_emacs_eglot_receives_diagnostics_and_applies_a_quick_fix(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.torchbridge]\n")
    source = tmp_path / "train.py"
    source.write_text('import torch\nx = torch.ones(2)\ny = x.cpu().detach()\nw = torch.zeros(3).to("cuda")\n')
    out = tmp_path / "events.txt"
    env = {"SMOKE_OUT": str(out), "SMOKE_FILE": str(source), "SMOKE_PYTHON": sys.executable,
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(
        [str(EMACS), "-Q", "--batch", "-L", str(EGLOT[-1]), "-l", str(SCRIPT)],
        cwd=tmp_path, env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    events = dict(line.split("\t", 1) for line in out.read_text().splitlines())
    assert events["diagnostics"] == "(3 4)"  # TNP204 on line 3, TNP301 on line 4
    assert events["saved"] == "t"
    assert source.read_text().splitlines()[2] == "y = x.detach().cpu()"
