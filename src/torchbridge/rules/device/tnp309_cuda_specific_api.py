"""TNP309 cuda-specific-api: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    P,
    Precondition,
    Verdict,
)
from ...diagnostics.fix import FixSpec, NodeEdit, replace
from ...model.guards import PROCESS_EXITS, Polarity, last_statement, mentions_cuda, polarity
from ...model.names import callee_name, device_text, dotted, identifier_words
from ...model.tree import children
from ..base import Invalid, Rule, Valid
from ..explain import quote, under_accelerator_check
from ..imports import module_reference
from ..probe import probe
from ..versions import (
    ACCELERATOR,
    ACCELERATOR_DEVICE_INDEX,
    ACCELERATOR_INDEX,
    ACCELERATOR_MEMORY,
    at_least,
)

_ANY_ACCELERATOR = "(CUDA, ROCm, MPS, XPU...)"

# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
_DECLARED = Precondition(F, "the project declares a `torch-version` that has the generic call (2.6 for "
                            "`device_count`, `is_available`, `synchronize`; 2.7 for `current_device_index`, "
                            "`set_device_index`); without a declared version no fix is offered")
_PICKS_ANY = Precondition(P, "on an MPS or XPU machine the generic call answers for that accelerator, by design: "
                             "whether the code around it is ready for one is the project's call")

ACCELERATOR_QUERY = ContractEntry(
    key="TNP309/accelerator-query",
    rewrite="`torch.cuda.device_count()` → `torch.accelerator.device_count()`, `torch.cuda.is_available()` → "
            "`torch.accelerator.is_available()`",
    applicability=Applicability.UNSAFE,
    preconditions=(
        _DECLARED,
        _PICKS_ANY,
        Precondition(F, "`is_available()` is not the test of code that uses CUDA (which would then run on MPS "
                        "and XPU and raise) and is not bound to a name (its uses decide)"),
    ),
    expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
    note="Without an accelerator both answer 0 / False, and on CUDA machines they agree (measured on 2.13 CPU; "
         "CUDA from the docs).",
    title="Use the device-generic `torch.accelerator` call",
)

ACCELERATOR_DEVICE_CALL = ContractEntry(
    key="TNP309/accelerator-device-call",
    rewrite="`torch.cuda.synchronize(d)` → `torch.accelerator.synchronize(d)`, `torch.cuda.current_device()` → "
            "`torch.accelerator.current_device_index()`, `torch.cuda.set_device(d)` → "
            "`torch.accelerator.set_device_index(d)`; a `device=` keyword becomes positional (the generic "
            "functions take it positionally only)",
    applicability=Applicability.UNSAFE,
    preconditions=(_DECLARED, _PICKS_ANY),
    expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.EQUIVALENT},
    differs=("error",),
    note="Without any accelerator both raise, with other errors: `AssertionError: Torch not compiled with CUDA "
         "enabled` (or an AttributeError for `set_device`) against `RuntimeError: Cannot access accelerator "
         "device when none is available.` (measured on 2.13 CPU).",
    title="Use the device-generic `torch.accelerator` call",
)


@dataclass(frozen=True)
class _Generic:
    """The device-generic equivalent of a ``torch.cuda`` call."""

    name: str  # "torch.accelerator.device_count"
    since: tuple[int, int] | None  # the first torch with it (None: older than the versions checked)
    entry: ContractEntry | None = None  # the fix's entry; None: reported without a fix
    caveat: str = ""  # what else to know, said in the message


_MEMORY_CAVEAT = ("; it raises where no accelerator is present (the CUDA one returns 0 there, measured), so keep it "
                  "behind `torch.accelerator.is_available()`")
GENERIC = {
    "device_count": _Generic("torch.accelerator.device_count", ACCELERATOR, ACCELERATOR_QUERY),
    "is_available": _Generic("torch.accelerator.is_available", ACCELERATOR, ACCELERATOR_QUERY,
                             "; the code it guards must then be device-generic too"),
    "synchronize": _Generic("torch.accelerator.synchronize", ACCELERATOR, ACCELERATOR_DEVICE_CALL),
    "current_device": _Generic("torch.accelerator.current_device_index", ACCELERATOR_INDEX, ACCELERATOR_DEVICE_CALL),
    "set_device": _Generic("torch.accelerator.set_device_index", ACCELERATOR_INDEX, ACCELERATOR_DEVICE_CALL),
    "current_stream": _Generic("torch.accelerator.current_stream", ACCELERATOR, None,
                               "; it returns a `torch.Stream`, not a `torch.cuda.Stream`"),
    "device": _Generic("torch.accelerator.device_index", ACCELERATOR_DEVICE_INDEX, None,
                       "; it takes a device index, not a device"),
    "Stream": _Generic("torch.Stream", None, None, "; its device comes first and its options are keywords"),
    "Event": _Generic("torch.Event", None, None, "; its device comes first and its options are keywords"),
    **{name: _Generic(f"torch.accelerator.{name}", ACCELERATOR_MEMORY, None, _MEMORY_CAVEAT) for name in (
        "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
        "memory_stats", "reset_peak_memory_stats", "reset_accumulated_memory_stats",
    )},
}
# Another backend named in the same function: the code already handles devices one by one.
_OTHER_BACKENDS = frozenset({"mps", "xpu", "npu", "hpu", "mlu", "xla", "musa"})
# CUDA features with no device-generic counterpart: a function that uses one is about CUDA.
_CUDA_ONLY_FEATURES = (
    "torch.backends.cudnn", "torch.backends.cuda", "torch.cuda.get_device_properties", "torch.cuda.get_device_name",
    "torch.cuda.get_device_capability", "torch.cuda.is_bf16_supported", "torch.cuda.is_current_stream_capturing",
    "torch.cuda.CUDAGraph", "torch.cuda.graph", "torch.cuda.make_graphed_callables", "torch.cuda.nvtx",
    "torch.cuda.jiterator", "torch.cuda._sleep", "torch.cuda.default_stream", "torch.cuda.ipc_collect",
    "torch.cuda.nccl", "torch.cuda.comm", "torch.cuda.memory_snapshot", "torch.cuda.get_arch_list",
    "torch.cuda.set_per_process_memory_fraction", "torch.cuda.tunable", "torch.cuda.StreamContext",
)
# ... and, in the code a CUDA check guards (not in a whole function: pipelines call it in
# their denoising loop), the step marker of CUDA graph trees (torch.compile's
# "reduce-overhead" mode).
_GUARDED_CUDA_ONLY_FEATURES = (
    *_CUDA_ONLY_FEATURES, "torch._inductor.cudagraph_mark_step_begin", "torch.compiler.cudagraph_mark_step_begin",
)
# Queries that say whether CUDA is there: printed or logged, they report CUDA itself.
_CUDA_FACTS = frozenset({"is_available", "device_count"})
# Calls that show or log their arguments (print, logger.info, logging.warning...).
_REPORTING_CALLS = frozenset({"print", "debug", "info", "warning", "warn", "error"})
# A test that picks an API by what torch has: its branches are compatibility code.
_VERSION_WORD = re.compile(r"version|torch_?(greater|ge|gt|lt|less|le)|torch_?\d", re.I)
# A failing branch that reports one of these with CUDA or a GPU states a requirement
# ("Distributed training requires CUDA", "Does not support training without GPU"; "CUDA
# not available, only the CPU will be used" is a remark, not a requirement).
_REQUIREMENT_WORD = re.compile(r"requir|\bneeds?\b|not supported|unsupported|(?:does not|doesn't|cannot) support")
_WARNING_CALLS = frozenset({"warning", "warn", "error"})
_CUDA_DEVICE = re.compile(r"^cuda(?::\d+)?$")
# Test modules pick the hardware they test on purpose.
_TEST_FRAMEWORKS = frozenset({"pytest", "unittest"})
# Libraries whose only accelerator is CUDA (or ROCm, which poses as it) while they also run on
# the CPU: Horovod's PyTorch collectives take a tensor's GPU index only when it is a CUDA
# tensor and treat any other tensor as host memory (horovod/torch/mpi_ops_v2.cc,
# GetDeviceID), and its GPU builds are NCCL/CUDA or ROCm (docs/gpus.rst). A module built on
# one picks between CUDA and the CPU, exactly torch.cuda's scope; an MPS or XPU device would
# reach collectives that cannot take it. (The module may run without CUDA, so the device
# rules that report crashes still read it.)
_CUDA_OR_CPU_LIBRARIES = frozenset({"horovod"})


class CudaSpecificApi(Rule):
    """
    ## What it does
    Finds calls of the CUDA-only device API where a device-generic equivalent exists:
    `torch.cuda.device_count()`, `is_available()`, `synchronize()`, `current_device()`,
    `set_device()`, `current_stream()`, `torch.cuda.device(...)`, `torch.cuda.Stream` /
    `Event`, and the memory statistics (`memory_allocated`, `max_memory_allocated`,
    `memory_reserved`, `max_memory_reserved`, `memory_stats`, `reset_peak_memory_stats`,
    `empty_cache`). Off by default: it is a portability audit, for projects that want to
    run on MPS, XPU and other accelerators too.

    Not reported: code that is CUDA-specific on purpose: under a CUDA check (`if
    torch.cuda.is_available():`, `if device.type == "cuda":`, `if args.cuda:`, or a test
    that the device is CUDA `and`-ed with the call, `torch.cuda.device_count() > 1 and
    "cuda" in device.type`, not a flag or `device != "cpu"`, true on MPS too;
    the check itself is reported when it is a `torch.cuda` call), in functions and classes named for
    CUDA (`def num_cuda_devices():`, `CUDAAccelerator`: CUDA's own API is their purpose; a
    name that says only "GPU", such as `def set_gpu_device():`, is no exception: MPS and XPU
    devices are GPUs too), in
    functions that handle other backends by name too
    (`torch.backends.mps`, `"xpu"`) or use a CUDA feature with no device-generic
    counterpart (cuDNN and `torch.backends.cuda` settings, CUDA graphs, device properties,
    `is_bf16_supported`), in a CUDA check whose code uses such a feature or the step marker
    of CUDA graph trees (`torch.compiler.cudagraph_mark_step_begin()`), in
    a check whose failure says CUDA or a GPU is required (`assert torch.cuda.is_available(),
    "CUDA required for APEX"`, `raise ...("TensorRT only supports CUDA")`, also from an
    `elif` or `else` of the same chain; or whose failing branch prints, logs or warns
    that CUDA or a GPU is needed and then exits the process, `print("Does not support
    training without GPU."); sys.exit(1)`, or whose warning states the requirement,
    `logger.warn("Distributed training requires CUDA")`: a message that only reports the
    device, `print("Running on the CPU")`, or a print before a `return`, is no
    requirement), in a CUDA check that picks
    NCCL, CUDA's collective library (`"nccl" if torch.cuda.is_available() else "gloo"`: a
    generic check would pick NCCL on MPS and XPU, where it does not run), `is_available()` and `device_count()` printed or
    logged (`print("CUDA:", torch.cuda.is_available())` reports on CUDA itself), in the branches of a test that picks an API by what torch has
    (`torch.accelerator.current_accelerator() if hasattr(torch, "accelerator") else
    torch.cuda.current_device()`: compatibility code), in test modules (they import pytest or unittest, and pick the
    hardware they test on purpose), in modules that import a CUDA-only library
    (TensorRT, pycuda, CuPy) or set up apex's amp at their top level (`amp.initialize`
    raises for parameters off CUDA at any opt level; in a notebook, a set-up in any cell
    counts for all), and in modules built on Horovod (an `import horovod...` at their top
    level, in a `try:` too): Horovod runs on the CPU or on CUDA and ROCm GPUs only (its
    PyTorch collectives read a GPU index only from CUDA tensors and take any other tensor
    for host memory), so `torch.cuda` there is the library's own device scope, and a
    generic call would hand MPS or XPU tensors to collectives that cannot take them. Code after an unguarded `torch.cuda.set_device(rank)` is
    reported: that call is what commits it to CUDA.

    ## Why is this bad?
    `torch.cuda.*` knows only CUDA (and ROCm, which poses as it): on an Apple MPS or Intel
    XPU machine `torch.cuda.device_count()` is 0, `synchronize()` raises, and the memory
    statistics are those of no device. Projects such as vLLM, OpenRLHF and LangChain's
    Hugging Face integration have replaced these calls one by one with `torch.accelerator`,
    which answers for whichever accelerator the build has.

    | CUDA call | device-generic call | since (docs) |
    |---|---|---|
    | `torch.cuda.device_count()` | `torch.accelerator.device_count()` | 2.6 |
    | `torch.cuda.is_available()` | `torch.accelerator.is_available()` | 2.6 |
    | `torch.cuda.synchronize(d)` | `torch.accelerator.synchronize(d)` | 2.6 |
    | `torch.cuda.current_stream(d)` | `torch.accelerator.current_stream(d)` | 2.6 |
    | `torch.cuda.current_device()` | `torch.accelerator.current_device_index()` | 2.7 (2.6: `current_device_idx`) |
    | `torch.cuda.set_device(d)` | `torch.accelerator.set_device_index(d)` | 2.7 (2.6: `set_device_idx`) |
    | `with torch.cuda.device(i):` | `with torch.accelerator.device_index(i):` | 2.8 |
    | `torch.cuda.memory_allocated()`, `max_memory_allocated`, `memory_reserved`, `max_memory_reserved`, `memory_stats`, `reset_peak_memory_stats`, `empty_cache` | `torch.accelerator.` the same name | 2.9 |
    | `torch.cuda.Stream(...)`, `torch.cuda.Event(...)` | `torch.Stream(device, *, priority)`, `torch.Event(device, *, enable_timing)` | |

    The versions are read from the PyTorch documentation of each release: the
    `torch.accelerator` page is in the 2.6 docs and not in 2.5's, lists `set_device_idx` /
    `current_device_idx` in 2.6 and the `_index` names from 2.7, `device_index` from 2.8,
    and the memory functions from 2.9.

    ## Example
    ```python
    import torch

    def setup(local_rank):
        torch.cuda.set_device(local_rank)
        return torch.cuda.device_count()
    ```

    ## Use instead
    ```python
    import torch

    def setup(local_rank):
        torch.accelerator.set_device_index(local_rank)
        return torch.accelerator.device_count()
    ```

    ## Fix safety
    A fix is offered only where the project's `torch-version` has the generic call; an
    undeclared version proves nothing, so there is then no fix. `current_stream` (it returns
    a `torch.Stream`, not a `torch.cuda.Stream`), `torch.cuda.device` (it takes a device
    where `device_index` takes an index), `Stream` and `Event` (other signatures) and the
    memory statistics (they raise where no accelerator is present, while the CUDA ones
    return 0) are reported without a fix.

    ## References
    - [`torch.accelerator`](https://docs.pytorch.org/docs/stable/accelerator.html) (and its
      [2.6](https://docs.pytorch.org/docs/2.6/accelerator.html),
      [2.7](https://docs.pytorch.org/docs/2.7/accelerator.html),
      [2.8](https://docs.pytorch.org/docs/2.8/accelerator.html) and
      [2.9](https://docs.pytorch.org/docs/2.9/accelerator.html) pages)
    - [`torch.accelerator.memory`](https://docs.pytorch.org/docs/stable/generated/torch.accelerator.memory.memory_allocated.html)
    - [`torch.Stream`](https://docs.pytorch.org/docs/stable/generated/torch.Stream.html),
      [`torch.Event`](https://docs.pytorch.org/docs/stable/generated/torch.Event.html)
      (device-generic since pytorch/pytorch#123611)
    - Horovod: [GPU builds (NCCL, ROCm)](https://github.com/horovod/horovod/blob/master/docs/gpus.rst),
      [`GetDeviceID` in its PyTorch ops](https://github.com/horovod/horovod/blob/master/horovod/torch/mpi_ops_v2.cc)
    - [vLLM: replace `torch.cuda.device_count/current_device/set_device`](https://github.com/vllm-project/vllm/pull/36145)
    """

    code = "TNP309"
    name = "cuda-specific-api"
    message = "`{call}` works only with CUDA; `{generic}`{since} does the same on any accelerator " + _ANY_ACCELERATOR
    category = "portability"
    default_enabled = False
    requires_text = ("cuda",)
    requires_text_in_strings = True  # "cuda" and "cuda:0" are strings
    contract = (ACCELERATOR_QUERY, ACCELERATOR_DEVICE_CALL)
    VALID = [
        Valid(
            """
            import torch
            def step(args):
                if args.cuda:
                    torch.cuda.synchronize()  # under a CUDA check: CUDA-specific on purpose
            """
        ),
        Valid(
            """
            import torch
            def empty_cache():
                if torch.backends.mps.is_available():
                    torch.mps.empty_cache()
                elif torch.cuda.is_available():
                    torch.cuda.empty_cache()  # one backend of several, handled by name
            """
        ),
        Valid(
            """
            import torch
            from lightning.fabric.accelerators import Accelerator
            class CUDAAccelerator(Accelerator):
                def setup_device(self, device):
                    torch.cuda.set_device(device)  # the CUDA backend itself
            """
        ),
        Valid(
            """
            import torch
            def export(fp16):
                if fp16 and torch.cuda.is_available():  # the elif states that fp16 needs CUDA
                    device = "cuda"
                elif fp16:
                    raise ValueError("float16 export is only supported on GPUs with CUDA")
                else:
                    device = "cpu"
                return device
            """
        ),
        Valid(
            """
            import logging
            import torch
            print("CUDA is available:", torch.cuda.is_available())  # a report on CUDA itself
            logging.info(f"{torch.cuda.device_count()} CUDA devices")
            """
        ),
        Valid(
            """
            import torch
            def denoise(unet, latents, compiled):
                if torch.cuda.is_available() and compiled:  # CUDA graphs: CUDA-specific on purpose
                    torch.compiler.cudagraph_mark_step_begin()
                return unet(latents)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            def setup(local_rank):
                torch.cuda.set_device(local_rank)
                return torch.cuda.device_count()
            """,
            findings=[(3, 5), (4, 12)],
        ),
        Invalid(
            """
            import torch
            torch.cuda.set_device(0)
            index = torch.cuda.current_device()
            """,
            findings=[(2, 1), (3, 9)],
            fixed="""
            import torch
            torch.accelerator.set_device_index(0)
            index = torch.accelerator.current_device_index()
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.EQUIVALENT},
            torch_version="2.7",
        ),
        Invalid(
            """
            import torch
            torch.cuda.synchronize(device="cuda")
            """,
            findings=[(2, 1)],
            fixed="""
            import torch
            torch.accelerator.synchronize("cuda")
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.DIFFERS, "cuda": Verdict.EQUIVALENT},
            torch_version="2.6",
        ),
        Invalid(
            """
            import torch
            if torch.cuda.is_available():
                torch.cuda.synchronize()  # guarded: the check is the finding
            """,
            findings=[(2, 4)],
        ),
        Invalid(
            """
            import torch
            workers = 4 * torch.cuda.device_count()
            """,
            findings=[(2, 15)],
            fixed="""
            import torch
            workers = 4 * torch.accelerator.device_count()
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
            torch_version="2.6",
        ),
        Invalid(
            """
            import torch
            def report():
                print(torch.cuda.max_memory_allocated())  # raises without an accelerator: no fix
                device = "cuda" if torch.cuda.is_available() else "cpu"  # the guarded choice is CUDA's: no fix
                return device
            """,
            findings=[(3, 11), (4, 24)],
            torch_version="2.9",
        ),
        Invalid(
            """
            import torch
            def report():
                print(torch.cuda.max_memory_allocated())  # a statistic printed: reported, it is 0 on MPS
                if torch.cuda.is_available():  # the else says nothing of CUDA: reported
                    return "cuda"
                else:
                    raise ValueError("no accelerator")
            """,
            findings=[(3, 11), (4, 8)],
        ),
        Invalid(
            """
            import torch
            def denoise(unet, latents, compiled):
                for _ in range(2):
                    if torch.cuda.is_available() and compiled:  # guards CUDA graphs: not reported
                        torch.compiler.cudagraph_mark_step_begin()
                    latents = unet(latents)
                torch.cuda.empty_cache()  # the function is not about CUDA graphs: reported
                return latents
            """,
            findings=[(7, 5)],
        ),
    ]

    def __init__(self, context) -> None:  # noqa: ANN001
        super().__init__(context)
        self._scopes: list[cst.CSTNode] = []  # functions, innermost last
        # Calls in the test of a branch, and the code that test guards; values assigned to names.
        self._guarding: dict[int, tuple[cst.CSTNode, ...]] = {}
        self._bound: set[int] = set()
        self._skipping: set[int] = set()  # calls in a test skip's condition, or a stated CUDA requirement
        self._cuda_scope: dict[int, bool] = {}
        self._test_module: bool | None = None
        self._cuda_or_cpu_module: bool | None = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_If(self, node: cst.If) -> None:
        self._mark_test(node.test, (node.body, *([node.orelse] if node.orelse is not None else [])))
        # ...: pytest.skip() / raise "CUDA required", in this branch or in an elif or else
        # of the same chain (``if fp16 and cuda: ... elif fp16: raise "needs CUDA"``)
        if any(_skips(body) or _requires_cuda(body) for body in _chain_bodies(node)) or self._states_requirement(node):
            self._skipping.update(self._calls_in(node.test))

    def _states_requirement(self, node: cst.If) -> bool:
        """A ``torch.cuda`` check whose failing branch says CUDA is required (asked only of
        such checks: their bodies are read only then)."""
        return any(self._cuda_call(call) is not None for call in self._calls_of(node.test)) and any(
            _reports_cuda_requirement(body) for body in _failing_bodies(node)
        )

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        # ``torch.cuda.device_count() > 1 and "cuda" in device.type``: a test that the device
        # in use is CUDA, in the same ``and``, means the other side only matters on CUDA (on
        # MPS the type is "mps"). A flag (``cuda and ...``, ``args.backend == "gpu"``) or
        # ``device != "cpu"`` is no such test: it is true on MPS and XPU machines too.
        if type(node.operator) is not cst.And:
            return
        for guard, guarded in ((node.left, node.right), (node.right, node.left)):
            if _tests_cuda_device(guard):
                self._skipping.update(self._calls_in(guarded))

    def visit_Assert(self, node: cst.Assert) -> None:
        if node.msg is not None and _says_cuda(node.msg):  # assert ..., "CUDA required for APEX"
            self._skipping.update(self._calls_in(node.test))

    def visit_While(self, node: cst.While) -> None:
        self._mark_test(node.test, (node.body,))

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._mark_test(node.test, (node.body, node.orelse))

    def visit_Assign(self, node: cst.Assign) -> None:
        self._bound.add(id(node.value))

    def _mark_test(self, test: cst.BaseExpression, guarded: tuple[cst.CSTNode, ...]) -> None:
        for call in self._calls_in(test):
            self._guarding[call] = guarded
        # `torch.accelerator... if hasattr(torch, "accelerator") else torch.cuda...`: the CUDA
        # branch is the fallback for a torch without the generic API.
        if self._picks_by_torch(test):
            for part in guarded:
                self._skipping.update(self._calls_in(part))

    def _picks_by_torch(self, test: cst.BaseExpression) -> bool:
        """``hasattr(torch, ...)`` or a torch version test."""
        if any(_VERSION_WORD.search(word) for word in identifier_words(test)):
            return True
        stack: list[cst.CSTNode] = [test]
        while stack:
            node = stack.pop()
            if type(node) is cst.Call and dotted(node.func) == "hasattr" and node.args \
                    and self.model.resolves_into(node.args[0].value, "torch"):
                return True
            stack.extend(children(node))
        return False

    @classmethod
    def _calls_in(cls, node: cst.CSTNode) -> list[int]:
        return [id(call) for call in cls._calls_of(node)]

    def visit_Call(self, node: cst.Call) -> None:
        model = self.model
        callee = (callee_name(node.func) or "").lower()
        if "skip" in callee:  # skipif(not torch.cuda.is_available()): a test's need
            self._skipping.update(self._calls_in(node))
            return
        if callee in _REPORTING_CALLS:  # print("CUDA:", torch.cuda.is_available()): a fact about CUDA
            self._skipping.update(self._cuda_facts_in(node))
        found = self._cuda_call(node)
        if found is None or id(node) in self._skipping or model.in_cuda_check or model.imports_cuda_library:
            return
        if self._in_test_module() or self._on_cuda_or_cpu_library() or self._about_cuda() or self._named_for_cuda() \
                or self._guards_cuda_only(node):
            return
        short, generic = found
        since = f" (torch {generic.since[0]}.{generic.since[1]}+)" if generic.since else ""
        message = self.message.format(call=quote(node), generic=generic.name, since=since) + generic.caveat
        guard = model.accelerator_guard
        self.report(node, under_accelerator_check(message, guard), evidence=guard, fix=self._fix(node, short, generic))

    def _cuda_facts_in(self, call: cst.Call) -> list[int]:
        """The ``torch.cuda.is_available()`` / ``device_count()`` calls among ``call``'s
        arguments (f-strings included)."""
        found = []
        for arg in call.args:
            for inner in self._calls_of(arg.value):
                cuda = self._cuda_call(inner)
                if cuda is not None and cuda[0] in _CUDA_FACTS:
                    found.append(id(inner))
        return found

    @staticmethod
    def _calls_of(node: cst.CSTNode) -> list[cst.Call]:
        found, stack = [], [node]
        while stack:
            current = stack.pop()
            if type(current) is cst.Call:
                found.append(current)
            stack.extend(children(current))
        return found

    def _cuda_call(self, call: cst.Call) -> tuple[str, _Generic] | None:
        for qualname in self.model.qualnames(call.func):
            short = qualname.removeprefix("torch.cuda.").removeprefix("memory.")
            if qualname.startswith("torch.cuda.") and short in GENERIC:
                return short, GENERIC[short]
        return None

    def _about_cuda(self) -> bool:
        """The enclosing function (or module-level statement) is about CUDA itself: it also
        names another backend (it picks devices one by one), or uses a CUDA feature that has
        no device-generic counterpart (cuDNN settings, CUDA graphs, device properties)."""
        scope = self._scopes[-1] if self._scopes else self.model.top_statement
        if scope is None:
            return False
        key = id(scope)
        if key not in self._cuda_scope:
            self._cuda_scope[key] = not _OTHER_BACKENDS.isdisjoint(identifier_words(scope)) or self._uses_cuda_only(scope)
        return self._cuda_scope[key]

    def _named_for_cuda(self) -> bool:
        """Inside a function or class named for CUDA (``def num_cuda_devices():``, ``class
        CudaMonitor:``): it exists to use CUDA's own API, which is no portability slip. A name
        that says only "GPU" (``def set_gpu_device():``) is not: GPU is the generic word, MPS
        and XPU devices are GPUs too, and such code is what the audit is for. (A name guards
        nothing against a crash, so the device rules still report there.)"""
        function, cls = self.model.function, self.model.enclosing_class
        return (function is not None and _says_cuda_itself(function.name.value)) or (
            cls is not None and _says_cuda_itself(cls.name.value))

    def _guards_cuda_only(self, call: cst.Call) -> bool:
        """``call`` is in the test of a check whose code uses a CUDA-only feature (``if
        torch.cuda.is_available() and compiled: torch.compiler.cudagraph_mark_step_begin()``)
        or picks NCCL, CUDA's collective library (``"nccl" if torch.cuda.is_available() else
        "gloo"``: a generic check would pick NCCL on MPS and XPU, where it does not run)."""
        return any(
            self._uses_cuda_only(part, _GUARDED_CUDA_ONLY_FEATURES) or _names_nccl(part)
            for part in self._guarding.get(id(call), ())
        )

    def _uses_cuda_only(self, scope: cst.CSTNode, features: tuple[str, ...] = _CUDA_ONLY_FEATURES) -> bool:
        stack: list[cst.CSTNode] = [scope]
        while stack:
            node = stack.pop()
            if type(node) is cst.Attribute:
                if any(q.startswith(features) for q in self.model.qualnames(node)):
                    return True
                stack.append(node.value)
                continue
            stack.extend(children(node))
        return False

    def _in_test_module(self) -> bool:
        if self._test_module is None:
            module = self.model.module
            self._test_module = module is not None and any(
                _imports_package(s, _TEST_FRAMEWORKS) for s in module.body
            )
        return self._test_module

    def _on_cuda_or_cpu_library(self) -> bool:
        """The module imports Horovod at its top level (also in a ``try:`` that guards an
        optional import): its devices are CUDA or the CPU, by the library's design."""
        if self._cuda_or_cpu_module is None:
            module = self.model.module
            self._cuda_or_cpu_module = module is not None and any(
                _imports_package(s, _CUDA_OR_CPU_LIBRARIES) for s in _top_level_and_try(module.body)
            )
        return self._cuda_or_cpu_module

    def _fix(self, call: cst.Call, short: str, generic: _Generic) -> FixSpec | None:
        if generic.entry is None or generic.since is None:
            return None
        if not at_least(self.context.options.torch_version, generic.since):
            return None  # the generic call is not in the oldest torch the project supports
        if short == "is_available" and (id(call) in self._bound or any(
            mentions_cuda(part) for part in self._guarding.get(id(call), ())
        )):
            return None  # bound to a name, or guarding CUDA code that would then run on MPS and XPU
        arguments = _positional(call)
        reference = module_reference(self.model, "torch")
        if arguments is None or reference is None:
            return None
        torch, imports = reference
        name = generic.name.replace("torch.", f"{torch}.", 1)
        edits: tuple[NodeEdit, ...] = (*imports, replace(call, f"{name}({arguments})"))
        return FixSpec(generic.entry, edits, probe=probe(self.model, call))


def _skips(body: cst.BaseSuite) -> bool:
    """The block ends by skipping a test (``pytest.skip(...)``, ``self.skipTest(...)``)."""
    last = body.body[-1] if body.body else None
    if type(last) is cst.SimpleStatementLine and last.body:
        small = last.body[-1]
        return type(small) is cst.Expr and type(small.value) is cst.Call and \
            "skip" in (callee_name(small.value.func) or "").lower()
    return False


def _chain_bodies(node: cst.If) -> list[cst.BaseSuite]:
    """The bodies of an ``if`` and of the ``elif`` and ``else`` branches that follow it."""
    bodies: list[cst.BaseSuite] = []
    current: cst.If | cst.Else | None = node
    while current is not None:
        bodies.append(current.body)
        current = current.orelse if type(current) is cst.If else None
    return bodies


def _tests_cuda_device(expr: cst.BaseExpression) -> bool:
    """``device.type == "cuda"``, ``"cuda" in str(device)``: true only when the device is CUDA."""
    if type(expr) is not cst.Comparison or len(expr.comparisons) != 1:
        return False
    target = expr.comparisons[0]
    if type(target.operator) not in (cst.Equal, cst.Is, cst.In):
        return False
    return any(_CUDA_DEVICE.match((device_text(side) or "").lower()) for side in (expr.left, target.comparator))


def _failing_bodies(node: cst.If) -> list[cst.BaseSuite]:
    """The branches of the chain that run without CUDA: the ``elif`` and ``else`` bodies of
    a positive check, the body of a negative one (``if not torch.cuda.is_available():``)."""
    direction = polarity(node.test)
    bodies = _chain_bodies(node)
    if direction is Polarity.POSITIVE:
        return bodies[1:]
    return bodies[:1] if direction is Polarity.NEGATIVE else []


def _top_level_and_try(body: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The module's statements, and those of the ``try:`` blocks among them (``try: import
    horovod.torch as hvd / except ImportError: ...``): its imports, optional ones too."""
    statements: list[cst.BaseStatement] = []
    for statement in body:
        statements.append(statement)
        if type(statement) is cst.Try and type(statement.body) is cst.IndentedBlock:
            statements.extend(statement.body.body)
    return statements


def _imports_package(statement: cst.BaseStatement, packages: frozenset[str]) -> bool:
    """``import pytest``, ``from unittest import mock``, ``import horovod.torch as hvd``: the
    statement imports one of ``packages`` (absolutely: a relative import is the project's)."""
    if type(statement) is not cst.SimpleStatementLine:
        return False
    for small in statement.body:
        if type(small) is cst.Import:
            roots = [(dotted(alias.name) or "").split(".")[0] for alias in small.names]
        elif type(small) is cst.ImportFrom and small.module is not None and not small.relative:
            roots = [(dotted(small.module) or "").split(".")[0]]
        else:
            continue
        if not packages.isdisjoint(roots):
            return True
    return False


def _requires_cuda(body: cst.BaseSuite) -> bool:
    """The block raises, saying CUDA (or a GPU) is required: a stated requirement, not a choice."""
    last = body.body[-1] if body.body else None
    if type(last) is cst.SimpleStatementLine and last.body:
        small = last.body[-1]
        return type(small) is cst.Raise and small.exc is not None and _says_cuda(small.exc)
    return False


def _reports_cuda_requirement(body: cst.BaseSuite) -> bool:
    """The block prints, logs or warns that CUDA or a GPU is required: either it then ends
    the process (``print("Does not support training without GPU."); sys.exit(1)``), or a
    warning says so (``logger.warn("Distributed training requires CUDA")``). A message that
    only reports the device (``print("Using CPU")``), or a print before a ``return``, is no
    requirement."""
    last = last_statement(body)
    exits = type(last) is cst.Expr and type(last.value) is cst.Call and callee_name(last.value.func) in PROCESS_EXITS
    for call in CudaSpecificApi._calls_of(body):
        callee = (callee_name(call.func) or "").lower()
        # Without an exit only a warning counts: a print or an info line may be a remark.
        if callee not in (_REPORTING_CALLS if exits else _WARNING_CALLS):
            continue
        for arg in call.args:
            if _says_cuda(arg.value) and (exits or _REQUIREMENT_WORD.search(_text(arg.value))):
                return True
    return False


def _names_nccl(node: cst.CSTNode) -> bool:
    """A string in ``node`` names NCCL (``backend = "nccl"``)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.SimpleString and "nccl" in current.value.lower():
            return True
        stack.extend(children(current))
    return False


def _text(expr: cst.BaseExpression) -> str:
    return cst.Module([]).code_for_node(expr).lower()


def _says_cuda(expr: cst.BaseExpression) -> bool:
    """The expression's text names CUDA or a GPU (f-strings included)."""
    text = _text(expr)
    return "cuda" in text or "gpu" in text


def _says_cuda_itself(name: str) -> bool:
    """``num_cuda_devices``, ``CUDAStats``: the name says CUDA, not merely a GPU."""
    return "cuda" in name.lower()


def _positional(call: cst.Call) -> str | None:
    """The call's argument as the generic function takes it (positionally); None for more
    than one argument, a star, or a keyword other than ``device``."""
    if not call.args:
        return ""
    if len(call.args) > 1 or call.args[0].star:
        return None
    arg = call.args[0]
    if arg.keyword is not None and arg.keyword.value != "device":
        return None
    return cst.Module([]).code_for_node(arg.value)
