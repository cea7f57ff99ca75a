"""TNP205 implicit-tensor-conversion: the rule, its fix contract entries and its examples.

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
Which calls convert, and which of their arguments, is the library catalogue's data
(``model/catalogue``: ``converts`` and ``reads``).
"""

from __future__ import annotations

import libcst as cst

from ...diagnostics.contract import (
    Applicability,
    ContractEntry,
    F,
    P,
    Precondition,
    Verdict,
)
from ...diagnostics.fix import FixSpec, append_method, needs_parentheses
from ...model import catalogue
from ...model.catalogue import ALL_POSITIONAL, Converts, Entry
from ...model.lists import element_value
from ...model.semantic import SemanticModel
from ...model.values import Kind, Value
from ..base import Invalid, Rule, Valid
from ..explain import quote
from ..probe import hole, probe

# What Tensor.__array__ raises (torch 2.13; a tensor on a device is refused first, also when
# it requires grad: measured with a meta tensor that requires grad).
GRAD_ERROR = "RuntimeError: Can't call numpy() on Tensor that requires grad"
DEVICE_ERROR = "TypeError: can't convert cuda:0 device type tensor to numpy"
# TNP202 keeps the direct np.asarray(t) / np.array(t) (and their lists without a proven crash).
_TNP202_DIRECT = frozenset({"numpy.asarray", "numpy.array"})

DETACH_CPU = ContractEntry(
    key="TNP205/detach-cpu",
    rewrite="`f(..., X, ...)` → `f(..., X.detach().cpu().numpy(), ...)` for a NumPy function `f` that converts "
            "that argument",
    applicability=Applicability.SAFE,
    preconditions=(
        Precondition(F, "`X` is a tensor on every path"),
        Precondition(F, "`f` is a NumPy function that converts `X` with `Tensor.__array__` (the library "
                        "catalogue's record, run against NumPy by the tests)"),
    ),
    expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
    allowed=("warnings",),
    crash=f"{GRAD_ERROR} / {DEVICE_ERROR}",
    note="It raised for a tensor that requires grad or lives on a device; otherwise NumPy converted the tensor "
         "to the same array itself (NumPy 2's `__array__` copy-keyword DeprecationWarning disappears).",
    title="Convert with `.detach().cpu().numpy()` first",
)

DETACH_CPU_LIBRARY = ContractEntry(
    key="TNP205/detach-cpu-library",
    rewrite="the same for a matplotlib, scikit-learn or pandas call",
    applicability=Applicability.UNSAFE,
    preconditions=(
        Precondition(F, "`X` is a tensor on every path"),
        Precondition(P, "the library converts `X` with NumPy: documented, not run here, and scikit-learn's "
                        "`array_api_dispatch` setting lets some metrics take tensors as they are"),
    ),
    expect={"cpu": Verdict.NOT_VERIFIABLE, "cuda": Verdict.NOT_VERIFIABLE},
    note="The verifier runs NumPy and torch only.",
    title="Convert with `.detach().cpu().numpy()` first",
)


