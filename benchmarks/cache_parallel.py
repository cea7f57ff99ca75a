#!/usr/bin/env python3
"""The cache and parallelism benchmark: one tree, checked cold, cached, -j 1 and -j 2.

    python benchmarks/cache_parallel.py DIR [--repeat N] [--json FILE]

Each run is a fresh ``python -m torchbridge check --isolated`` over DIR, so process start-up
and imports are in every figure. CPU time is user + system of the child and of the worker
processes it started (``RUSAGE_CHILDREN``), wall time is the child's whole life. The runs
are interleaved and repeated, and the best of each is kept: read the ratios, which come from
one run of this script, not seconds from different runs.

| run | what |
|---|---|
| `cold` | ``-j 1`` with an empty cache: every file checked and its entry written |
| `cached` | ``-j 1`` again over the same cache: every file answered by it |
| `cached -j 2` | the same with two jobs (no worker starts when nothing misses) |
| `-j 1` | ``--no-cache -j 1``: checking alone |
| `-j 2` | ``--no-cache -j 2``: checking in two worker processes |

Every run must print the same findings; the script stops if one does not.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = ("cold", "cached", "cached -j 2", "-j 1", "-j 2")


def measure(command: list[str]) -> tuple[float, float, str]:
    """CPU seconds (the child and its children), wall seconds, standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    args = parser.parse_args()
    base = [sys.executable, "-m", "torchbridge", "check", "--isolated", "--output-format", "json",
            str(args.directory)]
    files = sum(1 for _ in args.directory.rglob("*.py"))
    best: dict[str, tuple[float, float]] = {}
    outputs: dict[str, str] = {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="torchbridge-bench-cache-") as cache:
            commands = {
                "cold": [*base, "-j", "1", "--cache-dir", cache],
                "cached": [*base, "-j", "1", "--cache-dir", cache],
                "cached -j 2": [*base, "-j", "2", "--cache-dir", cache],
                "-j 1": [*base, "-j", "1", "--no-cache"],
                "-j 2": [*base, "-j", "2", "--no-cache"],
            }
            for name in RUNS:  # in this order: "cached" needs "cold" first
                cpu, wall, out = measure(commands[name])
                if outputs.setdefault("any", out) != out:
                    raise SystemExit(f"{name}: the output differs from the other runs")
                old = best.get(name)
                best[name] = (min(cpu, old[0]), min(wall, old[1])) if old else (cpu, wall)
    cold_cpu = best["cold"][0]
    findings = len(json.loads(outputs["any"]))
    print(f"{args.directory}: {files} .py files, {findings} findings; best of {args.repeat}")
    print(f"{'run':<12} {'CPU s':>8} {'wall s':>8} {'CPU / cold':>11}")
    for name in RUNS:
        cpu, wall = best[name]
        print(f"{name:<12} {cpu:8.2f} {wall:8.2f} {cpu / cold_cpu:10.3f}x")
    speedup = best["-j 1"][1] / best["-j 2"][1]
    print(f"-j 2 wall speed-up over -j 1: {speedup:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({name: {"cpu": c, "wall": w} for name, (c, w) in best.items()}, indent=2))


if __name__ == "__main__":
    main()
