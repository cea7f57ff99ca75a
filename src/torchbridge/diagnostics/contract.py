"""The fix contract as data: one entry per rewrite, as ``reference/fix-contract.md`` states it.

Rules do not decide how safe their fixes are: a rule picks the entry whose preconditions it
proved for this occurrence, and the entry says whether the fix is applied (``safe``), only
with ``--unsafe-fixes`` (``unsafe``) or only shown (``display``), and what the verifier must
observe. Each rule's "Fix safety" documentation is generated from here (``fix_safety``),
and a test checks that the rules' INVALID examples say the same.

The law, in short: a fix is safe only when every precondition is in-file ([F]) and proven;
any process-wide precondition ([P]) makes it unsafe; an unproven [F] one downgrades it to
unsafe, never drops it silently.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
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


EXPECTABLE = frozenset({Verdict.EQUIVALENT, Verdict.CRASH_FIX, Verdict.DIFFERS, Verdict.NOT_VERIFIABLE})
SCOPES = {"F": "in-file", "P": "process-wide", "D": "device-dependent"}


@dataclass(frozen=True)
class Precondition:
    scope: str  # "F", "P" or "D"
    text: str

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"unknown precondition scope {self.scope!r}")


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
        return self.key.split("/")[0]


F, P = "F", "P"
_NEGATIVE_STRIDE = "ValueError: At least one stride in the given numpy array is negative"
_GRAD_OR_DEVICE = ("RuntimeError: Can't call numpy() on Tensor that requires grad / TypeError: can't convert cuda:0 "
                   "device type tensor to numpy")
_NO_CUDA = "the original raises without CUDA (AssertionError: Torch not compiled with CUDA enabled)"

_DEVICE_REUSE_PRECONDITIONS = (
    Precondition(F, 'the module binds `NAME` exactly once, at module level, to `torch.device("cuda" if '
                    'torch.cuda.is_available() else "cpu")` or its bare-string form, never rebinds it '
                    "(`global` writes included) and does not shadow it where it is used"),
    Precondition(F, "a module-level use comes after that binding"),
    Precondition(F, "the receiver of `.cuda()` / `.to()` is a tensor or a module"),
    Precondition(F, "the device has no index (`'cuda:1'`, `.cuda(1)` are reported, never rewritten)"),
)

_INSERTION_PRECONDITIONS = (
    Precondition(F, "the name `DEVICE` is unused in the module"),
    Precondition(F, "no use precedes the insertion point"),
)
_AMP_PRECONDITIONS = (
    Precondition(F, "the callee resolves to the deprecated `torch.cuda.amp` / `torch.cpu.amp` API"),
    Precondition(F, "no `*args` or `**kwargs` in the call (positions cannot be mapped, and a written-out default "
                    "could collide)"),
    Precondition(F, "the project declares `torch-version` ≥ 2.4 in its configuration (a declared minimum is in-file "
                    "knowledge; an installed version is not)"),
)

ENTRIES: tuple[ContractEntry, ...] = (
    ContractEntry(
        key="TNP101/as-tensor",
        rewrite="`torch.tensor(a, **kw)` → `torch.as_tensor(a, **kw)` (keeps `dtype=` and `device=`)",
        applicability=Applicability.SAFE,
        preconditions=(
            Precondition(F, "`a` is an ndarray on every path"),
            Precondition(F, "`a` is a fresh array: made in this function by a NumPy call that returns new, "
                            "writable, owning memory (not a parameter, an attribute, a slice or view, "
                            "`np.frombuffer`, `np.asarray`, `np.load(mmap_mode=...)`)"),
            Precondition(F, "`a` is dead after the conversion: not used again, not captured by a closure, "
                            "not stored, returned or passed elsewhere, converted at most once per definition"),
            Precondition(F, "no `requires_grad=` or `pin_memory=`"),
        ),
        expect={"cpu": Verdict.EQUIVALENT},
        allowed=("aliasing",),
        note="The tensor shares the array's memory instead of copying it; the array is never seen "
             "again, so the sharing cannot be observed.",
        title="Replace `torch.tensor` with `torch.as_tensor` (shares the array's memory)",
    ),
    ContractEntry(
        key="TNP101/as-tensor-unproven",
        rewrite="the same, when the array may be used again, is not fresh, or is not proven an ndarray",
        applicability=Applicability.UNSAFE,
        preconditions=(),
        expect={"cpu": Verdict.DIFFERS},
        # The verifier also saw strides differ: torch.tensor copies a strided view into a
        # contiguous tensor, as_tensor keeps its strides. The contract's table lists aliasing
        # and the read-only warning only.
        differs=("aliasing", "strides", "warnings"),
        note="A later write to the array now changes the tensor too, a read-only array warns, and a "
             "strided view's tensor keeps its strides instead of being made contiguous.",
        title="Replace `torch.tensor` with `torch.as_tensor` (the tensor will share the array's memory)",
    ),
    ContractEntry(
        key="TNP102/copy",
        rewrite="`conv(E)` → `conv(E.copy())` for `from_numpy`, `as_tensor`, `tensor`, `asarray`, where `E` "
                "has a negative stride",
        applicability=Applicability.SAFE,
        preconditions=(
            Precondition(F, "the base of `E` is an ndarray"),
            Precondition(F, "the stride is negative on every path that reaches the call"),
        ),
        expect={"cpu": Verdict.CRASH_FIX},
        allowed=("aliasing for empty arrays",),
        crash=_NEGATIVE_STRIDE,
        note="The original always raises; the copy has positive strides and converts.",
        title="Pass a copy (`.copy()`): torch cannot hold negative strides",
    ),
    ContractEntry(
        key="TNP103/ascontiguousarray",
        rewrite="`conv(E)` → `conv(np.ascontiguousarray(E))` for a transposed `E`",
        applicability=Applicability.UNSAFE,
        preconditions=(Precondition(F, "`E` has at least one dimension (a 0-d array would become shape (1,))"),),
        expect={"cpu": Verdict.DIFFERS},
        # The verifier also saw the warning go (a read-only array is copied into a writable
        # one): the contract's table lists only aliasing and strides.
        differs=("aliasing", "strides", "warnings"),
        note="The tensor no longer shares the array's memory, its strides change, and a read-only "
             "array's not-writable warning disappears.",
        title="Make the array contiguous first (`np.ascontiguousarray`)",
    ),
    ContractEntry(
        key="TNP103/reshape",
        rewrite="`t.view(shape)` → `t.reshape(shape)` where `t` is the tensor made from a transposed array",
        applicability=Applicability.SAFE,
        preconditions=(
            Precondition(F, "`t` is a tensor on every path"),
            Precondition(F, "the arguments are a shape (integers, a tuple, `t.size()`), never a dtype "
                            "(`reshape(torch.int32)` raises)"),
        ),
        expect={"cpu": Verdict.CRASH_FIX},
        crash="RuntimeError: view size is not compatible with input tensor's size and stride",
        note="Where `.view` raised, `.reshape` copies; where it did not, `.reshape` returns the same view.",
        title="Use `.reshape` (`.view` fails on a transposed tensor)",
    ),
    ContractEntry(
        key="TNP104/stack",
        rewrite="`torch.tensor(L)` → `torch.from_numpy(np.stack(L))` (and `torch.as_tensor(L)`)",
        applicability=Applicability.UNSAFE,
        preconditions=(
            Precondition(F, "every element of `L` is an ndarray"),
            Precondition(F, "`L` is not empty, its elements are not 0-d and share one dtype: torch and NumPy "
                            "promote mixed dtypes differently, `np.stack([])` raises (P1 R1f)"),
        ),
        expect={"cpu": Verdict.DIFFERS},
        allowed=("warnings",),  # torch's own "extremely slow" warning goes
        differs=("dtype", "error", "values"),
        note="Equal for a non-empty list of arrays of one dtype and shape; mixed dtypes promote differently "
             "(int64 with float32 is float32 in torch, float64 in NumPy), and an empty list raises.",
        title="Stack the arrays with NumPy, then share the result (`torch.from_numpy(np.stack(...))`)",
    ),
    ContractEntry(
        key="TNP105/from-numpy-cast",
        rewrite="`torch.FloatTensor(a)` → `torch.from_numpy(a).float()` (`DoubleTensor` → `.double()`, `LongTensor` → "
                "`.long()`...; `torch.Tensor(a)` → `torch.from_numpy(a).to(torch.get_default_dtype())`), keeping the "
                "sharing of an array whose dtype already matches",
        applicability=Applicability.UNSAFE,
        preconditions=(
            Precondition(F, "`a` is an ndarray on every path"),
            Precondition(F, "`a` is not 0-d (the constructor reads an integer 0-d array as a size)"),
            Precondition(P, "`torch.Tensor(a)` follows the default dtype"),
        ),
        expect={"cpu": Verdict.DIFFERS},
        differs=("shape", "strides", "values"),
        note="Equal on arrays of one or more dimensions; a 0-d array is a size to the constructor and a "
             "scalar to `from_numpy`.",
        title="Use `torch.from_numpy` and a cast",
    ),
    ContractEntry(
        key="TNP106/dtype-in-call",
        rewrite="`torch.tensor(a).float()` → `torch.tensor(a, dtype=torch.float32)` (and `.double()`, `.half()`, "
                "`.long()`, `.int()`, `.to(<dtype>)`)",
        applicability=Applicability.SAFE,
        preconditions=(
            Precondition(F, "`a` is an ndarray on every path (a list's first tensor has the default dtype, "
                            "process-wide state)"),
            Precondition(F, "the call is `torch.tensor`, not `torch.Tensor` or `torch.from_numpy`"),
            Precondition(F, "no `requires_grad=` (leaf-ness) and no `dtype=` already"),
            Precondition(F, "the cast is to a dtype, not a device"),
        ),
        expect={"cpu": Verdict.EQUIVALENT},
        allowed=("warnings",),
        note="One copy instead of two, with the same values; a complex-to-real cast's warning disappears.",
        title="Pass the dtype to `torch.tensor` (one copy instead of two)",
    ),
    ContractEntry(
        key="TNP106/dtype-in-call-unproven",
        rewrite="the same on a list or a source not proven an ndarray",
        applicability=Applicability.UNSAFE,
        preconditions=(),
        expect={"cpu": Verdict.DIFFERS},
        allowed=("warnings",),
        differs=("values",),
        note="A list of floats first becomes float32: `torch.tensor([0.1]).double()` is not "
             "`torch.tensor([0.1], dtype=torch.float64)` (measured).",
        title="Pass the dtype to `torch.tensor` (one copy instead of two)",
    ),
    ContractEntry(
        key="TNP201/detach-cpu",
        rewrite="`X.numpy()`, `X.cpu().numpy()`, `X.detach().numpy()`, `X.data.numpy()`, `X.cpu().data.numpy()`, "
                "`X.data.cpu().numpy()` → `X.detach().cpu().numpy()`",
        applicability=Applicability.SAFE,
        preconditions=(Precondition(F, "`X` is a tensor on every path (TensorFlow and others have `.numpy()` too)"),),
        expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
        crash="RuntimeError: Can't call numpy() on Tensor that requires grad / TypeError: can't convert cuda:0 "
              "device type tensor to numpy",
        note="The original raises for a tensor that requires grad or lives on a device; otherwise "
             "`.detach()` and `.cpu()` return the same memory, so nothing else changes.",
        title="Call `.detach().cpu()` before `.numpy()`",
    ),
    ContractEntry(
        key="TNP201/detach-cpu-unproven",
        rewrite="the same, when the base of the chain is not proven a tensor",
        applicability=Applicability.UNSAFE,
        preconditions=(),
        expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
        note="Only the receiver of `.numpy()` was proven a tensor, not what the chain starts from.",
        title="Call `.detach().cpu()` before `.numpy()`",
    ),
    ContractEntry(
        key="TNP202/detach-cpu",
        rewrite="`np.asarray(X)` → `X.detach().cpu().numpy()`",
        applicability=Applicability.SAFE,
        preconditions=(
            Precondition(F, "`X` is a tensor on every path"),
            Precondition(F, "no `dtype=`, `copy=` or `order=` arguments"),
        ),
        expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
        crash=_GRAD_OR_DEVICE,
        note="It raised for a tensor that requires grad or lives on a device; otherwise both share the "
             "tensor's memory.",
        title="Convert with `.detach().cpu().numpy()`",
    ),
    ContractEntry(
        key="TNP202/detach-cpu-array",
        rewrite="`np.array(X)` → `np.array(X.detach().cpu().numpy())`",
        applicability=Applicability.SAFE,
        preconditions=(
            Precondition(F, "`X` is a tensor on every path"),
            Precondition(F, "no `dtype=`, `copy=` or `order=` arguments"),
        ),
        expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
        allowed=("warnings",),
        crash=_GRAD_OR_DEVICE,
        note="It raised for a tensor that requires grad or lives on a device; NumPy 2's `__array__` copy-keyword "
             "DeprecationWarning disappears (measured).",
        title="Convert with `.detach().cpu().numpy()` inside `np.array`",
    ),
    ContractEntry(
        key="TNP202/stack-list",
        rewrite="`np.array(L)` / `np.asarray(L)` of a list of tensors → `torch.stack(L).detach().cpu().numpy()`",
        applicability=Applicability.UNSAFE,
        preconditions=(
            Precondition(F, "every element of `L` is a tensor"),
            Precondition(F, "`L` is not empty and its tensors have one shape and dtype: ragged, 0-d or mixed "
                            "elements differ (P9)"),
        ),
        expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
        differs=("error",),
        crash=_GRAD_OR_DEVICE,
        note="One stack and one copy to the host instead of one per tensor. An empty list raises in `torch.stack` "
             "where NumPy gives an empty float64 array, and ragged lists raise other errors; 0-d tensors and mixed "
             "float dtypes gave equal results on CPU (verifier, torch 2.13).",
        title="Stack the tensors with torch, then convert once",
    ),
    ContractEntry(
        key="TNP203/detach",
        rewrite="`.data` in a conversion chain ending in `.numpy()` → `.detach()`",
        applicability=Applicability.SAFE,
        preconditions=(Precondition(F, "the receiver is a tensor on every path"),),
        expect={"cpu": Verdict.EQUIVALENT},
        note="Both share the tensor's memory without grad; only autograd's version counter differs, "
             "which a read into NumPy never touches.",
        title="Use `.detach()` instead of `.data`",
    ),
    ContractEntry(
        key="TNP203/detach-unproven",
        rewrite="the same, when the receiver is not proven a tensor",
        applicability=Applicability.UNSAFE,
        preconditions=(),
        expect={"cpu": Verdict.EQUIVALENT},
        note="Another library's `.data` may be something else entirely.",
        title="Use `.detach()` instead of `.data`",
    ),
    ContractEntry(
        key="TNP204/detach-first",
        rewrite="`X.cpu().detach()` → `X.detach().cpu()`",
        applicability=Applicability.SAFE,
        preconditions=(Precondition(F, "`X` is a tensor on every path"),),
        expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        note="Values, device, grad state and aliasing are the same; nothing is recorded in the autograd graph.",
        title="Detach before the copy to the CPU",
    ),
    ContractEntry(
        key="TNP204/detach-first-unproven",
        rewrite="the same, when `X` is not proven a tensor",
        applicability=Applicability.UNSAFE,
        preconditions=(),
        expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        note="Another library's `.cpu()` and `.detach()` may mean something else.",
        title="Detach before the copy to the CPU",
    ),
    ContractEntry(
        key="TNP307/device-type",
        rewrite="`x.device == torch.device('cuda')` → `x.device.type == 'cuda'`; `x.device == 'cuda'` → "
                "`x.device.type == 'cuda'` (and `!=`)",
        applicability=Applicability.UNSAFE,
        preconditions=(Precondition(F, "the comparison's result changes: that is the fix's purpose"),),
        # Where the tensors live decides where the answer changes: 'cuda' on a CUDA run, 'cpu' on CPU.
        expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
        differs=("values",),
        note="The comparison stops being always False (or always True).",
        title="Compare the device type (`.device.type`)",
    ),
    ContractEntry(
        key="TNP303/device-in-factory",
        rewrite="`torch.F(...).to(dev)` → `torch.F(..., device=dev)` for the fill factories `zeros ones full eye "
                "tensor`, their `_like` forms, and `arange` with integer arguments only",
        applicability=Applicability.SAFE,
        preconditions=(
            Precondition(F, "no `requires_grad=True` (leaf-ness), no `generator=`"),
            Precondition(F, "`.to` has exactly one argument and it is a device (a device string, `torch.device(...)`, "
                            "the cuda-or-cpu expression, or a name bound to one)"),
            Precondition(F, "no `device=` already"),
        ),
        expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        note="The same values, made on the device in one step.",
        title="Create the tensor on the device (`device=`)",
    ),
    ContractEntry(
        key="TNP303/device-in-factory-differs",
        rewrite="the same for float `arange`, `linspace`, `logspace` and the random factories",
        applicability=Applicability.UNSAFE,
        preconditions=(),
        expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.DIFFERS},
        differs=("rng", "values"),
        note="The device's generator draws other numbers (and the CPU stream shifts), and float ranges come from "
             "other kernels (`torch.arange(0, 1, 0.1).cuda()` differs from `torch.arange(0, 1, 0.1, device='cuda')` "
             "on an H100); on the CPU both sides are the same.",
        title="Create the tensor on the device (`device=`)",
    ),
    ContractEntry(
        key="TNP304/amp-namespace",
        rewrite='`torch.cuda.amp.autocast(...)` → `torch.amp.autocast("cuda", ...)`, `torch.cuda.amp.GradScaler(...)` → '
                '`torch.amp.GradScaler("cuda", ...)`, `torch.cpu.amp.*` likewise with `"cpu"`; positional arguments '
                "become the old signature's keywords, and autocast's old explicit defaults are written out "
                "(`dtype=torch.float16`, `torch.bfloat16` on the CPU, `cache_enabled=True`)",
        applicability=Applicability.SAFE,
        preconditions=_AMP_PRECONDITIONS,
        expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        allowed=("warnings",),
        note="The new call builds the same object; only the deprecation warning goes.",
        title="Use `torch.amp` with the device type",
    ),
    ContractEntry(
        key="TNP304/amp-namespace-undeclared",
        rewrite="the same, when the project does not declare `torch-version` ≥ 2.4",
        applicability=Applicability.UNSAFE,
        preconditions=(Precondition(P, "the installed torch has `torch.amp.GradScaler` (2.3+) and "
                                       "`torch.amp.custom_fwd` (2.4+)"),),
        expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        allowed=("warnings",),
        note='On torch older than 2.4 the new names may not exist; declare `torch-version = "2.4"` to make it safe.',
        title="Use `torch.amp` with the device type",
    ),
    ContractEntry(
        key="TNP304/amp-decorator",
        rewrite='`@torch.cuda.amp.custom_fwd(...)` → `@torch.amp.custom_fwd(device_type="cuda", ...)`, '
                '`@torch.cuda.amp.custom_bwd` → `@torch.amp.custom_bwd(device_type="cuda")`',
        applicability=Applicability.SAFE,
        preconditions=_AMP_PRECONDITIONS,
        expect={"cpu": Verdict.NOT_VERIFIABLE},
        note="The decorators change an `autograd.Function`, which the verifier's expressions do not build; "
             "a runtime test runs both versions' forward and backward instead.",
        title="Use `torch.amp` with the device type",
    ),
    ContractEntry(
        key="TNP304/amp-decorator-undeclared",
        rewrite="the same, when the project does not declare `torch-version` ≥ 2.4",
        applicability=Applicability.UNSAFE,
        preconditions=(Precondition(P, "the installed torch has `torch.amp.custom_fwd` (2.4+)"),),
        expect={"cpu": Verdict.NOT_VERIFIABLE},
        note='On torch older than 2.4 `torch.amp.custom_fwd` does not exist; declare `torch-version = "2.4"`.',
        title="Use `torch.amp` with the device type",
    ),
    ContractEntry(
        key="TNP306/convert-first",
        rewrite="`nn.Parameter(t).cuda()` → `nn.Parameter(t.cuda())` (and `.to(...)`, `.double()`...)",
        applicability=Applicability.UNSAFE,
        preconditions=(Precondition(F, "the module gains a parameter: intended, but a behaviour change"),),
        expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
        differs=("type",),
        note="The result stays a Parameter (a leaf, so its grad state differs too), and the module registers it.",
        title="Convert the data before wrapping it in `nn.Parameter`",
    ),
    ContractEntry(
        key="TNP402/hoist",
        rewrite="a loop-invariant transfer → a variable assigned once, just before the loop",
        applicability=Applicability.UNSAFE,
        preconditions=(
            Precondition(F, "nothing the transfer reads is rebound, stored into or changed in place in the loop"),
            Precondition(F, "the moved tensor is an operand, not assigned (so not changed in place later): "
                            "hoisting shares one tensor across iterations"),
        ),
        expect={"cpu": Verdict.NOT_VERIFIABLE},
        note="An error in the transfer now happens before the loop, even when the loop runs zero times, and the "
             "moved tensor stays alive for the whole loop. The verifier runs expressions, not loops.",
        title="Move the transfer before the loop",
    ),
    ContractEntry(
        key="TNP404/assign",
        rewrite="a tensor's `x.to(...)` whose result is discarded → `x = x.to(...)`",
        applicability=Applicability.UNSAFE,
        preconditions=(Precondition(F, "what the following code sees changes: that is the fix's purpose"),),
        expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.DIFFERS},
        differs=("aliasing", "dtype", "grad", "strides", "values"),
        note="The name now holds the converted tensor: a copy, in the new dtype or place, contiguous.",
        title="Assign the result (`x = x.to(...)`)",
    ),
    ContractEntry(
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
    ),
    ContractEntry(
        key="TNP30x/device-variable-unproven",
        rewrite="the same, when the receiver of `.cuda()` / `.to()` is not proven a tensor or a module",
        applicability=Applicability.UNSAFE,
        preconditions=(),
        expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        crash=_NO_CUDA,
        note="Another library's `.cuda()` may take other arguments or mean something else.",
        title="Use the module's device variable `{name}`",
    ),
    ContractEntry(
        key="TNP30x/insert-device",
        rewrite='the same, inserting `DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")` '
                "after the module's imports when it has no such variable",
        applicability=Applicability.UNSAFE,
        preconditions=(
            Precondition(P, "calling `torch.cuda.is_available()` at import time breaks forked CUDA workers "
                            "(measured on an H100)"),
            *_INSERTION_PRECONDITIONS,
        ),
        expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        crash=_NO_CUDA,
        note="A new module-level statement runs at import time in every process that imports the module.",
        title="Choose the device at run time (`DEVICE`, inserted after the imports)",
    ),
    ContractEntry(
        key="TNP30x/insert-accelerator",
        rewrite='the same with `device-idiom = "accelerator"`: `DEVICE = torch.accelerator.current_accelerator() '
                'if torch.accelerator.is_available() else torch.device("cpu")`',
        applicability=Applicability.UNSAFE,
        preconditions=(
            Precondition(P, "picks MPS or XPU where present, whose dtype support differs from CUDA's"),
            *_INSERTION_PRECONDITIONS,
        ),
        expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        crash=_NO_CUDA,
        note="The accelerator may not be CUDA at all.",
        title="Choose the accelerator at run time (`DEVICE`, inserted after the imports)",
    ),
    ContractEntry(
        key="TNP401/batch",
        rewrite="move the whole batch once, where it is built, instead of each sample in the loop",
        applicability=Applicability.DISPLAY,
        preconditions=(Precondition(F, "whether the samples can be batched (same shape, dtype) is not provable"),),
        expect={"cpu": Verdict.NOT_VERIFIABLE},
        note="Shown as a suggestion; never applied.",
        title="Move the batch to the device once, outside the loop (stack the samples first)",
    ),
    ContractEntry(
        key="TNP901/remove-code",
        rewrite="`# noqa: CODES` → the same comment without the codes that suppress nothing (without the "
                "directive when no code is left)",
        applicability=Applicability.SAFE,
        preconditions=(Precondition(F, "every rule the code covers is enabled and reported nothing on the line, "
                                       "or the code covers no rule"),),
        expect={"cpu": Verdict.NOT_VERIFIABLE},
        note="A comment changes no behaviour of the program, only what is reported.",
        title="Remove the unused `noqa` code",
    ),
)

_BY_KEY = {entry.key: entry for entry in ENTRIES}


def entry(key: str) -> ContractEntry:
    return _BY_KEY[key]


def entries_for(code: str) -> tuple[ContractEntry, ...]:
    """The entries for a rule; the device rules share the ``TNP30x`` ones."""
    family = "TNP30x" if code in DEVICE_FIX_RULES else code
    return tuple(e for e in ENTRIES if e.rule == family)


DEVICE_FIX_RULES = frozenset({"TNP301", "TNP302"})


_HEADINGS = {
    Applicability.SAFE: "Safe", Applicability.UNSAFE: "Unsafe (`--unsafe-fixes`)",
    Applicability.DISPLAY: "Display only (never applied)",
}


def fix_safety(code: str, lint_only_reason: str = "") -> str:
    """The "Fix safety" section of a rule's documentation, generated from its entries."""
    entries = entries_for(code)
    if not entries:
        return lint_only_reason or "No fix: this rule only reports."
    parts = []
    for e in entries:
        lines = [f"**{_HEADINGS[e.applicability]}**: {e.rewrite}. {e.note}".rstrip()]
        for p in e.preconditions:
            lines.append(f"- [{p.scope}] {p.text}")
        expect = ", ".join(f"{verdict} on {device}" for device, verdict in e.expect.items())
        details = [f"verifier: {expect}"]
        if e.allowed:
            details.append(f"allowed differences: {', '.join(e.allowed)}")
        if e.differs:
            details.append(f"may differ in: {', '.join(e.differs)}")
        lines.append(f"- {'; '.join(details)}")
        parts.append("\n".join(lines))
    legend = "[F] proven in the file; [P] depends on process-wide state, so never safe."
    return "\n\n".join(parts) + "\n\n" + legend
