"""torchbridge: a linter with autofixes for the NumPy <-> PyTorch boundary and device handling."""

from __future__ import annotations

from collections.abc import Sequence

from .finding import Finding

__version__ = "0.1.0"
__all__ = ["Finding", "__version__", "check_source"]


def check_source(
    source: str,
    *,
    filename: str = "<string>",
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
) -> list[Finding]:
    """Check Python source text and return its findings, sorted by position.

    ``select`` and ``ignore`` take rule codes or prefixes (``"TNP3"``, ``"TNP301"``); by
    default the rules that are on by default run. ``# noqa`` comments are honoured. A file
    that cannot be checked (a syntax error, say) gives one finding whose ``code`` is None.
    Raises ``ValueError`` for an unknown code or prefix.
    """
    from .engine import lint_source
    from .selection import Selection, validate_selectors

    chosen = validate_selectors(select, "select") if select is not None else None
    ignored = validate_selectors(ignore or (), "ignore")
    rules = Selection(select=chosen, ignore=ignored).rules()
    return lint_source(source, filename, rules)
