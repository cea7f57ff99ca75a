"""``torchbridge server``: the language server (LSP over standard input and output).

Built on pygls and lsprotocol (``pip install 'torchbridge[server]'``), as a thin adapter
over the engine and the fixer: ``session`` holds the state and the answers, ``analysis``
what it asks of the engine, ``documents`` the open texts, ``settings`` the configuration,
``convert`` the LSP shapes. README, "Editors", has each editor's configuration.
"""

from __future__ import annotations

import logging
import sys

INSTALL_HINT = "pip install 'torchbridge[server]'"


class _OneLine(logging.Formatter):
    """Log records on standard error as one line each, without tracebacks (pygls puts some
    in its messages too): the editor shows that stream in its log, and the first line says
    what went wrong."""

    def format(self, record: logging.LogRecord) -> str:
        lines = record.getMessage().strip().splitlines()
        return f"torchbridge server: {record.levelname}: {lines[0] if lines else ''}"


def missing_requirements() -> list[str]:
    missing = []
    for name in ("pygls", "lsprotocol"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    return missing


def serve() -> int:
    """Serve one client over standard input and output until it says ``exit``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    from .heap import HEAP
    from .session import create_server

    server, session = create_server()
    HEAP.manage()  # the collector's full passes leave the modules and the trees alone
    server.start_io()
    # LSP: exit after shutdown is a clean end (0); exit without it, or a lost client, is not (1).
    return 0 if session.shut_down else 1
