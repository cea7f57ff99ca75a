"""Checking many files: serially, or in worker processes that are replaced when they die.

LibCST's native parser can crash the process on input the pre-scan did not foresee. In a
parallel run such a crash costs only the file it was on: the parent notices the dead
worker, reports that file, and starts a new worker for the rest.
"""

from __future__ import annotations

import multiprocessing
import os
import stat
import sys
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait

from .discovery import Target
from .engine import lint_bytes
from .finding import Finding, diagnostic


def check_file(target: Target) -> list[Finding]:
    filename = str(target.path)
    if target.error is not None:
        return [diagnostic(filename, "io-error", target.error)]
    try:
        # A named pipe or device called *.py would block the run forever: read only files.
        if not stat.S_ISREG(os.stat(target.path).st_mode):
            return [diagnostic(filename, "io-error", "not a regular file")]
        with open(target.path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return [diagnostic(filename, "io-error", "the file disappeared before it could be read")]
    except IsADirectoryError:
        return [diagnostic(filename, "io-error", "is a directory")]
    except OSError as exc:
        return [diagnostic(filename, "io-error", f"cannot read: {exc.strerror or exc}")]
    return lint_bytes(data, filename, target.settings.rules_for(target.path))


def check_files(targets: Sequence[Target], jobs: int) -> list[Finding]:
    jobs = max(1, min(jobs, len(targets)))
    if jobs == 1:
        findings = [f for target in targets for f in check_file(target)]
    else:
        findings = _check_parallel(targets, jobs)
    return sorted(findings, key=sort_key)


def sort_key(finding: Finding) -> tuple:
    return (finding.filename, finding.line, finding.column, finding.code or "", finding.message)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _worker(connection: Connection) -> None:
    while True:
        try:
            target = connection.recv()
        except EOFError:
            return
        if target is None:
            return
        try:
            result = check_file(target)
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            result = [diagnostic(str(target.path), "internal-error", f"internal error: {type(exc).__name__}: {exc}")]
        connection.send(result)


class _Worker:
    def __init__(self, context: multiprocessing.context.BaseContext) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.target: Target | None = None


def _check_parallel(targets: Sequence[Target], jobs: int) -> list[Finding]:
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    pending = list(reversed(targets))
    findings: list[Finding] = []
    workers = [_Worker(context) for _ in range(jobs)]
    try:
        for worker in workers:
            _feed(worker, pending)
        while any(w.target is not None for w in workers):
            busy = [w for w in workers if w.target is not None]
            ready = wait([w.connection for w in busy] + [w.process.sentinel for w in busy])
            for index, worker in enumerate(workers):
                if worker.target is None:
                    continue
                if worker.connection in ready or worker.connection.poll():
                    try:
                        findings.extend(worker.connection.recv())
                        worker.target = None
                        _feed(worker, pending)
                        continue
                    except (EOFError, OSError):
                        pass
                if worker.process.sentinel in ready and not worker.process.is_alive():
                    findings.append(_crash_report(worker))
                    worker.connection.close()
                    workers[index] = replacement = _Worker(context)
                    _feed(replacement, pending)
    finally:
        for worker in workers:
            if worker.process.is_alive():
                try:
                    worker.connection.send(None)
                except OSError:
                    pass
        for worker in workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
    return findings


def _feed(worker: _Worker, pending: list[Target]) -> None:
    if pending:
        worker.target = pending.pop()
        worker.connection.send(worker.target)


def _crash_report(worker: _Worker) -> Finding:
    code = worker.process.exitcode
    how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    target = worker.target
    assert target is not None
    return diagnostic(
        str(target.path), "internal-error",
        f"the checker crashed on this file ({how}); the run went on without it. Please report it.",
    )
