#!/usr/bin/env python3
"""The server's check after an edit, in-process: this tree against another revision, side by side.

    python benchmarks/server_checks.py [--file PATH] [--edits 40] [--rounds 3] [--base REV] [--extend-select CODES]

What the language server does between receiving an edit and answering with diagnostics,
without the JSON-RPC round trip: ``server.analysis.analyze`` of the edited text from the
previous check's parse (the incremental parse, the model and rules, positions, ``# noqa``),
with the server's default rule selection (``--extend-select TNP901``: the unused-``noqa``
rule too, which tokenizes the file when it names a TNP code). The edits are those of ``benchmarks/server.py``
(a character typed, then deleted again, in a comment line, after an integer literal, after
a name inside a function body), applied one after the other as an editor sends them, each
check given the last one (so that comment edits reuse its findings where the revision can). Each
revision runs in its own process (its ``src/`` from git), the revisions taking turns for
``--rounds`` rounds so that the machine's load falls on both; p50 and p95 per edit kind
and revision, and the ratio of the medians.

Not a test: nothing here runs in CI. Figures: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("comment", "literal", "name")


def measure(path: str, kind: str, edits: int, extend: str) -> list[float]:
    """Seconds per check, after each of ``edits`` edits of ``kind`` (run in the revision's process)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import server as bench

    from torchbridge.server.analysis import analyze, file_unit
    from torchbridge.server.settings import Configuration

    text = bench.torch_file() if not path else bench.given_file(Path(path))
    settings = Configuration([]).for_path(None)
    if extend:
        settings = dataclasses.replace(settings, extend_select=tuple(extend.split(",")))
    analysis = analyze(file_unit("file:///b.py", "b.py", None, text), settings, (1, 0))
    places = bench.marks(text) if kind == "comment" else bench.code_places(text, kind)
    lines = text.splitlines(keepends=True)
    times = []
    for n in range(edits):
        line, column = places[(n // 2) % len(places)]
        typed = bench.TYPED[kind]
        if n % 2 == 0:
            lines[line] = lines[line][:column] + typed + lines[line][column:]
        else:
            lines[line] = lines[line][:column] + lines[line][column + len(typed) :]
        started = time.perf_counter()
        analysis = analyze(
            file_unit("file:///b.py", "b.py", None, "".join(lines)), settings, (1, 0), analysis.parsed, *_last(analysis),
        )
        times.append(time.perf_counter() - started)
    return times


def _last(analysis: object) -> tuple[object, ...]:
    """The last check, for a revision whose ``analyze`` takes it (comment edits reuse its findings)."""
    from torchbridge.server.analysis import analyze

    return (analysis,) if "last" in analyze.__code__.co_varnames[: analyze.__code__.co_argcount] else ()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--edits", type=int, default=40, help="edits of each kind per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", default="HEAD~1", metavar="REV")
    parser.add_argument("--extend-select", default="", metavar="CODES", help="comma-separated, as in the configuration")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, kind, edits, extend = args.child
        print(json.dumps(measure(path, kind, int(edits), extend)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base, "src"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
        trees = {"this tree": str(ROOT / "src"), f"at {args.base}": str(Path(scratch) / "src")}
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for kind in KINDS:
                for name, src in trees.items():
                    out = subprocess.run(
                        [sys.executable, __file__, "--child", str(args.file or ""), kind, str(args.edits), args.extend_select],
                        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": src},
                    ).stdout
                    results.setdefault((kind, name), []).extend(json.loads(out.splitlines()[-1]))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[1]:.1f} (5 min)")
    base = f"at {args.base}"
    for kind in KINDS:
        new, old = results[(kind, "this tree")], results[(kind, base)]
        print(
            f"  {kind:8s} this tree {percentile(new, .5) * 1000:5.0f} / {percentile(new, .95) * 1000:5.0f} ms, "
            f"{base} {percentile(old, .5) * 1000:5.0f} / {percentile(old, .95) * 1000:5.0f} ms (p50 / p95), "
            f"p50 ratio {statistics.median(new) / statistics.median(old):.2f}  ({len(new)} edits each)"
        )


if __name__ == "__main__":
    main()
