#!/usr/bin/env python3
"""The speed benchmark: torchbridge against the LibCST parse floor and against flake8.

    python benchmarks/bench.py DIR [--repeat N] [--sets all,torch,parsed] [--json [FILE]]

Everything is CPU time (user + system), the best of N repeats; the repeats are interleaved
so that a noisy spell hurts every tool alike. Read the ratios, not the seconds. What each
column means, and the figures measured on real repositories: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import flake8
import flake8.defaults
import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

import torchbridge
from torchbridge.diagnostics.noqa import file_is_exempt
from torchbridge.engine.positions import resolve_positions
from torchbridge.engine.prescan import prescan
from torchbridge.engine.source import DecodeError, decode
from torchbridge.model.tree import children
from torchbridge.project.discovery import DEFAULT_EXCLUDES
from torchbridge.rules import all_rules

# --- flake8 without torchbridge ------------------------------------------------------------
#
# flake8 loads and runs every installed plugin whatever --select says, so "flake8 with its
# default plugins" cannot be had from this environment's flake8 by options alone. Both
# flake8 runs go through the same tiny launcher, in this same interpreter, over the same
# installed flake8, pyflakes, pycodestyle and mccabe; for the baseline (c) the launcher
# drops torchbridge's entry point from the list flake8's finder returns, before anything is
# loaded, so torchbridge (and LibCST) are never even imported. The two runs then differ in
# exactly one thing, the plugin, which is what (d) - (c) is meant to isolate. It needs no
# network and no second environment. `--baseline venv` instead runs (c) from a separate
# virtualenv (benchmarks/.bench-venv, gitignored) with the same flake8, pyflakes,
# pycodestyle and mccabe versions installed from the package index and no torchbridge; it is
# there to cross-check the launcher (benchmarks/README.md has both). Either way the bench
# asks each flake8 for `--version` first and refuses to go on unless torchbridge is absent
# from (c) and present in (d).
_FLAKE8_LAUNCHER = """\
import sys
if sys.argv[1] == "--without-torchbridge":
    del sys.argv[1]
    from flake8.plugins import finder
    _find_plugins = finder.find_plugins
    def find_plugins(cfg, opts):
        return [p for p in _find_plugins(cfg, opts) if p.package != "torchbridge"]
    finder.find_plugins = find_plugins
from flake8.main.cli import main
sys.exit(main(sys.argv[1:]))
"""

_IMPORTS_TORCH = re.compile(r"^[ \t]*(?:import[ \t]+torch\b|from[ \t]+torch\b)", re.MULTILINE)
_SETS = ("all", "torch", "parsed")
_SET_HELP = {
    "all": "every .py file",
    "torch": "files that import torch",
    "parsed": "files the prefilter lets through (torchbridge parses exactly these)",
}


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class SourceFile:
    relative: str
    data: bytes
    text: str | None  # None when it cannot be decoded (the floor then skips it)
    lines: int


@dataclass
class Child:
    cpu: float
    stdout: str
    returncode: int


def run_child(command: list[str], cwd: Path | None = None) -> Child:
    """CPU time of a subprocess, process start included (RUSAGE_CHILDREN counts a child once
    it has been waited for, and its own waited-for children with it)."""
    before = cpu_children()
    proc = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    cpu = cpu_children() - before
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(command[:4])}... exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return Child(cpu, proc.stdout, proc.returncode)


# --- the files -----------------------------------------------------------------------------

def _pruned(name: str) -> bool:
    """Directories either tool skips by default; they are left out of every set so that the
    floor, torchbridge and flake8 all see the same files."""
    patterns = (*DEFAULT_EXCLUDES, *flake8.defaults.EXCLUDE)
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def collect(root: Path) -> list[SourceFile]:
    files = []
    for directory, dirnames, filenames in os.walk(root):
        base = Path(directory)
        if (base / "pyvenv.cfg").exists():
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if not _pruned(d) and not (base / d).is_symlink())
        for name in sorted(filenames):
            path = base / name
            if not name.endswith(".py") or path.is_symlink() or _pruned(name):
                continue
            data = path.read_bytes()
            try:
                text: str | None = decode(data).text
            except DecodeError:
                text = None
            files.append(SourceFile(str(path.relative_to(root)), data, text, data.count(b"\n")))
    return files


def passes_prefilter(text: str | None, needles: tuple[str, ...]) -> bool:
    """What torchbridge's engine does before it parses (engine.lint_source)."""
    if text is None:
        return True  # the engine reports it; count it as checked
    return any(n in text for n in needles) and not file_is_exempt(io.StringIO(text, newline="").readlines())


def materialise(files: list[SourceFile], where: Path) -> Path:
    """Copies, not symlinks: nothing about links, .gitignore files or configuration files of
    the checkout can make the tools see different files."""
    where.mkdir(parents=True)
    for f in files:
        target = where / f.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)
    return where


