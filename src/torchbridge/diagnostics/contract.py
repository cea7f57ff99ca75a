"""The fix contract's law and words: one entry per rewrite, as ``reference/fix-contract.md`` states it.

Rules do not decide how safe their fixes are: a rule picks the entry whose preconditions it
proved for this occurrence, and the entry says whether the fix is applied (``safe``), only
with ``--unsafe-fixes`` (``unsafe``) or only shown (``display``), and what the verifier must
observe. Each rule's entries live beside it, in its module (its ``contract``); this module
holds what they share: the checks every entry passes when it is built, the device entries
TNP301 and TNP302 both use, the "Fix safety" text the documentation is generated from
(``fix_safety``), and the collected view of every entry by key (``collected``). A test
checks that the rules' INVALID examples say what their entries say.

The law, in short: a fix is safe only when every precondition is in-file ([F]) and proven;
any process-wide precondition ([P]) makes it unsafe; an unproven [F] one downgrades it to
unsafe, never drops it silently.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


class _Word(str, enum.Enum):
    """A word of the contract's vocabulary: it compares, hashes, prints and serializes (JSON,
    SARIF) as its text, so the output is what the plain strings gave."""

    def __str__(self) -> str:
        return str(self.value)


class Applicability(_Word):
    SAFE = "safe"  # applied by ``torchbridge fix``
    UNSAFE = "unsafe"  # only with ``--unsafe-fixes``
    DISPLAY = "display"  # shown, never applied


class Verdict(_Word):
    """What the verifier observed for a fix on one device (law 4); a contract entry expects
    one of the first four."""

    EQUIVALENT = "equivalent"
    CRASH_FIX = "crash-fix"
    DIFFERS = "differs"
    NOT_VERIFIABLE = "not-verifiable"
    SKIPPED_NO_CUDA = "skipped (no CUDA)"  # observed only: no CUDA in this process


def in_words(verdict: Verdict) -> str:
    """A verdict as text people read says: "crash-fix" reads like "the fix crashes", so it
    is spelled out (the JSON formats keep the value)."""
    return "fixes a crash" if verdict is Verdict.CRASH_FIX else str(verdict.value)


EXPECTABLE = frozenset({Verdict.EQUIVALENT, Verdict.CRASH_FIX, Verdict.DIFFERS, Verdict.NOT_VERIFIABLE})
SCOPES = {"F": "in-file", "P": "process-wide", "D": "device-dependent"}


@dataclass(frozen=True)
class Precondition:
    scope: str  # "F", "P" or "D"
    text: str

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"unknown precondition scope {self.scope!r}")


_KEY = re.compile(r"TNP(?:\d{3}|30x)/[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class ContractEntry:
    key: str  # "TNP101/as-tensor": the rule, then the rewrite
    rewrite: str  # the rewrite, as the documentation states it
    applicability: Applicability
    preconditions: tuple[Precondition, ...]
    # The verifier's expected verdict per device ("cpu", "cuda").
    expect: Mapping[str, Verdict]  # (a dict: entries travel to worker processes by pickle)
    # Differences the preconditions make unobservable in the program: reported, not "differs".
    allowed: tuple[str, ...] = ()
    # For an unsafe entry: the kinds of difference it may show.
    differs: tuple[str, ...] = ()
    # For a crash-fix: the error the original raises, as its message starts.
    crash: str | None = None
    note: str = ""  # one sentence for the documentation: why this applicability
    title: str = ""  # the fix's title shown to the user

    def __post_init__(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise ValueError(f"{self.key!r}: a key is the rule's code, then the rewrite (TNP101/as-tensor)")
        # Words given as text become the vocabulary's; an unknown one fails here, at import.
        try:
            object.__setattr__(self, "applicability", Applicability(self.applicability))
            object.__setattr__(self, "expect", {device: Verdict(v) for device, v in self.expect.items()})
        except ValueError as exc:
            raise ValueError(f"{self.key}: {exc}") from None
        scopes = {p.scope for p in self.preconditions}
        # The law: a process-wide precondition makes a fix unsafe whatever its class.
        if self.applicability is Applicability.SAFE and "P" in scopes:
            raise ValueError(f"{self.key}: a safe fix cannot have a process-wide precondition")
        for verdict in self.expect.values():
            if verdict not in EXPECTABLE:
                raise ValueError(f"{self.key}: a contract cannot expect {verdict!s}")
        if self.applicability is Applicability.DISPLAY and set(self.expect.values()) != {Verdict.NOT_VERIFIABLE}:
            raise ValueError(f"{self.key}: a display fix is not verifiable")
        if Verdict.DIFFERS in self.expect.values() and self.applicability is Applicability.SAFE:
            raise ValueError(f"{self.key}: only an unsafe fix may be expected to differ")

    @property
    def rule(self) -> str:
        """The code before the slash: a rule's, or ``TNP30x`` for the shared device entries."""
        return self.key.split("/")[0]


