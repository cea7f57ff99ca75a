"""TNP303 create-then-move: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

import libcst as cst

from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    Precondition,
    Verdict,
)
from ...diagnostics.fix import Anchor, FixSpec, insert_after, replace_span
from ...model.names import device_argument, keyword_argument
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..probe import probe
from .arguments import cuda_device

FILL = frozenset({"zeros", "ones", "full", "eye", "tensor", "zeros_like", "ones_like", "full_like"})
RANGES = frozenset({"arange", "linspace", "logspace"})
RANDOM = frozenset({"rand", "randn", "randint", "randperm", "normal", "rand_like", "randn_like", "randint_like"})
UNFIXED = frozenset({"empty", "empty_like"})  # contents undefined: nothing to compare them by
FACTORIES = FILL | RANGES | RANDOM | UNFIXED
_EMPTY = cst.Module(body=[])


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
DEVICE_IN_FACTORY = ContractEntry(
    key="TNP303/device-in-factory",
    rewrite="`torch.F(...).to(dev)` → `torch.F(..., device=dev)` for the fill factories `zeros ones full eye "
            "tensor`, their `_like` forms, and `arange` with integer arguments only",
    applicability=Applicability.SAFE,
    preconditions=(
        Precondition(F, "no `requires_grad=True` (leaf-ness), no `generator=`"),
        Precondition(F, "`.to` has exactly one argument and it is a device (a device string, `torch.device(...)`, "
                        "the cuda-or-cpu expression, `torch.accelerator.current_accelerator()` (or its `.type`), or a "
                        "name bound to one; `current_accelerator()` may be None, which `.to` and `device=` both take "
                        "as \"no change\")"),
        Precondition(F, "no `device=` already"),
    ),
    expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
    note="The same values, made on the device in one step.",
    title="Create the tensor on the device (`device=`)",
)

DEVICE_IN_FACTORY_DIFFERS = ContractEntry(
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
)


class CreateThenMove(Rule):
    """
    ## What it does
    Finds a tensor made by a torch factory on the CPU and moved straight away:
    `torch.zeros(n).to(device)`, `torch.tensor(values).to(device)`, `torch.rand(n).to(device)`,
    where the argument of `.to` is proven to be a device (a device string,
    `torch.device(...)`, the `'cuda' if ... else 'cpu'` expression,
    `torch.accelerator.current_accelerator()` and its `.type`, or a name bound to one).
    `.to(torch.get_default_device())` is not reported: factories already make their
    tensors on the default device, so that `.to` moves nothing. Nor is a device proven to
    be the CPU (`.to("cpu")`, or a private helper's `device` parameter to which every call
    of the helper passes `"cpu"`): nothing is copied.
    `.cuda()` and `.to('cuda')` straight after a factory are TNP302's and TNP301's first
    (portability ranks higher, and folding a hard-coded `'cuda'` would only move it); once
    the device is a variable, this rule reports the fold.

    ## Why is this bad?
    The tensor is filled in host memory, then copied to the device: two allocations and a
    host-to-device copy where one allocation on the device would do. Measured on an H100:
    13.3 ms against 0.04 ms for 64 MB. The PyTorch profiler flags the same pattern
    ("Filled a CPU tensor and immediately moved it to GPU").

    ## Example
    ```python
    import torch

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    mask = torch.ones(1024, 1024).to(device)
    ```

    ## Use instead
    ```python
    import torch

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    mask = torch.ones(1024, 1024, device=device)
    ```

    ## Fix safety
    Fill factories give the same values made in place. Random factories draw from the
    device's generator instead of the CPU's (other numbers, and every later CPU draw
    shifts), and float ranges are computed by other kernels (last-ulp differences measured
    on an H100): those fixes are unsafe. `torch.empty` is reported without a fix, and so
    are calls with `requires_grad=True` (the fold makes a leaf: a real behaviour change) or a
    `generator=`.

    ## References
    - [Performance tuning guide: create tensors directly on the target device](https://docs.pytorch.org/tutorials/recipes/recipes/tuning_guide.html)
    """

    code = "TNP303"
    name = "create-then-move"
    message = "`torch.{factory}(...)` is filled on the CPU and then copied to the device; pass `device=` to `torch.{factory}`"
    category = "performance"
    requires_text = (".to(",)
    needs_values = True
    contract = (DEVICE_IN_FACTORY, DEVICE_IN_FACTORY_DIFFERS)
    VALID = [
        Valid(
            """
            import torch
            mask = torch.ones(4, 4).to(torch.get_default_device())  # made there already: nothing moves
            """
        ),
        Valid(
            """
            import torch
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            mask = torch.ones(4, 4, device=device)
            """
        ),
        Valid(
            """
            import torch
            half = torch.ones(4).to(torch.float16)  # a dtype
            """
        ),
        Valid(
            """
            import torch
            def move(x, target):
                return torch.zeros(3).to(target)  # target may be a tensor: .to(tensor) also casts
            """
        ),
        Valid(
            """
            import torch
            def _step(device):
                return torch.rand(4, 1).to(device)  # every call passes the CPU: nothing moves
            def test_step():
                _step("cpu")
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            device = torch.accelerator.current_accelerator()
            mask = torch.ones(4, 4).to(device)
            """,
            findings=[(3, 8)],
            fixed="""
            import torch
            device = torch.accelerator.current_accelerator()
            mask = torch.ones(4, 4, device=device)
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            mask = torch.ones(4, 4).to(device)
            """,
            findings=[(3, 8)],
            fixed="""
            import torch
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            mask = torch.ones(4, 4, device=device)
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            device = "cuda" if torch.cuda.is_available() else "cpu"
            noise = torch.randn(8).to(device)
            """,
            findings=[(3, 9)],
            fixed="""
            import torch
            device = "cuda" if torch.cuda.is_available() else "cpu"
            noise = torch.randn(8, device=device)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.DIFFERS},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (type(func) is cst.Attribute and func.attr.value == "to" and type(func.value) is cst.Call):
            return
        if len(node.args) != 1 or node.args[0].star:
            return
        factory = self._factory(func.value)
        target = device_argument(node)
        if factory is None or target is None or keyword_argument(func.value, "device") is not None:
            return
        # A device string, torch.device(...), the cuda-or-cpu expression or a name bound to one;
        # never a parameter of unknown type (`.to(tensor)` also casts). The CPU moves nothing,
        # also where the callers of a helper prove the device is the CPU (both questions ask them).
        if self.model.value_of(target).kind is not Kind.DEVICE or self.model.placement_of(target) is False:
            return
        if self._default_device(target):
            return  # the factory already made it there: `.to` returns it as it is
        if cuda_device(self.model, target) is not None:
            return  # a hard-coded 'cuda' is TNP301's first; the fold follows once it is a variable
        self.report(node, self.message.format(factory=factory), fix=self._fix(node, func.value, factory, target))

    def _default_device(self, target: cst.BaseExpression) -> bool:
        """``torch.get_default_device()``, or a name bound to it."""
        if type(target) is cst.Name:
            binding = self.model.lookup(target.value)
            target = binding.value if binding is not None and binding.value is not None else target
        return type(target) is cst.Call and self.model.resolves_to(target.func, "torch.get_default_device")

    def _factory(self, call: cst.Call) -> str | None:
        for name in self.model.qualnames(call.func):
            short = name.removeprefix("torch.")
            if name.startswith("torch.") and short in FACTORIES:
                return short
        return None

    def _fix(self, call: cst.Call, factory_call: cst.Call, factory: str, target: cst.BaseExpression) -> FixSpec | None:
        if factory in UNFIXED or not factory_call.args or factory_call.lpar:
            return None
        if any(keyword_argument(factory_call, k) is not None for k in ("requires_grad", "generator", "out")):
            return None
        if not isinstance(factory_call.args[-1].comma, cst.MaybeSentinel) or any(a.star for a in factory_call.args):
            return None
        exact = factory in FILL or (factory == "arange" and all(type(a.value) is cst.Integer for a in factory_call.args))
        chosen = DEVICE_IN_FACTORY if exact else DEVICE_IN_FACTORY_DIFFERS
        device_text = _EMPTY.code_for_node(target)
        edits = (
            insert_after(factory_call.args[-1].value, f", device={device_text}"),
            replace_span(Anchor(factory_call, "end"), Anchor(call, "end"), ""),
        )
        prelude = []
        if type(target) is cst.Name:
            binding = self.model.lookup(target.value)
            if binding is not None and binding.node is not None:
                prelude.append(binding.node)  # the device variable, defined as the module does
        return FixSpec(chosen, edits, probe=probe(self.model, call, prelude=prelude))
