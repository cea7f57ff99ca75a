"""Results of pure computations over syntax subtrees, kept from one check of a document to the next.

The language server re-parses only the statements an edit touched (``engine.incremental``):
every other statement keeps its LibCST tree object. A computation whose result depends on
nothing but one subtree (which names a function body assigns, which attributes a
statement writes) gives the same result for the same object, so the next check can take
it from here instead of scanning the subtree again. Only such computations may be kept:
each caller says, where it asks, why its result depends on the subtree alone.

Entries are keyed by the node's ``id`` and hold the node itself, so that an ``id`` cannot be
reused by another object while its entry lives. A check keeps what it asked for; what the
check before it computed and this one did not ask for is dropped when the next one begins
(``begin``), so the memo holds at most the nodes of two consecutive trees.

Outside the server, a check gets ``NO_MEMO``, which computes every time and keeps nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class SubtreeMemo:
    """What a document's checks computed, by computation and subtree (or by text)."""

    def __init__(self) -> None:
        self._current: dict[tuple[str, Hashable], tuple[object, Any]] = {}
        self._previous: dict[tuple[str, Hashable], tuple[object, Any]] = {}

    def begin(self) -> None:
        """A new check starts: what the last one did not ask for is dropped."""
        self._previous, self._current = self._current, {}

    def of_node(self, what: str, node: object, compute: Callable[[], T]) -> T:
        """``compute()``, a pure function of the subtree ``node``, for that very object."""
        return self._get((what, id(node)), node, compute)

    def of_text(self, what: str, text: str, compute: Callable[[], T]) -> T:
        """``compute()``, a pure function of ``text``, for an equal text."""
        return self._get((what, text), None, compute)  # the key holds the text itself

    def _get(self, key: tuple[str, Hashable], holder: object, compute: Callable[[], T]) -> T:
        """``holder``: the node whose ``id`` is in ``key``, kept alive with the entry."""
        entry = self._current.get(key)
        if entry is None:
            entry = self._previous.pop(key, None)
            if entry is None or entry[0] is not holder:
                entry = (holder, compute())
            self._current[key] = entry
        result: T = entry[1]
        return result

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)


class _NoMemo(SubtreeMemo):
    """Computes every time (a check with no later check to share with)."""

    def _get(self, key: tuple[str, Hashable], holder: object, compute: Callable[[], T]) -> T:
        return compute()


NO_MEMO: SubtreeMemo = _NoMemo()