F, P = "F", "P"
_NO_CUDA = "the original raises without CUDA (AssertionError: Torch not compiled with CUDA enabled)"

_DEVICE_REUSE_PRECONDITIONS = (
    Precondition(F, 'the module binds `NAME` exactly once, at module level, to `torch.device("cuda" if '
                    'torch.cuda.is_available() else "cpu")` or its bare-string form, never rebinds it '
                    "(`global` writes included) and does not shadow it where it is used"),
    Precondition(F, "a module-level use comes after that binding"),
    Precondition(F, "the receiver of `.cuda()` / `.to()` is a tensor or a module"),
    Precondition(F, "the device has no index (`'cuda:1'`, `.cuda(1)` are reported, never rewritten)"),
)

_IMPORT_TIME_CHECK = Precondition(P, "calling `torch.cuda.is_available()` at import time breaks forked CUDA workers "
                                     "(measured on an H100)")

_INSERTION_PRECONDITIONS = (
    Precondition(F, "the name `DEVICE` is unused in the module"),
    Precondition(F, "no use precedes the insertion point"),
)

# The entries TNP301 and TNP302 share: one rewrite of a hard-coded CUDA device, by two rules.
DEVICE_VARIABLE = ContractEntry(
    key="TNP30x/device-variable",
    rewrite="`.cuda()` → `.to(NAME)`; `'cuda'` in a device position → `NAME`; `torch.device('cuda')` → "
            "`NAME` (or `torch.device(NAME)` for the string form); `non_blocking=` and `memory_format=` kept; "
            "`NAME` is the module's existing cuda-or-cpu device variable",
    applicability=Applicability.SAFE,
    preconditions=_DEVICE_REUSE_PRECONDITIONS,
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
    crash=_NO_CUDA,
    note="On a machine with CUDA the variable is the CUDA device; without it the original raised.",
    title="Use the module's device variable `{name}`",
)

DEVICE_VARIABLE_UNPROVEN = ContractEntry(
    key="TNP30x/device-variable-unproven",
    rewrite="the same, when the receiver of `.cuda()` / `.to()` is not proven a tensor or a module",
    applicability=Applicability.UNSAFE,
    preconditions=(),
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
    crash=_NO_CUDA,
    note="Another library's `.cuda()` may take other arguments or mean something else.",
    title="Use the module's device variable `{name}`",
)

INSERT_DEVICE = ContractEntry(
    key="TNP30x/insert-device",
    rewrite='the same, inserting `DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")` '
            "after the module's imports when it has no such variable",
    applicability=Applicability.UNSAFE,
    preconditions=(
        _IMPORT_TIME_CHECK,
        *_INSERTION_PRECONDITIONS,
    ),
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
    crash=_NO_CUDA,
    note="A new module-level statement runs at import time in every process that imports the module.",
    title="Choose the device at run time (`DEVICE`, inserted after the imports)",
)