# --- measurements --------------------------------------------------------------------------

def floor_and_prescan(texts: list[str]) -> tuple[float, float, int]:
    errors = 0
    start = cpu_self()
    for text in texts:
        try:
            cst.parse_module(text)
        except cst.ParserSyntaxError:
            errors += 1
    floor = cpu_self() - start
    start = cpu_self()
    for text in texts:
        prescan(text)
    return floor, cpu_self() - start, errors


@dataclass
class Tools:
    check: list[str]
    flake8_plain: list[str]
    flake8_tnp: list[str]

    @classmethod
    def make(cls, baseline_python: str | None) -> Tools:
        script = Path(sys.executable).parent / "torchbridge"
        check = [str(script)] if script.exists() else [sys.executable, "-m", "torchbridge"]
        launcher = [sys.executable, "-c", _FLAKE8_LAUNCHER]
        plain = [baseline_python, "-m", "flake8"] if baseline_python else [*launcher, "--without-torchbridge"]
        return cls(check, plain, launcher)

    def verify(self) -> None:
        plain = run_child([*self.flake8_plain, "--version"]).stdout
        tnp = run_child([*self.flake8_tnp, "--version"]).stdout
        if "torchbridge" in plain or "torchbridge" not in tnp:
            raise SystemExit(f"bench: the flake8 baseline is not sound:\n(c) {plain}(d) {tnp}")
        for name in ("pyflakes", "pycodestyle", "mccabe"):
            if _plugin_version(plain, name) != _plugin_version(tnp, name):
                raise SystemExit(f"bench: (c) and (d) run different {name} versions:\n{plain}{tnp}")

    def run_check(self, directory: Path) -> Child:
        return run_child([*self.check, "check", str(directory), "--isolated", "-j", "1", "--exit-zero",
                          "--output-format", "json"])

    def run_flake8(self, directory: Path, with_plugin: bool) -> Child:
        common = ["--isolated", "--jobs", "1", "--exit-zero", "--benchmark", str(directory)]
        if with_plugin:
            return run_child([*self.flake8_tnp, "--extend-select", "TNP", *common])
        return run_child([*self.flake8_plain, *common])


def _plugin_version(version_output: str, name: str) -> str | None:
    match = re.search(rf"\b{name}: ([\w.]+)", version_output)
    return match.group(1) if match else None


def _flake8_files(stdout: str) -> int | None:
    match = re.search(r"^(\d+)\s+total files processed", stdout, re.MULTILINE)
    return int(match.group(1)) if match else None


def baseline_venv(where: Path) -> str:
    """A virtualenv with this environment's flake8, pyflakes, pycodestyle and mccabe and no
    torchbridge (created once, reused)."""
    python = where / "bin" / "python"
    pins = [f"{name}=={_installed_version(name)}" for name in ("flake8", "pyflakes", "pycodestyle", "mccabe")]
    stamp = where / "pins.txt"
    if not (python.exists() and stamp.exists() and stamp.read_text() == "\n".join(pins)):
        shutil.rmtree(where, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
                       check=True)
        stamp.write_text("\n".join(pins))
    return str(python)


def _installed_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


@dataclass
class SetResult:
    name: str
    files: int
    lines: int
    floor: float = float("inf")
    prescan: float = float("inf")
    check: float = float("inf")
    flake8: float = float("inf")
    flake8_tnp: float = float("inf")
    parse_errors: int = 0
    findings: int = 0
    diagnostics: int = 0
    flake8_tnp_findings: int = 0
    samples: dict[str, list[float]] = field(default_factory=dict)

    def keep(self, what: str, value: float) -> None:
        self.samples.setdefault(what, []).append(round(value, 4))
        setattr(self, what, min(getattr(self, what), value))

    def ratios(self) -> dict[str, float | None]:
        def ratio(a: float, b: float) -> float | None:
            return a / b if b > 0 else None

        return {
            "check/floor": ratio(self.check, self.floor),
            "(d)/(c)": ratio(self.flake8_tnp, self.flake8),
            "((d)-(c))/floor": ratio(self.flake8_tnp - self.flake8, self.floor),
            "prescan/floor": ratio(self.prescan, self.floor),
        }


