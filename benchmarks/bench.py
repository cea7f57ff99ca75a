#!/usr/bin/env python3
"""The speed benchmark: torchbridge against the LibCST parse floor and against flake8.

    python benchmarks/bench.py DIR [--repeat N] [--sets all,torch,parsed] [--base REV[,REV...]] [--no-flake8] [--json [FILE]]

Everything is CPU time (user + system), the best of N repeats; the repeats are interleaved
so that a noisy spell hurts every tool alike. Read the ratios, not the seconds. What each
column means, and the figures measured on real repositories: benchmarks/README.md.
``--base REV`` adds the same check by the package at REV (its ``src/`` from git), in the
same rounds: a change's saving as two ratios to one floor. Several revisions, comma-separated,
give one column each (each change of a series against the one before it).
"""

from __future__ import annotations

import argparse
import compileall
import fnmatch
import io
import json
import math
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
from torchbridge.engine.prefilter import active_rules
from torchbridge.engine.prescan import prescan
from torchbridge.engine.source import DecodeError, decode
from torchbridge.model.tree import children
from torchbridge.project.discovery import DEFAULT_EXCLUDES
from torchbridge.rules import Rule, all_rules
from torchbridge.rules.meta.tnp901_unused_noqa import UnusedNoqa

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


ROOT = Path(__file__).resolve().parent.parent


def run_child(command: list[str], cwd: Path | None = None, src: Path | None = None) -> Child:
    """CPU time of a subprocess, process start included (RUSAGE_CHILDREN counts a child once
    it has been waited for, and its own waited-for children with it). ``src``: the package
    the child imports torchbridge from."""
    env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else None
    before = cpu_children()
    proc = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          errors="replace")
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


def passes_prefilter(text: str | None, rules: list[type[Rule]]) -> bool:
    """What torchbridge's engine does before it parses (engine.lint_source)."""
    if text is None:
        return True  # the engine reports it; count it as checked
    return (bool(active_rules(text, [r for r in rules if r is not UnusedNoqa]))
            and not file_is_exempt(io.StringIO(text, newline="").readlines()))


def extract(commit: str, into: Path) -> Path:
    """The package's ``src/`` at ``commit``, unpacked under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


# Counts the files the engine of the child's torchbridge hands to LibCST: its own prefilter
# and exemptions decide, not a copy of them here.
_COUNT_PARSED = """import sys
from pathlib import Path
import libcst
from torchbridge.engine import lint
from torchbridge.rules import all_rules
parsed = []
real_parse = libcst.parse_module
def counting_parse(text, *args, **kwargs):
    parsed.append(1)
    return real_parse(text, *args, **kwargs)
libcst.parse_module = counting_parse
rules = [r for r in all_rules() if r.default_enabled]
files = sorted(p for p in Path(sys.argv[1]).rglob("*.py") if ".torchbridge_cache" not in p.parts)
for path in files:
    lint.lint_bytes(path.read_bytes(), str(path), rules)
