from __future__ import annotations

import libcst as cst

from ..base import Invalid, Rule, Valid
from .positions import cuda_device


class CudaDefaultArgument(Rule):
    """
    ## What it does
    Finds `'cuda'` as the default of something the user can override.

    That is an argparse `add_argument(..., default='cuda')`, or a function parameter
    `def f(device='cuda')` or `def f(device=torch.device('cuda'))`.

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

    VALID = [
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

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "add_argument"):
            return
        if not self.model.imports_torch:
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "default":
                self._check(arg.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.model.imports_torch:
            self._check_params(node.params)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        if self.model.imports_torch:
            self._check_params(node.params)

    def _check_params(self, params: cst.Parameters) -> None:
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            # Only devices: not a ``device_type`` (autocast, GradScaler) or an accelerator name.
            name = param.name.value
            if param.default is not None and (name in ("device", "map_location") or name.endswith("_device")):
                self._check(param.default)

    def _check(self, default: cst.BaseExpression) -> None:
        if self.model.in_cuda_guard:
            return
        found = cuda_device(self.model, default)
        if found is not None:
            literal, text = found
            self.report(literal, self.message.format(device=text))
