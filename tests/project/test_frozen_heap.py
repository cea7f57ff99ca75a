"""A command-line run takes the code it loaded out of the cyclic collector's reach while it
checks files, and gives it back after."""

from __future__ import annotations

import gc

from torchbridge.project import runner
from torchbridge.project.discovery import Target


def test_frozen_while_files_are_checked_and_given_back_after() -> None:
    assert gc.get_freeze_count() == 0
    with runner._loaded_code_frozen(True):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_nothing_frozen_when_nothing_is_checked() -> None:
    with runner._loaded_code_frozen(False):
        assert gc.get_freeze_count() == 0


def test_given_back_when_a_check_fails() -> None:
    def failing(target: Target) -> list[object]:
        assert gc.get_freeze_count() > 0
        raise KeyboardInterrupt

    try:
        with runner._loaded_code_frozen(True):
            runner.run_all([object()], 1, failing, lambda target, why: [])  # type: ignore[list-item]
    except KeyboardInterrupt:
        pass
    assert gc.get_freeze_count() == 0
