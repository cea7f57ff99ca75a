#!/usr/bin/env python3
"""The incremental parse against the full parse, on every file of the real corpus.

    python benchmarks/incremental.py [--corpus DIR] [--edits N] [--seed S] [--limit FILES] [--shard K/N]

For every ``.py`` file under the corpus (``/work/corpus`` by default: the repositories of
``repos.tsv``), parse it, then make ``--edits`` random edits one after the other, each
re-parsed from the previous parse with ``engine.incremental.reparse`` and compared with
``libcst.parse_module`` of the same text. The edits are of the kinds an editor sends: a
character typed or deleted anywhere (often a syntax error), a line inserted (blank, a
comment, an indented comment, whitespace, a statement), a line deleted or duplicated, a
digit or a name's letter changed inside code, a line's newline turned into CRLF, a form
feed or a tab typed at a line's start.

It prints, over all edits: how many the incremental parse answered in parts and identical
to the full parse (``partial``), how many it sent to a full parse and why (``fallback``),
how many were syntax errors for both parsers, and how many were **mismatches** (a
different tree, a different code, or one parser raising where the other did not). A
mismatch is a bug; the run lists the first few with the file and edit.

Not a test (it reads the corpus, which is fetched, never committed); the property test in
``tests/engine/test_incremental.py`` runs the same comparison on generated edits.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

import libcst as cst

from torchbridge.engine.incremental import Parsed, offsets, parse, reparse
from torchbridge.engine.prescan import prescan

SNIPPETS = ("\n", "# note\n", "    # note\n", "  \n", "x = 1\n", "def g():\n    return 1\n", "\x0c\n", "@d\n")


def edited(text: str, rng: random.Random) -> tuple[str, str]:
    """``text`` with one random edit, and its name."""
    lines = text.splitlines(keepends=True) or [""]
    k = rng.randrange(len(lines))
    kind = rng.choice(("type", "delete", "insert", "remove", "duplicate", "digit", "letter", "crlf", "indent"))
    if kind == "type":
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice("x1 ()[]:#'\"\n\\\t.=") + text[at:], kind
    if kind == "delete" and text:
        at = rng.randrange(len(text))
        return text[:at] + text[at + 1 :], kind
    if kind == "insert":
        lines.insert(k, rng.choice(SNIPPETS))
    elif kind == "remove":
        del lines[k]
    elif kind == "duplicate":
        lines.insert(k, lines[k])
    elif kind in ("digit", "letter"):
        # A digit or a letter in a code line changed: the file usually stays valid.
        code = [n for n, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
        if code:
            k = rng.choice(code)
            line = lines[k]
            places = [i for i, c in enumerate(line) if (c.isdigit() if kind == "digit" else c.isalpha())]
            if places:
                i = rng.choice(places)
                lines[k] = line[:i] + rng.choice("0123456789" if kind == "digit" else "abcxyz") + line[i + 1 :]
    elif kind == "crlf" and lines[k].endswith("\n") and not lines[k].endswith("\r\n"):
        lines[k] = lines[k][:-1] + "\r\n"
    elif kind == "indent":
        lines[k] = rng.choice("\x0c\t ") + lines[k]
    return "".join(lines), kind


def compare(previous: Parsed, text: str) -> tuple[str, Parsed | None, str]:
    """(verdict, the new parse or None, detail) for one edit."""
    try:
        full = cst.parse_module(text)
    except cst.ParserSyntaxError:
        full = None
    try:
        parsed, outcome = reparse(previous, text)
    except cst.ParserSyntaxError:
        return ("syntax error" if full is None else "mismatch"), None, "the incremental parse raised"
    if full is None:
        return "mismatch", None, f"the incremental parse accepted a syntax error ({outcome})"
    # Not ``text``: LibCST's own code drops a form feed that starts a line.
    if parsed.module.code != full.code or not parsed.module.deep_equals(full):
        return "mismatch", None, f"a different tree ({outcome})"
    if parsed.incremental and offsets(full, text) != (parsed.starts, parsed.lines):
        return "mismatch", None, f"different statement offsets ({outcome})"
    if outcome.kind == "fallback":
        return f"fallback: {outcome.reason}", parsed, ""
    return outcome.kind, parsed, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="at most this many files (0: all)")
    parser.add_argument("--shard", default="0/1", help="K/N: every N-th file from the K-th (runs in parallel)")
    args = parser.parse_args()
    files = sorted(args.corpus.rglob("*.py"))
    if args.limit:
        files = files[: args.limit]
    shard, shards = (int(part) for part in args.shard.split("/"))
    files = files[shard::shards]
    rng = random.Random(args.seed * shards + shard)
    verdicts: Counter[str] = Counter()
    mismatches: list[str] = []
    skipped = 0
    started = time.perf_counter()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            previous = parse(text)
        except (UnicodeDecodeError, cst.ParserSyntaxError):
            skipped += 1
            continue
        if prescan(text) is not None:
            skipped += 1
            continue
        for _ in range(args.edits):
            text, kind = edited(previous.text, rng)
            if prescan(text) is not None:
                continue  # LibCST's native parser may crash on it; the engine never parses it
            verdict, parsed, detail = compare(previous, text)
            verdicts[verdict] += 1
            if verdict == "mismatch":
                mismatches.append(f"{path}: {kind} edit: {detail}")
            if parsed is not None:
                previous = parsed
    elapsed = time.perf_counter() - started
    print(f"{len(files) - skipped} files ({skipped} skipped: not UTF-8, not parsed, or refused by the pre-scan), "
          f"{sum(verdicts.values())} edits, {elapsed:.0f} s")
    for verdict, count in sorted(verdicts.items(), key=lambda item: -item[1]):
        print(f"  {count:6d}  {verdict}")
    print(f"mismatches: {len(mismatches)}")
    for line in mismatches[:20]:
        print("  " + line)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
