#!/usr/bin/env python3
"""What the prefilter costs and what the files it skips cost, in one process.

    python benchmarks/prefilter.py DIR [DIR ...] [--repeat N]

For every ``.py`` file under the folders, with the default rules, best of N, CPU seconds:

- the prefilter as plain substring tests (the needles as written) against the prefilter
  that allows Python's gaps between a needle's tokens (``torchbridge.engine.prefilter``), and the
  files whose verdict differs;
- the syntax check of the files that no rule can match but that mention ``torch`` or
  ``numpy`` (CPython's parser; such a broken file is reported as ``syntax-error``), against
  the whole engine over every file.
"""

from __future__ import annotations

import argparse
import ast
import resource
import warnings
from pathlib import Path

from torchbridge.engine.lint import lint_bytes
from torchbridge.engine.prefilter import mentions
from torchbridge.engine.source import decode
from torchbridge.rules import all_rules


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(function, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = cpu()
        result = function()
        best = min(best, cpu() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rules = [r for r in all_rules() if r.default_enabled]
    files = []
    for folder in args.dirs:
        for path in sorted(folder.rglob("*.py")):
            data = path.read_bytes()
            try:
                files.append((str(path), data, decode(data).text))
            except Exception:  # noqa: BLE001 - undecodable files are not the question here
                continue

    def substring() -> list[bool]:
        return [any(any(n in text for n in r.requires_text) for r in rules) for _, _, text in files]

    def gaps() -> list[bool]:
        return [any(mentions(text, r.requires_text) for r in rules) for _, _, text in files]

    old_time, old = timed(substring, args.repeat)
    new_time, new = timed(gaps, args.repeat)
    differ = [name for (name, _, _), a, b in zip(files, old, new) if a != b]
    skipped = [text for (_, _, text), active in zip(files, new) if not active and ("torch" in text or "numpy" in text)]

    def syntax_check() -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for text in skipped:
                try:
                    compile(text, "<file>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
                except SyntaxError:
                    pass
        return len(skipped)

    check_time, _ = timed(syntax_check, args.repeat)
    lint_time, _ = timed(lambda: [lint_bytes(data, name, rules) for name, data, _ in files], 1)
    print(f"{len(files)} files, {sum(new)} pass the prefilter")
    print(f"prefilter: substrings {old_time:.3f} s, with gaps {new_time:.3f} s ({new_time / max(old_time, 1e-9):.2f}x); "
          f"{len(differ)} files change verdict")
    for name in differ[:20]:
        print(f"  now parsed: {name}")
    print(f"skipped but about torch/numpy: {len(skipped)} files; their syntax check {check_time:.3f} s = "
          f"{100 * check_time / lint_time:.1f}% of the engine over every file ({lint_time:.2f} s)")


if __name__ == "__main__":
    main()
