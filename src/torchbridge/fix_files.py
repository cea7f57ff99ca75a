"""Fixing files: read, fix, then write atomically or show a diff. One worker per file, as
in checking, so a crash costs only the file it was on."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from .discovery import Target
from .finding import Finding, diagnostic
from .fixer import fix_source_text
from .runner import read_target, run_all, sort_key
from .source import DecodeError, decode
from .writing import WriteError, write_atomically


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


def fix_file(target: Target, mode: FixMode) -> FileFixed:
    filename = str(target.path)
    data = read_target(target)
    if isinstance(data, Finding):
        return FileFixed(filename, [data])
    try:
        source = decode(data)
    except DecodeError as exc:
        return FileFixed(filename, [diagnostic(filename, "decode-error", f"cannot read the file as Python source: {exc}")])
    settings = target.settings
    unsafe = settings.unsafe_fixes if mode.unsafe is None else mode.unsafe
    accept = _verified if mode.verify else None
    result = fix_source_text(
        source, filename, settings.rules_for(target.path), unsafe=unsafe, options=settings.rule_options,
        accept=accept,
    )
    done = FileFixed(filename, list(result.remaining))
    done.rejected = [f"{filename}:{f.line}:{f.column}: {f.code} not fixed: {why}" for f, why in result.rejected]
    if result.error is not None:
        done.findings.append(result.error)
        return done
    if not result.changed:
        return done
    applied = [(f.code or "", f.fix.title if f.fix else "") for f in result.applied]
    if mode.diff:
        done.diff = unified_diff(filename, result.source.raw, result.text)
        done.applied = applied
        return done
    try:
        write_atomically(target.path, source.encode(result.text))
    except (WriteError, UnicodeEncodeError) as exc:
        reason = str(exc) if isinstance(exc, WriteError) else f"not fixed: the fix cannot be written in {source.encoding}"
        # Nothing was written: what the file still holds is what the original check found.
        return FileFixed(filename, [*result.before, diagnostic(filename, "write-error", reason)])
    done.applied = applied
    return done


_VERIFIER = None


def _verified(finding: Finding) -> str | None:
    """None when the verifier proves the fix; else why it was not applied."""
    global _VERIFIER
    from .verify import Verifier

    if _VERIFIER is None:
        _VERIFIER = Verifier()
    verdict = _VERIFIER.verify(finding)
    if verdict.proven():
        return None
    seen = "; ".join(f"{d.device}: {d.verdict}" + (f" ({', '.join(d.differences) or d.reason})" if d.differences or d.reason else "")
                     for d in verdict.devices)
    return f"the verifier did not prove it ({seen or 'nothing ran'})"


def fix_files(targets: Sequence[Target], jobs: int, mode: FixMode) -> list[FileFixed]:
    results = run_all(
        targets, jobs, functools.partial(fix_file, mode=mode),
        lambda target, why: FileFixed(str(target.path), [diagnostic(str(target.path), "internal-error", why)]),
    )
    for result in results:
        result.findings.sort(key=sort_key)
    return sorted(results, key=lambda r: r.filename)


def unified_diff(filename: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=f"a/{filename}", tofile=f"b/{filename}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)
