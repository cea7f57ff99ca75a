#!/usr/bin/env python3
"""Hostile input, fuzzed real files and killed runs: does torchbridge stay sound?

    python benchmarks/reliability.py CORPUS_DIR [--fuzzed N] [--kills N] [--seed S]

Three parts, each printing its figures:

1. **Hostile inputs**: files built to break a linter (bad bytes, bad encodings, broken and
   pathological syntax, odd whitespace, malformed notebooks, odd file names, a file over
   the size limit). Each goes through ``check`` in every output format, ``fix --diff`` and
   ``fix --unsafe-fixes``. Counted: runs with a traceback, runs with an exit code other
   than 0 or 1, ``internal-error`` diagnostics, fixed files that no longer compile.
2. **Fuzzed real files**: torch files of the corpus, each damaged at random (lines
   deleted, duplicated or cut, characters inserted, the file truncated), checked and fixed
   in one run with ``-j 2``. Counted as above, plus "All checks passed" on a file that
   mentions torch and does not compile.
3. **Kills**: ``fix --unsafe-fixes -j 2`` over copies of corpus files, SIGKILLed at random
   moments. Counted: files left neither as they were nor as an uninterrupted run leaves
   them, temporary files left behind, worker processes still alive 5 s after the kill.

Nothing here is a test and nothing runs in CI; the corpus is fetched, never committed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORMATS = ("full", "concise", "grouped", "json", "json-lines", "sarif", "github", "gitlab", "text")
CUDA = b"import torch\nx = torch.zeros(1).cuda()\n"
FLIP = b"import numpy as np\nimport torch\na = np.zeros((2, 3))\nt = torch.from_numpy(a[:, ::-1])\n"


def hostile_inputs() -> dict[str, bytes]:
    """File name -> bytes: each built to break something."""
    cases: dict[str, bytes] = {
        "empty.py": b"",
        "bom_only.py": b"\xef\xbb\xbf",
        "nul.py": CUDA + b"y = 1\x00\n",
        "bad_utf8.py": CUDA + b"s = '\xff\xfe'\n",
        "latin1_cookie.py": b"# -*- coding: latin-1 -*-\n" + CUDA + b"# caf\xe9\n",
        "unknown_cookie.py": b"# -*- coding: klingon -*-\n" + CUDA,
        "rot13_cookie.py": b"# -*- coding: rot13 -*-\n" + CUDA,
        "bom_and_latin1.py": b"\xef\xbb\xbf# -*- coding: latin-1 -*-\n" + CUDA,
        "binary.py": bytes(range(256)) * 8,
        "unterminated.py": CUDA + b"s = '''never closed\n",
        "bad_indent.py": b"import torch\nif True:\n  x = 1\n    y = torch.zeros(1).cuda()\n",
        "tabs_spaces.py": b"import torch\nif True:\n\tx = 1\n        y = torch.zeros(1).cuda()\n",
        "form_feed.py": b"import torch\nimport numpy as np\ndef f():\n    a = np.zeros(3)\n\x0c    return torch.tensor(a)\n",
        "form_feed_block.py": b"import torch\ndef f():\n    for i in x:\n\x0c        y = i.cuda()\n",
        "vertical_tab.py": b"import torch\n\x0bx = torch.zeros(1).cuda()\n",
        "lone_cr.py": CUDA.replace(b"\n", b"\r"),
        "crlf.py": FLIP.replace(b"\n", b"\r\n"),
        "mixed_newlines.py": b"import torch\r\nx = 1\ry = torch.zeros(1).cuda()\n",
        "no_final_newline.py": FLIP.rstrip(b"\n"),
        "continuation.py": b"import torch\nx = torch.zeros(1) \\\n    .cuda()\n",
        "non_ascii.py": "import torch\nñ = '😀𝔘'; données = torch.zeros(1).cuda()  # é€\n".encode(),
        "deep_nesting.py": CUDA + b"y = " + b"(" * 3000 + b"1" + b")" * 3000 + b"\n",
        "long_chain.py": CUDA + b"y = " + b"+".join([b"a"] * 9000) + b"\n",
        "attr_chain.py": CUDA + b"y = a" + b".b" * 6000 + b"\n",
        "call_chain.py": CUDA + b"y = {'a': f" + b"()" * 6000 + b"}\n",
        "lambdas.py": CUDA + b"f = " + b"lambda: " * 400 + b"1\n",
        "huge_string.py": CUDA + b"s = '" + b"x" * 500_000 + b"'\n",
        "too_large.py": CUDA + b"x = 1\n" * 200_000,
        "many_findings.py": b"import torch\n" + b"y = torch.zeros(1).cuda()\n" * 3000,
        "py312_syntax.py": b"import torch\ntype T = list[torch.Tensor]\ndef f[X](a: X) -> X:\n    return a\n",
        "future_late.py": b"import torch\nfrom __future__ import annotations\nx = torch.zeros(1).cuda()\n",
        "noqa_file.py": b"# flake8: noqa\n" + CUDA,
        "walrus_match.py": b"import torch\nmatch (y := torch.zeros(1).cuda()):\n    case _:\n        pass\n",
        "decorated.py": b"import torch\n@torch.no_grad()\n@(lambda f: f)\ndef g(x):\n    return x.cuda().numpy()\n",
    }
    for name in ("bad\xff", "new\nline", "tab\tname", "a:b,c", " space", "-dash", "\U0001d518"):
        cases[f"{name}.py"] = CUDA
    notebook = {"cells": [{"cell_type": "code", "source": ["import torch\n", "x = torch.zeros(1).cuda()\n"],
                           "metadata": {}, "outputs": [], "execution_count": None}],
                "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    cases["ok.ipynb"] = json.dumps(notebook).encode()
    cases["not_json.ipynb"] = b"{not json"
    cases["list.ipynb"] = b"[1, 2, 3]"
    cases["no_cells.ipynb"] = b'{"nbformat": 4}'
    broken = json.loads(json.dumps(notebook))
    del broken["cells"][0]["cell_type"]
    cases["no_cell_type.ipynb"] = json.dumps(broken).encode()
    broken = json.loads(json.dumps(notebook))
    broken["cells"][0]["source"] = 42
    cases["int_source.ipynb"] = json.dumps(broken).encode()
    broken = json.loads(json.dumps(notebook))
    broken["cells"][0]["source"] = ["%%timeit\n", "x = torch.zeros(1).cuda()\n", "!ls\n"]
    cases["magics.ipynb"] = json.dumps(broken).encode()
    return cases


def run(args: list[str], cwd: Path, timeout: float = 600) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "torchbridge", *args], cwd=cwd, capture_output=True, timeout=timeout,
    )
    return done.returncode, (done.stdout + done.stderr).decode("utf-8", "backslashreplace")


class Tally:
    def __init__(self) -> None:
        self.runs = 0
        self.problems: list[str] = []

    def judge(self, what: str, code: int, output: str) -> None:
        self.runs += 1
        if "Traceback" in output:
            self.problems.append(f"{what}: traceback")
        if code not in (0, 1):
            self.problems.append(f"{what}: exit {code}: {output[-200:]!r}")
        if "internal-error" in output:
            self.problems.append(f"{what}: internal-error")


def compiles(data: bytes) -> bool:
    try:
        compile(data, "<file>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def part_hostile(tally: Tally) -> int:
    cases = hostile_inputs()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, data in cases.items():
            (root / os.fsencode(name).decode("utf-8", "surrogateescape")).write_bytes(data)
        (root / "loop.py").symlink_to(root / "loop.py")
        (root / "dir.py").mkdir()
        os.mkfifo(root / "fifo.py")
        for output_format in FORMATS:
            tally.judge(f"check --output-format {output_format}", *run(
                ["check", "--isolated", "--no-cache", "--output-format", output_format, "."], root))
        tally.judge("check -j 2 --statistics", *run(["check", "--isolated", "--no-cache", "-j", "2", "--statistics", "."], root))
        tally.judge("fix --diff", *run(["fix", "--isolated", "--unsafe-fixes", "--diff", "."], root))
        before = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file() and not p.is_symlink() and p.name != "fifo.py"}
        tally.judge("fix --unsafe-fixes", *run(["fix", "--isolated", "--unsafe-fixes", "-j", "2", "."], root))
        for name, data in before.items():
            after = (root / name).read_bytes()
            if after != data and compiles(data) and not compiles(after):
                tally.problems.append(f"fix: {name!r} compiled before and not after")
    return len(cases) + 3


def damaged(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 4)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        how = rng.choice(("delete", "duplicate", "cut", "insert", "truncate"))
        if how == "delete":
            del lines[i]
        elif how == "duplicate":
            lines.insert(i, lines[i])
        elif how == "cut":
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif how == "insert":
            j = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:j] + bytes([rng.choice(b"()[]{}:,.'\"\\ \t\x0c#=")]) + lines[i][j:]
        else:
            lines = lines[:i]
    return b"\n".join(lines)


def part_fuzzed(tally: Tally, corpus: Path, count: int, rng: random.Random) -> int:
    sources = [p for p in sorted(corpus.rglob("*.py")) if b"torch" in p.read_bytes()]
    chosen = rng.sample(sources, min(count, len(sources)))
    silent_broken = 0
    libcst_accepts: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        originals = {}
        for index, path in enumerate(chosen):
            data = damaged(path.read_bytes(), rng)
            name = f"f{index:04}.py"
            (root / name).write_bytes(data)
            originals[name] = data
        code, output = run(["check", "--isolated", "--no-cache", "-j", "2", "--output-format", "json", "."], root)
        tally.judge("fuzzed check", code, output)
        try:
            reported = {Path(r["filename"]).name for r in json.loads(output[: output.rindex("]") + 1])}
        except ValueError:
            reported = set()
        for name, data in originals.items():
            about_torch = b"torch" in data or b"numpy" in data  # what the syntax check covers
            if about_torch and not compiles(data) and name not in reported:
                if libcst_parses(data):
                    libcst_accepts.append(name)  # CPython rejects it after its grammar
                else:
                    silent_broken += 1
        tally.judge("fuzzed fix", *run(["fix", "--isolated", "--unsafe-fixes", "-j", "2", "."], root))
        for name, data in originals.items():
            after = (root / name).read_bytes()
            if after != data and not compiles(after):
                tally.problems.append(f"fuzzed fix: {name} does not compile after the fix")
    if silent_broken:
        tally.problems.append(f"fuzzed: {silent_broken} broken torch files passed silently")
    print(f"  {len(libcst_accepts)} broken files LibCST's grammar accepts (a repeated keyword argument, say): "
          "checked as code, not reported as broken")
    return len(chosen)


def libcst_parses(data: bytes) -> bool:
    import libcst as cst

    try:
        cst.parse_module(data)
    except Exception:  # noqa: BLE001 - any refusal counts
        return False
    return True


def workers_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def part_kills(tally: Tally, corpus: Path, kills: int, rng: random.Random) -> tuple[int, int, int]:
    sources = [p for p in sorted(corpus.rglob("*.py")) if b"torch" in p.read_bytes()][:300]
    mid_run = 0
    with tempfile.TemporaryDirectory() as folder:
        reference = Path(folder) / "reference"
        reference.mkdir()
        for index, path in enumerate(sources):
            (reference / f"m{index:03}.py").write_bytes(path.read_bytes())
        pristine = {p.name: p.read_bytes() for p in reference.iterdir()}
        run(["fix", "--isolated", "--unsafe-fixes", "-j", "2", "."], reference)
        fixed = {p.name: p.read_bytes() for p in reference.iterdir()}
        changed = sum(fixed[n] != pristine[n] for n in pristine)
        for attempt in range(kills):
            target = Path(folder) / f"kill{attempt}"
            shutil.copytree(reference, target, dirs_exist_ok=True)
            for name, data in pristine.items():
                (target / name).write_bytes(data)
            proc = subprocess.Popen(
                [sys.executable, "-m", "torchbridge", "fix", "--isolated", "--unsafe-fixes", "-j", "2", "."],
                cwd=target, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + rng.uniform(0.5, 6.0)
            workers: set[int] = set()
            while time.monotonic() < deadline and proc.poll() is None:
                workers.update(workers_of(proc.pid))
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            time.sleep(5)
            survivors = [w for w in workers if alive(w)]
            if survivors:
                tally.problems.append(f"kill {attempt}: workers {survivors} outlived their parent")
                for worker in survivors:
                    os.kill(worker, signal.SIGKILL)
            states = {"old": 0, "new": 0}
            for name in pristine:
                data = (target / name).read_bytes()
                if data == pristine[name]:
                    states["old"] += 1
                elif data == fixed[name]:
                    states["new"] += 1
                else:
                    tally.problems.append(f"kill {attempt}: {name} is neither old nor new")
            leftovers = [p.name for p in target.iterdir() if p.name not in pristine]
            if leftovers:
                tally.problems.append(f"kill {attempt}: left {leftovers[:3]}")
            mid_run += states["new"] > 0 and states["old"] > 0 and changed > states["new"]
    return kills, mid_run, changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--fuzzed", type=int, default=200)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tally = Tally()
    inputs = part_hostile(tally)
    print(f"hostile inputs: {inputs} files, {tally.runs} runs, {len(tally.problems)} problems")
    before = len(tally.problems)
    files = part_fuzzed(tally, args.corpus, args.fuzzed, rng)
    print(f"fuzzed real files: {files}, {len(tally.problems) - before} problems")
    before = len(tally.problems)
    kills, mid_run, changed = part_kills(tally, args.corpus, args.kills, rng)
    print(f"kills: {kills} ({mid_run} mid-run, {changed} files the fix changes), {len(tally.problems) - before} problems")
    for problem in tally.problems:
        print(f"  {problem}")
    sys.exit(1 if tally.problems else 0)


if __name__ == "__main__":
    main()
