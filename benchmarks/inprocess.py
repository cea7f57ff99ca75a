#!/usr/bin/env python3
"""The engine against the parse floor in one process: no start-up, no subprocesses.

    python benchmarks/inprocess.py DIR [--select PREFIX ...] [--repeat N] [--positions-from-start]

Parses every file of DIR that imports torch, then lints the same files with the default
rules (or the rules whose codes start with each --select prefix), interleaved, best of N,
CPU seconds. Prints one line per selection: the floor, the lint time and their ratio. It
isolates the engine's own cost from process start-up, which bench.py includes.

``--positions-from-start`` adds a run of the default rules whose positions are resolved the
way they were before issue 26 (generated from the start of the module up to the last
reported node, the statements the findings came from ignored), and prints what resolving
positions cost in each run: run it on files with findings.
"""

from __future__ import annotations

import argparse
import resource
from pathlib import Path

import libcst as cst

from torchbridge.engine import lint as engine
from torchbridge.engine.lint import lint_bytes
from torchbridge.engine.positions import resolve_positions
from torchbridge.rules import all_rules


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _TimedPositions:
    """The engine's position resolver, timed; ``from_start`` ignores the statements the
    findings came from, as the resolver did before issue 26."""

    def __init__(self, from_start: bool) -> None:
        self.from_start = from_start
        self.spent = 0.0

    def __call__(self, module, nodes, source=None, near=()):
        began = cpu()
        try:
            return resolve_positions(module, nodes, source, () if self.from_start else near)
        finally:
            self.spent += cpu() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--select", action="append", default=[], help="a code prefix; repeatable (default: the default rules)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--positions-from-start", action="store_true",
                        help="also lint with positions resolved from the module's start")
    args = parser.parse_args()
    files = []
    for path in sorted(args.dir.rglob("*.py")):
        data = path.read_bytes()
        if b"import torch" in data or b"from torch" in data:
            files.append((str(path), data))
    selections = {"default": [r for r in all_rules() if r.default_enabled]}
    for prefix in args.select:
        selections[prefix] = [r for r in all_rules() if r.code.startswith(prefix)]
    if args.positions_from_start:
        selections["default, positions from the start"] = selections["default"]
    floor = float("inf")
    lint = dict.fromkeys(selections, float("inf"))
    positions = dict.fromkeys(selections, float("inf"))
    for _ in range(args.repeat):
        start = cpu()
        for _, data in files:
            cst.parse_module(data.decode("utf-8", "replace"))
        floor = min(floor, cpu() - start)
        for name, rules in selections.items():
            timed = _TimedPositions(from_start=name.endswith("from the start"))
            engine.resolve_positions = timed
            start = cpu()
            for filename, data in files:
                lint_bytes(data, filename, rules)
            lint[name] = min(lint[name], cpu() - start)
            positions[name] = min(positions[name], timed.spent)
            engine.resolve_positions = resolve_positions
    print(f"{len(files)} files that import torch; parse floor {floor:.2f} s")
    for name, seconds in lint.items():
        print(f"  {name:>8}: {seconds:.2f} s = {seconds / floor:.2f}x the floor "
              f"(of which positions {positions[name]:.2f} s = {positions[name] / floor:.3f}x)")


if __name__ == "__main__":
    main()
