"""The device fix TNP301 and TNP302 share: use a device chosen at run time.

Safe when the module already has its cuda-or-cpu device variable (bound once, at module
level, before the use, never rebound or shadowed) and the receiver is a tensor or a module;
unsafe when the variable has to be inserted (import-time ``is_available()`` is process-wide
state) or the receiver is unknown. An indexed device (``'cuda:1'``, ``.cuda(1)``) is never
rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import libcst as cst

from ...diagnostics.contract import (
    DEVICE_VARIABLE,
    DEVICE_VARIABLE_UNPROVEN,
    INSERT_ACCELERATOR,
    INSERT_DEVICE,
    INSERT_DEVICE_STRING,
)
from ...diagnostics.fix import FixSpec, Hole, NodeEdit, insert_line_after
from ...model.cuda_guards import cuda_when_available
from ...model.names import string_value
from ...model.semantic import SemanticModel
from ...model.values import Kind
from ..base import RuleContext
from ..imports import later_import, module_reference, new_line_after_header
from ..probe import probe
from ..versions import ACCELERATOR, declared_older

INSERTED_NAME = "DEVICE"
# Builds the edits from the variable's name and whether it holds a torch.device (not a string).
EditsFor = Callable[[str, bool], tuple[NodeEdit, ...] | None]


def device_fix(
    context: RuleContext, edits_for: EditsFor, *, receiver_proven: bool, subject: cst.CSTNode,
    holes: Sequence[Hole] = (), use: str = "{}", as_string: bool = False,
) -> FixSpec | None:
    """The fix, and its probe: ``subject`` with ``holes``, used as ``use`` says. With
    ``as_string`` (the name is also read as text) the device must stay a ``str``: only the
    module's bare-string variable, or an inserted one, will do."""
    model = context.model
    found = device_variable(model, context)
    if found is not None:
        name, holds_device = found
        edits = None if as_string and holds_device else edits_for(name, holds_device)
        if edits is None:
            return None
        chosen = DEVICE_VARIABLE if receiver_proven else DEVICE_VARIABLE_UNPROVEN
        # The verifier defines the variable as the module does, never by importing the module.
        definition = model.module_scope.bindings[name].node
        check = probe(model, subject, holes, use=use, prelude=[definition] if definition is not None else [])
        return FixSpec(chosen, edits, title=chosen.title.format(name=name), probe=check)
    inserted = _inserted_variable_fix(context, edits_for, as_string)
    if inserted is None:
        return None
    fix, torch = inserted
    return replace(fix, probe=probe(model, subject, holes, use=use, names={torch: "torch"}))


def _inserted_variable_fix(context: RuleContext, edits_for: EditsFor, as_string: bool) -> tuple[FixSpec, str] | None:
    """The fix that inserts the device variable, and the name torch has in that line."""
    model = context.model
    if INSERTED_NAME in context.words:
        return None  # the name is taken (or at least mentioned): never guess another
    reference = module_reference(model, "torch", in_header=True)
    edits = edits_for(INSERTED_NAME, not as_string)
    # torch.accelerator is not in a torch older than 2.6: the cuda form works there.
    accelerator = context.options.device_idiom == "accelerator" and not declared_older(
        context.options.torch_version, ACCELERATOR)
    if edits is None or (as_string and accelerator):
        return None  # no string form of the accelerator idiom is inserted
    after: cst.BaseStatement | None = None  # None: after the leading imports
    if reference is None:
        later = later_import(model, "torch")  # torch imported after some set-up code
        if later is None:
            return None
        reference, after = (later[0], ()), later[1]
    torch, imports = reference
    if as_string:
        chosen = INSERT_DEVICE_STRING
        value = f'"cuda" if {torch}.cuda.is_available() else "cpu"'
    elif accelerator:
        chosen = INSERT_ACCELERATOR
        value = (f"{torch}.accelerator.current_accelerator() if {torch}.accelerator.is_available() "
                 f'else {torch}.device("cpu")')
    else:
        chosen = INSERT_DEVICE
        value = f'{torch}.device("cuda" if {torch}.cuda.is_available() else "cpu")'
    # A blank line after the imports, as isort and Ruff's isort rules want one.
    line = f"\n{INSERTED_NAME} = {value}"
    statement = new_line_after_header(model, line) if after is None else insert_line_after(after, line)
    if statement is None:
        return None
    return FixSpec(chosen, (*imports, statement, *edits)), torch


def device_variable(model: SemanticModel, context: RuleContext) -> tuple[str, bool] | None:
    """The module's ``NAME = torch.device("cuda" if torch.cuda.is_available() else "cpu")``
    (or its bare-string form) that the current point sees: its name, and whether it holds a
    ``torch.device``."""
    for name, binding in model.module_scope.bindings.items():
        if binding.kind != "assign" or binding.value is None:
            continue
        form = _cuda_or_cpu(model, binding.value)
        if form is None or model.module_assignment_count(name) != 1 or model.module_imports(name):
            continue  # bound more than once (an import counts)
        if model.lookup(name) is not binding or name in context.declared_names:
            continue  # shadowed here, or written by a function
        return name, form == "device"
    return None


def _cuda_or_cpu(model: SemanticModel, value: cst.BaseExpression) -> str | None:
    """``"string"`` for ``"cuda" if torch.cuda.is_available() else "cpu"``, ``"device"`` for
    ``torch.device(<that>)``; None for anything else (the ``torch.accelerator`` forms
    included: they pick MPS or XPU)."""
    choice = cuda_when_available(model, value)
    if choice is None or string_value(choice.on_cuda) != "cuda" or string_value(choice.otherwise) != "cpu":
        return None
    return "device" if choice.as_device else "string"


def receiver_is_proven(model: SemanticModel, func: cst.BaseExpression) -> bool:
    """For a method call (``x.cuda()``, ``x.to('cuda')``): ``x`` is a tensor or a module.
    A torch function has no receiver to prove."""
    if type(func) is not cst.Attribute or model.qualnames(func):
        return True
    return model.value_of(func.value).kind in (Kind.TENSOR, Kind.MODULE)
