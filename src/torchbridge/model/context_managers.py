"""Which ``with`` blocks always run to their end or raise: the context managers whose
``__exit__`` never swallows an exception.

A manager whose ``__exit__`` returns true swallows the exception (``contextlib.suppress``,
and any manager the model does not know: a user's class, a ``@contextmanager`` generator
that catches). After such a block the code goes on from whatever statement of the body
raised, so a name the body rebinds may hold its value from before, or from any statement
in between. Only the managers listed here are known to let every exception through;
tests/model/test_context_managers.py raises inside each one that installs here (the
standard library's, NumPy's and torch's) and checks that the exception comes out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from .semantic import SemanticModel

# Called to make the manager: ``with torch.no_grad():``, ``with open(path) as f:``.
PROPAGATING = frozenset({
    "builtins.open", "io.open", "contextlib.nullcontext", "warnings.catch_warnings",
    "tempfile.TemporaryDirectory", "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile",
    "numpy.errstate", "numpy.printoptions",
    "torch.no_grad", "torch.enable_grad", "torch.inference_mode", "torch.set_grad_enabled",
    "torch.autograd.no_grad", "torch.autograd.enable_grad", "torch.autograd.set_grad_enabled",
    "torch.autograd.inference_mode", "torch.autograd.set_detect_anomaly", "torch.autograd.detect_anomaly",
    "torch.autocast", "torch.amp.autocast", "torch.cuda.amp.autocast", "torch.cpu.amp.autocast",
    "torch.device", "torch.cuda.device", "torch.cuda.stream", "torch.random.fork_rng",
    "torch.profiler.profile", "torch.profiler.record_function",
    "torch.autograd.profiler.profile", "torch.autograd.profiler.record_function",
    # Not installed here; from the library's source: ``File.__exit__`` closes the file and
    # returns None (h5py/_hl/files.py, https://docs.h5py.org/en/stable/high/file.html).
    "h5py.File",
})

_BUILTINS = frozenset({"open"})


def may_swallow(model: SemanticModel, node: cst.With) -> bool:
    """Some manager of ``node`` may swallow an exception (it is not known to let every one through)."""
    return not all(_propagates(model, item.item) for item in node.items)


def _propagates(model: SemanticModel, manager: cst.BaseExpression) -> bool:
    if type(manager) is cst.IfExp:  # ``torch.no_grad() if eval else contextlib.nullcontext()``
        return _propagates(model, manager.body) and _propagates(model, manager.orelse)
    if type(manager) is not cst.Call:
        return False  # ``with lock:``, ``with ctx:``: an object the model does not follow here
    func = manager.func
    if type(func) is cst.Name and func.value in _BUILTINS and model.lookup(func.value) is None:
        return True
    return bool(model.qualnames(func)) and model.qualnames(func) <= PROPAGATING
