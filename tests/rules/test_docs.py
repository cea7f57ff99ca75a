"""docs/rules/ and the README's rule table are generated from the rules; they must not drift."""

from __future__ import annotations

from torchbridge.rules import all_rules, rule_by_code
from torchbridge.rules.docs import readme_with_table, rule_markdown


def test_rule_pages_match_the_rules(root):
    pages = {p.name for p in (root / "docs" / "rules").glob("TNP*.md")}
    assert pages == {f"{r.code}.md" for r in all_rules()}, "run: python scripts/generate_docs.py"
    for rule in all_rules():
        page = (root / "docs" / "rules" / f"{rule.code}.md").read_text(encoding="utf-8")
        assert page == rule_markdown(rule), f"docs/rules/{rule.code}.md is stale: run python scripts/generate_docs.py"


def test_readme_rule_table_matches_the_rules(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), "README rule table is stale: run python scripts/generate_docs.py"


def test_rule_command_prints_the_same_documentation(capsys):
    from torchbridge.cli import main

    assert main(["rule", "tnp301"]) == 0
    assert capsys.readouterr().out == rule_markdown(rule_by_code("TNP301"))


def test_rule_catalog_matches_the_rules(root):
    """The table the command line starts with (no rule loaded) says what the classes say."""
    from torchbridge.rules.catalog import CATALOG
    from torchbridge.rules.docs import catalog_with_table

    source = (root / "src" / "torchbridge" / "rules" / "catalog.py").read_text(encoding="utf-8")
    assert source == catalog_with_table(source), "rules/catalog.py is stale: run python scripts/generate_docs.py"
    assert [(r.code, r.name, r.category, r.default_enabled) for r in all_rules()] == [tuple(info) for info in CATALOG]
