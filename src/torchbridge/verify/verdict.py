"""Comparing the two sides case by case, and the verdict per fix and device (the fix
contract's law 4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics.contract import DEVICE_ENTRIES, ContractEntry, Verdict

# Law 5: how a CUDA use fails in a process without CUDA.
NO_CUDA_ERRORS = (
    "AssertionError: Torch not compiled with CUDA enabled",
    "RuntimeError: No CUDA GPUs are available",
    "RuntimeError: Found no NVIDIA driver",
)


@dataclass
class DeviceVerdict:
    device: str
    verdict: Verdict
    reason: str = ""
    differences: list[str] = field(default_factory=list)  # kinds that differ (not allowed)
    allowed_seen: list[str] = field(default_factory=list)  # allowed differences observed
    cases: int = 0
    crashes_fixed: int = 0
    counterexample: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict, "reason": self.reason, "differences": self.differences,
            "allowed_differences_seen": self.allowed_seen, "cases": self.cases,
            "crashes_fixed": self.crashes_fixed, "counterexample": self.counterexample,
        }


def expected_errors(entry: ContractEntry) -> tuple[str, ...]:
    if entry in DEVICE_ENTRIES:  # the device rewrites: the original raises for want of CUDA
        return NO_CUDA_ERRORS
    return tuple(part.strip() for part in (entry.crash or "").split(" / ") if part.strip())


def allowed_kinds(entry: ContractEntry, case: dict[str, Any]) -> set[str]:
    """``aliasing``; ``aliasing for empty arrays`` only where an input is empty."""
    kinds = set()
    for text in entry.allowed:
        kind, _, condition = text.partition(" for ")
        if not condition or ("empty" in condition and _has_empty_input(case)):
            kinds.add(kind.strip())
    return kinds


def _has_empty_input(case: dict[str, Any]) -> bool:
    for value in case.values():
        if isinstance(value, dict):
            shape = value.get("array", value).get("shape", ())
            if any(n == 0 for n in shape):
                return True
    return False


def compare(original: dict[str, Any], fixed: dict[str, Any], expected: tuple[str, ...]) -> tuple[set[str], bool]:
    """The kinds of difference between two observations of one case, and whether the
    original raised an expected error where the fix returned (a crash fixed)."""
    if original["raised"] or fixed["raised"]:
        if original["raised"] and fixed["raised"]:
            same = original["raised"][0] == fixed["raised"][0] and original["raised"][1][:50] == fixed["raised"][1][:50]
            return (set() if same else {"error"}), False
        if original["raised"]:
            text = f"{original['raised'][0]}: {original['raised'][1]}"
            if any(text.startswith(e) for e in expected):
                return set(), True
        return {"error"}, False
    kinds = _result_differences(original["result"], fixed["result"])
    if original["warnings"] != fixed["warnings"]:
        kinds.add("warnings")
    if original["rng"] != fixed["rng"]:
        kinds.add("rng")
    return kinds, False


_FIELDS = {
    "type": "type", "dtype": "dtype", "shape": "shape", "device": "device", "strides": "strides",
    "requires_grad": "grad", "is_leaf": "grad", "values": "values", "aliasing": "aliasing",
    "parameters": "values", "repr": "values", "settings": "values",
}


def _result_differences(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    if a.get("type") != b.get("type"):
        return {"type"}
    if a["type"] == "tuple":
        if len(a["items"]) != len(b["items"]):
            return {"shape"}
        return set().union(*(_result_differences(x, y) for x, y in zip(a["items"], b["items"])))
    return {kind for key, kind in _FIELDS.items() if a.get(key) != b.get(key)}


def aggregate(entry: ContractEntry, device: str, cases: list[dict[str, Any]],
              originals: list[dict[str, Any]], fixeds: list[dict[str, Any]]) -> DeviceVerdict:
    expected = expected_errors(entry)
    verdict = DeviceVerdict(device, Verdict.EQUIVALENT, cases=len(cases))
    differing: list[tuple[int, dict[str, Any]]] = []
    seen_allowed: set[str] = set()
    differences: set[str] = set()
    for case, original, fixed in zip(cases, originals, fixeds):
        kinds, crash_fixed = compare(original, fixed, expected)
        verdict.crashes_fixed += crash_fixed
        allowed = allowed_kinds(entry, case)
        seen_allowed |= kinds & allowed
        if kinds - allowed:
            differences |= kinds - allowed
            differing.append((case_size(case), {"case": case, "original": original, "fixed": fixed}))
    verdict.allowed_seen = sorted(seen_allowed)
    if differences:
        verdict.verdict = Verdict.DIFFERS
        verdict.differences = sorted(differences)
        verdict.counterexample = min(differing, key=lambda item: item[0])[1]
    elif verdict.crashes_fixed:
        verdict.verdict = Verdict.CRASH_FIX
    return verdict


def case_size(case: Mapping[Any, Any]) -> int:
    """How big a case's inputs are (for picking the smallest counterexample)."""
    total = 0
    for value in case.values():
        if isinstance(value, dict) and value.get("kind") == "sequence":
            total += 1000 + case_size(dict(enumerate(value["items"])))
        elif isinstance(value, dict):
            array = value.get("array", value)
            shape = array.get("shape", ())
            size = 1
            for n in shape:
                size *= n
            total += len(shape) * 100 + size
    return total
