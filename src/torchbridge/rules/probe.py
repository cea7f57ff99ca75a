"""Building a fix's probe: the code the verifier runs before and after the fix."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from ..diagnostics.fix import Hole, Probe
from ..model.semantic import SemanticModel
from ..model.tree import children
from ..model.values import Value

# The verifier provides torch under this name for ``use`` templates.
TORCH = "_torch"
AS_A_DEVICE = TORCH + ".zeros(2).to({})"
# A device name also read as text (``'cuda' in device``): a torch.device there raises TypeError.
AS_A_STRING_AND_DEVICE = '("cuda" in {0}, ' + AS_A_DEVICE.replace("{}", "{0}") + ")"
# Run the snippets as statements; compare what the holes hold afterwards.
STATEMENT = "exec"


def facts(value: Value) -> dict[str, object]:
    return {
        "kind": value.kind.value, "layout": value.layout.value, "ndim": value.ndim,
        "grad": value.grad, "on_device": value.on_device,
    }


def hole(model: SemanticModel, node: cst.BaseExpression, role: str) -> Hole:
    return Hole(node, role, facts(model.value_of(node)))


def probe(
    model: SemanticModel, subject: cst.CSTNode, holes: Sequence[Hole] = (), *, use: str = "{}",
    prelude: Sequence[cst.CSTNode] = (), names: dict[str, str] | None = None,
) -> Probe:
    """A probe whose free names (outside the holes) are mapped to what they import here;
    ``names`` adds the ones inserted code uses."""
    skip = {id(h.node) for h in holes}
    names = dict(names or {})
    pending: list[cst.CSTNode] = [subject, *prelude]
    while pending:
        node = pending.pop()
        if id(node) in skip:
            continue
        if type(node) is cst.Name:
            found = model.qualnames(node)
            if len(found) == 1:
                names[node.value] = next(iter(found))
            continue
        if type(node) is cst.Attribute:
            pending.append(node.value)  # ``x.attr``: the attribute's name is not free
            continue
        if type(node) is cst.Arg:
            pending.append(node.value)  # nor is a keyword's
            continue
        pending.extend(children(node))
    return Probe(subject, tuple(holes), use, tuple(prelude), tuple(sorted(names.items())))
