"""The pre-scan of an edited text, scanning only around the edit.

The language server pre-scans every text before a check (``engine.prescan``: LibCST's
parser must never see what could crash it), and over a 2,000-line file that whole scan
costs as much as the rest of the check outside the walk. ``prescan_from`` gives exactly
``prescan(text)`` for a text whose previous version passed the scan, by scanning only from
a restart before the edit to a restart after it.

Why that is the same scan. The scan is one left-to-right pass of a regular expression over
the text with a small state (open brackets, chain lengths, nested lambdas); a *restart* is a
place where the pass resumes its search after a newline outside brackets, so the state there
is fresh. Two passes over texts that agree on a stretch make the same matches there as long
as every attempt of the expression reads only that stretch:

- **before the edit.** Every attempt reads at most a few characters past where it starts,
  or past the end of its match (a keyword's ``\\b``, a quote's look-ahead), except two that
  can read lines ahead before giving up: a quote that no string alternative takes, and three
  quotes that the triple-quoted alternative does not take. The scan notes the first of these
  (``Scan.anomaly``). So the pass over the edited text makes the previous pass's matches up
  to the last restart that lies ``MARGIN`` characters before the first changed one and no
  later than that anomaly, and reaches it in a fresh state: the scan starts there.
- **after the edit.** From a restart inside the unchanged tail (``MARGIN`` characters in),
  where the previous pass restarted at the same distance from the end, both passes read the
  same text from the same state, so they make the same matches to the end; the previous
  pass found nothing there, so the scan stops.

A verdict (a file too complex to parse) is found by the same pass, at the same match, with
its line counted in the whole text, so it is the whole scan's. Outside the server nothing
changes: ``prescan`` scans the whole text.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from .incremental import common_prefix, common_suffix
from .prescan import Scan, TooComplex, scan

# Farther than any attempt of the scan's expression reads past its start or its match's end
# (``lambda`` and its ``\b``: 7), anomalies aside.
MARGIN = 16


@dataclass(frozen=True)
class Prescanned:
    """A text the scan passed, with where its pass restarted (``Scan.restarts``) and its
    first anomaly (the text's length when it had none)."""

    text: str
    restarts: tuple[int, ...]
    anomaly: int


def prescan_from(previous: Prescanned | None, text: str) -> tuple[TooComplex | None, Prescanned | None]:
    """``prescan(text)``, and what the next text's scan can start from (None when ``text``
    failed the scan). ``previous``: an earlier text of the document that passed it."""
    if previous is None:
        return _recorded(text, scan(text, record=True), ())
    if previous.text == text:
        return None, previous
    old = previous.text
    prefix = common_prefix(old, text)
    suffix = common_suffix(old, text, min(len(old), len(text)) - prefix)
    delta = len(text) - len(old)
    restarts = previous.restarts
    # The last restart before the edit (and its first anomaly), or the text's start.
    kept = bisect_right(restarts, min(prefix - MARGIN, previous.anomaly))
    start = restarts[kept - 1] if kept else 0
    tail = len(text) - suffix + MARGIN  # from here on, the text is the previous one's, shifted

    def synchronised(at: int) -> bool:
        if at < tail:
            return False
        index = bisect_left(restarts, at - delta)
        return index < len(restarts) and restarts[index] == at - delta

    found = scan(text, start, record=True, stop=synchronised)
    if found.verdict is not None or found.stopped is None:
        return _recorded(text, found, restarts[:kept])
    # The previous pass's restarts after the edit, and the first anomaly where it is known.
    after = bisect_left(restarts, found.stopped - delta)
    shifted = tuple(at + delta for at in restarts[after:])
    if found.anomaly is not None:
        anomaly = found.anomaly
    elif previous.anomaly >= found.stopped - delta:
        anomaly = previous.anomaly + delta  # the unchanged tail's first one (or none)
    else:
        anomaly = found.stopped  # the tail's first one is not known: trust no restart past here
    return None, Prescanned(text, (*restarts[:kept], *found.restarts, *shifted), anomaly)


def _recorded(text: str, found: Scan, restarts: tuple[int, ...]) -> tuple[TooComplex | None, Prescanned | None]:
    """A scan that ran to the text's end (or to a verdict), after the ``restarts`` kept from
    the previous pass (the first anomaly is never among those: they lie before it)."""
    if found.verdict is not None:
        return found.verdict, None
    return None, Prescanned(text, (*restarts, *found.restarts), found.anomaly if found.anomaly is not None else len(text))
