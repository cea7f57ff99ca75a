"""Regenerate fixtures/fix/*.fixed.py and *.unsafe.fixed.py after a deliberate change.

Read the diff before committing it: these files are what tests/fixing/test_fix_golden.py holds the
fixer to.
"""

from __future__ import annotations

from pathlib import Path

from torchbridge import fix_source

FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "fix"


def originals() -> list[Path]:
    return sorted(p for p in FOLDER.glob("*.py") if not p.name.endswith(".fixed.py"))


def main() -> None:
    for path in originals():
        source = path.read_text(encoding="utf-8")
        for suffix, unsafe in ((".fixed.py", False), (".unsafe.fixed.py", True)):
            result = fix_source(source, unsafe=unsafe, select=["TNP"], filename=path.name)
            path.with_name(path.stem + suffix).write_text(result.source, encoding="utf-8")
            print(f"{path.name}{' --unsafe-fixes' if unsafe else ''}: {len(result.applied)} fixes")


if __name__ == "__main__":
    main()
