"""What many tests share: the repository's paths, ``torchbridge`` run in-process, a tree of files, standard input, and no colour from the environment."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from torchbridge.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    """The result cache keys its entries on torchbridge's files as they are when the key is
    first asked for. A test process loads the code now but may first ask minutes later; if
    the files were edited meanwhile, it would store the old code's results under the new
    code's key, and later runs would read them. So ask now, with the code it loads."""
    from torchbridge.project import cache

    cache._code_fingerprint()


@pytest.fixture
def root() -> Path:
    return ROOT


@dataclass
class Cli:
    """``torchbridge ARGS`` in-process (a subprocess costs a second per call)."""

    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str) -> tuple[int, str, str]:
        """The exit code, standard output and standard error; never a traceback."""
        code = main(list(args))
        out, err = self.capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    def found(self, *args: str) -> list[tuple[str, str | None]]:
        """(filename, code) of each finding of ``check -j 1 --output-format json ARGS``, in
        output order; asserts a normal run (exit 1 exactly when something was found)."""
        code, out, err = self("check", "-j", "1", "--output-format", "json", *args)
        records = json.loads(out)
        assert err == "" and code == (1 if records else 0), (code, err)
        return [(Path(r["filename"]).as_posix(), r["code"]) for r in records]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], Path]:
    """Write ``{relative path: text}`` under tmp_path, which becomes the working directory."""
    monkeypatch.chdir(tmp_path)

    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Replace standard input with the given text (read once, as ``check -`` does)."""

    def feed(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))

    return feed


@pytest.fixture(autouse=True)
def _no_colour_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output must not depend on the developer's or CI's colour settings; the tests that are
    about colour set them."""
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
