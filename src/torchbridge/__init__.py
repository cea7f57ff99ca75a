"""torchbridge: a linter with autofixes for the NumPy <-> PyTorch boundary and device handling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .diagnostics.finding import Finding
from .version import __version__

__all__ = ["Finding", "FixedSource", "__version__", "check_source", "fix_source"]


def check_source(
    source: str,
    *,
    filename: str = "<string>",
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    device_idiom: str = "cuda",
    torch_version: str | None = None,
) -> list[Finding]:
    """Check Python source text and return its findings, sorted by position.

    ``select`` and ``ignore`` take rule codes or prefixes (``"TNP3"``, ``"TNP301"``); by
    default the rules that are on by default run. ``# noqa`` comments are honoured. A file
    that cannot be checked (a syntax error, say) gives one finding whose ``code`` is None.
    ``device_idiom`` and ``torch_version`` shape the findings' fixes as in ``fix_source``.
    A ``filename`` whose folder exists places the text in its project: functions imported
    from the project's other modules are summarised (``docs/project-index.md``).
    Raises ``ValueError`` for an unknown code or prefix.
    """
    from .engine.lint import lint_source

    return lint_source(source, filename, _rules(select, ignore), options=_options(device_idiom, torch_version))


@dataclass(frozen=True)
class FixedSource:
    source: str  # the fixed source (the input itself when nothing was fixed)
    applied: list[Finding]  # the findings whose fixes were applied, pass by pass
    remaining: list[Finding]  # the findings of ``source``; a refused fix adds a ``fix-error`` diagnostic

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def fix_source(
    source: str,
    *,
    unsafe: bool = False,
    filename: str = "<string>",
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    device_idiom: str = "cuda",
    torch_version: str | None = None,
) -> FixedSource:
    """Apply fixes to Python source text until none applies, and return the result.

    Safe fixes are applied; with ``unsafe`` the unsafe ones too (the fix contract decides
    which is which). A result that would not compile, or fixes that do not settle, leave
    the source unchanged and add a ``fix-error`` diagnostic to ``remaining``.
    ``device_idiom="accelerator"`` makes inserted device variables use ``torch.accelerator``;
    ``torch_version`` is the oldest torch the code supports (``"2.4"``), as the
    ``torch-version`` setting declares it: fixes to newer APIs are safe only at or above it.
    """
    from .engine.source import from_text
    from .fixing.loop import fix_source_text

    result = fix_source_text(
        from_text(source), filename, _rules(select, ignore), unsafe=unsafe, options=_options(device_idiom, torch_version),
    )
    text = result.text if not source.startswith("\ufeff") else "\ufeff" + result.text
    remaining = [*result.remaining, *([result.error] if result.error is not None else [])]
    return FixedSource(text, list(result.applied), remaining)


def _options(device_idiom: str, torch_version: str | None):  # noqa: ANN202 - RuleOptions, imported lazily
    from .project.config import _VERSION
    from .rules import RuleOptions

    if device_idiom not in ("cuda", "accelerator"):
        raise ValueError(f"device_idiom: expected 'cuda' or 'accelerator', got {device_idiom!r}")
    if torch_version is not None and not _VERSION.match(torch_version):
        raise ValueError(f"torch_version: expected a version such as '2.4', got {torch_version!r}")
    return RuleOptions(device_idiom, torch_version)


def _rules(select: Sequence[str] | None, ignore: Sequence[str] | None) -> tuple:
    from .project.selection import Selection, validate_selectors

    chosen = validate_selectors(select, "select") if select is not None else None
    ignored = validate_selectors(ignore or (), "ignore")
    return Selection(select=chosen, ignore=ignored).rules()
