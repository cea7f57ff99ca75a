"""``torchbridge.finding.Finding``, where the public API has always offered it; it lives in ``diagnostics``."""

from .diagnostics.finding import Finding

__all__ = ["Finding"]
