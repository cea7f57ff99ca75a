"""Regenerate docs/rules/TNPxxx.md, the README's rule table and the rule catalog
(src/torchbridge/rules/catalog.py) from the rule classes.

Run: python scripts/generate_docs.py  (tests/rules/test_docs.py fails when the output drifts)
"""

from __future__ import annotations

from pathlib import Path

from torchbridge.rules import all_rules
from torchbridge.rules.docs import catalog_with_table, readme_with_table, rule_markdown

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    docs = ROOT / "docs" / "rules"
    docs.mkdir(parents=True, exist_ok=True)
    wanted = {f"{rule.code}.md": rule_markdown(rule) for rule in all_rules()}
    for stale in docs.glob("TNP*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        (docs / name).write_text(text, encoding="utf-8")
    readme = ROOT / "README.md"
    readme.write_text(readme_with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
    catalog = ROOT / "src" / "torchbridge" / "rules" / "catalog.py"
    catalog.write_text(catalog_with_table(catalog.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
