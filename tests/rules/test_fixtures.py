"""The fixtures carry their expectations inline: ``# expect: CODE[, CODE]`` on the line
where a finding must start, ``# ok`` on a tempting line that must stay quiet. Any finding
on a line without ``# expect`` fails the test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FIXTURES

from torchbridge import check_source
from torchbridge.rules import all_rules

EXPECT = re.compile(r"#\s*expect:\s*(TNP\d{3}(?:\s*,\s*TNP\d{3})*)")
ALL_CODES = [rule.code for rule in all_rules()]


def _fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if not p.name.endswith(".fixed.py"))


def expectations(source: str) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(source.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            found.update((number, code.strip()) for code in match.group(1).split(","))
    return found


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_expectations(path: Path):
    source = path.read_text(encoding="utf-8")
    findings = check_source(source, filename=str(path), select=ALL_CODES)
    assert not [f for f in findings if f.code is None], "a fixture must be checkable"
    reported = {(f.line, f.code) for f in findings}
    assert reported == expectations(source)


def test_every_rule_has_a_fixture_finding():
    covered = {code for path in _fixture_files() for _, code in expectations(path.read_text(encoding="utf-8"))}
    assert covered >= set(ALL_CODES), f"rules without a fixture finding: {set(ALL_CODES) - covered}"


def test_ok_markers_exist():
    """The fixtures also show the tempting non-findings."""
    oks = sum(path.read_text(encoding="utf-8").count("# ok") for path in _fixture_files())
    assert oks >= 30
