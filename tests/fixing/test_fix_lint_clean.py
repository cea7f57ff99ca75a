"""Fixed code passes the user's other linters: wherever the original passes ``ruff check
--select I,F`` (isort order and pyflakes) and isort's default profile, the fixed file does
too, for every rule's INVALID examples and every golden fixture, with unsafe fixes on (they
insert the most: device variables, imports)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

from torchbridge import fix_source
from torchbridge.rules import all_rules


def _cases() -> dict[str, str]:
    cases = {}
    for rule in all_rules():
        for index, example in enumerate(rule.INVALID):
            cases[f"{rule.code.lower()}_invalid_{index}.py"] = example.code
    for path in sorted((FIXTURES / "fix").glob("*.py")):
        if not path.name.endswith(".fixed.py"):
            cases[f"golden_{path.stem}.py"] = path.read_text(encoding="utf-8")
    return cases


def _failing(folder: Path) -> set[str]:
    """The files ruff (I, F) or isort (its default profile) complains about."""
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "I,F", "--output-format", "concise", "--quiet", "."],
        cwd=folder, capture_output=True, text=True, check=False,
    )
    isort = subprocess.run(
        [sys.executable, "-m", "isort", "--check-only", "--settings-path", str(folder), "."],
        cwd=folder, capture_output=True, text=True, check=False,
    )
    names = {line.split(":", 1)[0].removeprefix("./") for line in ruff.stdout.splitlines() if ":" in line}
    names |= {Path(line.split()[1]).name for line in isort.stderr.splitlines() if line.startswith("ERROR:")}
    return names


@pytest.fixture(scope="module")
def linted(tmp_path_factory):
    before, after = tmp_path_factory.mktemp("before"), tmp_path_factory.mktemp("after")
    for name, source in _cases().items():
        (before / name).write_text(source, encoding="utf-8")
    # The examples are written compactly (no blank line after the imports); as a user of
    # isort would have them, they are sorted first, by isort itself.
    subprocess.run([sys.executable, "-m", "isort", "--quiet", "--settings-path", str(before), "."], cwd=before, check=False)
    changed = []
    for name in _cases():
        source = (before / name).read_text(encoding="utf-8")
        fixed = fix_source(source, unsafe=True, select=["TNP"], filename=name)
        (after / name).write_text(fixed.source, encoding="utf-8")
        if fixed.changed:
            changed.append(name)
    return _failing(before), _failing(after), changed


def test_fixed_code_passes_ruff_and_isort_where_the_original_did(linted):
    before, after, changed = linted
    assert sorted(after - before) == []


def test_the_check_is_not_vacuous(linted):
    before, _, changed = linted
    clean_and_fixed = [name for name in changed if name not in before]
    assert len(clean_and_fixed) >= 20, clean_and_fixed