INSERT_DEVICE_STRING = ContractEntry(
    key="TNP30x/insert-device-string",
    rewrite='the same where the name is also used as a string (`in`, string methods, f-strings, comparisons with '
            'strings, `type()` checks, `exec`/`globals()` config overrides): the bare-string idiom `DEVICE = "cuda" '
            'if torch.cuda.is_available() else "cpu"`, or the module\'s variable of that form; never a `torch.device`',
    applicability=Applicability.UNSAFE,
    preconditions=(
        _IMPORT_TIME_CHECK,
        Precondition(F, "the name stays a `str`: `'cuda' in torch.device('cuda')` raises TypeError, "
                        "`torch.device('cuda') == 'cuda'` is False"),
        *_INSERTION_PRECONDITIONS,
    ),
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
    crash=_NO_CUDA,
    note="A string stays a string, so code that reads it as text behaves as before; without CUDA it reads "
         "`'cpu'`.",
    title='Choose the device at run time (`DEVICE`, a "cuda"-or-"cpu" string, inserted after the imports)',
)

INSERT_ACCELERATOR = ContractEntry(
    key="TNP30x/insert-accelerator",
    rewrite='the same with `device-idiom = "accelerator"`: `DEVICE = torch.accelerator.current_accelerator() '
            'if torch.accelerator.is_available() else torch.device("cpu")`; where the project declares a '
            "`torch-version` older than 2.6 (which has no `torch.accelerator`), the cuda form is inserted instead",
    applicability=Applicability.UNSAFE,
    preconditions=(
        Precondition(P, "picks MPS or XPU where present, whose dtype support differs from CUDA's"),
        Precondition(P, "torch 2.6 or newer: `torch.accelerator` is in the 2.6 docs and not in 2.5's; an undeclared "
                        "`torch-version` does not prove it"),
        *_INSERTION_PRECONDITIONS,
    ),
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
    crash=_NO_CUDA,
    note="The accelerator may not be CUDA at all.",
    title="Choose the accelerator at run time (`DEVICE`, inserted after the imports)",
)

DEVICE_ENTRIES = (DEVICE_VARIABLE, DEVICE_VARIABLE_UNPROVEN, INSERT_DEVICE, INSERT_DEVICE_STRING, INSERT_ACCELERATOR)



def collected(contracts: Iterable[Sequence[ContractEntry]]) -> dict[str, ContractEntry]:
    """Every entry of the given rules' contracts once, by key: the view the cache reads an
    entry back through. Two different entries under one key fail."""
    found: dict[str, ContractEntry] = {}
    for entries in contracts:
        for entry in entries:
            if found.setdefault(entry.key, entry) != entry:
                raise ValueError(f"two contract entries claim {entry.key}")
    return found


_HEADINGS = {
    Applicability.SAFE: "Safe", Applicability.UNSAFE: "Unsafe (`--unsafe-fixes`)",
    Applicability.DISPLAY: "Display only (never applied)",
}


def fix_safety(entries: Sequence[ContractEntry], lint_only_reason: str = "") -> str:
    """The "Fix safety" section of a rule's documentation, generated from its entries."""
    if not entries:
        return lint_only_reason or "No fix: this rule only reports."
    parts = []
    for e in entries:
        lines = [f"**{_HEADINGS[e.applicability]}**: {e.rewrite}. {e.note}".rstrip()]
        for p in e.preconditions:
            lines.append(f"- [{p.scope}] {p.text}")
        expect = ", ".join(f"{in_words(verdict)} on {device}" for device, verdict in e.expect.items())
        details = [f"verifier: {expect}"]
        if e.allowed:
            details.append(f"allowed differences: {', '.join(e.allowed)}")
        if e.differs:
            details.append(f"may differ in: {', '.join(e.differs)}")
        lines.append(f"- {'; '.join(details)}")
        parts.append("\n".join(lines))
    legend = "[F] proven in the file; [P] depends on process-wide state, so never safe."
    return "\n\n".join(parts) + "\n\n" + legend
