#!/usr/bin/env python3
"""The engine against the parse floor in one process: no start-up, no subprocesses.

    python benchmarks/inprocess.py DIR [--select PREFIX ...] [--repeat N]

Parses every file of DIR that imports torch, then lints the same files with the default
rules (or the rules whose codes start with each --select prefix), interleaved, best of N,
CPU seconds. Prints one line per selection: the floor, the lint time and their ratio. It
isolates the engine's own cost from process start-up, which bench.py includes.
"""

from __future__ import annotations

import argparse
import resource
from pathlib import Path

import libcst as cst

from torchbridge.engine.lint import lint_bytes
from torchbridge.rules import all_rules


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--select", action="append", default=[], help="a code prefix; repeatable (default: the default rules)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    files = []
    for path in sorted(args.dir.rglob("*.py")):
        data = path.read_bytes()
        if b"import torch" in data or b"from torch" in data:
            files.append((str(path), data))
    selections = {"default": [r for r in all_rules() if r.default_enabled]}
    for prefix in args.select:
        selections[prefix] = [r for r in all_rules() if r.code.startswith(prefix)]
    floor = float("inf")
    lint = dict.fromkeys(selections, float("inf"))
    for _ in range(args.repeat):
        start = cpu()
        for _, data in files:
            cst.parse_module(data.decode("utf-8", "replace"))
        floor = min(floor, cpu() - start)
        for name, rules in selections.items():
            start = cpu()
            for filename, data in files:
                lint_bytes(data, filename, rules)
            lint[name] = min(lint[name], cpu() - start)
    print(f"{len(files)} files that import torch; parse floor {floor:.2f} s")
    for name, seconds in lint.items():
        print(f"  {name:>8}: {seconds:.2f} s = {seconds / floor:.2f}x the floor")


if __name__ == "__main__":
    main()