def measure_set(name: str, files: list[SourceFile], directory: Path, tools: Tools, repeat: int) -> SetResult:
    texts = [f.text for f in files if f.text is not None]
    result = SetResult(name, len(files), sum(f.lines for f in files))
    for round_ in range(repeat):
        _progress(f"{name}: round {round_ + 1}/{repeat}")
        floor, scan, result.parse_errors = floor_and_prescan(texts)
        result.keep("floor", floor)
        result.keep("prescan", scan)
        checked = tools.run_check(directory)
        result.keep("check", checked.cpu)
        plain = tools.run_flake8(directory, with_plugin=False)
        result.keep("flake8", plain.cpu)
        tnp = tools.run_flake8(directory, with_plugin=True)
        result.keep("flake8_tnp", tnp.cpu)
        if round_ == 0:
            reported = json.loads(checked.stdout or "[]")
            result.findings = sum(1 for f in reported if f["code"] is not None)
            result.diagnostics = len(reported) - result.findings
            result.flake8_tnp_findings = len(re.findall(r":\d+:\d+: TNP\d+ ", tnp.stdout))
            for label, child in (("(c)", plain), ("(d)", tnp)):
                seen = _flake8_files(child.stdout)
                if seen != len(files):
                    raise SystemExit(f"bench: flake8 {label} processed {seen} files, expected {len(files)}")
    return result


def startup(tools: Tools, empty: Path, repeat: int) -> dict[str, float]:
    best = {"check": float("inf"), "flake8": float("inf"), "flake8_tnp": float("inf")}
    for _ in range(repeat):
        best["check"] = min(best["check"], tools.run_check(empty).cpu)
        best["flake8"] = min(best["flake8"], tools.run_flake8(empty, with_plugin=False).cpu)
        best["flake8_tnp"] = min(best["flake8_tnp"], tools.run_flake8(empty, with_plugin=True).cpu)
    return best


def _edge_node(module: cst.Module, last: bool) -> cst.CSTNode | None:
    """The deepest first (or last) semantic descendant of the module's first (or last) statement."""
    if not module.body:
        return None
    node: cst.CSTNode = module.body[-1 if last else 0]
    while True:
        kids = list(children(node))
        if not kids:
            return node
        node = kids[-1 if last else 0]


def measure_positions(texts: list[str], repeat: int) -> dict[str, object]:
    """Per file: parse, then each way of getting positions on that tree, timed separately (one
    tree alive at a time). The sums are compared; best of ``repeat`` passes."""
    ops: dict[str, Callable[[cst.Module, cst.CSTNode, cst.CSTNode], object]] = {
        "wrapper": lambda m, s, e: MetadataWrapper(m).resolve(PositionProvider),
        "wrapper_no_copy": lambda m, s, e: MetadataWrapper(m, unsafe_skip_copy=True).resolve(PositionProvider),
        "targeted_end": lambda m, s, e: resolve_positions(m, [e]),
        "targeted_start": lambda m, s, e: resolve_positions(m, [s]),
    }
    best = {name: float("inf") for name in ("parse", *ops)}
    mismatches = files = 0
    for round_ in range(repeat):
        _progress(f"positions: round {round_ + 1}/{repeat}")
        totals = dict.fromkeys(best, 0.0)
        files = 0
        for text in texts:
            start = time.process_time()
            try:
                module = cst.parse_module(text)
            except cst.ParserSyntaxError:
                continue
            totals["parse"] += time.process_time() - start
            first, last = _edge_node(module, last=False), _edge_node(module, last=True)
            if first is None or last is None:
                continue
            files += 1
            for name, op in ops.items():
                start = time.process_time()
                op(module, first, last)
                totals[name] += time.process_time() - start
            if round_ == 0:  # the targeted ranges must be LibCST's own
                full = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
                for node in (first, last):
                    if resolve_positions(module, [node]).get(node) != full[node]:
                        mismatches += 1
            del module
        for name, value in totals.items():
            best[name] = min(best[name], value)
    return {"files": files, "seconds": best, "mismatches": mismatches,
            "per_parse": {k: v / best["parse"] for k, v in best.items() if k != "parse" and best["parse"] > 0}}


def _progress(message: str) -> None:
    print(f"  ... {message}", file=sys.stderr, flush=True)


# --- report --------------------------------------------------------------------------------

def _fmt(value: float | None, suffix: str = "x") -> str:
    return "-" if value is None else f"{value:.2f}{suffix}"


