"""The server's heap (``server.heap``): frozen after each check in the server process only,
and thawed for a full pass of the collector every ``FULL_PASS_EVERY`` checks."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from torchbridge.server import heap as heap_module
from torchbridge.server.heap import Heap


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process's objects go back to the collector


def test_outside_the_server_process_nothing_is_frozen() -> None:
    heap = Heap()
    heap.after_check()
    assert gc.get_freeze_count() == 0


def test_what_a_check_leaves_is_frozen_and_a_full_pass_comes_every_so_many_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap_module, "FULL_PASS_EVERY", 3)
    heap = Heap()
    heap.manage()
    assert gc.get_freeze_count() > 0
    kept = [object() for _ in range(10)] + [[] for _ in range(1000)]  # tracked objects a check keeps
    before = gc.get_freeze_count()
    heap.after_check()
    assert gc.get_freeze_count() >= before + 1000
    passes: list[int] = []

    def collected(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            passes.append(info["generation"])

    gc.callbacks.append(collected)
    try:
        heap.after_check()
        assert 2 not in passes
        heap.after_check()  # the third: a full pass, over what was frozen too
        assert passes.count(2) == 1
    finally:
        gc.callbacks.remove(collected)
    assert gc.get_freeze_count() > 0 and kept
