"""Start-up cost, before and after: ``torchbridge --version``, a fully cached run and an
editor's ``check -`` of a 1,000-line file, each under two versions of the package, side by
side in one run (interleaved, best of N), with the ratio after/before.

    python benchmarks/start.py [--base 3f515d2] [--repeat 15] [--tree fixtures]

"before" is the package at ``--base`` (its ``src/`` taken from git into a temporary
folder), "after" is this checkout's ``src/``; both run on this interpreter, so LibCST,
Python and the machine are the same. Each command is a fresh process (the start-up is
what is measured), timed by wall clock; the cached run is warmed first, in its own copy
of the tree and its own cache folder per version.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def extract(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def editor_buffer() -> bytes:
    """About 1,000 lines of the kind of code the rules read, with a few findings."""
    block = (
        "def step_{n}(model, batch, device):\n"
        "    x = torch.tensor(np.zeros((4, 4)))\n"
        "    y = model(batch.to(device))\n"
        "    loss = (y - x.to(device)).pow(2).mean()\n"
        "    loss.backward()\n"
        "    values = [float(v) for v in range(3)]\n"
        "    return loss.item(), values\n"
        "\n\n"
    )
    head = "import numpy as np\nimport torch\n\nDEVICE = torch.device('cuda')\n\n\n"
    return (head + "".join(block.format(n=n) for n in range(111))).encode()


def timed(command: list[str], src: Path, cwd: Path, stdin: bytes | None, cache: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "TORCHBRIDGE_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    subprocess.run(command, input=stdin, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="3f515d2", help="the commit measured as 'before' (default: 3f515d2)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--tree", type=Path, default=ROOT / "fixtures", help="the tree of the cached run (default: fixtures/)")
    args = parser.parse_args()
    python = [sys.executable, "-m", "torchbridge"]
    buffer = editor_buffer()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        versions = {"before": extract(args.base, work / "before"), "after": ROOT / "src"}
        trees = {}
        for name in versions:
            trees[name] = work / f"tree-{name}"
            shutil.copytree(args.tree, trees[name])
        cases = {
            "--version": lambda name: (python + ["--version"], work, None),
            "cached run": lambda name: (python + ["check", "--isolated", "-j", "1", "."], trees[name], None),
            "check - (1,000 lines)": lambda name: (python + ["check", "--isolated", "-", "--stdin-filename", "x.py"], work, buffer),
        }
        for name, src in versions.items():  # warm the caches (and the OS's file cache)
            command, cwd, stdin = cases["cached run"](name)
            timed(command, src, cwd, stdin, work / f"cache-{name}")
        best: dict[tuple[str, str], float] = {}
        for _ in range(args.repeat):
            for case, make in cases.items():
                for name, src in versions.items():
                    command, cwd, stdin = make(name)
                    elapsed = timed(command, src, cwd, stdin, work / f"cache-{name}")
                    best[case, name] = min(best.get((case, name), elapsed), elapsed)
    print(f"best of {args.repeat}, wall clock, one process each; before = {args.base}, after = this checkout")
    print(f"{'case':<24} {'before':>9} {'after':>9} {'after/before':>13}")
    for case in cases:
        before, after = best[case, "before"], best[case, "after"]
        print(f"{case:<24} {before * 1000:>7.0f}ms {after * 1000:>7.0f}ms {after / before:>13.2f}")


if __name__ == "__main__":
    main()
