"""A real editor: headless Neovim opens a file, receives torchbridge's diagnostics through
its built-in LSP client, and applies a quick fix from its code-action menu.

Neovim comes from Debian's ``neovim`` package (``.ci/run`` installs it where it can); where
it is absent the test is skipped, and says so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "neovim_smoke.lua"
NVIM = shutil.which("nvim")


@pytest.mark.skipif(NVIM is None, reason="Neovim is not installed (apt-get install neovim): no real editor to drive")
def test_neovim_receives_diagnostics_and_applies_a_quick_fix(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.torchbridge]\n")
    source = tmp_path / "train.py"
    source.write_text('import torch\nx = torch.ones(2)\ny = x.cpu().detach()\nw = torch.zeros(3).to("cuda")\n')
    out = tmp_path / "events.jsonl"
    env = {"SMOKE_OUT": str(out), "SMOKE_FILE": str(source), "SMOKE_PYTHON": sys.executable, "SMOKE_ROOT": str(tmp_path),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(
        [str(NVIM), "--headless", "--clean", "-u", "NONE", "-c", f"luafile {SCRIPT}"],
        cwd=tmp_path, env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    events = {e["event"]: e["value"] for e in map(json.loads, out.read_text().splitlines())}
    assert "error" not in events, events
    assert events["diagnostics"] == ["TNP204@2:4", "TNP301@3:22"]
    assert events["menu"] == ["torchbridge (TNP204): Detach before the copy to the CPU"]
    assert events["diagnostics after"] == ["TNP301@3:22"]
    assert source.read_text().splitlines()[2] == "y = x.detach().cpu()"  # applied, and written by the editor
    assert events["done"]
