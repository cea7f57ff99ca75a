"""Every front end gives the same findings for the same file of the same project.

A small project of two modules: facts cross functions, methods and ``self.`` attributes
inside each module, and cross into the other module through the project index (a helper
imported from it is summarised as if it were defined in the importing file). The command
line (files and standard input), the flake8 plugin, the Python API and the language
server's analysis must agree on every finding.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import pytest
from flake8.main import cli as flake8_cli

import torchbridge
from torchbridge import cli as torchbridge_cli
from torchbridge.server.analysis import analyze, file_unit
from torchbridge.server.settings import Configuration

DATA = '''\
import numpy as np
import torch


def load_flipped(n):
    return np.zeros((n, 3))[:, ::-1]


class Frames(torch.utils.data.Dataset):
    def __init__(self, n):
        self.frames = load_flipped(n)

    def __getitem__(self, i):
        return torch.from_numpy(self.frames)

    def _weights(self):
        return torch.nn.Linear(3, 3)(torch.ones(1, 3))

    def weights(self):
        return self._weights().numpy()
'''

TRAIN = '''\
import numpy as np
import torch

from .data import load_flipped

model = torch.nn.Linear(3, 2)


def predict(x):
    return model(x).numpy()


def local():
    return np.flip(np.ones(3))


a = torch.from_numpy(local())
b = torch.from_numpy(load_flipped(3))
c = model.weight.numpy()
with torch.no_grad():
    print(predict(torch.ones(1, 3)))
'''

EXPECTED = {
    "data.py": {(14, "TNP102"), (20, "TNP201")},
    # line 18: ``load_flipped`` comes from data.py, which returns a flipped array
    "train.py": {(17, "TNP102"), (18, "TNP102"), (19, "TNP201")},
}


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    package = tmp_path / "proj"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "data.py").write_text(DATA, encoding="utf-8")
    (package / "train.py").write_text(TRAIN, encoding="utf-8")
    return package


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None) -> dict[str, set]:
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8")
    try:
        torchbridge_cli.main(["check", "--isolated", "--no-cache", "--output-format", "json", *argv])
    except SystemExit:
        pass
    finally:
        sys.stdin = sys.__stdin__
    found: dict[str, set] = {}
    for f in json.loads(capsys.readouterr().out):
        found.setdefault(Path(f["filename"]).name, set()).add((f["line"], f["column"], f["code"]))
    return found


def _flake8(paths: list[Path], capsys: pytest.CaptureFixture[str]) -> dict[str, set]:
    with contextlib.suppress(SystemExit):
        flake8_cli.main(["--isolated", "--select", "TNP", *map(str, paths)])
    found: dict[str, set] = {}
    for line in capsys.readouterr().out.splitlines():
        match = re.match(r"(.+?):(\d+):(\d+): (TNP\d{3}) ", line)
        if match:
            found.setdefault(Path(match[1]).name, set()).add((int(match[2]), int(match[3]), match[4]))
    return found


def _api(paths: list[Path]) -> dict[str, set]:
    return {
        path.name: {(f.line, f.column, f.code) for f in torchbridge.check_source(path.read_text(), filename=str(path))}
        for path in paths
    }


def _server(paths: list[Path]) -> dict[str, set]:
    settings = Configuration([]).for_path(None)
    found = {}
    for path in paths:
        analysis = analyze(file_unit(path.as_uri(), str(path), path, path.read_text()), settings, (1, 0))
        found[path.name] = {(p.finding.line, p.finding.column, p.finding.code) for p in analysis.placed}
    return found


def test_every_front_end_agrees_on_a_small_project(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [project / "data.py", project / "train.py"]
    cli = _cli([str(p) for p in paths], capsys)
    assert {name: {(line, code) for line, _, code in found} for name, found in cli.items()} == EXPECTED
    assert _flake8(paths, capsys) == cli
    assert _api(paths) == cli
    assert _server(paths) == cli
    for path in paths:
        # Standard input is checked as the file it names (or as a file of no project).
        named = _cli(["-", "--stdin-filename", str(path)], capsys, stdin=path.read_text())
        assert named == {path.name: cli[path.name]}


def test_standard_input_without_a_name_has_no_project(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Nothing says where the text lives: an imported helper is unknown, as for a lone file.
    found = _cli(["-"], capsys, stdin=(project / "train.py").read_text())
    assert {(line, code) for line, _, code in found["-"]} == {(17, "TNP102"), (19, "TNP201")}
    unnamed = torchbridge.check_source((project / "train.py").read_text())  # "<string>"
    assert {(f.line, f.code) for f in unnamed} == {(17, "TNP102"), (19, "TNP201")}

