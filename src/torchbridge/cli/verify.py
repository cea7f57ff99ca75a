"""``torchbridge verify``: verdicts for the fixes in some files, or for every rule's examples."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from ..diagnostics.contract import Verdict, in_words
from ..diagnostics.finding import Finding
from ..engine.lint import lint_bytes
from ..project.discovery import discover
from ..project.runner import read_target, sort_key
from ..rules import all_rules
from .exit_codes import ExitCode
from .options import resolver_for
from .progress import Progress


def run_verify(args: argparse.Namespace) -> int:
    from ..verify import INSTALL_HINT, missing_requirements

    missing = missing_requirements()
    if missing:
        sys.stderr.write(f"torchbridge verify: {', '.join(missing)} not installed; {INSTALL_HINT}\n")
        return ExitCode.ERROR
    from ..verify import Verifier

    devices = ("cpu", "cuda") if args.device == "all" else (args.device,)
    verifier = Verifier(devices)
    if args.rules:
        return _verify_rules(verifier, args)
    results = _verify_each(verifier, _findings_with_fixes(args))
    failed = [r for r in results if not _passes(r, args.require_cuda)]
    if args.output_format == "json":
        json.dump([r.to_json() for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in results:
            sys.stdout.write(_line(r) + "\n")
        proven = sum(r.proven(args.require_cuda) for r in results)
        sys.stdout.write(f"{len(results)} fixes: {proven} proven, {len(failed)} failed.\n" if results else "No fixes to verify.\n")
    return ExitCode.FINDINGS if failed else ExitCode.CLEAN


def _passes(result, require_cuda: bool) -> bool:  # noqa: ANN001
    """No ``differs`` where the contract does not expect one (a safe fix never may); with
    --require-cuda, no CUDA skip. Not-verifiable is reported, not failed."""
    expect = result.finding.fix.entry.expect
    return not any(
        (d.verdict is Verdict.DIFFERS and expect.get(d.device) is not Verdict.DIFFERS)
        or (require_cuda and d.verdict is Verdict.SKIPPED_NO_CUDA)
        for d in result.devices
    )


def _line(result) -> str:  # noqa: ANN001
    f = result.finding
    verdicts = "; ".join(
        f"{d.device}: {in_words(d.verdict)}" + (f" ({', '.join(d.differences)})" if d.differences else "")
        + (f" [{d.reason}]" if d.reason and d.verdict is not Verdict.SKIPPED_NO_CUDA else "")
        for d in result.devices
    )
    return f"{f.location}: {f.code} [{f.fix.applicability}] {verdicts}"


def _findings_with_fixes(args: argparse.Namespace) -> list[Finding]:
    resolver = resolver_for(args)
    found = []
    for target in discover(args.paths or [Path(".")], resolver, force_exclude=args.force_exclude):
        data = read_target(target)
        if isinstance(data, Finding):
            continue
        settings = target.settings
        for finding in lint_bytes(data, str(target.path), settings.rules_for(target.path), options=settings.rule_options):
            if finding.fix is not None and finding.fix.applies(settings.unsafe_fixes):
                found.append(finding)
    return sorted(found, key=sort_key)


def _verify_rules(verifier, args: argparse.Namespace) -> int:  # noqa: ANN001
    """Every INVALID example's fix against its declared expectation (and, for ``differs``,
    the contract's difference kinds)."""
    from .. import check_source

    declared = []  # (finding, the expectation its example declares)
    for rule in all_rules():
        for index, example in enumerate(rule.INVALID):
            if example.applicability is None:
                continue
            found = check_source(example.code, filename=f"{rule.code}-invalid-{index}", select=[rule.code],
                                 torch_version=example.torch_version)
            for finding in found:
                if finding.fix is not None:
                    declared.append((finding, example.expect or {}))
    results = _verify_each(verifier, [finding for finding, _ in declared])
    records = [(result, _example_mismatch(result, expect, args.require_cuda)) for result, (_, expect) in zip(results, declared)]
    checked = len(records)
    mismatches = sum(bool(problems) for _, problems in records)
    if args.output_format == "json":
        json.dump([{**r.to_json(), "mismatch": p} for r, p in records], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for result, problems in records:
            mark = "ok  " if not problems else "FAIL"
            sys.stdout.write(f"{mark} {_line(result)}" + (f"  <- {problems}" if problems else "") + "\n")
        sys.stdout.write(f"{checked} example fixes verified: {checked - mismatches} as declared, {mismatches} not.\n")
    return ExitCode.FINDINGS if mismatches else ExitCode.CLEAN


def _example_mismatch(result, declared: Mapping[str, Verdict], require_cuda: bool) -> str:  # noqa: ANN001
    problems = []
    entry = result.finding.fix.entry
    for d in result.devices:
        if d.verdict is Verdict.SKIPPED_NO_CUDA:
            if require_cuda:
                problems.append(f"{d.device}: skipped, and --require-cuda")
            continue
        want = declared.get(d.device)
        if d.verdict != want:
            declared_words = in_words(want) if want is not None else "nothing"
            problems.append(f"{d.device}: declared {declared_words}, observed {in_words(d.verdict)}" + (f" ({d.reason})" if d.reason else ""))
        elif d.verdict is Verdict.DIFFERS and tuple(d.differences) != tuple(sorted(entry.differs)):
            problems.append(f"{d.device}: differs in {d.differences}, the contract says {sorted(entry.differs)}")
    return "; ".join(problems)


def _verify_each(verifier, findings: list[Finding]) -> list:  # noqa: ANN001
    """The verdict of each finding's fix, with a count on a terminal (a fix takes seconds)."""
    progress = Progress(len(findings), label="verified", unit="fixes", minimum=0)
    results = []
    for finding in findings:
        results.append(verifier.verify(finding))
        progress()
    progress.finish()
    return results
