"""The rule API: a rule is a class with its code, name, documentation and examples.

A rule declares ``visit_<Node>`` / ``leave_<Node>`` methods like a LibCST visitor; the
engine dispatches them from its one lean walk, and the rule asks ``self.model`` what the
code means at that point. A rule reports with ``self.report(node, message)``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from ..diagnostics.contract import (
    DEVICE_ENTRIES,
    Applicability,
    ContractEntry,
    Verdict,
    fix_safety,
)
from .catalog import CATEGORIES
from .options import DEFAULT_MAX_FILE_SIZE, RuleOptions

__all__ = ["CATEGORIES", "DEFAULT_MAX_FILE_SIZE", "DOC_SECTIONS", "Invalid", "Rule", "RuleContext", "RuleOptions", "Valid"]

if TYPE_CHECKING:
    from ..diagnostics.fix import FixSpec
    from ..model.semantic import SemanticModel

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References")


@dataclass(frozen=True)
class Valid:
    """Code the rule must not report."""

    code: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", textwrap.dedent(self.code).lstrip("\n"))


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report, at the given (line, column) places, 1-based.

    ``fixed`` is the code after ``torchbridge fix --unsafe-fixes`` (None: the findings have
    no fix that can be applied), ``applicability`` the fix's (``safe``, ``unsafe``,
    ``display``), and ``expect`` the verifier's expected verdict per device, as the fix
    contract states them. ``torch_version`` is the ``torch-version`` the example's project
    declares (fixes to newer APIs depend on it).
    """

    code: str
    findings: Sequence[tuple[int, int]] = ()
    fixed: str | None = None
    applicability: Applicability | None = None
    expect: Mapping[str, Verdict] | None = None
    torch_version: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", textwrap.dedent(self.code).lstrip("\n"))
        if self.fixed is not None:
            object.__setattr__(self, "fixed", textwrap.dedent(self.fixed).lstrip("\n"))


@dataclass
class RuleReport:
    """A finding as a rule states it, on nodes: the engine turns it into a ``Finding`` once
    positions are known (``output.report.Report`` is what output formats are handed)."""

    rule: Rule
    node: cst.CSTNode
    message: str  # "{line}" in it becomes the evidence's line
    evidence: cst.CSTNode | None = None  # where the model learned what the message claims
    fix: FixSpec | None = None


_WORD = re.compile(r"\w+")
_DECLARATION = re.compile(r"\b(?:global|nonlocal)\b([^\n]*)")


@dataclass
class RuleContext:
    model: SemanticModel
    text: str = ""  # the source being checked
    options: RuleOptions = field(default_factory=RuleOptions)
    reports: list[RuleReport] = field(default_factory=list)

    # Read once per file, only by the files that ask: a scan of the text per finding made
    # a file with thousands of findings quadratic.
    @cached_property
    def words(self) -> frozenset[str]:
        """Every identifier-like word of the text (comments and strings included)."""
        return frozenset(_WORD.findall(self.text))

    @cached_property
    def declared_names(self) -> frozenset[str]:
        """The words on ``global`` and ``nonlocal`` lines: names a function may write."""
        return frozenset(word for rest in _DECLARATION.findall(self.text) for word in _WORD.findall(rest))


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]  # kebab-case
    message: ClassVar[str]  # the default message
    category: ClassVar[str]  # one of CATEGORIES
    default_enabled: ClassVar[bool] = True
    # The rule can only fire when one of these substrings is in the file (the prefilter).
    requires_text: ClassVar[tuple[str, ...]] = ("torch",)
    # And every one of these too (a rule about tensors handed to NumPy needs both imports).
    requires_also: ClassVar[tuple[str, ...]] = ()
    # Whether a needle may stand inside a string literal and still count (a device name:
    # ``'cuda'``); otherwise only the code counts, not strings or comments (engine.prefilter).
    requires_text_in_strings: ClassVar[bool] = False
    # A rule about code that breaks without CUDA says nothing in a module that cannot run
    # without CUDA anyway (it imports TensorRT, or pins its process to a GPU unguarded).
    silent_in_cuda_only_modules: ClassVar[bool] = False
    # The rule asks what values are (``model.value_of``): the model then follows them.
    needs_values: ClassVar[bool] = False
    # The fix contract's entries this rule's fixes meet, declared in the rule's module (the
    # device rules share ``contract.DEVICE_ENTRIES``); its "Fix safety" text comes from them.
    contract: ClassVar[tuple[ContractEntry, ...]] = ()
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A rule's contract names only entries of its own, or the shared device ones: a
        wrong one fails when the rule's module is imported."""
        super().__init_subclass__(**kwargs)
        code = cls.__dict__.get("code")
        for entry in cls.__dict__.get("contract", ()):
            if not isinstance(entry, ContractEntry):
                raise TypeError(f"{cls.__name__}.contract holds {entry!r}, not a ContractEntry")
            if entry.rule != code and entry not in DEVICE_ENTRIES:
                raise ValueError(f"{cls.__name__} ({code}) declares {entry.key}, another rule's entry")

    def __init__(self, context: RuleContext) -> None:
        self.context = context
        self.model = context.model

    def report(
        self, node: cst.CSTNode, message: str | None = None, evidence: cst.CSTNode | None = None,
        fix: FixSpec | None = None,
    ) -> None:
        self.context.reports.append(RuleReport(self, node, message or self.message, evidence, fix))

    @classmethod
    def documentation(cls) -> dict[str, str]:
        """The docstring's sections, by heading, in the order written; "Fix safety" ends with
        the text the fix contract gives for the rule's fixes."""
        sections = parse_doc_sections(cls.__doc__ or "")
        if cls.contract and "Fix safety" in sections:
            intro = sections["Fix safety"].strip()
            sections["Fix safety"] = (intro + "\n\n" if intro else "") + fix_safety(cls.contract)
        return sections

    @classmethod
    def summary(cls) -> str:
        what = cls.documentation().get("What it does", "")
        return " ".join(what.split("\n\n")[0].split())


_HEADING = re.compile(r"^## (.+?)\s*$", re.M)


def parse_doc_sections(doc: str) -> dict[str, str]:
    text = textwrap.dedent(doc).strip("\n")
    sections: dict[str, str] = {}
    matches = list(_HEADING.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        sections[match.group(1)] = text[match.end() : end].strip("\n")
    return sections
