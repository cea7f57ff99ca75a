"""Mutation testing of the modules that carry torchbridge's promises (mutmut 3).

Not part of the test run: ``scripts/mutation`` (all targets) or ``scripts/mutation guards
noqa`` (some). Each target's module is mutated and run against the test files listed for it
in TARGETS below, in its own copy of the working tree under ``.mutation/<target>/`` (mutmut
reads its settings from pyproject.toml in the folder it runs in, so each target gets one).
mutmut then runs, for each mutant, only those of the listed tests that call the mutated
function. Survivors: ``scripts/mutation --survivors guards`` prints their diffs.

Survivors judged equivalent are listed in benchmarks/mutation.md as lines
``- `<mutant name>`: reason``; they are left out of the score (killed / non-equivalent).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
NOTES = ROOT / "benchmarks" / "mutation.md"


@dataclass(frozen=True)
class Target:
    module: str  # path of the mutated file
    tests: tuple[str, ...]  # the test files that cover it
    functions: tuple[str, ...] = ()  # only these functions (glob on mutmut's names); all when empty
    deselect: tuple[str, ...] = ()  # tests of those files left out (too slow to run per mutant)


# The semantic model's flow: assignments, branches and their joins, loops, scopes. CUDA-guard
# and grad-mode tracking are targets of their own (model/cuda_guards.py, model/grad_mode.py).
_SEMANTIC_FLOW = tuple(f"xǁSemanticModelǁ{name}" for name in (
    "requires_grad_here", "bind", "outer_facts", "bind_target", "_bind_element", "_walk_block",
    "_branch", "traverse_If", "_narrowed_grad", "_narrowed", "traverse_IfExp", "traverse_While",
    "traverse_For", "_leave_loop", "traverse_Break", "traverse_Continue", "traverse_Try", "traverse_Match",
    "traverse_With", "_forget_rebound", "traverse_Call", "traverse_Assign", "traverse_AnnAssign",
    "traverse_AugAssign", "traverse_NamedExpr", "traverse_FunctionDef", "_bind_locals",
)) + ("x__type_test", "x__is_main_check")

# The golden fix files cover the model too: a device fix's insertion point is the module-level
# statement the model was walking.
_MODEL_TESTS = ("tests/rules/test_fixtures.py", "tests/model/test_model.py", "tests/model/test_value_model.py",
                "tests/rules/test_rule_examples.py", "tests/fixing/test_fix_golden.py")
_FIX_TESTS = ("tests/fixing/test_fixer.py", "tests/fixing/test_fix_golden.py", "tests/rules/test_rule_examples.py",
              "tests/diagnostics/test_fix_contract.py", "tests/fixing/test_fix_property.py",
              "tests/fixing/test_fix_files.py", "tests/fixing/test_fix_placement.py", "tests/output/test_output_formats.py",
              "tests/cli/test_cli.py")

# module -> the tests that cover it. One table, so that a move of a module is one edit here.
TARGETS: dict[str, Target] = {
    "guards": Target("src/torchbridge/model/guards.py", _MODEL_TESTS),
    "cuda_guards": Target("src/torchbridge/model/cuda_guards.py", _MODEL_TESTS),
    "grad_mode": Target("src/torchbridge/model/grad_mode.py", _MODEL_TESTS),
    "blocks": Target("src/torchbridge/model/blocks.py", _MODEL_TESTS),
    "evaluate": Target("src/torchbridge/model/evaluate.py", _MODEL_TESTS),
    "semantic": Target("src/torchbridge/model/semantic.py", _MODEL_TESTS, _SEMANTIC_FLOW),
    "noqa": Target("src/torchbridge/diagnostics/noqa.py", (
        "tests/diagnostics/test_noqa.py", "tests/rules/test_unused_noqa.py", "tests/cli/test_add_noqa.py",
        "tests/rules/test_fixtures.py")),
    "contract": Target("src/torchbridge/diagnostics/contract.py", (
        "tests/diagnostics/test_fix_contract.py", "tests/rules/test_rule_examples.py", "tests/rules/test_docs.py")),
    "writing": Target("src/torchbridge/project/writing.py", (
        "tests/fixing/test_fix_files.py", "tests/cli/test_cli_fix.py", "tests/project/test_cache.py")),
    "fixes": Target("src/torchbridge/diagnostics/fix.py", _FIX_TESTS),
    "resolve": Target("src/torchbridge/engine/resolve.py", _FIX_TESTS),
    # The exactness tests (against LibCST's PositionProvider, and every name at its own text in
    # sources LibCST regenerates differently) and the fixes' placement. The odd-whitespace
    # property and the rule examples cover positions too, but take a minute or more per
    # surviving mutant on these machines.
    "positions": Target("src/torchbridge/engine/positions.py", (
        "tests/engine/test_positions.py", "tests/engine/test_positions_source.py", "tests/fixing/test_fix_placement.py")),
    # fix --verify turns fixes down through the fixer: the verifier's tests cover that.
    "fixer": Target("src/torchbridge/fixing/loop.py", (
        "tests/fixing/test_fixer.py", "tests/fixing/test_fix_golden.py", "tests/fixing/test_fix_property.py",
        "tests/fixing/test_fix_files.py", "tests/fixing/test_fix_placement.py", "tests/cli/test_cli_fix.py",
        "tests/engine/test_notebooks.py", "tests/verify/test_verify.py"),
        deselect=("tests/verify/test_verify.py::test_verify_rules_passes_on_cpu",)),
    # Every verifier test passes its probes through the allowlist, most of them running torch in
    # child processes (a minute per surviving mutant): the in-process tests of the check (what
    # each side runs and starts with, names to objects, the reason of each refusal), the tests
    # of what it lets run and what it stops, and one probe run end to end.
    "allowlist": Target("src/torchbridge/verify/allowlist.py", (
        "tests/verify/test_verify_allowlist_check.py", "tests/verify/test_verify_allowlist.py",
        *(f"tests/verify/test_verify.py::{name}" for name in (
            "test_allowlist_accepts_the_real_probes", "test_anything_not_allowlisted_is_not_verifiable_and_never_runs",
            "test_the_reason_a_probe_is_not_run_names_what_stopped_it", "test_what_the_allowlist_lets_run",
            "test_tnp102_fix_without_the_copy_is_no_crash_fix")))),
}

# Files the copied tests read besides the package and the tests themselves.
_ALSO_COPY = ("fixtures", "docs", "README.md", ".pre-commit-hooks.yaml", "benchmarks", "scripts")

_KILLED = {1, 3}
_SURVIVED = {0}
_NO_TESTS = {5, 33}
_TIMEOUT = {36, -24, 24, 152, 255}


def _project_files() -> list[str]:
    """Tracked files and new ones git does not ignore: the working tree as it is now."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, check=True, capture_output=True).stdout.decode()
    return [name for name in out.split("\0") if name and (ROOT / name).is_file()]


