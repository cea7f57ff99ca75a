"""Keeping the cyclic garbage collector's full passes off the checks after an edit.

The server keeps every open document's syntax tree from one check to the next (the
incremental parse starts from it): tens of thousands of objects for a 2,000-line file, on
top of the 120,000 or so that the modules themselves hold (LibCST's, lsprotocol's and the
rules' classes). CPython's collector rescans all of them in each full pass, and a check
after an edit sets one off every twenty to forty edits: 35 ms for the tree alone and about
150 ms with the modules' objects, on a loaded 2-core machine, added to that edit's latency.

So the real server process (``manage``, from ``serve``) freezes (``gc.freeze``) what is alive
after each check: a frozen object is freed as ever when its last reference goes (the trees
hold no reference cycles, and a check leaves no cyclic garbage: each model breaks its own
cycles, ``SemanticModel.close``), but the collector no longer scans it. The freeze comes
after the young pass that the engine sets off when it turns the collector back on after
its walk: that pass frees the cyclic garbage the main thread made meanwhile (handling
each ``didChange`` in pygls). With the collector off for the whole check, freezing that garbage grew
the server from 92 to 203 MiB over 10,000 edits; as it is, 92 to 95 MiB. What may still hold
a cycle (an exception's traceback on the main thread, say) would stay frozen, so every
``FULL_PASS_EVERY`` checks the heap is thawed and collected in full once before it is frozen
again: the full passes are as thorough, and about eight times rarer.

Outside ``serve`` (the tests, the API) nothing is frozen.
"""

from __future__ import annotations

import gc

FULL_PASS_EVERY = 256  # checks


class Heap:
    def __init__(self) -> None:
        self.managed = False
        self.checks = 0

    def manage(self) -> None:
        """From now on, freeze after each check; first, what the start left."""
        self.managed = True
        gc.collect()
        gc.freeze()

    def after_check(self) -> None:
        if not self.managed:
            return
        self.checks += 1
        if self.checks % FULL_PASS_EVERY == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()


HEAP = Heap()