class ImplicitTensorConversion(Rule):
    """
    ## What it does
    Finds a tensor that requires grad or lives on a device, or a list of such tensors,
    passed to a call that converts it to a NumPy array by itself: NumPy functions
    (`np.mean(losses)`, `np.clip(t, 0, 1)`), matplotlib's plotting (`plt.plot(losses)`),
    scikit-learn's metrics (`accuracy_score(y, preds)`) and pandas' constructors.

    Which calls convert, and which of their arguments, is the library catalogue's data
    (`model/catalogue`; each NumPy entry is checked against NumPy by the tests). The
    tensor's state is what the value model proves: a `requires_grad=True` factory, a
    module's output outside `no_grad` (a loss module such as `nn.MSELoss()` passes its
    input's grad on; an unknown `criterion` proves nothing), `.cuda()`, `.to('cuda')`, a
    helper's return (summarised for the call's own arguments where that settles it), a
    weight updated in place in the loop (`w -= lr * w.grad`), a list whose every element
    was appended where the model sees it: in the same function, in the module's own code for
    a module-level list, or in the class's methods for `self.losses`, and a list
    comprehension over such a list or over a tensor's rows (`np.mean([l * w for l in
    losses])`).

    `np.asarray(t)` and `np.array(t)` of one tensor are TNP202's; of a list of tensors,
    this rule reports them when an element is proven to require grad or to live on a
    device (the call raises), and TNP202 otherwise (the tensors are converted one by one).

    ## Why is this bad?
    These calls convert through `Tensor.__array__`, which calls `.numpy()`: it raises
    `RuntimeError: Can't call numpy() on Tensor that requires grad` for a tensor that
    requires grad, and `TypeError: can't convert cuda:0 device type tensor to numpy` for
    one on a device (the device is checked first). The crash surfaces deep inside NumPy,
    matplotlib or scikit-learn, often at the end of a training run, when the losses
    collected during it are plotted or averaged.

    ## Example
    ```python
    import matplotlib.pyplot as plt
    import torch

    w = torch.randn(3, requires_grad=True)
    losses = []
    for step in range(100):
        loss = (w ** 2).sum()
        losses.append(loss)
    plt.plot(losses)
    ```

    ## Use instead
    ```python
    import matplotlib.pyplot as plt
    import torch

    w = torch.randn(3, requires_grad=True)
    losses = []
    for step in range(100):
        loss = (w ** 2).sum()
        losses.append(loss.item())
    plt.plot(losses)
    ```

    ## Fix safety
    A tensor passed directly gets `.detach().cpu().numpy()`: NumPy then receives the array
    it would have made itself, and the call no longer raises. A list of tensors is
    reported without a fix: convert each tensor where it is collected (`.item()` for a
    scalar loss, `.detach().cpu()` otherwise).

    ## References
    - [Can't call numpy() on Tensor that requires grad (np.sum over losses, FedGen)](https://github.com/zhuangdizhu/FedGen/issues/1)
    - [Plotting the losses fails (plt.plot(losses))](https://github.com/DeepReinforcementLearning/DeepReinforcementLearningInAction/issues/42)
    - [CUDA tensors in sklearn's accuracy_score (Lightning)](https://github.com/Lightning-AI/pytorch-lightning/issues/1429)
    - [`Tensor.numpy`](https://docs.pytorch.org/docs/stable/generated/torch.Tensor.numpy.html)
    """

    code = "TNP205"
    name = "implicit-tensor-conversion"
    message = "`{call}` converts {what} with NumPy{state}: this raises `{error}`; {remedy}"
    category = "correctness"
    # A converter is known only through an import of its package, whose name is then in the
    # code; its own name need not be (``from sklearn.metrics import accuracy_score as acc``).
    # The generic names (``max(``, ``append(``, ``step(``) matched 368 of Lightning's 646 files.
    requires_text = tuple(sorted({e.name.split(".", 1)[0] for e in catalogue.entries()
                                  if e.converts is not Converts.NO}))
    requires_also = ("torch",)  # a tensor is proven only where torch is imported
    needs_values = True
    contract = (DETACH_CPU, DETACH_CPU_LIBRARY)
    VALID = [
        Valid(
            """
            import numpy as np
            import torch
            w = torch.randn(3, requires_grad=True)
            losses = []
            for step in range(10):
                losses.append((w ** 2).sum().item())
            mean = np.mean(losses)  # floats
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            with torch.no_grad():
                scores = torch.nn.Linear(4, 2)(torch.randn(8, 4))
                total = np.cumsum(scores)  # made under no_grad, on the CPU
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            def summarize(outputs):
                return np.concatenate(outputs)  # unknown: not reported
            """
        ),
        Valid(
            """
            import matplotlib.pyplot as plt
            import torch
            def train(model, criterion, loader):
                losses = []
                for x, y in loader:
                    loss = criterion(model(x), y)
                    losses.append(loss)
                plt.plot(losses)  # unknown: the model and the criterion are parameters
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import torch
            w = torch.randn(3, requires_grad=True)
            snapshot = np.copy(w)
            """,
            findings=[(4, 12)],
            fixed="""
            import numpy as np
            import torch
            w = torch.randn(3, requires_grad=True)
            snapshot = np.copy(w.detach().cpu().numpy())
            """,
            applicability=Applicability.SAFE,
            expect={"cpu": Verdict.CRASH_FIX, "cuda": Verdict.CRASH_FIX},
        ),
        Invalid(
            """
            import matplotlib.pyplot as plt
            import torch
            def train(w: torch.Tensor, steps):
                w = w.cuda()
                losses = []
                for step in range(steps):
                    losses.append((w ** 2).sum())
                plt.plot(losses)
            """,
            findings=[(8, 5)],
        ),
        Invalid(
            """
            import matplotlib.pyplot as plt
            import torch
            from torch import nn
            model = nn.Linear(4, 1)
            criterion = nn.MSELoss()
            losses = []
            for step in range(100):
                loss = criterion(model(torch.randn(8, 4)), torch.randn(8, 1))
                loss.backward()
                losses.append(loss)
            plt.plot(losses)
            """,
            findings=[(11, 1)],
        ),
        Invalid(
            """
            import torch
            from sklearn.metrics import accuracy_score
            def evaluate(x: torch.Tensor, y):
                preds = x.to("cuda").argmax(1)
                return accuracy_score(y, preds)
            """,
            findings=[(5, 12)],
            fixed="""
            import torch
            from sklearn.metrics import accuracy_score
            def evaluate(x: torch.Tensor, y):
                preds = x.to("cuda").argmax(1)
                return accuracy_score(y, preds.detach().cpu().numpy())
            """,
            applicability=Applicability.UNSAFE,
            expect={"cpu": Verdict.NOT_VERIFIABLE, "cuda": Verdict.NOT_VERIFIABLE},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        names = self.model.qualnames(node.func)
        entry = catalogue.lookup(next(iter(names))) if len(names) == 1 else None
        if entry is None or entry.converts is Converts.NO:
            return
        for argument in _converted_arguments(node, entry):
            if self._check(node, entry, argument):
                return  # one finding per call

    def _check(self, call: cst.Call, entry: Entry, argument: cst.BaseExpression) -> bool:
        value = direct = self.model.value_of(argument)
        if value.kind is Kind.TENSOR:
            if entry.converts is not Converts.ARRAYS or entry.name in _TNP202_DIRECT:
                return False  # np.sum(t) calls t.sum(...); np.asarray(t) is TNP202's
            shown = f"({quote(argument)})" if needs_parentheses(argument) else quote(argument)
            what, remedy = f"the tensor `{quote(argument)}`", f"pass `{shown}.detach().cpu().numpy()`"
            fix = self._fix(call, entry, argument)
        else:
            element = raising_element(self.model, argument)
            if element is None:
                return False
            value = element
            what = f"the tensors in `{quote(argument)}`"
            remedy = "convert each tensor where it is collected (`.item()`, `.detach().cpu()`)"
            fix = None
        state, error = self._state(value, listed=value is not direct)
        if state is None:
            return False
        message = self.message.format(call=quote(call), what=what, state=state, error=error, remedy=remedy)
        self.report(call, message, evidence=value.evidence, fix=fix)
        return True

    def _state(self, value: Value, listed: bool) -> tuple[str | None, str]:
        """What the tensor is and the error it makes ``__array__`` raise (the device first)."""
        subject = "one of them" if listed else "it"
        where = " (line {line})" if value.evidence is not None else ""
        if not raises_on_conversion(self.model, value):
            return None, ""
        if value.on_device:
            return f", and {subject} is on a device{where}", DEVICE_ERROR
        return f", and {subject} requires grad{where}", GRAD_ERROR

    def _fix(self, call: cst.Call, entry: Entry, argument: cst.BaseExpression) -> FixSpec:
        chosen = DETACH_CPU if entry.name.startswith("numpy.") else DETACH_CPU_LIBRARY
        check = probe(self.model, call, [hole(self.model, argument, "tensor")])
        return FixSpec(chosen, append_method(argument, "detach().cpu().numpy()"), probe=check)


def raises_on_conversion(model: SemanticModel, tensor: Value) -> bool:
    """Converting ``tensor`` to NumPy raises here: it is proven on a device, or to require grad
    where grad is on (under ``no_grad`` the conversion does not raise, torch 2.13)."""
    return tensor.kind is Kind.TENSOR and (bool(tensor.on_device) or model.requires_grad_here(tensor))


def raising_element(model: SemanticModel, sequence: cst.BaseExpression) -> Value | None:
    """An element of the list ``sequence`` whose conversion raises: any item of a display
    (``[loss, 1.0]`` raises for ``loss`` alone), or what every element of a list built in the
    function is. TNP202 leaves such lists to this rule."""
    if type(sequence) is cst.List or type(sequence) is cst.Tuple:
        items = (model.value_of(e.value) for e in sequence.elements if type(e) is not cst.StarredElement)
        return next((item for item in items if raises_on_conversion(model, item)), None)
    element = element_value(model, sequence)
    return element if raises_on_conversion(model, element) else None


def _converted_arguments(call: cst.Call, entry: Entry) -> list[cst.BaseExpression]:
    """The arguments of ``call`` that ``entry`` says it converts: by position or keyword."""
    found = []
    position = 0
    for arg in call.args:
        if arg.star:
            break  # later positions are not known
        if arg.keyword is None:
            if position in entry.reads or ALL_POSITIONAL in entry.reads:
                found.append(arg.value)
            position += 1
        elif arg.keyword.value in entry.reads:
            found.append(arg.value)
    return found
