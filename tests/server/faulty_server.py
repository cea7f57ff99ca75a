"""The real language server, with the engine wrapped to raise on a document holding
``# CRASH HERE``: how the tests meet an internal error on demand. Nothing else differs."""

from __future__ import annotations

import sys

from torchbridge.server import analysis, serve

_lint = analysis.lint_source


def _crashing(source, *args, **kwargs):
    if "# CRASH HERE" in getattr(source, "text", source):
        raise RuntimeError("a bug planted by the test")
    return _lint(source, *args, **kwargs)


analysis.lint_source = _crashing
sys.exit(serve())
