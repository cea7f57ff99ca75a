"""TNP301 hardcoded-cuda-device: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

import libcst as cst

from ...diagnostics.contract import DEVICE_ENTRIES, Applicability, Verdict
from ...diagnostics.fix import FixSpec, NodeEdit, replace
from ...model.guards import uncalled_check
from ...model.names import string_value
from ...model.scope import Binding
from ..base import Invalid, Rule, Valid
from ..explain import under_accelerator_check
from ..probe import AS_A_DEVICE, AS_A_STRING_AND_DEVICE
from .arguments import cuda_device, device_arguments
from .fix import EditsFor, device_fix, receiver_is_proven
from .string_use import used_as_string


class HardcodedCudaDevice(Rule):
    """
    ## What it does
    Finds a hard-coded `'cuda'` or `'cuda:N'` device that no CUDA check guards.

    Device positions are `.to('cuda')`, `.to(device='cuda')`, `device='cuda'` in a torch call,
    `map_location='cuda'` in `torch.load`, `torch.set_default_device('cuda')`,
    `torch.Generator('cuda')` (a CUDA generator raises without CUDA too, with an error the
    verifier cannot take for a missing CUDA, so that finding has no fix); the device may
    be a string or `torch.device('cuda')`. A name bound to such a device (`device = "cuda"`)
    that reaches a device position is reported at the literal.

    ## Why is this bad?
    On a machine without CUDA, every use of such a device raises: a CPU build of torch says
    `AssertionError: Torch not compiled with CUDA enabled`, and `torch.load(f,
    map_location='cuda')` says `RuntimeError: Attempting to deserialize object on a CUDA
    device but torch.cuda.is_available() is False`. Choosing the device once, at run time,
    makes the same code run everywhere. (`torch.device('cuda')` alone is only a descriptor;
    its first use raises.)

    Not reported: uses under a CUDA guard (`if torch.cuda.is_available():`, `if use_cuda:`,
    `if args.cuda:`, `if device.type == 'cuda':`, the `'cuda' if ... else 'cpu'` expression,
    after `if not torch.cuda.is_available(): return`, in tests under a CUDA `skipif`, in a
    loop over the GPUs), comparisons (`x.device.type == 'cuda'`), `device_type=` of
    autocast, backend and kernel names, and methods that implement `cuda` or `to`. Code that
    cannot run without CUDA anyway is not reported either: what follows an unguarded call
    that raises without CUDA (`torch.cuda.synchronize()`, `torch.cuda.Event(...)`) or an
    import of a CUDA-only library in its block, and whole modules that import a CUDA-only
    library (TensorRT, pycuda, cuda-python, CuPy, Polygraphy), set up apex's amp at their
    top level (`model, opt = amp.initialize(model, opt)`, which raises for parameters off
    CUDA at any opt level unless apex's private `_amp_state` override is used; in a
    notebook, a set-up in any cell counts for all), or pin their process to a GPU
    unguarded (`torch.cuda.set_device(rank)`, an NCCL process group), also through a call,
    outside any branch, of a project function (of the module, or imported from another
    module of the project) that returns only with CUDA committed: before anything that may
    return, its body pins the process to a GPU, starts NCCL, or checks
    `torch.cuda.is_available()` and raises or exits (`sys.exit`) without it. A helper that
    returns early without CUDA, a generator, or a helper called in a branch commits
    nothing; one the project index cannot read is unknown. A device built from
    a call that raises without CUDA (`torch.device("cuda",
    torch.cuda.current_device())`) raises there itself, before any use.

    A device chosen per branch is judged branch by branch: `device = 'cuda:0'` in the
    `else` of `if is_mac():` is reported where the name is used as a device, while `device =
    'cuda'` replaced under `if not torch.cuda.is_available():` is not.

    An accelerator check (`if torch.accelerator.is_available():`, `current_accelerator()`)
    is no CUDA guard: it is also true on MPS and XPU machines, where CUDA calls still raise.
    It guards device-generic code (`x.to(torch.accelerator.current_accelerator())`); a CUDA
    use under it is reported, and the message names the check and says why.

    ## Example
    ```python
    import torch

    model = torch.nn.Linear(4, 2).to("cuda")
    ```

    ## Use instead
    ```python
    import torch

    DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = torch.nn.Linear(4, 2).to(DEVICE)
    ```

    ## Fix safety
    The literal becomes the device variable; `torch.device('cuda')` becomes the variable when
    it holds a `torch.device`, else `torch.device(NAME)`. An indexed device (`'cuda:1'`,
    `torch.device('cuda', 1)`) is reported but never rewritten: which GPU is meant is the
    author's choice. A name bound to `'cuda'` and used as a device gets an unsafe fix, since
    the name may be used elsewhere too. Where that name is also read as text (`'cuda' in
    device`, `device.startswith(...)`, `device == 'cuda'`, f-strings, `type(device)`
    checks, or a module that overrides its globals through `exec` / `globals()` under a
    type check, as nanoGPT's configurator does), it must stay a string: the fix inserts the
    bare-string idiom `"cuda" if torch.cuda.is_available() else "cpu"` (or reuses the
    module's variable of that form), and offers nothing where only a `torch.device`
    variable exists. A `torch.device` there would raise TypeError at `'cuda' in device` on
    every machine.

    ## References
    - [PyTorch: device-agnostic code](https://docs.pytorch.org/docs/stable/notes/cuda.html#device-agnostic-code)
    - [`torch.device`](https://docs.pytorch.org/docs/stable/tensor_attributes.html#torch.device)
    """

    code = "TNP301"
    name = "hardcoded-cuda-device"
    message = "Hard-coded CUDA device {device!r} crashes on machines without CUDA; choose the device at run time"
    category = "portability"
    silent_in_cuda_only_modules = True
    requires_text = ("cuda",)
    requires_text_in_strings = True  # "cuda" and "cuda:0" are strings
    needs_values = True  # the fix is safe only on a receiver proven a tensor or a module

    contract = DEVICE_ENTRIES
    VALID = [
        Valid(
            """
            import torch
            def test_root_device(strategy):
                # a descriptor compared or stored is not a CUDA use
                strategy.parallel_devices = [torch.device("cuda", 1)]
                assert strategy.root_device == torch.device("cuda", 1)
            """
        ),
        Valid(
            """
            import torch
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            x = torch.zeros(3).to(device)
            """
        ),
        Valid(
            """
            import torch
            if torch.cuda.is_available():
                x = torch.zeros(3, device="cuda")
            """
        ),
        Valid(
            """
            import torch
            def run(x, use_cuda):
                if use_cuda:
                    x = x.to("cuda")
                return x
            """
        ),
        Valid(
            """
            import torch
            def f(x):
                if x.device.type == "cuda":
                    return x
                with torch.autocast(device_type="cuda"):
                    return x
            """
        ),
        Valid(
            """
            import torch
            def main():
                if not torch.cuda.is_available():
                    return
                torch.zeros(1).to("cuda")
            """
        ),
        Valid(
            """
            import torch
            def shard(model):
                # current_device() raises without CUDA before the device is used
                return model.to(torch.device("cuda", torch.cuda.current_device()))
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            x = torch.zeros(3).to("cuda")
            """,
            findings=[(2, 23)],
            fixed="""
            import torch

            DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            x = torch.zeros(3).to(DEVICE)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
            x = torch.zeros(3, device="cuda")
            """,
            findings=[(3, 27)],
            fixed="""
            import torch
            DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
            x = torch.zeros(3, device=DEVICE)
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch as th
            w = th.load("w.pt", map_location="cuda:0")
            """,
            findings=[(2, 34)],  # an index: reported, never rewritten
        ),
        Invalid(
            """
            import torch
            device = "cuda"
            def forward(x):
                return x.to(device)
            """,
            findings=[(2, 10)],
            fixed="""
            import torch

            DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            device = DEVICE
            def forward(x):
                return x.to(device)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            dev = torch.device("cuda")
            model = torch.nn.Linear(2, 2).to(dev)
            """,
            findings=[(2, 20)],
            fixed="""
            import torch

            DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            dev = DEVICE
            model = torch.nn.Linear(2, 2).to(dev)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            device = "cuda"
            device_type = "cuda" if "cuda" in device else "cpu"  # read as text: it must stay a str
            x = torch.zeros(3).to(device)
            """,
            findings=[(2, 10)],
            fixed="""
            import torch

            DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
            device = DEVICE
            device_type = "cuda" if "cuda" in device else "cpu"  # read as text: it must stay a str
            x = torch.zeros(3).to(device)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            device = "cuda"
            print(device.upper())  # a torch.device has no upper(): no fix
            x = torch.zeros(3).to(device)
            """,
            findings=[(3, 10)],
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._reported: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        model = self.model
        if not model.imports_torch or model.in_api_implementation:
            return
        if model.in_cuda_guard:
            return
        proven = receiver_is_proven(model, node.func)
        for argument in device_arguments(model, node):
            found = cuda_device(model, _always_taken(argument))
            if found is not None:
                literal, text = found
                edits = _device_edits(argument, literal, string_only=_is_keyword(node, argument, "pin_memory_device"))
                # Without CUDA, torch.Generator("cuda") raises "Cannot get CUDA generator
                # without ATen_cuda library", none of the fix contract's no-CUDA errors (law
                # 5), so the verifier could not certify a rewrite: the finding has no fix.
                fix = None if "torch.Generator" in model.qualnames(node.func) else \
                    device_fix(self.context, edits, receiver_proven=proven, subject=argument, use=AS_A_DEVICE)
                self._report_once(literal, self.message.format(device=text), fix)
            elif type(argument) is cst.Name:
                self._check_bound_name(argument)

    def _check_bound_name(self, name: cst.Name) -> None:
        """A name bound to a CUDA device; after branches, each unguarded branch that binds one
        (``device = 'cpu'`` if on a Mac, else ``device = 'cuda:0'``)."""
        binding = self.model.lookup(name.value)
        for reaching in binding.paths() if binding is not None else ():
            self._check_binding(name, reaching)

    def _check_binding(self, name: cst.Name, binding: Binding) -> None:
        if binding.kind not in ("assign", "walrus") or binding.value is None or binding.guarded:
            return
        found = cuda_device(self.model, _always_taken(binding.value))
        if found is None:
            return
        literal, text = found
        # The name may be used elsewhere too (compared, printed): never a safe fix. Read as
        # text, it must stay a string: the probe reads it both ways.
        as_string = used_as_string(self.model.module, name.value, self.context.text)
        fix = device_fix(self.context, _device_edits(binding.value, literal, string_only=as_string),
                         receiver_proven=False, subject=binding.value,
                         use=AS_A_STRING_AND_DEVICE if as_string else AS_A_DEVICE, as_string=as_string)
        self._report_once(
            literal,
            f"Hard-coded CUDA device {text!r} (bound to `{name.value}` and used as a device) "
            "crashes on machines without CUDA; choose the device at run time",
            fix,
        )

    def _report_once(self, node: cst.CSTNode, message: str, fix: FixSpec | None) -> None:
        if id(node) not in self._reported:
            self._reported.add(id(node))
            guard = self.model.accelerator_guard
            self.report(node, under_accelerator_check(message, guard), evidence=guard, fix=fix)


def _always_taken(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``'cuda' if torch.cuda.is_available else 'cpu'``: the test is a function object, always
    true, so the expression is its first branch."""
    while type(expr) is cst.IfExp and uncalled_check(expr.test):
        expr = expr.body
    return expr


def _is_keyword(call: cst.Call, value: cst.BaseExpression, keyword: str) -> bool:
    return any(arg.value is value and arg.keyword is not None and arg.keyword.value == keyword for arg in call.args)


def _device_edits(device: cst.BaseExpression, literal: cst.BaseExpression, *, string_only: bool = False) -> EditsFor:
    """``'cuda'`` -> ``NAME``; ``torch.device('cuda')`` -> ``NAME`` (a torch.device) or
    ``torch.device(NAME)`` (a string). None for an index: ``'cuda:1'``, ``torch.device('cuda', 1)``;
    and, with ``string_only`` (DataLoader's ``pin_memory_device`` takes a string), for a
    variable holding a ``torch.device``."""

    def edits(name: str, holds_device: bool) -> tuple[NodeEdit, ...] | None:
        if string_value(literal) != "cuda" or (string_only and holds_device):
            return None
        if device is literal:
            return (replace(literal, name),)
        if type(device) is not cst.Call or len(device.args) != 1:
            return None
        return (replace(device, name),) if holds_device else (replace(literal, name),)

    return edits
