"""Output formats: one module each, each a ``render(findings, stream)`` function."""

from __future__ import annotations

from collections.abc import Callable

from . import json_format, text

Renderer = Callable[..., None]  # (findings, stream, *, unsafe=False, fixed=0)
FORMATS: dict[str, Renderer] = {"text": text.render, "json": json_format.render}
