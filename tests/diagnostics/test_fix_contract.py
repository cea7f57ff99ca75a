"""The fix contract, the rules' INVALID examples and their documentation agree.

Each INVALID example states the code after ``fix --unsafe-fixes``, the applicability of its
fix and the verifier's expectation; the contract entry the rule picked must say the same,
a safe run must apply exactly the safe ones, and every contract entry a rule can reach is
shown by at least one example.
"""

from __future__ import annotations

import gc

import pytest

from torchbridge import check_source, fix_source
from torchbridge.diagnostics.contract import Applicability, fix_safety
from torchbridge.rules import all_rules, contract_entries

RULES = all_rules()
# Entries no example can reach, and why (they exist so that law 3 holds: an unproven
# precondition downgrades a fix to unsafe rather than dropping it).
UNREACHABLE_FROM_EXAMPLES = {
    # TNP201 reports only a receiver proven a tensor; the chain's base is then proven too.
    "TNP201/detach-cpu-unproven",
    # Needs device-idiom = "accelerator": tests/fixing/test_fixer.py covers it.
    "TNP30x/insert-accelerator",
    # Safe only where the project declares torch-version >= 2.4: tests/cli/test_cli_fix.py covers them.
    "TNP304/amp-namespace",
    "TNP304/amp-decorator",
}


def _examples():
    for rule in RULES:
        for index, example in enumerate(rule.INVALID):
            yield pytest.param(rule, example, id=f"{rule.code}-invalid-{index}")


@pytest.mark.parametrize(("rule", "example"), list(_examples()))
def test_example_fix_matches_the_contract(rule, example):
    declared = {"torch_version": example.torch_version}
    findings = check_source(example.code, select=[rule.code], **declared)
    fixes = [f.fix for f in findings if f.fix is not None]
    if example.applicability is None:
        assert fixes == [], f"{rule.code}: the example declares no fix, the rule offers one"
        assert example.fixed is None
        return
    assert fixes, f"{rule.code}: the example declares a fix, the rule offers none"
    assert {fix.applicability for fix in fixes} == {example.applicability}
    for fix in fixes:
        assert fix.entry in rule.contract
        assert set(example.expect) == set(fix.entry.expect), f"{rule.code}: the example's devices are not the contract's"
        for device, verdict in example.expect.items():
            # A crash-fix is equivalent where nothing crashed, and a fix that may differ may not
            # on some device: an example may say which.
            contract = fix.entry.expect[device]
            assert verdict == contract or (contract in ("crash-fix", "differs") and verdict == "equivalent"), (
                f"{rule.code}: {device} {verdict!r} is not the contract's {contract!r}"
            )
    result = fix_source(example.code, unsafe=True, select=[rule.code], **declared)
    if example.applicability == "display":
        assert result.source == example.code and not result.applied
        return
    assert result.source == example.fixed
    compile(result.source, "<fixed>", "exec")
    # A second run changes nothing.
    assert fix_source(result.source, unsafe=True, select=[rule.code], **declared).source == result.source
    # Without --unsafe-fixes only safe fixes apply.
    safe_run = fix_source(example.code, select=[rule.code], **declared)
    expected = example.fixed if example.applicability == "safe" else example.code
    assert safe_run.source == expected


def test_every_reachable_entry_has_an_example():
    shown = set()
    for rule in RULES:
        for example in rule.INVALID:
            for finding in check_source(example.code, select=[rule.code], torch_version=example.torch_version):
                if finding.fix is not None:
                    shown.add(finding.fix.entry.key)
    rule_codes = {r.code for r in RULES}
    reachable = {key for key, e in contract_entries().items() if e.rule in rule_codes or e.rule == "TNP30x"}
    assert reachable - UNREACHABLE_FROM_EXAMPLES == shown


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_fix_safety_documentation_comes_from_the_contract(rule):
    text = rule.documentation()["Fix safety"]
    if rule.contract:
        assert text.endswith(fix_safety(rule.contract))
        for entry in rule.contract:
            heading = {"safe": "**Safe**", "unsafe": "**Unsafe", "display": "**Display only"}[entry.applicability]
            assert heading in text
    else:
        assert "No fix" in text


