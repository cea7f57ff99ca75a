"""TNP401 per-sample-device-transfer: the rule, its fix contract entries and its examples.

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
from ...diagnostics.fix import FixSpec
from ...model.names import (
    device_argument,
    first_argument,
    identifier_words,
    keyword_argument,
    names_in,
)
from ...model.semantic import SemanticModel
from ...model.values import Kind
from ..base import Invalid, Rule, Valid
from ..device.tnp305_cuda_in_dataset import DATASET_BASES
from ..explain import quote
from ..numpy_to_torch.converters import ARRAY_CONVERTERS

# torch calls that convert and place in one step: torch.tensor(x, device=dev).
_PLACING_CONVERTERS = frozenset({"torch.tensor", "torch.as_tensor", "torch.asarray"})
_DEVICE_WORDS = ("device", "dev", "cuda", "gpu")


# The fix contract's entries for this rule's fixes (reference/fix-contract.md); the law they
# obey is diagnostics.contract's.
BATCH = ContractEntry(
    key="TNP401/batch",
    rewrite="move the whole batch once, where it is built, instead of each sample in the loop",
    applicability=Applicability.DISPLAY,
    preconditions=(Precondition(F, "whether the samples can be batched (same shape, dtype) is not provable"),),
    expect={"cpu": Verdict.NOT_VERIFIABLE},
    note="Shown as a suggestion; never applied.",
    title="Move the batch to the device once, outside the loop (stack the samples first)",
)


class PerSampleDeviceTransfer(Rule):
    """
    ## What it does
    Finds a host-to-device transfer (`.to(device)`, `.cuda()`, `device=` in
    `torch.tensor` / `torch.as_tensor`) of one sample inside a loop or comprehension that
    runs once per sample.

    A loop runs once per sample when it iterates over an in-memory collection the model
    knows (a list, tuple, ndarray or tensor), when a comprehension takes all of a name that
    says it is a dataset (`[s.to(device) for s in train_dataset]`, not `train_dataloader`;
    a `for` loop over one may be reading a stream of frames, one per step), over `range(len(xs))` (or `range(xs.shape[0])`,
    `range(xs.size(0))`, `range(min(n, len(xs)))`, with a start or a step too) reading
    `xs[i]`, or reads `dataset[i]`; a torch `Dataset`'s `__getitem__` runs once per sample
    too. The parts of one sample that an inner loop or comprehension takes in turn (`{k:
    v.to(device) for k, v in sample.items()}`, `for v in xs[i]`) are moved once per sample
    as well. The conversion on the way
    may be any constructor (`torch.Tensor(s).to(dev)`, `torch.from_numpy(s).cuda()`), and
    the finding stands beside another rule's on the same call (TNP302's unguarded
    `.cuda()`, TNP305's CUDA in a worker). The once-per-batch `.to(device)` in a loop over a DataLoader, over a dict's
    items or over anything unknown is not reported, nor is a loop variable named for a
    batch, nor a `for` loop whose body ends by asserting the step's result (`assert
    m.compute() == expected`, `self.assertEqual(...)`, `np.testing.assert_allclose(...)` as
    its last statement): it tests behaviour step by step, such as a streaming metric checked
    after each update, so each step's transfer is part of what is tested and batching the
    inputs would remove the checks between them (an assertion before the work, `assert
    x.ndim == 3`, validates the samples, and the loop is still reported). Nor is a sample that already lives on a device (an element of a tensor or of a
    list of tensors moved there): that loop copies nothing from the host, and what it does
    cost (a same-device `.to` returns its input; reading device scalars back waits for the
    device) is not what this rule's message says.

    The pieces of `torch.split`, `torch.chunk` and `torch.tensor_split` (and the methods) are
    batches, not samples: splitting bounds the memory each step needs, and a tensor handed in
    may already be on the device. They count as samples only when the split size is
    literally 1 along the first dimension and the tensor split is proven to be on the host
    (made from an ndarray, by a factory without a device, by `.cpu()`). A loop over a
    tensor itself, or over its `unbind`, takes its rows one at a time, as before.

    ## Why is this bad?
    Every transfer pays a fixed cost: a copy launch and, for a blocking `.to()`, a stream
    synchronisation. Measured on one H100 (torch 2.11): moving 65,536 samples of 16 floats one
    at a time took 1,084 ms; stacking them on the host and moving once took 16 ms; moving a
    batch that was already stacked took 0.38 ms, and 0.09 ms from pinned memory with
    `non_blocking=True`. About 16 µs per transfer, whatever its size: ruinous for small
    samples, negligible for large ones (256 images of 3x224x224: the loop took 24 ms, and
    stacking first was slower, 57 ms, because stacking is one more full copy).

    So the remedy is to batch at the source: let a `DataLoader` with a `batch_size` (and
    `pin_memory=True`) build the batches, and move each batch once. Stacking tensors that
    are already separate only pays where samples are small.

    ## Example
    ```python
    import numpy as np
    import torch

    samples = [np.random.rand(16) for _ in range(65536)]
    inputs = [torch.from_numpy(s).to("cuda") for s in samples]
    ```

    ## Use instead
    ```python
    import numpy as np
    import torch

    samples = np.random.rand(65536, 16)
    inputs = torch.from_numpy(samples).pin_memory().to("cuda", non_blocking=True)
    ```

    ## Fix safety
    The suggestion is shown, never applied. Batching is legal only when no iteration depends on an earlier one, the source
    is not mutated in the loop, the samples stack, the batch fits in device memory, the
    loop has no early exit and no observable side effects, and nothing relies on each
    sample owning its storage; a linter cannot prove that.

    ## References
    - [A guide on good usage of `non_blocking` and `pin_memory()`](https://docs.pytorch.org/tutorials/intermediate/pinmem_nonblock.html)
    - [`torch.utils.data.DataLoader`](https://docs.pytorch.org/docs/stable/data.html)
    """

    code = "TNP401"
    name = "per-sample-device-transfer"
    message = (
        "`{sample}` is one sample of {where} at line {{line}}: one host-to-device transfer per "
        "sample (about 16 µs each); batch at the source and move each batch once"
    )
    category = "performance"
    requires_text = (".to(", ".cuda(", "device=")
    needs_values = True
    contract = (BATCH,)
    VALID = [
        Valid(
            """
            import torch
            def train(loader, model, device):
                for batch in loader:  # a DataLoader gives batches
                    x, y = batch
                    model(x.to(device))
            """
        ),
        Valid(
            """
            import torch
            def move(batch: dict, device):
                return {k: v.to(device) for k, v in batch.items()}  # fields, not samples
            """
        ),
        Valid(
            """
            import torch
            samples = [torch.zeros(3) for _ in range(8)]
            cast = [s.to(torch.float16) for s in samples]  # a dtype, not a device
            """
        ),
        Valid(
            """
            import torch
            def schedule(device):
                timesteps = torch.linspace(0, 999, 50, device="cuda")
                return [t.to(device) for t in timesteps]  # scalars already on the GPU
            """
        ),
        Valid(
            """
            import torch
            def caption(features, device):
                for feature in torch.split(features, 1):  # not proven on the host
                    yield feature.to(device)
            """
        ),
        Valid(
            """
            import numpy as np
            import torch
            def upload(points: np.ndarray, device):
                for chunk in torch.split(torch.from_numpy(points), 1024):  # batches
                    yield chunk.to(device)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import torch
            samples = [np.zeros(16) for _ in range(1024)]
            inputs = [torch.from_numpy(s).to("cuda") for s in samples]
            """,
            findings=[(4, 11)],
            applicability=Applicability.DISPLAY,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
        Invalid(
            """
            import numpy as np
            import torch
            def upload(images: np.ndarray, device):
                out = []
                for i in range(len(images)):
                    out.append(torch.tensor(images[i], device=device))
                return out
            """,
            findings=[(6, 20)],
            applicability=Applicability.DISPLAY,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
        Invalid(
            """
            import numpy as np
            import torch
            def upload(points: np.ndarray, device):
                rows = torch.from_numpy(points).split(1)
                return [row.to(device) for row in rows]
            """,
            findings=[(5, 13)],
            applicability=Applicability.DISPLAY,
            expect={"cpu": Verdict.NOT_VERIFIABLE},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        model = self.model
        moved = _moved_value(model, node)
        if moved is None:
            return
        data, converted = moved
        loop = model.one_sample(data)
        indexed = loop is not None and loop.index is not None
        where, evidence = "the loop", loop.node if loop is not None else None
        if loop is None:
            getitem = self._dataset_getitem()
            if getitem is None or any("batch" in word for word in identifier_words(data)):
                return
            where, evidence = f"`{getitem[0]}.__getitem__`", getitem[1]
            indexed = _reads_index(data, getitem[1])
        if model.value_of(data).on_device:
            return  # already on a device: the loop moves nothing from the host
        # A tensor moved whole must be proven one (not a module, not a tokenizer's output);
        # a conversion's input, xs[i] of known data and dataset[i] are data by construction.
        if converted or indexed or model.value_of(data).kind is Kind.TENSOR:
            self.report(node, self.message.format(sample=quote(data), where=where), evidence=evidence,
                        fix=FixSpec(BATCH, ()))

    def _dataset_getitem(self) -> tuple[str, cst.FunctionDef] | None:
        """Inside ``__getitem__`` of a torch Dataset, which runs once per sample: the class's
        name and the method."""
        function, cls = self.model.function, self.model.enclosing_class
        if function is None or cls is None or function.name.value != "__getitem__":
            return None
        if not any(not self.model.qualnames(base.value).isdisjoint(DATASET_BASES) for base in cls.bases):
            return None
        return cls.name.value, function


def _moved_value(model: SemanticModel, call: cst.Call) -> tuple[cst.BaseExpression, bool] | None:
    """What ``call`` moves to a device (the receiver of ``.cuda()`` / ``.to(device)``, or the
    data of ``torch.tensor(data, device=device)``) and whether it converts on the way."""
    func = call.func
    if type(func) is cst.Attribute:
        # torch.Tensor(s).to(dev), torch.from_numpy(s).cuda(): a conversion, then the move
        receiver = func.value
        converts = type(receiver) is cst.Call and bool(model.qualnames(receiver.func) & ARRAY_CONVERTERS)
        if func.attr.value == "cuda":
            return receiver, converts
        if func.attr.value == "to":
            target = device_argument(call)
            return (receiver, converts) if target is not None and _is_device(model, target) else None
    if model.qualnames(func) & _PLACING_CONVERTERS:
        device = keyword_argument(call, "device")
        data = first_argument(call)
        if device is not None and data is not None and _is_device(model, device):
            return data, True
    return None


def _reads_index(data: cst.BaseExpression, getitem: cst.FunctionDef) -> bool:
    """``self.items[index]``: a subscript with ``__getitem__``'s index in it, one sample."""
    params = getitem.params.params
    if len(params) < 2 or type(data) is not cst.Subscript:
        return False
    index = params[1].name.value
    return any(type(e.slice) is cst.Index and index in names_in(e.slice.value) for e in data.slice)


def _is_device(model: SemanticModel, expr: cst.BaseExpression) -> bool:
    """An accelerator device: not 'cpu', not a dtype; one the model knows, or a name that
    says it is one (``device``, ``self.device``, ``args.dev``)."""
    value = model.value_of(expr)
    if value.kind is Kind.DTYPE:
        return False
    placement = model.placement_of(expr)
    if placement is not None:
        return placement
    if value.kind is Kind.DEVICE:
        return True  # current_accelerator(), get_default_device(): not shown to be the CPU
    return any(word in _DEVICE_WORDS or word.endswith("device") for word in identifier_words(expr))
