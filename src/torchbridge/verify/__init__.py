"""The runtime verifier: runs each fix's original and fixed code on generated inputs, on CPU
and on CUDA, and checks that what differs is exactly what the fix contract allows.

An optional extra (``pip install torchbridge[verify]``: NumPy, torch, hypothesis).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import time
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics.contract import Applicability, Verdict
from ..diagnostics.finding import Finding
from .verdict import DeviceVerdict

INSTALL_HINT = (
    "the verifier needs NumPy, torch and hypothesis: pip install 'torchbridge[verify]' "
    "(for a CPU-only torch: pip install torch --index-url https://download.pytorch.org/whl/cpu)"
)
DEVICES = ("cpu", "cuda")
SHRINK_SECONDS = 3.0  # per fix and device that differs: the search for a smaller counterexample
PROVING = frozenset({Verdict.EQUIVALENT, Verdict.CRASH_FIX})  # what ``fix --verify`` applies (law 4)


def missing_requirements() -> list[str]:
    return [name for name in ("numpy", "torch", "hypothesis") if importlib.util.find_spec(name) is None]


@dataclass
class FixVerdict:
    finding: Finding
    devices: list[DeviceVerdict] = field(default_factory=list)

    @property
    def entry_key(self) -> str:
        return self.finding.fix.entry.key if self.finding.fix is not None else ""

    def verdicts(self) -> dict[str, str]:
        return {d.device: d.verdict for d in self.devices}

    def proven(self, require_cuda: bool = False) -> bool:
        """Observed ``equivalent`` or ``crash-fix`` wherever it ran (law 4: what
        ``fix --verify`` applies); a CUDA skip counts against it only with ``require_cuda``."""
        ok = PROVING | ({Verdict.SKIPPED_NO_CUDA} if not require_cuda else set())
        return bool(self.devices) and all(d.verdict in ok for d in self.devices) and any(
            d.verdict in PROVING for d in self.devices
        )

    def to_json(self) -> dict[str, Any]:
        f = self.finding
        fix = f.fix
        return {
            "code": f.code, "filename": f.filename, "line": f.line, "column": f.column,
            "contract": self.entry_key, "applicability": fix.applicability if fix else None,
            "verdict": self.verdicts(),
            "reason": {d.device: d.reason for d in self.devices if d.reason},
            "allowed_differences": list(fix.entry.allowed) if fix else [],
            "cases": {d.device: d.to_json() for d in self.devices},
        }


class Verifier:
    """Imports NumPy and torch once (never touching CUDA), then forks a child per fix and
    side. ``devices``: which runs to do; CUDA is looked for in a child."""

    def __init__(self, devices: tuple[str, ...] = DEVICES, *, cuda_available: bool | None = None) -> None:
        from .sandbox import cuda_devices, prepare_parent

        prepare_parent()
        self.devices = devices
        if cuda_available is None:
            cuda_available = "cuda" in devices and cuda_devices() > 0
        self.cuda = cuda_available

    def verify(self, finding: Finding) -> FixVerdict:
        from .allowlist import NotAllowed, check_probe

        fix = finding.fix
        result = FixVerdict(finding)
        if fix is None:
            return result
        planned = [d for d in fix.entry.expect if d in self.devices]
        if fix.applicability is Applicability.DISPLAY or fix.probe is None:
            why = "a display fix is never applied" if fix.applicability is Applicability.DISPLAY else "no probe for this fix"
            result.devices = [DeviceVerdict(d, Verdict.NOT_VERIFIABLE, why) for d in planned]
            return result
        try:
            check_probe(dataclasses.asdict(fix.probe))
        except NotAllowed as exc:
            result.devices = [DeviceVerdict(d, Verdict.NOT_VERIFIABLE, str(exc)) for d in planned]
            return result
        for device in planned:
            result.devices.append(self._run(fix, device))
        return result

    def _run(self, fix, device: str) -> DeviceVerdict:  # noqa: ANN001
        from .cases import draw_cases
        from .sandbox import SideFailed, run_in_child, run_side
        from .verdict import aggregate

        if device == "cuda" and not self.cuda:
            return DeviceVerdict(device, Verdict.SKIPPED_NO_CUDA, "no CUDA device in this process")
        probe = dataclasses.asdict(fix.probe)
        cases = draw_cases(fix.probe.holes, fix.entry.key, ("cpu",) if device == "cpu" else ("cpu", "cuda"))
        try:
            original = run_in_child(run_side, probe, "original", cases, device, cpu_only=device == "cpu")
            fixed = run_in_child(run_side, probe, "fixed", cases, device, cpu_only=device == "cpu")
        except SideFailed as exc:
            return DeviceVerdict(device, Verdict.NOT_VERIFIABLE, str(exc), cases=len(cases))
        verdict = aggregate(fix.entry, device, cases, original, fixed)
        if verdict.verdict is Verdict.DIFFERS:
            smaller = _shrunk_counterexample(fix, probe, device)
            if smaller is not None:
                verdict.counterexample = smaller
        return verdict


def _shrunk_counterexample(fix, probe: dict[str, Any], device: str) -> dict[str, Any] | None:  # noqa: ANN001
    """The smallest input hypothesis finds on which the two sides differ (each example in a
    fresh pair of children), or None when its budget runs out first."""
    from hypothesis import HealthCheck, find, settings
    from hypothesis.errors import NoSuchExample

    from .cases import case_strategy
    from .sandbox import SideFailed, run_in_child, run_side
    from .verdict import allowed_kinds, compare, expected_errors

    expected = expected_errors(fix.entry)
    found: dict[str, Any] = {}
    deadline = time.monotonic() + SHRINK_SECONDS

    def differs(case: dict[str, Any]) -> bool:
        if time.monotonic() > deadline:
            raise _OutOfTime
        try:
            original = run_in_child(run_side, probe, "original", [case], device, cpu_only=device == "cpu")[0]
            fixed = run_in_child(run_side, probe, "fixed", [case], device, cpu_only=device == "cpu")[0]
        except SideFailed:
            return False
        kinds, _ = compare(original, fixed, expected)
        if kinds - allowed_kinds(fix.entry, case):
            found.update(case=case, original=original, fixed=fixed, kinds=sorted(kinds))
            return True
        return False

    strategy = case_strategy(fix.probe.holes, fix.entry.key, ("cpu",) if device == "cpu" else ("cpu", "cuda"))
    budget = settings(max_examples=40, database=None, derandomize=True, deadline=None,
                      suppress_health_check=list(HealthCheck))
    try:
        find(strategy, differs, settings=budget)
    except NoSuchExample:
        return None
    except Exception:  # noqa: BLE001 - out of time, or hypothesis gave up: keep what was found
        pass
    # Shrinking only ever accepts a smaller failing input: the last one found is the smallest.
    return dict(found) or None


class _OutOfTime(Exception):
    pass
