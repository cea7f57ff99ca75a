"""A fast start: the command line loads LibCST, the engine and the rules only when a file
must be parsed (``--version``, ``rules`` listing aside, and a fully cached run parse none).
Each case runs in a fresh interpreter, since this test process has loaded everything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("libcst", "torchbridge.engine.lint", "torchbridge.rules.base", "torchbridge.model.semantic")


def loaded_after(code: str, cwd: Path | None = None) -> list[str]:
    probe = f"{code}\nimport sys\nsys.stderr.write('loaded: ' + ' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd, check=True)
    return done.stderr.rsplit("loaded: ", 1)[1].split()


def test_importing_the_cli_loads_no_parser():
    assert loaded_after("import torchbridge.cli") == []


def test_version_loads_no_parser():
    assert loaded_after(
        "from torchbridge.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    ) == []


def test_a_fully_cached_run_loads_no_parser(tmp_path):
    (tmp_path / "a.py").write_text('import torch\nx = torch.zeros(3).to("cuda")\n')
    (tmp_path / "b.ipynb").write_text(
        '{"cells": [{"cell_type": "code", "metadata": {}, "source": ["import torch\\n", "y = torch.ones(2).cuda()\\n"]}],'
        ' "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    run = "from torchbridge.cli import main\nmain(['check', '-j', '1', '--isolated', '--output-format', 'full', '.'])"
    assert "libcst" in loaded_after(run, tmp_path)  # the cold run parses
    assert loaded_after(run, tmp_path) == []  # the second is answered by the cache
