"""Every rule's VALID and INVALID examples are tests (Fixit's idea), plus the meta-checks
that keep the rule catalogue honest."""

from __future__ import annotations

import re

import pytest

from torchbridge import check_source
from torchbridge.rules import CATEGORIES, DOC_SECTIONS, all_rules

RULES = all_rules()


def _cases(kind: str):
    for rule in RULES:
        for index, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.code}-{kind.lower()}-{index}")


@pytest.mark.parametrize(("rule", "example"), list(_cases("VALID")))
def test_valid_example_is_not_reported(rule, example):
    findings = check_source(example.code, select=[rule.code])
    assert findings == [], f"{rule.code} reported valid code:\n{example.code}"


@pytest.mark.parametrize(("rule", "example"), list(_cases("INVALID")))
def test_invalid_example_is_reported_where_expected(rule, example):
    findings = check_source(example.code, select=[rule.code], torch_version=example.torch_version)
    assert [(f.line, f.column) for f in findings] == list(example.findings)
    assert all(f.code == rule.code and f.name == rule.name for f in findings)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_complete(rule):
    assert re.fullmatch(r"TNP[1-9][0-9]{2}", rule.code)
    assert re.fullmatch(r"[a-z]+(?:-[a-z0-9]+)+", rule.name)
    assert rule.category in CATEGORIES
    assert rule.message.strip()
    assert rule.requires_text, "a rule must say what text it needs (the prefilter)"
    sections = rule.documentation()
    assert list(sections) == list(DOC_SECTIONS), f"{rule.code}: sections must be exactly {DOC_SECTIONS}"
    assert all(body.strip() for body in sections.values()), f"{rule.code}: an empty section"
    assert rule.VALID, f"{rule.code} has no VALID examples"
    assert rule.INVALID, f"{rule.code} has no INVALID examples"
    for example in rule.INVALID:
        assert example.findings, f"{rule.code}: an INVALID example must list its findings"
        for field in ("fixed", "applicability", "expect"):
            assert hasattr(example, field)


def test_codes_and_names_are_unique():
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


def test_examples_are_valid_python():
    for rule in RULES:
        for example in (*rule.VALID, *rule.INVALID):
            compile(example.code, f"<{rule.code}>", "exec")


def _fixed_examples():
    """Each INVALID example that declares a fix, as ``verify --rules`` takes it."""
    for rule in RULES:
        for index, example in enumerate(rule.INVALID):
            if example.applicability is not None:
                yield pytest.param(rule, example, id=f"{rule.code}-invalid-{index}")


@pytest.mark.parametrize(("rule", "example"), list(_fixed_examples()))
def test_the_verifier_runs_the_fix(rule, example):
    """The snippet the verifier runs for a fix holds the fix's edits: a probe that lost them
    would verify the unfixed code. (``verify --rules`` runs them; this only reads them.)"""
    declared = example.torch_version  # some fixes exist only from a torch version on
    fixed = [f for f in check_source(example.code, select=[rule.code], torch_version=declared) if f.fix is not None]
    assert fixed, f"{rule.code}: the example declares a fix"
    for finding in fixed:
        probe = finding.fix.probe
        if probe is None:
            assert set(example.expect.values()) == {"not-verifiable"}, "only a declared not-verifiable fix has no probe"
            continue
        assert probe.fixed != probe.original
        names = dict(probe.names)
        for edit in finding.fix.edits:
            text = edit.content.strip()
            if not text:
                continue  # a deletion: the snippets differ, checked above
            words = text.split()
            imported = words[0] == "import" and names.get(words[-1]) == words[1]
            assert text in probe.fixed or text in probe.fixed_prelude or imported, (text, probe.fixed)
