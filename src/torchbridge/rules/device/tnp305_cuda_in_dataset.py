"""TNP305 cuda-in-dataset: the rule and its examples (it has no fix).

The class docstring is the rule's documentation (``torchbridge rule``, ``docs/rules/``).
"""

from __future__ import annotations

import re

import libcst as cst

from ...model.cuda_guards import cuda_when_available
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from .arguments import cuda_device, device_arguments

DATASET_BASES = frozenset({
    "torch.utils.data.Dataset", "torch.utils.data.IterableDataset",
    "torch.utils.data.dataset.Dataset", "torch.utils.data.dataset.IterableDataset",
})
# The methods a DataLoader worker runs.
WORKER_METHODS = frozenset({"__getitem__", "__getitems__", "__iter__"})
WORKER_FUNCTIONS = frozenset({"collate_fn", "worker_init_fn"})
# torch.cuda calls that create no CUDA context: queries, and the lazy seeding and cache calls
# that wait for (or skip without) an initialized CUDA.
HARMLESS_CUDA_CALLS = frozenset({
    "torch.cuda.is_available", "torch.cuda.device_count", "torch.cuda.is_initialized",
    "torch.cuda.manual_seed", "torch.cuda.manual_seed_all", "torch.cuda.seed", "torch.cuda.seed_all",
    "torch.cuda.empty_cache",
})
_PASSED_AS = re.compile(r"\b(?:collate_fn|worker_init_fn)\s*=\s*([A-Za-z_]\w*)")