def render(report: dict) -> str:
    out = []
    meta = report["meta"]
    out.append(f"{meta['dir']}: {meta['files']} .py files, {meta['lines']:,} lines; best of {meta['repeat']}, "
               f"CPU seconds (user+sys); torchbridge {meta['torchbridge']}, libcst {meta['libcst']}, "
               f"flake8 {meta['flake8']}, Python {meta['python']}; flake8 baseline: {meta['baseline']}")
    out.append(f"{'set':<7}{'files':>6}{'lines':>9}{'floor':>8}{'check':>8}{'flake8':>8}{'+TNP':>8}"
               f"{'check/floor':>13}{'(d)/(c)':>9}{'((d)-(c))/floor':>17}")
    for s in report["sets"]:
        r = s["ratios"]
        out.append(f"{s['name']:<7}{s['files']:>6}{s['lines']:>9,}{s['floor']:>8.2f}{s['check']:>8.2f}"
                   f"{s['flake8']:>8.2f}{s['flake8_tnp']:>8.2f}{_fmt(r['check/floor']):>13}"
                   f"{_fmt(r['(d)/(c)']):>9}{_fmt(r['((d)-(c))/floor'], ''):>17}")
    out.append("  " + "; ".join(f"{s['name']}: {_SET_HELP[s['name']]}" for s in report["sets"]))
    up = report["startup"]
    out.append(f"start-up (empty dir): check {up['check']:.2f} s, flake8 {up['flake8']:.2f} s, "
               f"flake8+TNP {up['flake8_tnp']:.2f} s")
    out.append("findings: " + "; ".join(
        f"{s['name']} check {s['findings']} (+{s['diagnostics']} diagnostics), flake8 TNP {s['flake8_tnp_findings']}"
        for s in report["sets"]))
    out.append("prescan: " + "; ".join(
        f"{s['name']} {s['prescan']:.2f} s = {_fmt(s['ratios']['prescan/floor'])} floor" for s in report["sets"]))
    pos = report.get("positions")
    if pos:
        sec, per = pos["seconds"], pos["per_parse"]
        out.append(f"positions ({pos['files']} torch files; x = parses of the same files, parse {sec['parse']:.2f} s): "
                   f"MetadataWrapper+PositionProvider {sec['wrapper']:.2f} s {_fmt(per['wrapper'])}, "
                   f"unsafe_skip_copy {sec['wrapper_no_copy']:.2f} s {_fmt(per['wrapper_no_copy'])}; "
                   f"resolve_positions node near the end {sec['targeted_end']:.2f} s {_fmt(per['targeted_end'])}, "
                   f"near the start {sec['targeted_start']:.3f} s {per['targeted_start']:.3f}x"
                   + (f"; {pos['mismatches']} MISMATCHES against PositionProvider" if pos["mismatches"] else ""))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--repeat", "-n", type=int, default=3, help="repeats; the best is kept (default 3)")
    parser.add_argument("--sets", default="all,torch,parsed",
                        help="which file sets to measure: all, torch, parsed (default: all three)")
    parser.add_argument("--no-positions", action="store_true", help="skip the positions section")
    parser.add_argument("--baseline", choices=("launcher", "venv"), default="launcher",
                        help="how flake8 (c) runs without torchbridge (see the comment in bench.py)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the numbers as JSON to FILE (or to standard output, instead of the table)")
    args = parser.parse_args(argv)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if not sets or any(s not in _SETS for s in sets) or args.repeat < 1:
        parser.error(f"--sets takes a comma-separated subset of {', '.join(_SETS)}; --repeat at least 1")

    root = args.dir.resolve()
    files = collect(root)
    if not files:
        parser.error(f"no .py files under {root}")
    needles = tuple(sorted({n for r in all_rules() if r.default_enabled for n in r.requires_text}))
    subsets = {
        "all": files,
        "torch": [f for f in files if f.text is not None and _IMPORTS_TORCH.search(f.text)],
        "parsed": [f for f in files if passes_prefilter(f.text, needles)],
    }
    python_for_baseline = None
    if args.baseline == "venv":
        python_for_baseline = baseline_venv(Path(__file__).resolve().parent / ".bench-venv")
    tools = Tools.make(python_for_baseline)
    tools.verify()

    report: dict = {"meta": {
        "dir": str(args.dir), "files": len(files), "lines": sum(f.lines for f in files), "repeat": args.repeat,
        "torchbridge": torchbridge.__version__, "libcst": _installed_version("libcst"),
        "flake8": flake8.__version__, "python": sys.version.split()[0], "baseline": args.baseline,
        "prefilter": list(needles), "date": time.strftime("%Y-%m-%d"),
    }, "sets": []}
    scratch = Path(tempfile.mkdtemp(prefix="torchbridge-bench-"))
    try:
        empty = scratch / "empty"
        empty.mkdir()
        report["startup"] = startup(tools, empty, args.repeat)
        for name in sets:
            if not subsets[name]:
                continue
            directory = materialise(subsets[name], scratch / name)
            result = measure_set(name, subsets[name], directory, tools, args.repeat)
            entry = {k: v for k, v in vars(result).items()}
            entry["ratios"] = result.ratios()
            report["sets"].append(entry)
        if not args.no_positions and subsets["torch"]:
            report["positions"] = measure_positions([f.text for f in subsets["torch"] if f.text], args.repeat)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    if args.json:
        payload = json.dumps(report, indent=2)
        if args.json == "-":
            print(payload)
            return 0
        Path(args.json).write_text(payload + "\n")
    print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
