"""TNP302 hardcoded-cuda-call: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

import libcst as cst

from ...diagnostics.contract import DEVICE_ENTRIES, Applicability, Verdict
from ...diagnostics.fix import Anchor, NodeEdit, insert_before, replace, replace_span
from ..base import Invalid, Rule, Valid
from ..explain import under_accelerator_check
from ..probe import hole
from .fix import device_fix, receiver_is_proven


class HardcodedCudaCall(Rule):
    """
    ## What it does
    Finds a `.cuda()` or `.cuda(N)` call that no CUDA check guards.

    ## Why is this bad?
    `.cuda()` raises on every machine without CUDA (`AssertionError: Torch not compiled with
    CUDA enabled` on a CPU build of torch), so a script that calls it unconditionally runs
    only on NVIDIA GPUs. `.to(device)` with a device chosen once at run time runs
    everywhere, and behaves the same as `.cuda()` where CUDA is present.

    Not reported: calls under a CUDA guard (`if torch.cuda.is_available():`, `if
    args.cuda:`, `if self.use_gpu:`, after `assert torch.cuda.is_available()`, in tests under
    a CUDA `skipif`, in tests named for CUDA such as `test_forward_cuda`, in the CUDA
    variant of an API: `forward_cuda` beside `forward_cpu`, `CUDAAccelerator(Accelerator)`;
    a plain function named for CUDA, such as `def to_gpu(x):`, is no guard), in a loop over
    the GPUs (`for gpu_id in gpu_ids:`, `range(torch.cuda.device_count())`), methods
    that implement `cuda` or `to` and forward to the real call, and code that cannot run
    without CUDA anyway: what follows an unguarded call that raises without CUDA
    (`torch.cuda.synchronize()`, `torch.cuda.Event(...)`) or an import of a CUDA-only library
    in its block, and whole modules that
    import a CUDA-only library (TensorRT, pycuda, cuda-python, CuPy, Polygraphy), set up
    apex's amp at their top level (`amp.initialize`, which raises for parameters off CUDA;
    in a notebook, a set-up in any cell counts for all), or pin their
    process to a GPU unguarded (`torch.cuda.set_device(rank)`, an NCCL process group), also
    through a call, outside any branch, of a project function (of the module, or imported
    from another module of the project: `utils.init_distributed_mode(args)`) that returns
    only with CUDA committed: before anything that may return, its body pins the process to
    a GPU, starts NCCL, or checks `torch.cuda.is_available()` and raises or exits
    (`sys.exit`) without it. A helper that returns early without CUDA, a generator, or a
    helper called in a branch commits nothing; one the project index cannot read is unknown.

    An accelerator check (`if torch.accelerator.is_available():`, `current_accelerator()`)
    is no CUDA guard: it is also true on MPS and XPU machines, where CUDA calls still raise.
    It guards device-generic code (`x.to(torch.accelerator.current_accelerator())`); a CUDA
    use under it is reported, and the message names the check and says why.

    ## Example
    ```python
    import torch

    model = torch.nn.Linear(4, 2).cuda()
    ```

    ## Use instead
    ```python
    import torch

    DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = torch.nn.Linear(4, 2).to(DEVICE)
    ```

    ## Fix safety
    `.cuda()` becomes `.to(NAME)`, keeping `non_blocking=` and `memory_format=`; `.cuda(1)`
    and `.cuda(device=...)` are reported but never rewritten.

    ## References
    - [PyTorch: device-agnostic code](https://docs.pytorch.org/docs/stable/notes/cuda.html#device-agnostic-code)
    - [`Tensor.cuda`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.cuda.html)
    """

    code = "TNP302"
    name = "hardcoded-cuda-call"
    message = "`.cuda()` crashes on machines without CUDA; use `.to(device)` with a device chosen at run time"
    category = "portability"
    silent_in_cuda_only_modules = True
    requires_text = (".cuda(",)
    needs_values = True  # the fix is safe only on a receiver proven a tensor or a module

    contract = DEVICE_ENTRIES
    VALID = [
        Valid(
            """
            import torch
            model = torch.nn.Linear(4, 2)
            if torch.cuda.is_available():
                model = model.cuda()
            """
        ),
        Valid(
            """
            import torch
            def train(args, model):
                if args.cuda:
                    model.cuda()
            """
        ),
        Valid(
            """
            import torch
            class Wrapper(torch.nn.Module):
                def cuda(self, device=None):
                    return super().cuda(device)
            """
        ),
        Valid(
            """
            import pytest
            import torch

            @pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
            def test_forward():
                torch.zeros(2).cuda()
            """
        ),
        Valid(
            """
            x = load().cuda()  # not torch code: the file never imports torch
            """
        ),
        Valid(
            """
            import torch
            import torch.distributed as dist
            def main(rank):
                dist.init_process_group("nccl", rank=rank)  # NCCL ranks are GPUs
                return torch.nn.Linear(4, 2).cuda()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            model = torch.nn.Linear(4, 2).cuda()
            """,
            findings=[(2, 9)],
            fixed="""
            import torch

            DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            model = torch.nn.Linear(4, 2).to(DEVICE)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            model = torch.nn.Linear(4, 2).cuda()
            """,
            findings=[(3, 9)],
            fixed="""
            import torch
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            model = torch.nn.Linear(4, 2).to(device)
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            def step(batch):
                return batch.cuda()  # batch may be another library's object
            """,
            findings=[(4, 12)],
            fixed="""
            import torch
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            def step(batch):
                return batch.to(device)  # batch may be another library's object
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            def step(batch):
                return batch.cuda(non_blocking=True)
            """,
            findings=[(3, 12)],
            fixed="""
            import torch

            DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            def step(batch):
                return batch.to(DEVICE, non_blocking=True)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            def evaluate(model, batch):
                torch.cuda.empty_cache()  # does not raise without CUDA: no proof of CUDA
                return model(batch.cuda())
            """,
            findings=[(4, 18)],
            fixed="""
            import torch

            DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            def evaluate(model, batch):
                torch.cuda.empty_cache()  # does not raise without CUDA: no proof of CUDA
                return model(batch.to(DEVICE))
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (type(func) is cst.Attribute and func.attr.value == "cuda"):
            return
        model = self.model
        if not model.imports_torch or model.in_cuda_guard or model.in_api_implementation:
            return
        fix = device_fix(self.context, lambda name, _: _to_device(node, name),
                         receiver_proven=receiver_is_proven(model, func),
                         subject=node, holes=[hole(model, func.value, _receiver_role(node))])
        guard = model.accelerator_guard
        self.report(node, under_accelerator_check(self.message, guard), evidence=guard, fix=fix)


_KEPT_KEYWORDS = frozenset({"non_blocking", "memory_format"})


def _receiver_role(call: cst.Call) -> str:
    """``x.cuda(non_blocking=True)`` can only mean a tensor (``Module.cuda`` takes neither
    keyword); a bare ``x.cuda()`` may be a tensor or a module."""
    return "tensor" if call.args else "receiver"


def _to_device(call: cst.Call, name: str) -> tuple[NodeEdit, ...] | None:
    """``x.cuda()`` -> ``x.to(NAME)``; ``x.cuda(non_blocking=True)`` -> ``x.to(NAME, non_blocking=True)``."""
    func = cst.ensure_type(call.func, cst.Attribute)  # ``x.cuda(...)``
    if not call.args:
        return (replace_span(Anchor(func.attr, "start"), Anchor(call, "end"), f"to({name})"),)
    if any(arg.keyword is None or arg.keyword.value not in _KEPT_KEYWORDS for arg in call.args):
        return None  # a device index, or an argument .to() does not take
    return replace(func.attr, "to"), insert_before(cst.ensure_type(call.args[0].keyword, cst.Name), f"{name}, ")
