"""The fix contract, the rules' INVALID examples and their documentation agree.

Each INVALID example states the code after ``fix --unsafe-fixes``, the applicability of its
fix and the verifier's expectation; the contract entry the rule picked must say the same,
a safe run must apply exactly the safe ones, and every contract entry a rule can reach is
shown by at least one example.
"""

from __future__ import annotations

import pytest

from torchbridge import check_source, fix_source
from torchbridge.contract import APPLICABILITIES, ENTRIES, entries_for, fix_safety
from torchbridge.rules import all_rules

RULES = all_rules()
# Entries no example can reach, and why (they exist so that law 3 holds: an unproven
# precondition downgrades a fix to unsafe rather than dropping it).
UNREACHABLE_FROM_EXAMPLES = {
    # TNP201 reports only a receiver proven a tensor; the chain's base is then proven too.
    "TNP201/detach-cpu-unproven",
    # Needs device-idiom = "accelerator": tests/test_fixer.py covers it.
    "TNP30x/insert-accelerator",
    # Safe only where the project declares torch-version >= 2.4: tests/test_cli_fix.py covers them.
    "TNP304/amp-namespace",
    "TNP304/amp-decorator",
}


def _examples():
    for rule in RULES:
        for index, example in enumerate(rule.INVALID):
            yield pytest.param(rule, example, id=f"{rule.code}-invalid-{index}")


@pytest.mark.parametrize(("rule", "example"), list(_examples()))
def test_example_fix_matches_the_contract(rule, example):
    findings = check_source(example.code, select=[rule.code])
    fixes = [f.fix for f in findings if f.fix is not None]
    if example.applicability is None:
        assert fixes == [], f"{rule.code}: the example declares no fix, the rule offers one"
        assert example.fixed is None
        return
    assert fixes, f"{rule.code}: the example declares a fix, the rule offers none"
    assert {fix.applicability for fix in fixes} == {example.applicability}
    for fix in fixes:
        assert fix.entry in entries_for(rule.code)
        assert set(example.expect) == set(fix.entry.expect), f"{rule.code}: the example's devices are not the contract's"
        for device, verdict in example.expect.items():
            # A crash-fix is equivalent where nothing crashed, and a fix that may differ may not
            # on some device: an example may say which.
            contract = fix.entry.expect[device]
            assert verdict == contract or (contract in ("crash-fix", "differs") and verdict == "equivalent"), (
                f"{rule.code}: {device} {verdict!r} is not the contract's {contract!r}"
            )
    result = fix_source(example.code, unsafe=True, select=[rule.code])
    if example.applicability == "display":
        assert result.source == example.code and not result.applied
        return
    assert result.source == example.fixed
    compile(result.source, "<fixed>", "exec")
    # A second run changes nothing.
    assert fix_source(result.source, unsafe=True, select=[rule.code]).source == result.source
    # Without --unsafe-fixes only safe fixes apply.
    safe_run = fix_source(example.code, select=[rule.code])
    expected = example.fixed if example.applicability == "safe" else example.code
    assert safe_run.source == expected


def test_every_reachable_entry_has_an_example():
    shown = set()
    for rule in RULES:
        for example in rule.INVALID:
            for finding in check_source(example.code, select=[rule.code]):
                if finding.fix is not None:
                    shown.add(finding.fix.entry.key)
    rule_codes = {r.code for r in RULES}
    reachable = {e.key for e in ENTRIES if e.rule in rule_codes or e.rule == "TNP30x"}
    assert reachable - UNREACHABLE_FROM_EXAMPLES == shown


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_fix_safety_documentation_comes_from_the_contract(rule):
    text = rule.documentation()["Fix safety"]
    if entries_for(rule.code):
        assert text.endswith(fix_safety(rule.code))
        for entry in entries_for(rule.code):
            heading = {"safe": "**Safe**", "unsafe": "**Unsafe", "display": "**Display only"}[entry.applicability]
            assert heading in text
    else:
        assert "No fix" in text


def test_example_fields_are_well_formed():
    for rule in RULES:
        for example in rule.INVALID:
            assert example.applicability in (None, *APPLICABILITIES)
            if example.applicability not in (None, "display"):
                assert example.fixed is not None and example.expect
            if example.applicability is not None:
                assert example.expect is not None


def test_contract_law_is_enforced_on_entries():
    from torchbridge.contract import ContractEntry, Precondition

    with pytest.raises(ValueError, match="process-wide"):
        ContractEntry("X/y", "r", "safe", (Precondition("P", "default device"),), {"cpu": "equivalent"})
    with pytest.raises(ValueError, match="only an unsafe fix"):
        ContractEntry("X/y", "r", "safe", (), {"cpu": "differs"})
    with pytest.raises(ValueError, match="not verifiable"):
        ContractEntry("X/y", "r", "display", (), {"cpu": "equivalent"})
    for entry in ENTRIES:
        if any(p.scope == "P" for p in entry.preconditions):
            assert entry.applicability != "safe", entry.key


def test_entries_that_keep_the_law_are_built_and_the_others_are_named():
    from torchbridge.contract import ContractEntry, Precondition

    # What the law allows: a safe fix proven in the file, a display fix that is not run.
    assert ContractEntry("X/y", "r", "safe", (Precondition("F", "a is an ndarray"),), {"cpu": "equivalent"}).rule == "X"
    assert ContractEntry("X/z", "r", "display", (), {"cpu": "not-verifiable"}).applicability == "display"
    assert ContractEntry("X/w", "r", "unsafe", (), {"cpu": "differs"}).expect == {"cpu": "differs"}
    with pytest.raises(ValueError, match=r"^X/y: unknown verdict 'maybe'$"):
        ContractEntry("X/y", "r", "unsafe", (), {"cpu": "maybe"})
    with pytest.raises(ValueError, match=r"^X/y: unknown applicability 'sometimes'$"):
        ContractEntry("X/y", "r", "sometimes", (), {"cpu": "equivalent"})
    with pytest.raises(ValueError, match=r"^unknown precondition scope 'Q'$"):
        Precondition("Q", "anything")


def test_fix_safety_of_a_rule_without_fixes_says_so():
    from torchbridge.contract import entries_for, fix_safety

    assert not entries_for("TNP403")
    assert fix_safety("TNP403") == "No fix: this rule only reports."
    assert fix_safety("TNP403", "Lint only: the loop is the user's to change.") == "Lint only: the loop is the user's to change."
