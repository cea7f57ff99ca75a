"""What the project's declared ``torch-version`` (the oldest torch it supports) allows.

A fix to an API newer than the declared version would fail at import on the oldest torch
the project supports, so version-dependent rewrites ask here. Each minimum is cited where
it is used (the rule's documentation or contract entry), from the PyTorch docs of the
versions on either side of it.
"""

from __future__ import annotations

import re

AMP_API = (2, 4)  # torch.amp.GradScaler("cuda"), torch.amp.custom_fwd(device_type=...)
ACCELERATOR = (2, 6)  # torch.accelerator: is_available, current_accelerator, device_count, synchronize
ACCELERATOR_INDEX = (2, 7)  # torch.accelerator.current_device_index / set_device_index (2.6: *_idx)
ACCELERATOR_DEVICE_INDEX = (2, 8)  # the torch.accelerator.device_index context manager
ACCELERATOR_MEMORY = (2, 9)  # torch.accelerator.memory_allocated, empty_cache and the other statistics
NUMPY_FORCE = (1, 13)  # Tensor.numpy(force=True)


def at_least(declared: str | None, minimum: tuple[int, ...]) -> bool:
    """The declared version is ``minimum`` or newer; an undeclared one proves nothing."""
    if declared is None:
        return False
    parts = tuple(int(p) for p in re.findall(r"\d+", declared)[: len(minimum)])
    return parts >= minimum


def declared_older(declared: str | None, minimum: tuple[int, ...]) -> bool:
    """The project declares a torch older than ``minimum``: the API is not there."""
    return declared is not None and not at_least(declared, minimum)
