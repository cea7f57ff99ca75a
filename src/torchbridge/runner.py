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
from typing import Any
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait

from .discovery import Target
from .engine import lint_bytes
from .finding import Finding, diagnostic


def check_file(target: Target) -> list[Finding]:
    data = read_target(target)
    if isinstance(data, Finding):
        return [data]
    settings = target.settings
    return lint_bytes(data, str(target.path), settings.rules_for(target.path), options=settings.rule_options)


def read_target(target: Target) -> bytes | Finding:
    """The file's bytes, or the diagnostic that says why they cannot be read."""
    filename = str(target.path)
    if target.error is not None:
        return diagnostic(filename, "io-error", target.error)
    try:
        # A named pipe or device called *.py would block the run forever: read only files.
        if not stat.S_ISREG(os.stat(target.path).st_mode):
            return diagnostic(filename, "io-error", "not a regular file")
        with open(target.path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return diagnostic(filename, "io-error", "the file disappeared before it could be read")
    except IsADirectoryError:
        return diagnostic(filename, "io-error", "is a directory")
    except OSError as exc:
        return diagnostic(filename, "io-error", f"cannot read: {exc.strerror or exc}")


def check_files(targets: Sequence[Target], jobs: int) -> list[Finding]:
    results = run_all(targets, jobs, check_file, lambda target, why: [_crash_report(target, why)])
    return sorted((f for findings in results for f in findings), key=sort_key)


Task = Callable[[Target], Any]


def run_all(targets: Sequence[Target], jobs: int, task: Task, crashed: Callable[[Target, str], Any]) -> list[Any]:
    """``task`` on every target, in worker processes when ``jobs`` > 1; ``crashed`` stands in
    for the result of a target whose worker died."""
    jobs = max(1, min(jobs, len(targets)))
    if jobs == 1:
        return [task(target) for target in targets]
    return _run_parallel(targets, jobs, task, crashed)


def sort_key(finding: Finding) -> tuple:
    return (finding.filename, finding.line, finding.column, finding.code or "", finding.message)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _worker(connection: Connection, task: Task, crashed: Callable[[Target, str], Any]) -> None:
    while True:
        try:
            target = connection.recv()
        except EOFError:
            return
        if target is None:
            return
        try:
            result = task(target)
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            result = crashed(target, f"internal error: {type(exc).__name__}: {exc}")
        connection.send(result)


class _Worker:
    def __init__(self, context: multiprocessing.context.BaseContext, task: Task, crashed: Callable[[Target, str], Any]) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, task, crashed), daemon=True)
        self.process.start()
        child.close()
        self.target: Target | None = None


def _run_parallel(targets: Sequence[Target], jobs: int, task: Task, crashed: Callable[[Target, str], Any]) -> list[Any]:
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    pending = list(reversed(targets))
    results: list[Any] = []
    workers = [_Worker(context, task, crashed) for _ in range(jobs)]
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
                        results.append(worker.connection.recv())
                        worker.target = None
                        _feed(worker, pending)
                        continue
                    except (EOFError, OSError):
                        pass
                if worker.process.sentinel in ready and not worker.process.is_alive():
                    results.append(crashed(worker.target, _how_it_died(worker)))
                    worker.connection.close()
                    workers[index] = replacement = _Worker(context, task, crashed)
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
    return results


def _feed(worker: _Worker, pending: list[Target]) -> None:
    if pending:
        worker.target = pending.pop()
        worker.connection.send(worker.target)


def _how_it_died(worker: _Worker) -> str:
    code = worker.process.exitcode
    how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    return f"the checker crashed on this file ({how}); the run went on without it. Please report it."


def _crash_report(target: Target, why: str) -> Finding:
    return diagnostic(str(target.path), "internal-error", why)
