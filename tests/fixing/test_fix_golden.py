"""Golden files: fixtures/fix/X.py fixed is X.fixed.py (safe fixes) and X.unsafe.fixed.py
(with --unsafe-fixes). Regenerate with scripts/update_fix_fixtures.py, and read the diff."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from torchbridge import check_source, fix_source
from torchbridge.cli import main

FOLDER = FIXTURES / "fix"
ORIGINALS = sorted(p for p in FOLDER.glob("*.py") if not p.name.endswith(".fixed.py"))
MODES = [pytest.param(False, ".fixed.py", id="safe"), pytest.param(True, ".unsafe.fixed.py", id="unsafe")]


def test_there_are_golden_files():
    assert len(ORIGINALS) >= 4
    for original in ORIGINALS:
        for _, suffix in (m.values for m in MODES):
            assert original.with_name(original.stem + suffix).is_file()


@pytest.mark.parametrize("original", ORIGINALS, ids=lambda p: p.stem)
@pytest.mark.parametrize(("unsafe", "suffix"), MODES)
def test_fix_gives_the_golden_file(original, unsafe, suffix):
    source = original.read_text(encoding="utf-8")
    expected = original.with_name(original.stem + suffix).read_text(encoding="utf-8")
    result = fix_source(source, unsafe=unsafe, select=["TNP"], filename=original.name)
    assert result.source == expected
    compile(result.source, original.name, "exec")
    # Idempotent: a second run finds nothing more to apply.
    again = fix_source(result.source, unsafe=unsafe, select=["TNP"], filename=original.name)
    assert again.source == result.source and not again.applied
    # What remains has no fix this mode would apply, and no diagnostic.
    for finding in result.remaining:
        assert finding.code is not None
        assert finding.fix is None or not finding.fix.applies(unsafe)


@pytest.mark.parametrize("original", ORIGINALS, ids=lambda p: p.stem)
def test_every_fixture_has_something_to_fix(original):
    findings = check_source(original.read_text(encoding="utf-8"), select=["TNP"])
    assert any(f.fix is not None and f.fix.applies(True) for f in findings)


@pytest.mark.parametrize("original", ORIGINALS, ids=lambda p: p.stem)
def test_the_cli_writes_the_golden_file(original, tmp_path, monkeypatch, capsys):
    copy = tmp_path / original.name
    copy.write_bytes(original.read_bytes())
    monkeypatch.chdir(tmp_path)
    code = main(["fix", "--isolated", "--select", "TNP", "--unsafe-fixes", "--fix-only", copy.name])
    capsys.readouterr()
    assert code == 0
    assert copy.read_text(encoding="utf-8") == original.with_name(original.stem + ".unsafe.fixed.py").read_text(encoding="utf-8")
