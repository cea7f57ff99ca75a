"""Ruff users keep their ``# noqa: TNP...`` comments: with ``lint.external = ["TNP"]`` (the
README's setup), Ruff's RUF100 fix leaves torchbridge's codes alone; without it, it takes
them away with the unused codes it removes. Ruff is the version pinned in the test extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

from torchbridge import check_source

SOURCE = "import torch\n\nx = torch.zeros(3).cuda()  # noqa: TNP302, E501\n"


def ruff_fix(tmp_path, config: str) -> str:
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "a.py").write_text(SOURCE)
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "--quiet", "a.py"], cwd=tmp_path, check=False)
    return (tmp_path / "a.py").read_text()


@pytest.mark.parametrize(("external", "kept"), [(True, True), (False, False)], ids=["external", "without"])
def test_ruff_keeps_tnp_noqa_with_lint_external(tmp_path, external, kept):
    config = '[tool.ruff.lint]\nselect = ["E", "RUF100"]\n' + ('external = ["TNP"]\n' if external else "")
    fixed = ruff_fix(tmp_path, config)
    assert fixed.endswith("# noqa: TNP302\n") is kept, fixed  # E501 is gone either way
    assert (check_source(fixed) == []) is kept  # and torchbridge still honours what is left
