#!/usr/bin/env python3
"""The server's pre-scan of an edited text against the whole text's, on every file of the corpus.

    python benchmarks/incremental_prescan.py [--corpus DIR] [--edits N] [--seed S] [--limit FILES]

For every ``.py`` file under the corpus, the pre-scan (``engine.prescan``) of the file, then
``--edits`` random edits one after the other (``incremental.py``'s: characters typed or
deleted anywhere, quotes and brackets among them, lines inserted, deleted or duplicated,
CRLF, form feeds and tabs), each scanned from the last text that passed with
``engine.incremental_prescan.prescan_from`` and compared with the whole text's scan: the
same verdict, and for a text that passes the same restarts and a first anomaly no later
than the whole scan's. It prints how many edits were scanned in part (stopped at a restart
after the edit), scanned to the end, or refused, and the **mismatches**, which are bugs.

Not a test (it reads the corpus); ``tests/engine/test_incremental_prescan.py`` runs the same
comparison on generated texts.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

from incremental import edited

from torchbridge.engine import incremental_prescan
from torchbridge.engine.incremental_prescan import Prescanned, prescan_from
from torchbridge.engine.prescan import Scan, scan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="at most this many files (0: all)")
    args = parser.parse_args()
    files = sorted(args.corpus.rglob("*.py"))[: args.limit or None]
    rng = random.Random(args.seed)
    outcomes: Counter[str] = Counter()
    mismatches: list[str] = []
    last: list[Scan] = []
    partial = incremental_prescan.scan

    def noting(text: str, start: int = 0, **options: object) -> Scan:
        found = partial(text, start, **options)  # type: ignore[arg-type]
        last[:] = [found]
        return found

    incremental_prescan.scan = noting  # type: ignore[assignment]
    started = time.perf_counter()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        verdict, passed = prescan_from(None, text)
        for _ in range(args.edits):
            text, kind = edited(text if passed is None else passed.text, rng)
            verdict, scanned = prescan_from(passed, text)
            whole = scan(text, record=True)
            if verdict != whole.verdict or not _same(scanned, whole, len(text)):
                mismatches.append(f"{path}: {kind} edit")
            outcomes["refused" if verdict else "stopped after the edit" if last and last[0].stopped else "to the end"] += 1
            passed = scanned or passed
    print(f"{len(files)} files, {sum(outcomes.values())} edits, {time.perf_counter() - started:.0f} s")
    for outcome, count in outcomes.most_common():
        print(f"  {count:6d}  {outcome}")
    print(f"mismatches: {len(mismatches)}")
    for line in mismatches[:20]:
        print("  " + line)
    return 1 if mismatches else 0


def _same(scanned: Prescanned | None, whole: Scan, size: int) -> bool:
    if whole.verdict is not None:
        return scanned is None
    return scanned is not None and scanned.restarts == tuple(whole.restarts) and scanned.anomaly <= (
        whole.anomaly if whole.anomaly is not None else size
    )


if __name__ == "__main__":
    sys.exit(main())
