"""TNP304 deprecated-amp: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

import re
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
from ...diagnostics.fix import (
    Anchor,
    FixSpec,
    NodeEdit,
    insert_after,
    insert_before,
    replace,
    replace_span,
)
from ...model.names import dotted
from ..base import Invalid, Rule, Valid
from ..imports import module_reference
from ..probe import probe
from ..versions import AMP_API, at_least


@dataclass(frozen=True)
class _OldApi:
    member: str  # the name under ``torch.amp``
    device: str  # the device type the old namespace stood for
    parameters: tuple[str, ...]  # the old signature's positional parameters, in order
    # Old defaults that the new API no longer passes explicitly (P13: it inherits them from
    # the enclosing autocast state instead), written out so the rewrite stays exact.
    defaults: tuple[tuple[str, str], ...] = ()
    keep_positional: bool = False  # the first parameter keeps its place in the new API

    @property
    def is_decorator(self) -> bool:
        return self.member in ("custom_fwd", "custom_bwd")


_SCALER = ("init_scale", "growth_factor", "backoff_factor", "growth_interval", "enabled")
DEPRECATED = {
    "torch.cuda.amp.autocast": _OldApi("autocast", "cuda", ("enabled", "dtype", "cache_enabled"),
                                       (("dtype", "float16"), ("cache_enabled", "True"))),
    "torch.cpu.amp.autocast": _OldApi("autocast", "cpu", ("enabled", "dtype", "cache_enabled"),
                                      (("dtype", "bfloat16"), ("cache_enabled", "True"))),
    "torch.cuda.amp.GradScaler": _OldApi("GradScaler", "cuda", _SCALER),
    "torch.cpu.amp.GradScaler": _OldApi("GradScaler", "cpu", _SCALER),
    "torch.cuda.amp.custom_fwd": _OldApi("custom_fwd", "cuda", ("fwd",), keep_positional=True),
    "torch.cuda.amp.custom_bwd": _OldApi("custom_bwd", "cuda", ("bwd",), keep_positional=True),
}
# Each old name, also as reached through the module that defines it
# (``torch.cuda.amp.autocast_mode.autocast``), mapped to its public spelling.
_SPELLINGS = {
    spelling: name
    for name in DEPRECATED
    for spelling in (name, *(name.replace(".amp.", f".amp.{module}.")
                              for module in ("autocast_mode", "grad_scaler", "common")))
}
# What an ``except`` catches when it falls back to the old API on an older torch.
_FALLBACK_ERRORS = frozenset({"AttributeError", "ImportError", "TypeError"})
# A test that picks an API by torch version: both branches are compatibility code.
_VERSION_TEST = re.compile(r"version|torch_?(greater|ge|gt|lt|less|le)|torch_?\d|hasattr", re.I)


def _old_api(qualnames: frozenset[str]) -> tuple[str, _OldApi] | None:
    names = sorted(_SPELLINGS[q] for q in qualnames if q in _SPELLINGS)
    return (names[0], DEPRECATED[names[0]]) if names else None


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
AMP_PRECONDITIONS = (
    Precondition(F, "the callee resolves to the deprecated `torch.cuda.amp` / `torch.cpu.amp` API"),
    Precondition(F, "no `*args` or `**kwargs` in the call (positions cannot be mapped, and a written-out default "
                    "could collide)"),
    Precondition(F, "the project declares `torch-version` ≥ 2.4 in its configuration (a declared minimum is in-file "
                    "knowledge; an installed version is not)"),
)
AMP_NAMESPACE = ContractEntry(
    key="TNP304/amp-namespace",
    rewrite='`torch.cuda.amp.autocast(...)` → `torch.amp.autocast("cuda", ...)`, `torch.cuda.amp.GradScaler(...)` → '
            '`torch.amp.GradScaler("cuda", ...)`, `torch.cpu.amp.*` likewise with `"cpu"`; positional arguments '
            "become the old signature's keywords, and autocast's old explicit defaults are written out "
            "(`dtype=torch.float16`, `torch.bfloat16` on the CPU, `cache_enabled=True`)",
    applicability=Applicability.SAFE,
    preconditions=AMP_PRECONDITIONS,
    expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
    allowed=("warnings",),
    note="The new call builds the same object; only the deprecation warning goes.",
    title="Use `torch.amp` with the device type",
)

AMP_NAMESPACE_UNDECLARED = ContractEntry(
    key="TNP304/amp-namespace-undeclared",
    rewrite="the same, when the project does not declare `torch-version` ≥ 2.4",
    applicability=Applicability.UNSAFE,
    preconditions=(Precondition(P, "the installed torch has `torch.amp.GradScaler` (2.3+) and "
                                   "`torch.amp.custom_fwd` (2.4+)"),),
    expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
    allowed=("warnings",),
    note='On torch older than 2.4 the new names may not exist; declare `torch-version = "2.4"` to make it safe.',
    title="Use `torch.amp` with the device type",
)

AMP_DECORATOR = ContractEntry(
    key="TNP304/amp-decorator",
    rewrite='`@torch.cuda.amp.custom_fwd(...)` → `@torch.amp.custom_fwd(device_type="cuda", ...)`, '
            '`@torch.cuda.amp.custom_bwd` → `@torch.amp.custom_bwd(device_type="cuda")`',
    applicability=Applicability.SAFE,
    preconditions=AMP_PRECONDITIONS,
    expect={"cpu": Verdict.NOT_VERIFIABLE},
    note="The decorators change an `autograd.Function`, which the verifier's expressions do not build; "
         "a runtime test runs both versions' forward and backward instead.",
    title="Use `torch.amp` with the device type",
)

AMP_DECORATOR_UNDECLARED = ContractEntry(
    key="TNP304/amp-decorator-undeclared",
    rewrite="the same, when the project does not declare `torch-version` ≥ 2.4",
    applicability=Applicability.UNSAFE,
    preconditions=(Precondition(P, "the installed torch has `torch.amp.custom_fwd` (2.4+)"),),
    expect={"cpu": Verdict.NOT_VERIFIABLE},
    note='On torch older than 2.4 `torch.amp.custom_fwd` does not exist; declare `torch-version = "2.4"`.',
    title="Use `torch.amp` with the device type",
)


class DeprecatedAmp(Rule):
    """
    ## What it does
    Finds calls of the deprecated device-specific AMP API: `torch.cuda.amp.autocast(...)`,
    `torch.cuda.amp.GradScaler(...)`, `torch.cpu.amp.autocast(...)`,
    `torch.cpu.amp.GradScaler(...)`, and the `torch.cuda.amp.custom_fwd` / `custom_bwd`
    decorators, also through `from torch.cuda import amp` or `from torch.cuda.amp import
    autocast`. Calls in a branch that chooses the API by torch version
    (`X if _TORCH_GREATER_EQUAL_2_4 else torch.cuda.amp.GradScaler()`) or in an `except
    AttributeError` / `ImportError` / `TypeError` fallback after trying the new API are
    compatibility code and are not reported. So is a call of a name that the `try` of a
    `try` / `except ImportError` imports from the new API and only the `except` fallback
    from the old one (`try: from torch.amp import GradScaler` / `except ImportError: from
    torch.cuda.amp import GradScaler`): on every torch that has the new API the name is the
    new class.

    ## Why is this bad?
    Since torch 2.4 each of these emits a `FutureWarning` (`torch.cuda.amp.autocast(args...)
    is deprecated. Please use torch.amp.autocast('cuda', args...) instead.`) and is slated
    for removal. The replacement is not a rename: `torch.amp.autocast` takes the device type
    first, so `torch.amp.autocast(False)` would pass `False` as the device, and
    `torch.amp.GradScaler(1024.0)` silently takes `1024.0` as its device and keeps the
    default scale. The old autocast also passed `dtype=torch.float16` (`bfloat16` on the
    CPU) and `cache_enabled=True` explicitly, where the new one inherits them from an
    enclosing autocast.

    ## Example
    ```python
    import torch

    scaler = torch.cuda.amp.GradScaler(1024.0)
    with torch.cuda.amp.autocast(True):
        pass
    ```

    ## Use instead
    ```python
    import torch

    scaler = torch.amp.GradScaler("cuda", init_scale=1024.0)
    with torch.amp.autocast("cuda", enabled=True, dtype=torch.float16, cache_enabled=True):
        pass
    ```

    ## Fix safety
    The fix names the device type first, turns every positional argument into the keyword
    of the old signature and writes out the old explicit defaults, so the new call builds
    the same object. Calls with `*args` or `**kwargs` get no fix (their positions cannot be
    mapped). The import of the old name is left in place: remove it once nothing uses it.

    ## References
    - [Automatic mixed precision](https://docs.pytorch.org/docs/stable/amp.html)
    - [PyTorch PR #126527: the deprecation](https://github.com/pytorch/pytorch/pull/126527)
    """

    code = "TNP304"
    name = "deprecated-amp"
    message = "`{old}` is deprecated since torch 2.4; use `torch.amp.{member}` with the device type `'{device}'`"
    category = "style"
    requires_text = ("amp.", "amp import")
    contract = (AMP_NAMESPACE, AMP_NAMESPACE_UNDECLARED, AMP_DECORATOR, AMP_DECORATOR_UNDECLARED)
    VALID = [
        Valid(
            """
            import torch
            scaler = torch.amp.GradScaler("cuda")
            with torch.amp.autocast("cuda"):
                pass
            """
        ),
        Valid(
            """
            import torch
            from lightning.fabric.utilities.imports import _TORCH_GREATER_EQUAL_2_4
            scaler = torch.amp.GradScaler("cuda") if _TORCH_GREATER_EQUAL_2_4 else torch.cuda.amp.GradScaler()
            """
        ),
        Valid(
            """
            import torch
            try:
                scaler = torch.amp.GradScaler(device="cuda")
            except (AttributeError, TypeError):  # an older torch
                scaler = torch.cuda.amp.GradScaler()
            """
        ),
        Valid(
            """
            try:
                from torch.amp import GradScaler
            except ImportError:  # an older torch
                from torch.cuda.amp import GradScaler
            scaler = GradScaler(enabled=False)
            """
        ),
        Valid(
            """
            import torch
            # Only calls warn: a reference to the class is left alone.
            assert isinstance(scaler, torch.cuda.amp.GradScaler)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            scaler = torch.cuda.amp.GradScaler(1024.0)
            """,
            findings=[(2, 10)],
            fixed="""
            import torch
            scaler = torch.amp.GradScaler("cuda", init_scale=1024.0)
            """,
            applicability=Applicability.UNSAFE,  # the project declares no torch-version >= 2.4
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            context = torch.cpu.amp.autocast(False)
            """,
            findings=[(2, 11)],
            fixed="""
            import torch
            context = torch.amp.autocast("cpu", enabled=False, dtype=torch.bfloat16, cache_enabled=True)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            from torch.cuda.amp import autocast
            context = autocast(dtype=torch.bfloat16)
            """,
            findings=[(3, 11)],
            fixed="""
            import torch
            context = torch.amp.autocast("cuda", dtype=torch.bfloat16, cache_enabled=True)
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            from torch.cuda.amp import GradScaler
            scaler = GradScaler()
            """,
            findings=[(2, 10)],
            fixed="""
            import torch
            scaler = torch.amp.GradScaler("cuda")
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.EQUIVALENT, "cuda": Verdict.EQUIVALENT},
        ),
        Invalid(
            """
            import torch
            from torch.cuda import amp
            class Scale(torch.autograd.Function):
                @staticmethod
                @amp.custom_fwd(cast_inputs=torch.float32)
                def forward(ctx, x):
                    return x * 2
                @staticmethod
                @amp.custom_bwd
                def backward(ctx, grad):
                    return grad * 2
            """,
            findings=[(5, 6), (9, 6)],
            fixed="""
            import torch
            class Scale(torch.autograd.Function):
                @staticmethod
                @torch.amp.custom_fwd(device_type="cuda", cast_inputs=torch.float32)
                def forward(ctx, x):
                    return x * 2
                @staticmethod
                @torch.amp.custom_bwd(device_type="cuda")
                def backward(ctx, grad):
                    return grad * 2
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
    ]

    def __init__(self, context) -> None:  # noqa: ANN001
        super().__init__(context)
        # The tests of the ``if``s around the current node: read only when a call is found.
        self._tests: list[cst.BaseExpression] = []
        self._fallback_depth = 0
        self._fallbacks: set[int] = set()
        self._fallback_imports: set[int] = set()  # the imports in those bodies

    def visit_If(self, node: cst.If) -> None:
        self._tests.append(node.test)

    def leave_If(self, node: cst.If) -> None:
        self._tests.pop()

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._tests.append(node.test)

    def leave_IfExp(self, node: cst.IfExp) -> None:
        self._tests.pop()

    # The model walks an ``except`` clause's body, not the clause: the bodies are marked here.
    def visit_Try(self, node: cst.Try) -> None:
        self._fallbacks.update(id(handler.body) for handler in node.handlers if _is_fallback(handler))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._fallback_depth += id(node) in self._fallbacks

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._fallback_depth -= id(node) in self._fallbacks

    visit_SimpleStatementSuite = visit_IndentedBlock  # ``except AttributeError: x = ...``
    leave_SimpleStatementSuite = leave_IndentedBlock

    def visit_ImportFrom(self, node: cst.ImportFrom | cst.Import) -> None:
        if self._fallback_depth and not isinstance(node.names, cst.ImportStar):
            self._fallback_imports.update(id(alias) for alias in node.names)

    visit_Import = visit_ImportFrom

    def visit_Call(self, node: cst.Call) -> None:
        self._check(node.func, node)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        if type(node.decorator) is not cst.Call:  # ``@custom_bwd``: a decorator used bare
            self._check(node.decorator, None)

    def _check(self, reference: cst.BaseExpression, call: cst.Call | None) -> None:
        found = _old_api(self.model.qualnames(reference))
        if found is None or self._fallback_depth or any(_is_version_test(test) for test in self._tests):
            return
        old, api = found
        if (call is None and not api.is_decorator) or self._new_unless_fallback(reference, api):
            return
        node = call if call is not None else reference
        message = self.message.format(old=old, member=api.member, device=api.device)
        self.report(node, message, fix=self._fix(reference, call, api))

    def _new_unless_fallback(self, reference: cst.BaseExpression, api: _OldApi) -> bool:
        """``try: from torch.amp import GradScaler`` / ``except ImportError: from torch.cuda.amp
        import GradScaler``: the name is the new class on every torch that has it; the old
        binding reaches only through the fallback import."""
        head = reference
        while type(head) is cst.Attribute:
            head = head.value
        binding = self.model.lookup(head.value) if type(head) is cst.Name else None
        if binding is None or not binding.reaching:
            return False  # one binding, or too many paths to know
        rest = (dotted(reference) or "").partition(".")[2]
        paths = [frozenset(f"{q}.{rest}" if rest else q for q in path.qualnames) for path in binding.reaching]
        new = f"torch.amp.{api.member}"
        return any(new in names for names in paths) and all(
            id(path.node) in self._fallback_imports
            for path, names in zip(binding.reaching, paths)
            if _old_api(names) is not None
        )

    def _fix(self, reference: cst.BaseExpression, call: cst.Call | None, api: _OldApi) -> FixSpec | None:
        found = module_reference(self.model, "torch")
        if found is None:
            return None
        torch, imports = found
        callee = f"{torch}.amp.{api.member}"
        device = f'"{api.device}"' if not api.is_decorator else f'device_type="{api.device}"'
        if call is None:
            edits: tuple[NodeEdit, ...] = (replace(reference, f"{callee}({device})"),)
        else:
            arguments = _argument_edits(call, api, device, torch)
            if arguments is None:
                return None
            edits = (replace(reference, callee), *arguments)
        declared = at_least(self.context.options.torch_version, AMP_API)
        if api.is_decorator:
            chosen = AMP_DECORATOR if declared else AMP_DECORATOR_UNDECLARED
        else:
            chosen = AMP_NAMESPACE if declared else AMP_NAMESPACE_UNDECLARED
        check = probe(self.model, call) if call is not None and not api.is_decorator else None
        return FixSpec(chosen, (*imports, *edits), probe=check)


def _argument_edits(call: cst.Call, api: _OldApi, device: str, torch: str) -> tuple[NodeEdit, ...] | None:
    """The device first (or, for the decorators, after their function), positional
    arguments named, and the old explicit defaults written out."""
    args = list(call.args)
    if any(arg.star for arg in args):
        return None  # ``*args`` / ``**kwargs``: positions cannot be mapped
    positional = [arg for arg in args if arg.keyword is None]
    if len(positional) > len(api.parameters):
        return None  # the old call raised TypeError: keep it
    given = {arg.keyword.value for arg in args if arg.keyword is not None}
    given |= set(api.parameters[: len(positional)])
    missing = [f"{name}={torch}.{value}" if value != "True" else f"{name}={value}"
               for name, value in api.defaults if name not in given]
    if not args:
        return (replace_call_arguments(call, ", ".join([device, *missing])),)
    edits: list[NodeEdit] = []
    if not (api.keep_positional and positional):
        edits.append(insert_before(args[0], f"{device}, "))
    for index, arg in enumerate(positional):
        if api.keep_positional and index == 0:
            edits.append(insert_after(arg.value, f", {device}"))
        else:
            edits.append(insert_before(arg, f"{api.parameters[index]}="))
    if missing:
        edits.append(insert_after(args[-1].value, ", " + ", ".join(missing)))
    return tuple(edits)


def replace_call_arguments(call: cst.Call, arguments: str) -> NodeEdit:
    """``f()`` → ``f(arguments)``: the empty parentheses are rewritten."""
    return replace_span(Anchor(call.func, "end"), Anchor(call, "end"), f"({arguments})")


def _is_version_test(test: cst.BaseExpression) -> bool:
    pending: list[cst.CSTNode] = [test]
    while pending:
        node = pending.pop()
        if type(node) is cst.Name and _VERSION_TEST.search(node.value):
            return True
        if type(node) is cst.SimpleString and "version" in node.value.lower():
            return True
        pending.extend(node.children)
    return False


def _is_fallback(handler: cst.ExceptHandler) -> bool:
    """``except (AttributeError, TypeError):``: the fallback for a torch without the new API."""
    caught = handler.type
    items = [element.value for element in caught.elements] if type(caught) is cst.Tuple else [caught]
    return any(type(item) is cst.Name and item.value in _FALLBACK_ERRORS for item in items)