print(len(parsed))
"""


def count_parsed(directory: Path, src: Path | None) -> int:
    """How many files of ``directory`` the engine parses with the default rules."""
    out = run_child([sys.executable, "-c", _COUNT_PARSED, str(directory)], src=src).stdout
    return int(out.split()[-1])


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

    def run_check(self, directory: Path, src: Path | None = None) -> Child:
        """A cold check: ``--no-cache``, or every round after the first would read the cache."""
        command = [sys.executable, "-m", "torchbridge"] if src is not None else self.check
        return run_child([*command, "check", str(directory), "--isolated", "-j", "1", "--exit-zero", "--no-cache",
                          "--output-format", "json"], src=src)

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
    base: dict[str, float] = field(default_factory=dict)  # the check by the package at each --base
    flake8: float = float("inf")
    flake8_tnp: float = float("inf")
    parse_errors: int = 0
    findings: int = 0
    diagnostics: int = 0
    flake8_tnp_findings: int = 0
    base_findings: dict[str, int] = field(default_factory=dict)
    parsed: int = 0
    base_parsed: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)

    def keep(self, what: str, value: float) -> None:
        self.samples.setdefault(what, []).append(round(value, 4))
        setattr(self, what, min(getattr(self, what), value))

    def ratios(self) -> dict[str, float | None]:
        def ratio(a: float, b: float) -> float | None:
            return a / b if b > 0 and math.isfinite(a) and math.isfinite(b) else None  # inf: not measured

        return {
            "check/floor": ratio(self.check, self.floor),
            **{f"{rev}/floor": ratio(cpu, self.floor) for rev, cpu in self.base.items()},
            "(d)/(c)": ratio(self.flake8_tnp, self.flake8),
            "((d)-(c))/floor": ratio(self.flake8_tnp - self.flake8, self.floor),
            "prescan/floor": ratio(self.prescan, self.floor),
        }


def measure_set(
    name: str, files: list[SourceFile], directory: Path, tools: Tools, repeat: int, bases: dict[str, Path],
    flake8: bool,
) -> SetResult:
    texts = [f.text for f in files if f.text is not None]
    result = SetResult(name, len(files), sum(f.lines for f in files))
    result.parsed = count_parsed(directory, ROOT / "src")
    for rev, src in bases.items():
        result.base_parsed[rev] = count_parsed(directory, src)
    for round_ in range(repeat):
        _progress(f"{name}: round {round_ + 1}/{repeat}")
        floor, scan, result.parse_errors = floor_and_prescan(texts)
        result.keep("floor", floor)
        result.keep("prescan", scan)
        checked = tools.run_check(directory, ROOT / "src")
        result.keep("check", checked.cpu)
        before = {}
        for rev, src in bases.items():
            before[rev] = tools.run_check(directory, src)
            result.samples.setdefault(f"base {rev}", []).append(round(before[rev].cpu, 4))
            result.base[rev] = min(result.base.get(rev, float("inf")), before[rev].cpu)
        if flake8:
            plain = tools.run_flake8(directory, with_plugin=False)
            result.keep("flake8", plain.cpu)
            tnp = tools.run_flake8(directory, with_plugin=True)
            result.keep("flake8_tnp", tnp.cpu)
        if round_ == 0:
            reported = json.loads(checked.stdout or "[]")
            result.findings = sum(1 for f in reported if f["code"] is not None)
            result.diagnostics = len(reported) - result.findings
            for rev, child in before.items():
                result.base_findings[rev] = sum(1 for f in json.loads(child.stdout or "[]") if f["code"] is not None)
            if not flake8:
                continue
            result.flake8_tnp_findings = len(re.findall(r":\d+:\d+: TNP\d+ ", tnp.stdout))
            for label, child in (("(c)", plain), ("(d)", tnp)):
                seen = _flake8_files(child.stdout)
                if seen != len(files):
                    raise SystemExit(f"bench: flake8 {label} processed {seen} files, expected {len(files)}")
    return result


def startup(tools: Tools, empty: Path, repeat: int, flake8: bool) -> dict[str, float]:
    best = {"check": float("inf"), "flake8": float("inf"), "flake8_tnp": float("inf")}
    for _ in range(repeat):
        best["check"] = min(best["check"], tools.run_check(empty, ROOT / "src").cpu)
        if flake8:
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
    ops: dict[str, Callable[[cst.Module, str, cst.CSTNode, cst.CSTNode], object]] = {
        "wrapper": lambda m, t, s, e: MetadataWrapper(m).resolve(PositionProvider),
        "wrapper_no_copy": lambda m, t, s, e: MetadataWrapper(m, unsafe_skip_copy=True).resolve(PositionProvider),
        # From the start of the module, as far as the node (before statement anchoring).
        "targeted_end": lambda m, t, s, e: resolve_positions(m, [e], t),
        "targeted_start": lambda m, t, s, e: resolve_positions(m, [s], t),
        # What the engine does: only the module-level statement the node was reported in.
        "statement_end": lambda m, t, s, e: resolve_positions(m, [e], t, near=[m.body[-1]]),
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
                op(module, text, first, last)
                totals[name] += time.process_time() - start
            if round_ == 0:  # the targeted ranges must be LibCST's own
                full = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
                for node, near in ((first, module.body[0]), (last, module.body[-1])):
                    if resolve_positions(module, [node]).get(node) != full[node]:
                        mismatches += 1
                    if resolve_positions(module, [node], module.code, near=[near]).get(node) != full[node]:
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
               f"flake8 {meta['flake8']}, Python {meta['python']}; flake8 baseline: {meta['baseline']}"
               + ("; packages byte-compiled first" if meta.get('compiled') else ""))
    out.append(f"{'set':<7}{'files':>6}{'lines':>9}{'floor':>8}{'check':>8}{'flake8':>8}{'+TNP':>8}"
               f"{'check/floor':>13}{'(d)/(c)':>9}{'((d)-(c))/floor':>17}")
    for s in report["sets"]:
        r = s["ratios"]
        out.append(f"{s['name']:<7}{s['files']:>6}{s['lines']:>9,}{s['floor']:>8.2f}{s['check']:>8.2f}"
                   f"{s['flake8']:>8.2f}{s['flake8_tnp']:>8.2f}{_fmt(r['check/floor']):>13}"
                   f"{_fmt(r['(d)/(c)']):>9}{_fmt(r['((d)-(c))/floor'], ''):>17}")
    out.append("  " + "; ".join(f"{s['name']}: {_SET_HELP[s['name']]}" for s in report["sets"]))
    out.append("files parsed (default rules): " + "; ".join(f"{s['name']} {s['parsed']}" for s in report["sets"]))
    if meta.get("base"):
        out.append(f"the packages at {meta['base']} in the same rounds (CPU s, x floor, files parsed, findings, "
                   "x this checkout's check):")
        for s in report["sets"]:
            r = s["ratios"]
            cells = [f"this checkout {s['check']:.2f} s {_fmt(r['check/floor'])} {s['parsed']} {s['findings']}"]
            cells += [f"{rev} {cpu:.2f} s {_fmt(r[f'{rev}/floor'])} {s['base_parsed'][rev]} {s['base_findings'][rev]} "
                      f"{_fmt(cpu / s['check'] if s['check'] > 0 else None)}" for rev, cpu in s["base"].items()]
            out.append(f"  {s['name']}: " + "; ".join(cells))
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
                   f"near the start {sec['targeted_start']:.3f} s {per['targeted_start']:.3f}x; "
                   f"only the node's statement, node near the end {sec['statement_end']:.2f} s "
                   f"{_fmt(per['statement_end'])}"
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
    parser.add_argument("--base", metavar="REV[,REV...]", dest="base_rev",
                        help="also time the check of the package at these commits, in the same rounds")
    parser.add_argument("--no-flake8", action="store_true", help="skip the two flake8 columns")
    parser.add_argument("--compiled", action="store_true",
                        help="byte-compile this checkout's src/ and each --base package first, as an installed "
                             "package is (else a tree without .pyc files compiles its modules in every run "
                             "where PYTHONDONTWRITEBYTECODE is set, and one with stray .pyc files does not)")
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
    rules = [r for r in all_rules() if r.default_enabled]
    needles = tuple(sorted({n for r in rules for n in r.requires_text}))
    subsets = {
        "all": files,
        "torch": [f for f in files if f.text is not None and _IMPORTS_TORCH.search(f.text)],
        "parsed": [f for f in files if passes_prefilter(f.text, rules)],
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
        "prefilter": list(needles), "date": time.strftime("%Y-%m-%d"), "base": args.base_rev,
        "compiled": args.compiled,
    }, "sets": []}
    scratch = Path(tempfile.mkdtemp(prefix="torchbridge-bench-"))
    try:
        revs = [rev.strip() for rev in (args.base_rev or "").split(",") if rev.strip()]
        bases = {rev: extract(rev, scratch / f"base-{i}") for i, rev in enumerate(revs)}
        if args.compiled:
            for src in (ROOT / "src", *bases.values()):
                compileall.compile_dir(src, quiet=1)
        empty = scratch / "empty"
        empty.mkdir()
        report["startup"] = startup(tools, empty, args.repeat, not args.no_flake8)
        for name in sets:
            if not subsets[name]:
                continue
            directory = materialise(subsets[name], scratch / name)
            result = measure_set(name, subsets[name], directory, tools, args.repeat, bases, not args.no_flake8)
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
