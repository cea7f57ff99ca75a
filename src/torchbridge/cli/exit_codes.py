"""The exit codes of every subcommand, as Ruff has them: one definition for check, fix, verify and --add-noqa.

0 nothing found (or nothing left after fixing, or every fix verified as declared); 1
findings, a file that could not be checked, fixed or written, or a fix the verifier did not
prove; 2 a usage or configuration error, or an internal error. Interrupted (SIGINT, Ctrl-C)
a run exits 130, terminated (SIGTERM) 143, as a shell reports those signals.
"""

from __future__ import annotations

import enum
import signal
from collections.abc import Iterable

from ..diagnostics.finding import Finding


class ExitCode(enum.IntEnum):
    CLEAN = 0
    FINDINGS = 1
    ERROR = 2
    INTERRUPTED = 128 + signal.SIGINT
    TERMINATED = 128 + signal.SIGTERM


def exit_code(findings: Iterable[Finding], *, exit_zero: bool = False) -> ExitCode:
    """ERROR for an internal error; FINDINGS for a file that could not be handled, or for
    a finding unless ``exit_zero`` forgives findings (never the files that could not be handled)."""
    findings = list(findings)
    if any(f.is_internal_error for f in findings):
        return ExitCode.ERROR
    if any(f.is_diagnostic for f in findings) or (findings and not exit_zero):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN
