"""The memo of pure subtree scans (``model.memo``): what it keeps, for how long, and the scans
that use it giving what a scan from nothing gives."""

from __future__ import annotations

import libcst as cst

from torchbridge.engine.incremental import parse, reparse
from torchbridge.model import attributes
from torchbridge.model.attributes import OutsideWrites
from torchbridge.model.memo import NO_MEMO, SubtreeMemo


def test_a_result_is_kept_for_the_same_object_only() -> None:
    memo = SubtreeMemo()
    node, twin = cst.parse_expression("a + 1"), cst.parse_expression("a + 1")
    computed: list[str] = []
    memo.begin()
    assert memo.of_node("scan", node, lambda: computed.append("node") or 1) == 1
    assert memo.of_node("scan", node, lambda: computed.append("again") or 2) == 1
    assert memo.of_node("scan", twin, lambda: computed.append("twin") or 3) == 3  # equal, but another tree
    assert memo.of_node("other", node, lambda: computed.append("other") or 4) == 4  # another computation
    assert computed == ["node", "twin", "other"]


def test_what_a_check_did_not_ask_for_is_dropped_when_the_next_begins() -> None:
    memo = SubtreeMemo()
    kept, dropped = cst.parse_expression("a"), cst.parse_expression("b")
    memo.begin()
    memo.of_node("scan", kept, lambda: 1)
    memo.of_node("scan", dropped, lambda: 2)
    memo.of_text("runs", "x = 1\n", lambda: 3)
    memo.begin()
    assert memo.of_node("scan", kept, lambda: 10) == 1  # asked again: kept
    assert memo.of_text("runs", "x = 1\n", lambda: 30) == 3  # an equal text is the same key
    memo.begin()
    memo.begin()
    assert len(memo) == 0
    assert memo.of_node("scan", dropped, lambda: 20) == 20


def test_no_memo_keeps_nothing() -> None:
    node = cst.parse_expression("a")
    assert NO_MEMO.of_node("scan", node, lambda: 1) == 1
    assert NO_MEMO.of_node("scan", node, lambda: 2) == 2
    assert len(NO_MEMO) == 0


MODULE = '''\
class Base:
    def __init__(self):
        self.a = 1

class Child(Base):
    def run(self):
        self.b = 2

other = Child()
other.c = 3
'''


def answers(writes: OutsideWrites, module: cst.Module) -> dict[str, object]:
    classes = [s for s in module.body if isinstance(s, cst.ClassDef)]
    return {c.name.value: (writes.of(c), writes.related(c.name.value)) for c in classes}


def test_outside_writes_from_the_memo_are_those_of_a_scan_from_nothing(monkeypatch) -> None:  # noqa: ANN001
    memo = SubtreeMemo()
    parsed = parse(MODULE)
    memo.begin()
    answers(OutsideWrites(parsed.module, memo), parsed.module)
    scanned: list[cst.CSTNode] = []
    real = attributes._writes_of

    def counting(statement: cst.BaseStatement) -> OutsideWrites:
        scanned.append(statement)
        return real(statement)

    monkeypatch.setattr(attributes, "_writes_of", counting)
    for after in (MODULE.replace("other.c = 3", "other.c = 3\nsetattr(other, 'd', 4)"),
                  MODULE.replace("class Child(Base)", "class Child")):
        parsed, outcome = reparse(parsed, after)
        assert outcome.kind == "partial"
        memo.begin()
        scanned.clear()
        remembered = answers(OutsideWrites(parsed.module, memo), parsed.module)
        assert len(scanned) == outcome.reparsed  # only the statements the edit re-parsed
        assert remembered == answers(OutsideWrites(parsed.module), parsed.module)