class CudaInDataset(Rule):
    """
    ## What it does
    Finds CUDA use in code that DataLoader workers run: the `__getitem__`, `__getitems__`
    or `__iter__` of a `Dataset` / `IterableDataset` subclass, and functions named or passed
    as `collate_fn` or `worker_init_fn`. CUDA use is `.cuda()`, a `'cuda'` device
    (`.to('cuda')`, `device='cuda'`) and `torch.cuda.*` calls other than `is_available()` and
    `device_count()` (and the lazy `manual_seed`, `seed` and `empty_cache`, which create no
    CUDA context). Guarded uses are reported too: a guard does not make CUDA work in a
    forked worker.

    A worker that returns a tensor the Dataset made on a device elsewhere (`self.frames =
    torch.randn(..., device="cuda")` in `__init__`, then `return self.frames[index]`) is
    reported too, where every write of the attribute in the class puts it on a device; an
    attribute moved only under a guard (`if torch.cuda.is_available(): self.x =
    self.x.cuda()`) is not known to be on a device, and is not reported.

    A device held in a name counts when every binding of it that reaches the call is CUDA
    wherever CUDA is there: `device = torch.device("cuda")`, or the usual `device = "cuda"
    if torch.cuda.is_available() else "cpu"` (on a GPU machine it picks CUDA, and the
    worker raises there; `torch.device(...)` of it, or the negated test, `"cpu" if not
    torch.cuda.is_available() else "cuda"`, too). A choice made by any other test is not
    known to be CUDA: `"cuda" if get_worker_info() is None else "cpu"` picks the CPU in
    exactly the workers, and a flag (`"cuda" if args.cuda else "cpu"`) may pick either on a
    GPU machine. A device that arrives as a parameter is not known either, and not
    reported.

    ## Why is this bad?
    With `num_workers > 0` and the default `fork` start method, the first CUDA call in a
    worker raises `RuntimeError: Cannot re-initialize CUDA in forked subprocess` (measured);
    with `spawn`, every worker creates its own CUDA context and its own share of GPU
    memory. The DataLoader documentation recommends returning CPU tensors and letting
    `pin_memory=True` speed up the copy. It works with `num_workers=0` only, which is easy
    to change later without noticing.

    ## Example
    ```python
    import torch
    from torch.utils.data import Dataset

    class Images(Dataset):
        def __getitem__(self, index):
            return torch.zeros(3, 32, 32).cuda()
    ```

    ## Use instead
    ```python
    import torch
    from torch.utils.data import DataLoader, Dataset

    class Images(Dataset):
        def __getitem__(self, index):
            return torch.zeros(3, 32, 32)

    # loader = DataLoader(Images(), pin_memory=torch.cuda.is_available())
    # ... batch = batch.to(device, non_blocking=True) in the training loop
    ```

    ## Fix safety
    No fix: the batch would reach the training loop on the CPU, and code that consumes it
    there has to change too.

    ## References
    - [Multi-process data loading](https://docs.pytorch.org/docs/stable/data.html#multi-process-data-loading)
    - [Memory pinning](https://docs.pytorch.org/docs/stable/data.html#memory-pinning)
    """

    code = "TNP305"
    name = "cuda-in-dataset"
    message = (
        "CUDA in {where}: a forked DataLoader worker raises 'Cannot re-initialize CUDA in forked subprocess'; "
        "return CPU data and move the batch in the training loop"
    )
    returned_message = (
        "`{attribute}` is a device tensor (line {{line}}) returned by {where}: a forked DataLoader worker "
        "raises 'Cannot re-initialize CUDA in forked subprocess'; keep the Dataset's data on the CPU and move "
        "the batch in the training loop"
    )
    category = "correctness"
    # Worker code is a Dataset's method or a function named or passed as one of these.
    requires_text = ("Dataset", "collate_fn", "worker_init_fn")
    needs_values = True  # where an attribute that worker code returns was placed
    VALID = [
        Valid(
            """
            import torch
            from torch.utils.data import Dataset
            class Images(Dataset):
                def __getitem__(self, index):
                    return torch.zeros(3, 32, 32)
            """
        ),
        Valid(
            """
            import torch
            from torch.utils.data import Dataset
            class Images(Dataset):
                def to_gpu(self, batch):  # not run by a worker
                    return batch.cuda()
            """
        ),
        Valid(
            """
            import torch
            def collate_fn(batch):
                pin = torch.cuda.is_available()  # no CUDA context
                return torch.stack(batch)
            """
        ),
        Valid(
            """
            import torch
            from torch.utils.data import Dataset
            class Frames(Dataset):
                def __init__(self, frames):
                    self.frames = torch.as_tensor(frames)
                    if torch.cuda.is_available():
                        self.frames = self.frames.cuda()  # on one path only: not known
                def __getitem__(self, index):
                    return self.frames[index]
            """
        ),
        Valid(
            """
            import torch
            def collate_fn(batch, device):
                return torch.stack(batch).to(device)  # a device passed in: not known
            """
        ),
        Valid(
            """
            import torch
            from torch.utils.data import Dataset
            class Frames(Dataset):
                def __init__(self):
                    self.frames = torch.randn(8, 3)  # on the CPU
                    self.mean = torch.zeros(3, device="cuda")
                def __getitem__(self, index):
                    return self.frames[index], self.mean.shape  # a device tensor's shape is no CUDA use
            """
        ),
        Valid(
            """
            import torch
            device = "cpu"
            def collate_fn(batch):
                return torch.stack(batch).to(device)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            from torch.utils.data import Dataset
            class Images(Dataset):
                def __getitem__(self, index):
                    return torch.zeros(3, 32, 32).cuda()
            """,
            findings=[(5, 16)],
        ),
        Invalid(
            """
            import torch
            from torch.utils.data import DataLoader
            def to_device(batch):
                return [x.to("cuda") for x in batch]
            loader = DataLoader(range(8), collate_fn=to_device)
            """,
            findings=[(4, 18)],
        ),
        Invalid(
            """
            import torch
            from torch.utils.data import Dataset
            class Frames(Dataset):
                def __init__(self):
                    self.frames = torch.randn(8, 3, device=torch.device("cuda"))
                def __getitem__(self, index):
                    return self.frames[index], index
            """,
            findings=[(7, 16)],
        ),
        Invalid(
            """
            import torch
            device = "cuda" if torch.cuda.is_available() else "cpu"
            def collate_fn(batch):
                return torch.tensor(batch, device=device)  # CUDA on every GPU machine
            """,
            findings=[(4, 39)],
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._passed = set(_PASSED_AS.findall(context.text))  # functions handed to a DataLoader

    def visit_Call(self, node: cst.Call) -> None:
        where = self._worker_code()
        if where is None:
            return
        model = self.model
        func = node.func
        message = self.message.format(where=where)
        if type(func) is cst.Attribute and func.attr.value == "cuda" and not model.qualnames(func):
            self.report(node, message)
            return
        names = model.qualnames(func)
        if any(q.startswith("torch.cuda.") for q in names) and names.isdisjoint(HARMLESS_CUDA_CALLS):
            self.report(node, message)
            return
        for argument in device_arguments(model, node):
            found = cuda_device(model, argument)
            if found is not None:
                self.report(found[0], message)
            elif type(argument) is cst.Name and self._cuda_whenever_available(argument):
                self.report(argument, message)

    def _cuda_whenever_available(self, name: cst.Name) -> bool:
        """Every binding of ``name`` that reaches here is a device that is CUDA wherever CUDA is
        there: ``'cuda'``, ``torch.device('cuda')``, or the ``'cuda' if ... else 'cpu'`` choice
        (a guard picks CUDA on exactly the machines where a forked worker then raises)."""
        binding = self.model.lookup(name.value)
        reaching = binding.paths() if binding is not None else ()
        return bool(reaching) and all(
            path.kind == "assign" and path.value is not None and self._cuda_choice(path.value) for path in reaching
        )

    def _cuda_choice(self, value: cst.BaseExpression) -> bool:
        """A CUDA device, or a choice that picks one wherever CUDA is there."""
        model = self.model
        choice = cuda_when_available(model, value)
        if choice is not None:
            return cuda_device(model, choice.on_cuda) is not None
        return cuda_device(model, value) is not None

    def visit_Return(self, node: cst.Return) -> None:
        """A device tensor that the class made elsewhere, handed out by worker code."""
        if node.value is None:
            return
        where = self._worker_code()
        if where is None:
            return
        for part in _returned_parts(node.value):
            attribute = _self_attribute_read(part)
            if attribute is None:
                continue
            value = self.model.value_of(part)
            if value.kind is Kind.TENSOR and value.on_device is True:
                self.report(part, self.returned_message.format(attribute=attribute, where=where),
                            evidence=value.evidence)

    def _worker_code(self) -> str | None:
        """What worker code the current point is in, as the message names it; else None."""
        function = self.model.function
        if function is None:
            return None
        name = function.name.value
        if name in WORKER_FUNCTIONS or name in self._passed:
            return f"`{name}` (a DataLoader worker runs it)"
        cls = self.model.enclosing_class
        if name in WORKER_METHODS and cls is not None and self._is_dataset(cls):
            return f"`{cls.name.value}.{name}` (DataLoader workers run it)"
        return None

    def _is_dataset(self, cls: cst.ClassDef) -> bool:
        return any(not self.model.qualnames(base.value).isdisjoint(DATASET_BASES) for base in cls.bases)


def _returned_parts(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """What a ``return`` hands out: the value, or each element of a tuple, list or dict display."""
    if type(value) is cst.Tuple or type(value) is cst.List:
        return [e.value for e in value.elements if type(e) is not cst.StarredElement]
    if type(value) is cst.Dict:
        return [e.value for e in value.elements if type(e) is cst.DictElement]
    return [value]


def _self_attribute_read(expr: cst.BaseExpression) -> str | None:
    """``self.frames`` or ``self.frames[index]``, as written; else None."""
    while type(expr) is cst.Subscript:
        expr = expr.value
    if type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == "self":
        return f"self.{expr.attr.value}"
    return None
