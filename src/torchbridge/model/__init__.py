"""The semantic model: what names mean, what values are, and where code runs."""

from .guards import Polarity, mentions_cuda, polarity
from .names import dotted, string_value
from .scope import Binding, Scope
from .semantic import SemanticModel

__all__ = [
    "Binding", "Polarity", "Scope", "SemanticModel", "dotted", "mentions_cuda", "polarity",
    "string_value",
]
