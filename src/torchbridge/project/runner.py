"""Checking many files: serially, or in worker processes that are replaced when they die.

LibCST's native parser can crash the process on input the pre-scan did not foresee. In a
parallel run such a crash costs only the file it was on: the parent notices the dead
worker, reports that file, and starts a new worker for the rest.

Workers never outlive the run: each ends when the parent process does, however it ends
(``lifetime.die_with_parent``), and an interrupted or terminated parent kills them before
it unwinds.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import os
import signal
import stat
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ..diagnostics.finding import INTERNAL_ERROR, IO_ERROR, Finding, diagnostic
from .cache import ResultCache
from .discovery import Target
from .lifetime import die_with_parent


def check_file(target: Target, cache: ResultCache | None = None) -> list[Finding]:
    """The file's findings, from ``cache`` when it has them for these very bytes."""
    data = read_target(target)
    if isinstance(data, Finding):
        return [data]
    entry = cache.entry_for(target, data) if cache is not None else None
    if cache is not None and entry is not None:
        found = cache.load(entry, str(target.path))
        if found is not None:
            return found
    settings = target.settings
    dependencies: dict[str, str | None] = {}  # the project's other files the check consulted
    findings = lint_bytes(
        data, str(target.path), settings.rules_for(target.path), options=settings.rule_options, dependencies=dependencies,
    )
    if cache is not None and entry is not None:
        cache.store(entry, findings, dependencies, str(target.path))
    return findings


def lint_bytes(data: bytes, filename: str, rules: Sequence[Any], **options: Any) -> list[Finding]:
    """The engine's ``lint_bytes``, loaded on first use: a cached run never loads LibCST."""
    from ..engine import lint

    return lint.lint_bytes(data, filename, rules, **options)


def cached_findings(target: Target, cache: ResultCache) -> list[Finding] | None:
    """The file's findings if the cache has them, else None (a file that cannot be read is
    left to ``check_file``, which reports it)."""
    data = read_target(target)
    entry = cache.entry_for(target, data) if not isinstance(data, Finding) else None
    return cache.load(entry, str(target.path)) if entry is not None else None


def read_target(target: Target) -> bytes | Finding:
    """The file's bytes, or the diagnostic that says why they cannot be read."""
    filename = str(target.path)
    if target.error is not None:
        return diagnostic(filename, IO_ERROR, target.error)
    try:
        # A named pipe or device called *.py would block the run forever: read only files.
        if not stat.S_ISREG(os.stat(target.path).st_mode):
            return diagnostic(filename, IO_ERROR, "not a regular file")
        with open(target.path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return diagnostic(filename, IO_ERROR, "the file disappeared before it could be read")
    except IsADirectoryError:
        return diagnostic(filename, IO_ERROR, "is a directory")
    except OSError as exc:
        return diagnostic(filename, IO_ERROR, f"cannot read: {exc.strerror or exc}")


def check_files(
    targets: Sequence[Target], jobs: int, cache: ResultCache | None = None, progress: Callable[[], None] | None = None,
    whole: Collection[Path] = (),
) -> list[Finding]:
    """Every target's findings, sorted; with a cache, the files it knows are answered here
    and only the others go to the workers, and at the end the cache is pruned (``whole``:
    the project roots this run checked entirely, see ``ResultCache.prune``)."""
    results: list[list[Finding]] = []
    missed = list(targets)
    if cache is not None:
        cache.prepare({target.settings.root for target in targets})
        missed = []
        for target in targets:
            found = cached_findings(target, cache)
            if found is None:
                missed.append(target)
                continue
            results.append(found)
            if progress is not None:
                progress()
    task = functools.partial(check_file, cache=cache) if cache is not None else check_file
    with _loaded_code_frozen(bool(missed)):
        results += run_all(missed, jobs, task, lambda target, why: [_crash_report(target, why)], progress)
    if cache is not None:
        cache.prune(set(whole))
    return sorted((f for findings in results for f in findings), key=sort_key)


@contextlib.contextmanager
def _loaded_code_frozen(checking: bool) -> Iterator[None]:
    """While files are checked: the engine loaded, and everything alive so far (the modules
    of Python, LibCST, the engine and the rules: never garbage) out of the cyclic collector's
    reach. Each full collection of a run scanned it all again: 0.25-0.34 s of a cold check of
    Lightning in three, 0.11-0.12 s in two after (forked workers inherit it). Given back after,
    for a process that goes on (a test, a caller of the command line's ``main``)."""
    if not checking:
        yield  # nothing to check: LibCST is never loaded (a cached run)
        return
    from ..engine import lint  # noqa: F401 - loaded to be frozen with the rest

    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


Task = Callable[[Target], Any]


def run_all(
    targets: Sequence[Target], jobs: int, task: Task, crashed: Callable[[Target, str], Any],
    progress: Callable[[], None] | None = None,
) -> list[Any]:
    """``task`` on every target, in worker processes when ``jobs`` > 1; ``crashed`` stands in
    for the result of a target whose worker died; ``progress`` is called after each target."""
    jobs = max(1, min(jobs, len(targets)))
    if jobs == 1:
        results = []
        for target in targets:
            results.append(task(target))
            if progress is not None:
                progress()
        return results
    return _run_parallel(targets, jobs, task, crashed, progress)


def sort_key(finding: Finding) -> tuple:
    return (finding.filename, finding.cell or 0, finding.line, finding.column, finding.code or "", finding.message)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _worker(connection: Connection, task: Task, crashed: Callable[[Target, str], Any], parent_pid: int) -> None:
    # A forked worker inherits the parent's handlers, which turn a signal into an exception
    # (and a traceback); a signal to the worker alone ends it quietly, and the parent reports
    # its file.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    die_with_parent(parent_pid)
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
        self.process = context.Process(  # type: ignore[attr-defined]  # every concrete context has one; typeshed's BaseContext not
            target=_worker, args=(child, task, crashed, os.getpid()), daemon=True,
        )
        self.process.start()
        child.close()
        self.target: Target | None = None


def _run_parallel(
    targets: Sequence[Target], jobs: int, task: Task, crashed: Callable[[Target, str], Any],
    progress: Callable[[], None] | None,
) -> list[Any]:
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
                        if progress is not None:
                            progress()
                        worker.target = None
                        _feed(worker, pending)
                        continue
                    except (EOFError, OSError):
                        pass
                on_it = worker.target  # the file it holds now (a new one, if feeding it failed)
                if on_it is not None and worker.process.sentinel in ready and not worker.process.is_alive():
                    results.append(crashed(on_it, _how_it_died(worker)))
                    if progress is not None:
                        progress()
                    worker.connection.close()
                    workers[index] = replacement = _Worker(context, task, crashed)
                    _feed(replacement, pending)
    except BaseException:
        # Interrupted or terminated: what the workers are doing is no longer wanted.
        for worker in workers:
            worker.process.kill()
        raise
    finally:
        for worker in workers:
            if worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.connection.send(None)
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
    return diagnostic(str(target.path), INTERNAL_ERROR, why)
