"""TNP308 cuda-default-argument: the rule and its examples (it has no fix).

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ...model.blocks import parameters
from ...model.tree import children
from ..base import Invalid, Rule, Valid
from .arguments import cuda_device

# Calls whose device argument is a device *type*: without CUDA they warn or answer, never raise.
_DEVICE_TYPE_CALLS = frozenset({
    "torch.get_autocast_dtype", "torch.is_autocast_enabled", "torch.set_autocast_dtype",
    "torch.set_autocast_enabled", "torch.autocast", "torch.amp.autocast", "torch.amp.GradScaler",
    "torch.GradScaler", "torch.amp.is_autocast_available",
})


@dataclass
class _Parameter:
    literal: cst.CSTNode  # the 'cuda' default, where the finding points
    text: str
    uses: int = 0  # reads of the parameter in its function
    type_uses: int = 0  # of those, device-type arguments and comparisons
    stored_as: set[str] = field(default_factory=set)  # of those, ``self.X = device``: the X
    stores: int = 0


class CudaDefaultArgument(Rule):
    """
    ## What it does
    Finds `'cuda'` as the default of something the user can override.

    That is an argparse `add_argument(..., default='cuda')`, or a function parameter
    `def f(device='cuda')` or `def f(device=torch.device('cuda'))`. A parameter that the
    function only compares or passes as a device *type* (to autocast, `GradScaler`,
    `torch.get_autocast_dtype`) is not reported: those work without CUDA. Nor is one that a
    method only stores in `self.X` when its class never reads `self.X`: the default then
    never becomes a device in the class. Modules that cannot run without CUDA are not
    reported either, as for TNP301 and TNP302: those that import a CUDA-only library
    (TensorRT, pycuda, CuPy...), set up apex's amp at their top level, or pin their process
    to a GPU unguarded (`torch.cuda.set_device`, an NCCL process group), themselves or
    through a project helper that returns only with CUDA committed.

    ## Why is this bad?
    A user without CUDA must know to pass `--device cpu` (or `device="cpu"`), or the
    program crashes on the first use of the device. The user can override it, so this is a
    low-severity finding and the rule is off by default; a default of `"cuda" if
    torch.cuda.is_available() else "cpu"` works everywhere.

    ## Example
    ```python
    import argparse
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda")
    ```

    ## Use instead
    ```python
    import argparse
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ```

    ## Fix safety
    No fix: the default is the user's interface, and only a person should change it.

    ## References
    - [PyTorch: device-agnostic code](https://docs.pytorch.org/docs/stable/notes/cuda.html#device-agnostic-code)
    """

    code = "TNP308"
    name = "cuda-default-argument"
    message = "Default device {device!r} crashes for users without CUDA unless they override it"
    category = "portability"
    silent_in_cuda_only_modules = True
    default_enabled = False
    requires_text = ("cuda",)
    requires_text_in_strings = True  # "cuda" and "cuda:0" are strings

    VALID = [
        Valid(
            """
            import torch
            def autocast_dtype(device="cuda"):  # a device type: autocast answers without CUDA
                if device == "cpu":
                    return torch.get_autocast_dtype("cpu")
                return torch.get_autocast_dtype(device)
            """
        ),
        Valid(
            """
            import argparse, torch
            p = argparse.ArgumentParser()
            p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
            p.add_argument("--backend", choices=["cuda", "cpu"], help="cuda or cpu")
            """
        ),
        Valid(
            """
            import torch
            def run(x, device="cpu"):
                return x.to(device)
            """
        ),
        Valid(
            """
            import torch
            class Embedder(torch.nn.Module):
                def __init__(self, device="cuda"):
                    super().__init__()
                    self.device = device  # stored, and never read in the class
                def forward(self, tokens):
                    return tokens
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import argparse, torch
            p = argparse.ArgumentParser()
            p.add_argument("--device", type=str, default="cuda")
            """,
            findings=[(3, 46)],
        ),
        Invalid(
            """
            import torch
            class Loader:
                def __init__(self, device: torch.device = torch.device("cuda")):
                    self.device = device
                def batch(self):
                    return torch.zeros(2, device=self.device)
            """,
            findings=[(3, 60)],
        ),
        Invalid(
            """
            import torch
            def run(x, device="cuda:0"):
                return x.to(device)
            """,
            findings=[(2, 19)],
        ),
    ]

    def _visit_add_argument(self, node: cst.Call) -> None:
        func = node.func
        if not (type(func) is cst.Attribute and func.attr.value == "add_argument"):
            return
        if not self.model.imports_torch:
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "default":
                self._check(arg.value)

    def __init__(self, context) -> None:
        super().__init__(context)
        # A function's 'cuda' parameters, until its body shows how they are used.
        self._pending: dict[int, dict[str, _Parameter]] = {}
        self._type_uses: set[int] = set()  # Name nodes in a device-type or comparison position
        self._not_names: set[int] = set()  # keyword and attribute names: no reads of a variable
        self._stored: dict[int, str] = {}  # the value Name of ``self.X = name``: X
        self._class_reads: dict[tuple[int, str], bool] = {}  # memo of _class_reads_attribute

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.model.imports_torch:
            self._check_params(node.params, node)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        if self.model.imports_torch:
            self._check_params(node.params, None)

    def _check_params(self, params: cst.Parameters, function: cst.FunctionDef | None) -> None:
        for param in parameters(params):
            # Only devices: not a ``device_type`` (autocast, GradScaler) or an accelerator name.
            name = param.name.value
            if param.default is None or not (name in ("device", "map_location") or name.endswith("_device")):
                continue
            found = self._found(param.default)
            if found is None:
                continue
            if function is None:
                self.report(found[0], self.message.format(device=found[1]))
            else:
                self._pending.setdefault(id(function), {})[name] = _Parameter(*found)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self._pending:
            self._type_uses.update(id(n) for n in (node.left, *(t.comparator for t in node.comparisons)))

    def visit_Call(self, node: cst.Call) -> None:
        if self._pending and self.model.qualnames(node.func) & _DEVICE_TYPE_CALLS:
            self._type_uses.update(id(arg.value) for arg in node.args)
        self._visit_add_argument(node)

    def visit_Arg(self, node: cst.Arg) -> None:
        if self._pending and node.keyword is not None:
            self._not_names.add(id(node.keyword))  # device=...: a keyword, not a read

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._pending and type(node.value) is cst.Name and len(node.targets) == 1:
            target = node.targets[0].target
            if type(target) is cst.Attribute and type(target.value) is cst.Name and target.value.value == "self":
                self._stored[id(node.value)] = target.attr.value

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self._pending:
            self._not_names.add(id(node.attr))  # self.device: an attribute, not the parameter

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) in self._not_names:
            return
        function = self.model.function
        params = self._pending.get(id(function)) if function is not None else None
        if not params or node.value not in params:
            return
        binding = self.model.lookup(node.value)
        if binding is None or binding.kind != "param":
            return
        parameter = params[node.value]
        parameter.uses += 1
        parameter.type_uses += id(node) in self._type_uses
        attribute = self._stored.get(id(node))
        if attribute is not None:
            parameter.stores += 1
            parameter.stored_as.add(attribute)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        for parameter in self._pending.pop(id(node), {}).values():
            # Every use names a device *type* (autocast, GradScaler) or is compared: no crash.
            type_only = parameter.uses and parameter.uses == parameter.type_uses
            if not type_only and not self._only_stored_unread(parameter):
                self.report(parameter.literal, self.message.format(device=parameter.text))

    def _only_stored_unread(self, parameter: _Parameter) -> bool:
        """Every use stores the parameter in ``self.X``, and the class reads none of those X."""
        cls = self.model.enclosing_class
        if cls is None or not parameter.uses or parameter.stores != parameter.uses:
            return False
        return not any(self._class_reads_attribute(cls, attribute) for attribute in parameter.stored_as)

    def _class_reads_attribute(self, cls: cst.ClassDef, attribute: str) -> bool:
        """``self.<attribute>`` is read somewhere in ``cls`` (not only assigned); asked only
        for a finding about to be reported, once per class and attribute."""
        key = (id(cls), attribute)
        if key not in self._class_reads:
            self._class_reads[key] = _reads_self_attribute(cls, attribute)
        return self._class_reads[key]

    def _found(self, default: cst.BaseExpression) -> tuple[cst.CSTNode, str] | None:
        if self.model.in_cuda_guard:
            return None
        return cuda_device(self.model, default)

    def _check(self, default: cst.BaseExpression) -> None:
        found = self._found(default)
        if found is not None:
            literal, text = found
            self.report(literal, self.message.format(device=text))


def _reads_self_attribute(cls: cst.ClassDef, attribute: str) -> bool:
    stores: set[int] = set()
    stack: list[cst.CSTNode] = [cls]
    while stack:
        node = stack.pop()
        if type(node) is cst.Assign:
            stores.update(id(target.target) for target in node.targets)  # popped after: seen first
        elif type(node) is cst.Attribute and id(node) not in stores and node.attr.value == attribute \
                and type(node.value) is cst.Name and node.value.value == "self":
            return True
        stack.extend(children(node))
    return False
