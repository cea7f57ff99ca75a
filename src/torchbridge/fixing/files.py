"""Fixing files: read, fix, then write atomically or show a diff. One worker per file, as
in checking, so a crash costs only the file it was on."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..diagnostics.contract import in_words
from ..diagnostics.filenames import for_diff
from ..diagnostics.finding import (
    DECODE_ERROR,
    FIX_ERROR,
    INTERNAL_ERROR,
    WRITE_ERROR,
    Finding,
    diagnostic,
)
from ..engine.notebook import (
    Locator,
    NotebookError,
    cell_texts,
    from_module,
    is_notebook,
    read_notebook,
    to_module,
)
from ..engine.source import DecodeError, SourceText, decode, from_text, python_lines
from ..project.discovery import Target
from ..project.runner import read_target, run_all, sort_key
from ..project.writing import WriteError, write_atomically
from .loop import FixResult, fix_source_text


@dataclass(frozen=True)
class FixMode:
    unsafe: bool | None = None  # None: each file's settings decide (``unsafe-fixes``)
    diff: bool = False  # show what would change; write nothing
    verify: bool = False  # apply only the fixes the runtime verifier proves


@dataclass
class FileFixed:
    filename: str
    findings: list[Finding] = field(default_factory=list)  # what remains, and why a file was not fixed
    applied: list[tuple[str, str]] = field(default_factory=list)  # (code, fix title) of each applied fix
    diff: str = ""
    rejected: list[str] = field(default_factory=list)  # fixes ``--verify`` did not apply, and why


@dataclass(frozen=True)
class Document:
    """What the fixer edits, and how its fixed text goes back into the file."""

    source: SourceText
    encode: Callable[[str], bytes]  # the file's bytes; raises UnicodeEncodeError or NotebookError
    diff: Callable[[str], str]
    place: Callable[[Finding, str], Finding] = lambda finding, text: finding  # a finding of ``text``, in the file's positions
    line_names: Callable[[str], Callable[[int], str]] | None = None  # how messages name the lines of a text


def fix_file(target: Target, mode: FixMode) -> FileFixed:
    filename = str(target.path)
    data = read_target(target)
    if isinstance(data, Finding):
        return FileFixed(filename, [data])
    document = read_document(data, filename)
    if isinstance(document, Finding):
        return FileFixed(filename, [document])
    if document is None:
        return FileFixed(filename)
    source, place = document.source, document.place
    settings = target.settings
    unsafe = settings.unsafe_fixes if mode.unsafe is None else mode.unsafe
    accept = _verified if mode.verify else None
    result = fix_source_text(
        source, filename, settings.rules_for(target.path), unsafe=unsafe, options=settings.rule_options,
        accept=accept, line_names=document.line_names,
    )
    done = FileFixed(filename, [place(f, result.text) for f in result.remaining])
    done.rejected = [f"{place(f, result.text).location}: {f.code} not fixed: {why}" for f, why in _rejections(result)]
    if result.error is not None:
        done.findings.append(place(result.error, source.raw))
        return done
    if not result.changed:
        return done
    applied = [(f.code or "", f.fix.title if f.fix else "") for f in result.applied]
    # Nothing written on a refusal: what the file still holds is what the original check found.
    unchanged = [place(f, source.raw) for f in result.before]
    try:
        if mode.diff:
            done.diff = document.diff(result.text)
        else:
            write_atomically(target.path, document.encode(result.text))
    except (WriteError, UnicodeEncodeError, NotebookError) as exc:
        if isinstance(exc, NotebookError):
            return FileFixed(filename, [*unchanged, diagnostic(filename, FIX_ERROR, f"not fixed: {exc}; the file was left unchanged")])
        reason = str(exc) if isinstance(exc, WriteError) else f"not fixed: the fix cannot be written in {source.encoding}"
        return FileFixed(filename, [*unchanged, diagnostic(filename, WRITE_ERROR, reason)])
    done.applied = applied
    return done


def _rejections(result: FixResult) -> list[tuple[Finding, str]]:
    """Each fix the verifier turned down, once, where the finding is in the fixed text: a
    later pass may meet the same finding again (its fix changed: a device variable another
    fix inserted), at other lines."""
    latest = {_identity(finding): (finding, why) for finding, why in result.rejected}
    final = {_identity(finding): finding for finding in result.remaining}
    return [(final.get(key, finding), why) for key, (finding, why) in latest.items()]


def _identity(finding: Finding) -> tuple[str | None, str]:
    """What stays the same of a finding across passes: its code and the code it is about."""
    probe = finding.fix.probe if finding.fix is not None else None
    return finding.code, probe.original if probe is not None else finding.message


def read_document(data: bytes, filename: str) -> Document | Finding | None:
    """The file as the fixer sees it; a diagnostic when it cannot be read; None for a
    notebook with nothing to fix (another language, no code cells)."""
    if is_notebook(filename):
        return _notebook_document(data, filename)
    try:
        source = decode(data)
    except DecodeError as exc:
        return diagnostic(filename, DECODE_ERROR, f"cannot read the file as Python source: {exc}")
    return Document(source, source.encode, lambda text: unified_diff(filename, source.raw, text))


def _notebook_document(data: bytes, filename: str) -> Document | Finding | None:
    try:
        notebook = read_notebook(data)
    except NotebookError as exc:
        return diagnostic(filename, DECODE_ERROR, f"cannot read the notebook: {exc}")
    if notebook is None or not notebook.cells:
        return None
    module = to_module(notebook)

    def diff(text: str) -> str:
        return "".join(
            unified_diff(filename, cell.text, fixed, cell.number)
            for cell, fixed in cell_texts(module, text) if fixed != cell.text
        )

    return Document(
        from_text(module.text), lambda text: notebook.encode(from_module(module, text)), diff,
        lambda finding, text: Locator(module, text).finding(finding),
        lambda text: Locator(module, text).line_name,
    )


_VERIFIER = None


def _verified(finding: Finding) -> str | None:
    """None when the verifier proves the fix; else why it was not applied."""
    global _VERIFIER
    from ..verify import Verifier

    if _VERIFIER is None:
        _VERIFIER = Verifier()
    verdict = _VERIFIER.verify(finding)
    if verdict.proven():
        return None
    seen = "; ".join(f"{d.device}: {in_words(d.verdict)}" + (f" ({', '.join(d.differences) or d.reason})" if d.differences or d.reason else "")
                     for d in verdict.devices)
    return f"the verifier did not prove it ({seen or 'nothing ran'})"


def fix_files(
    targets: Sequence[Target], jobs: int, mode: FixMode, progress: Callable[[], None] | None = None,
) -> list[FileFixed]:
    results = run_all(
        targets, jobs, functools.partial(fix_file, mode=mode),
        lambda target, why: FileFixed(str(target.path), [diagnostic(str(target.path), INTERNAL_ERROR, why)]),
        progress,
    )
    for result in results:
        result.findings.sort(key=sort_key)
    return sorted(results, key=lambda r: r.filename)


def unified_diff(filename: str, old: str, new: str, cell: int | None = None) -> str:
    """The change as a unified diff over Python's lines (a form feed stays inside its line).
    The headers name the file as Git does, so that ``patch -p1`` and ``git apply`` find it:
    quoted where the name holds control characters or bytes that are not text, and followed
    by a tab where it holds a space (patch reads a name up to a tab). A notebook's headers
    name the cell too."""
    label = f":cell {cell}" if cell is not None else ""
    tab = "\t" if " " in filename else ""
    lines = difflib.unified_diff(
        python_lines(old), python_lines(new),
        fromfile=for_diff(f"a/{filename}{label}") + tab, tofile=for_diff(f"b/{filename}{label}") + tab,
    )
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)