def test_example_fields_are_well_formed():
    for rule in RULES:
        for example in rule.INVALID:
            assert example.applicability in (None, *Applicability)
            if example.applicability not in (None, "display"):
                assert example.fixed is not None and example.expect
            if example.applicability is not None:
                assert example.expect is not None


def test_contract_law_is_enforced_on_entries():
    from torchbridge.diagnostics.contract import ContractEntry, Precondition

    with pytest.raises(ValueError, match="process-wide"):
        ContractEntry("TNP000/y", "r", "safe", (Precondition("P", "default device"),), {"cpu": "equivalent"})
    with pytest.raises(ValueError, match="only an unsafe fix"):
        ContractEntry("TNP000/y", "r", "safe", (), {"cpu": "differs"})
    with pytest.raises(ValueError, match="not verifiable"):
        ContractEntry("TNP000/y", "r", "display", (), {"cpu": "equivalent"})
    with pytest.raises(ValueError, match="a key is the rule's code"):
        ContractEntry("as-tensor", "r", "unsafe", (), {"cpu": "differs"})
    with pytest.raises(ValueError, match="unknown|not a valid"):
        ContractEntry("TNP000/y", "r", "sometimes", (), {"cpu": "differs"})
    # A rule declares only its own entries (or the shared device ones), checked on import.
    from torchbridge.rules import Rule

    with pytest.raises(ValueError, match="another rule's entry"):
        type("Borrows", (Rule,), {"code": "TNP999", "contract": RULES[0].contract})
    gc.collect()  # the refused class must not linger among Rule's subclasses
    for entry in contract_entries().values():
        if any(p.scope == "P" for p in entry.preconditions):
            assert entry.applicability != "safe", entry.key


def test_entries_that_keep_the_law_are_built_and_the_others_are_named():
    from torchbridge.diagnostics.contract import ContractEntry, Precondition

    # What the law allows: a safe fix proven in the file, a display fix that is not run.
    entry = ContractEntry("TNP999/y", "r", "safe", (Precondition("F", "a is an ndarray"),), {"cpu": "equivalent"})
    assert entry.rule == "TNP999"
    assert ContractEntry("TNP999/z", "r", "display", (), {"cpu": "not-verifiable"}).applicability == "display"
    assert ContractEntry("TNP999/w", "r", "unsafe", (), {"cpu": "differs"}).expect == {"cpu": "differs"}
    with pytest.raises(ValueError, match=r"^TNP999/y: 'maybe' is not a valid Verdict$"):
        ContractEntry("TNP999/y", "r", "unsafe", (), {"cpu": "maybe"})
    with pytest.raises(ValueError, match=r"^TNP999/y: 'sometimes' is not a valid Applicability$"):
        ContractEntry("TNP999/y", "r", "sometimes", (), {"cpu": "equivalent"})
    with pytest.raises(ValueError, match=r"^'X/y': a key is the rule's code, then the rewrite"):
        ContractEntry("X/y", "r", "safe", (), {"cpu": "equivalent"})
    with pytest.raises(ValueError, match=r"^unknown precondition scope 'Q'$"):
        Precondition("Q", "anything")


def test_fix_safety_of_a_rule_without_fixes_says_so():
    from torchbridge.diagnostics.contract import fix_safety
    from torchbridge.rules import all_rules

    [lint_only] = [rule for rule in all_rules() if rule.code == "TNP403"]
    assert not lint_only.contract
    assert fix_safety(lint_only.contract) == "No fix: this rule only reports."
    assert fix_safety((), "Lint only: the loop is the user's to change.") == "Lint only: the loop is the user's to change."
