#!/usr/bin/env python3
"""What the call-site facts of private helpers (``model/call_sites.py``) cost, in one process.

    python benchmarks/call_sites_cost.py DIR [--select PREFIX ...]

Lints every file of DIR that imports torch with the default rules (or the rules whose codes
start with each --select prefix, plus TNP203/308/309/403 with ``--all``), and counts what the
lazy search did: the rules' questions that reached it, the functions whose call sites were
looked for, the module scans and argument walks, the walks of a helper with its callers'
facts, and the CPU time of all of it against the whole lint and the LibCST parse floor of
the same files (measured in the same run). ``_probed`` counts the walks for the arguments
(a caller, or the module's start) and the walks of a helper with its callers' facts.
"""

from __future__ import annotations

import argparse
import resource
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import libcst as cst

from torchbridge.engine.lint import lint_bytes
from torchbridge.model import call_sites
from torchbridge.rules import all_rules


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Meter:
    """Counts the calls of the wrapped functions and the CPU time spent outermost in them."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.spent = 0.0
        self._depth = 0

    def wrap(self, owner: Any, name: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def measured(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            self._depth += 1
            began = cpu() if self._depth == 1 else 0.0
            try:
                return original(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.spent += cpu() - began

        setattr(owner, name, measured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--all", action="store_true", help="every rule, the off-by-default ones too")
    args = parser.parse_args()
    files = []
    for path in sorted(args.dir.rglob("*.py")):
        data = path.read_bytes()
        if b"import torch" in data or b"from torch" in data:
            files.append((str(path), data))
    rules = [r for r in all_rules() if r.default_enabled or args.all]
    meter = _Meter()
    meter.wrap(call_sites.CallSites, "refine")
    meter.wrap(call_sites.CallSites, "_parameter_facts")
    meter.wrap(call_sites, "_scan")
    meter.wrap(call_sites.CallSites, "_walk_units")
    meter.wrap(call_sites, "_probed")
    start = cpu()
    for _, data in files:
        cst.parse_module(data.decode("utf-8", "replace"))
    floor = cpu() - start
    start = cpu()
    findings = 0
    for filename, data in files:
        findings += len(lint_bytes(data, filename, rules))
    total = cpu() - start
    print(f"{len(files)} files that import torch; parse floor {floor:.2f} s; lint {total:.2f} s "
          f"({total / floor:.2f}x the floor), {findings} findings")
    print(f"call-site facts: {meter.spent:.3f} s = {meter.spent / total:.1%} of the lint, "
          f"{meter.spent / floor:.3f}x the floor")
    for name in ("refine", "_parameter_facts", "_scan", "_walk_units", "_probed"):
        print(f"  {name:>17}: {meter.calls[name]} calls")


if __name__ == "__main__":
    main()