def _prepare(name: str, target: Target) -> Path:
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    for relative in _project_files():
        if relative.startswith(".mutation/"):
            continue
        destination = work / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, destination)
    settings = {
        "source_paths": ["src"],
        "only_mutate": [target.module],
        "also_copy": list(_ALSO_COPY),
        "pytest_add_cli_args_test_selection": [*target.tests, *(f"--deselect={t}" for t in target.deselect)],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q"],
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    with (work / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return work


def _dotted(module: str) -> str:
    return module.removeprefix("src/").removesuffix(".py").replace("/", ".")


def _patterns(target: Target) -> list[str]:
    return [f"{_dotted(target.module)}.{function}__mutmut_*" for function in target.functions]


def _results(work: Path, target: Target) -> dict[str, int | None]:
    meta = work / "mutants" / (target.module + ".meta")
    codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    patterns = _patterns(target)
    if patterns:
        codes = {k: v for k, v in codes.items() if any(fnmatch.fnmatchcase(k, p) for p in patterns)}
    return codes


def equivalents() -> set[str]:
    """The mutants benchmarks/mutation.md judges equivalent."""
    if not NOTES.exists():
        return set()
    return set(re.findall(r"^- `([\w.ǁ]+__mutmut_\d+)`", NOTES.read_text(encoding="utf-8"), re.M))


def _run(name: str, target: Target, workers: int) -> dict[str, object]:
    work = _prepare(name, target)
    started = time.monotonic()
    command = [str(Path(sys.executable).with_name("mutmut")), "run", "--max-children", str(workers), *_patterns(target)]
    with (work / "run.log").open("wb") as log:
        status = subprocess.run(command, cwd=work, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}).returncode
    seconds = time.monotonic() - started
    if status != 0:
        tail = (work / "run.log").read_bytes()[-3000:].decode(errors="replace")
        raise SystemExit(f"mutmut failed on {name} (exit {status}); see {work / 'run.log'}:\n{tail}")
    codes = _results(work, target)
    judged = equivalents()
    survivors = sorted(k for k, v in codes.items() if v in _SURVIVED)
    equivalent = [k for k in survivors if k in judged]
    killed = sum(v in _KILLED for v in codes.values())
    # A mutant that hangs the tests is caught too.
    detected = killed + sum(v in _TIMEOUT for v in codes.values())
    other = {k: v for k, v in codes.items() if v not in _KILLED | _SURVIVED}
    counted = len(codes) - len(equivalent)
    return {
        "target": name, "module": target.module, "mutants": len(codes), "killed": killed,
        "survived": len(survivors), "equivalent": len(equivalent),
        "no_tests": sum(v in _NO_TESTS for v in other.values()),
        "timeout": sum(v in _TIMEOUT for v in other.values()),
        "other": sum(v not in _NO_TESTS | _TIMEOUT for v in other.values()),
        "score": round(100 * detected / counted, 1) if counted else 100.0,
        "seconds": round(seconds), "survivors": [k for k in survivors if k not in judged],
    }


def _show(name: str, target: Target) -> None:
    work = WORK / name
    judged = equivalents()
    for mutant, code in sorted(_results(work, target).items()):
        if code in _SURVIVED and mutant not in judged:
            shown = subprocess.run([str(Path(sys.executable).with_name("mutmut")), "show", mutant],
                                   cwd=work, capture_output=True, text=True)
            print(shown.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", help=f"some of: {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--workers", type=int, default=1, help="mutants run at once (default 1)")
    parser.add_argument("--survivors", action="store_true",
                        help="print the diffs of the last run's non-equivalent survivors instead of running")
    parser.add_argument("--list", action="store_true", help="print the table of modules and tests")
    args = parser.parse_args()
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown target(s): {', '.join(sorted(unknown))}")
    chosen = args.targets or list(TARGETS)
    if args.list:
        for name in chosen:
            target = TARGETS[name]
            print(f"{name}: {target.module} <- {' '.join(target.tests)}" + (f" (less {', '.join(target.deselect)})" if target.deselect else ""))
        return
    if args.survivors:
        for name in chosen:
            _show(name, TARGETS[name])
        return
    rows = []
    print("| target | module | mutants | killed | survived | equivalent | no tests | timeout | score | time |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in chosen:
        row = _run(name, TARGETS[name], args.workers)
        rows.append(row)
        print(f"| {name} | `{row['module']}` | {row['mutants']} | {row['killed']} | {row['survived']} | "
              f"{row['equivalent']} | {row['no_tests']} | {row['timeout']} | {row['score']}% | {row['seconds']} s |",
              flush=True)
    (WORK / "summary.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
