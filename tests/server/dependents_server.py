"""The real language server with a stand-in project index: every open document depends on
every other. Shows that the ``refresh dependents`` hook reaches the client, before the
real index exists."""

from __future__ import annotations

import sys

from torchbridge.server import serve
from torchbridge.server.session import Session


def _everyone_else(self: Session, unit_uri: str) -> list[str]:
    return [uri for uri in self._revisions if uri != unit_uri]


Session.dependents = _everyone_else  # type: ignore[method-assign]
sys.exit(serve())
