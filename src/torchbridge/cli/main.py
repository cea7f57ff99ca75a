"""The ``torchbridge`` command: ``check``, ``fix``, ``rule``, ``rules``, ``server`` (``verify`` in
``cli.verify``; the language server itself in ``torchbridge.server``).

Exit codes are ``cli.exit_codes``'. ``--fix-only`` and ``fix -`` exit 0 whatever findings
remain; ``--diff`` exits 1 when there is a diff. Interrupted or terminated, the run exits
130 or 143 after stopping its workers and leaving every file whole.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Only what every run needs is imported here: LibCST, the engine, the rules and the fixer
# load where a file must be parsed (a cached run and ``--version`` never parse one).
from ..diagnostics.filenames import for_text
from ..diagnostics.finding import BUG_REPORT, WRITE_ERROR, Finding, diagnostic
from ..output import HUMAN_FORMATS, STATISTICS, default_format, write_report
from ..project.cache import ResultCache
from ..project.config import ConfigError, ConfigResolver, Settings
from ..project.discovery import discover
from ..project.runner import check_files, default_jobs, sort_key
from ..project.selection import SelectionError
from .exit_codes import ExitCode, exit_code
from .options import UsageError, build_parser, resolver_for
from .progress import Progress

if TYPE_CHECKING:
    from ..fixing.files import FileFixed


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, as KeyboardInterrupt is, so that no ``except
    Exception`` on the way takes it for one file's failure."""


def main(argv: Sequence[str] | None = None) -> int:
    with _terminated_as_exception(), _unencodable_escaped():
        return _guarded_main(list(sys.argv[1:] if argv is None else argv))


def _guarded_main(argv: list[str]) -> int:
    try:
        code = _main(argv)
    except UsageError as exc:
        sys.stderr.write(f"torchbridge: error: {exc}\nRun 'torchbridge --help' for usage.\n")
        code = ExitCode.ERROR
    except (ConfigError, SelectionError) as exc:
        sys.stderr.write(f"torchbridge: error: {exc}\n")
        code = ExitCode.ERROR
    except KeyboardInterrupt:
        sys.stderr.write("torchbridge: interrupted\n")
        code = ExitCode.INTERRUPTED
    except Terminated:
        sys.stderr.write("torchbridge: terminated\n")
        code = ExitCode.TERMINATED
    except BrokenPipeError:
        code = ExitCode.ERROR
    except Exception as exc:  # noqa: BLE001 - never a traceback
        sys.stderr.write(f"torchbridge: internal error ({type(exc).__name__}: {exc}); {BUG_REPORT}\n")
        code = ExitCode.ERROR
    return code


@contextlib.contextmanager
def _terminated_as_exception() -> Iterator[None]:
    """SIGTERM unwinds the run as Ctrl-C does (workers killed, temporary files removed, a
    one-line message) instead of ending the process where it stands."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; an embedding program keeps its own
        return

    def terminate(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the cleanup too
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _unencodable_escaped() -> Iterator[None]:
    """Text the terminal's encoding cannot hold (a file name, a source line) is written as
    backslash escapes rather than ending the run with UnicodeEncodeError."""
    changed = []
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            with contextlib.suppress(OSError, ValueError):
                stream.reconfigure(errors="backslashreplace")
                changed.append(stream)
    try:
        yield
    finally:
        for stream in changed:
            with contextlib.suppress(OSError, ValueError):
                stream.reconfigure(errors="strict")


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("check", "fix"):
        return _check(args)
    if args.command == "verify":
        from .verify import run_verify

        return run_verify(args)
    if args.command == "clean":
        return _clean(args)
    if args.command == "rule":
        return _rule(args.code)
    if args.command == "rules":
        return _rules(args.output_format)
    if args.command == "server":
        return _server()
    parser.print_help(sys.stderr)
    return ExitCode.ERROR


def _check(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.config is not None and args.isolated:
        raise UsageError("--config and --isolated cannot be used together")
    # ``fix``, ``--diff`` and ``--fix-only`` fix whatever the configuration says; ``check``
    # fixes with --fix, or where the configuration says ``fix = true``.
    fixing = True if args.command == "fix" or args.diff or args.fix_only else getattr(args, "fix", None)
    if getattr(args, "add_noqa", False) and (fixing or args.show_fixes or args.verify):
        raise UsageError("--add-noqa cannot be combined with fixing (--fix, --diff, --fix-only, --show-fixes, --verify)")
    args.output_format = _output_format(args)
    resolver = resolver_for(args, fix=fixing)
    paths: list[Path] = args.paths or [Path(".")]
    if any(str(p) == "-" for p in paths):
        if len(paths) > 1:
            raise UsageError("'-' (standard input) cannot be combined with other paths")
        if getattr(args, "add_noqa", False):
            raise UsageError("--add-noqa edits files; it cannot read standard input")
        return _stdin(args, resolver)
    targets = list(discover(paths, resolver, force_exclude=args.force_exclude))
    cache = None if args.no_cache else ResultCache.for_run(args.cache_dir)
    if getattr(args, "add_noqa", False):
        from .add_noqa import add_noqa

        return add_noqa(targets, args.jobs or default_jobs())
    to_fix = [t for t in targets if t.settings.fix]
    progress = Progress(len(targets))
    findings = check_files([t for t in targets if not t.settings.fix], args.jobs or default_jobs(), cache, progress,
                           whole=_whole_roots(paths, targets))
    if args.verify and to_fix:
        _require_verifier()
    jobs = 1 if args.verify else args.jobs or default_jobs()  # one verifier, one fork server
    fixed = _fix_files(to_fix, jobs, args, progress) if to_fix else []
    progress.finish()
    findings = sorted([*findings, *(f for result in fixed for f in result.findings)], key=sort_key)
    for result in fixed:
        for line in result.rejected:
            sys.stderr.write(line + "\n")
    applied = sum(len(result.applied) for result in fixed)
    if args.diff:
        return _report_diff(fixed, findings)
    unsafe = any(t.settings.unsafe_fixes for t in targets)
    if not args.fix_only:
        write_report(args.output_format, findings, sys.stdout, unsafe=unsafe, fixed=applied, statistics=args.statistics)
    if args.show_fixes:
        # Machine-read output on standard output stays parseable: the list goes to standard error then.
        _show_fixes(fixed, sys.stdout if args.output_format in HUMAN_FORMATS else sys.stderr)
    sys.stdout.flush()
    return exit_code(findings, exit_zero=args.exit_zero or args.fix_only)


def _whole_roots(paths: list[Path], targets: list) -> set[Path]:
    """The project roots a run checks entirely: a given folder is the root or above it."""
    given = [p.absolute() for p in paths if p.is_dir()]
    roots = {t.settings.root.absolute() for t in targets}
    return {root for root in roots if any(root.is_relative_to(folder) for folder in given)}


def _fix_files(to_fix: list, jobs: int, args: argparse.Namespace, progress: Progress) -> list[FileFixed]:
    from ..fixing.files import FixMode, fix_files

    return fix_files(to_fix, jobs, FixMode(diff=args.diff, verify=args.verify), progress)


def _output_format(args: argparse.Namespace) -> str:
    """The format asked for, or the default for where standard output goes; --statistics
    only where it has a place."""
    output_format = args.output_format or default_format(sys.stdout)
    if args.statistics:
        if output_format not in STATISTICS:
            raise UsageError(f"--statistics cannot be used with --output-format {output_format} (only {', '.join(STATISTICS)})")
        clash = next((option for option, on in (("--diff", args.diff), ("--fix-only", args.fix_only)) if on), None)
        if clash is not None:
            raise UsageError(f"--statistics and {clash} cannot be used together")
    return output_format


def _require_verifier() -> None:
    from ..verify import INSTALL_HINT, missing_requirements

    missing = missing_requirements()
    if missing:
        raise UsageError(f"--verify: {', '.join(missing)} not installed; {INSTALL_HINT}")


def _report_diff(fixed: list[FileFixed], findings: list[Finding]) -> int:
    for result in fixed:
        sys.stdout.write(result.diff)
    would = sum(len(result.applied) for result in fixed if result.diff)
    problems = [f for f in findings if f.is_diagnostic]
    for f in problems:
        sys.stderr.write(f"{f.location}: {f.name}: {f.message}\n")
    sys.stderr.write(f"Would fix {would} finding{'' if would == 1 else 's'}.\n" if would else "No fixes to apply.\n")
    sys.stdout.flush()
    code = exit_code(problems)
    return ExitCode.FINDINGS if would and code is ExitCode.CLEAN else code


def _show_fixes(fixed: list[FileFixed], stream) -> None:
    changed = [result for result in fixed if result.applied]
    if not changed:
        stream.write("No fixes applied.\n")
        return
    total = sum(len(result.applied) for result in changed)
    stream.write(f"Fixed {total} finding{'' if total == 1 else 's'}:\n")
    for result in changed:
        stream.write(f"- {for_text(result.filename)}:\n")
        counts = Counter(result.applied)
        for (code, title), count in sorted(counts.items()):
            stream.write(f"    {count} × {code} ({title})\n")


def _stdin(args: argparse.Namespace, resolver: ConfigResolver) -> int:
    name = args.stdin_filename or "-"
    path = Path(args.stdin_filename) if args.stdin_filename else Path.cwd() / "-"
    settings = resolver.for_path(path.absolute())
    data = sys.stdin.buffer.read()
    rules = settings.rules_for(path)
    if not settings.fix:
        from ..engine.lint import lint_bytes

        findings = sorted(lint_bytes(data, name, rules, options=settings.rule_options), key=sort_key)
        write_report(args.output_format, findings, sys.stdout, unsafe=settings.unsafe_fixes,
                     statistics=args.statistics, given_sources={name: data})
        sys.stdout.flush()
        return exit_code(findings, exit_zero=args.exit_zero)
    return _fix_stdin(args, name, data, rules, settings)


def _fix_stdin(args: argparse.Namespace, name: str, data: bytes, rules: tuple, settings: Settings) -> int:
    """Fixing standard input (a notebook too, by ``--stdin-filename``): the code goes to
    standard output (the input itself when nothing could be fixed, so an editor never loses
    the buffer), everything else to standard error."""
    from ..engine.notebook import NotebookError
    from ..fixing.files import read_document
    from ..fixing.loop import fix_source_text

    document = read_document(data, name)
    if document is None or isinstance(document, Finding):  # not Python (another kernel), or unreadable
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        problems = [document] if document is not None else []
        if problems and not args.fix_only:
            sys.stderr.write(f"{problems[0].location}: {problems[0].name}: {problems[0].message}\n")
        return exit_code(problems, exit_zero=True)
    result = fix_source_text(document.source, name, rules, unsafe=settings.unsafe_fixes,
                             options=settings.rule_options, line_names=document.line_names)
    findings = [document.place(f, result.text) for f in result.remaining]
    if result.error is not None:
        findings.append(document.place(result.error, document.source.raw))
    try:
        fixed = document.encode(result.text)  # the bytes the findings are about
    except (UnicodeEncodeError, NotebookError) as exc:
        fixed = data
        if not args.diff:
            why = str(exc) if isinstance(exc, NotebookError) else f"the fix cannot be written in {document.source.encoding}"
            findings.append(diagnostic(name, WRITE_ERROR, f"not fixed: {why}"))
    if args.diff:
        sys.stdout.write(document.diff(result.text))
    else:
        sys.stdout.buffer.write(fixed)
    sys.stdout.flush()
    if not args.fix_only:
        # The code has standard output: the report goes to standard error, in the format
        # asked for when it is one for programs (as Ruff does), else as text.
        report_format = args.output_format if args.output_format not in HUMAN_FORMATS else "text"
        write_report(report_format, findings, sys.stderr, unsafe=settings.unsafe_fixes, fixed=len(result.applied),
                     statistics=args.statistics, given_sources={name: fixed})
    # The findings left are in the report; only a file that could not be handled (or, with
    # --diff, a diff) makes the exit code.
    code = exit_code(findings, exit_zero=True)
    return ExitCode.FINDINGS if args.diff and result.changed and code is ExitCode.CLEAN else code


def _clean(args: argparse.Namespace) -> int:
    """Delete the cache folder of each given path's project (or the ``--cache-dir`` one);
    a folder that is not a torchbridge cache is never touched."""
    from ..project.cache import clear

    if args.config is not None and args.isolated:
        raise UsageError("--config and --isolated cannot be used together")
    resolver = ConfigResolver(config_file=args.config, isolated=args.isolated)
    cache = ResultCache.for_run(args.cache_dir)
    folders = sorted({cache.folder(resolver.for_path(p.absolute()).root) for p in args.paths or [Path(".")]})
    code = ExitCode.CLEAN
    for folder in folders:
        if not folder.exists():
            sys.stdout.write(f"No cache at {for_text(str(folder))}.\n")
        elif clear(folder):
            sys.stdout.write(f"Removed the cache at {for_text(str(folder))}.\n")
        else:
            sys.stderr.write(f"torchbridge: error: {for_text(str(folder))} is not a torchbridge cache (no CACHEDIR.TAG of ours); left alone\n")
            code = ExitCode.ERROR
    return code


def _server() -> int:
    from .. import server

    missing = server.missing_requirements()
    if missing:
        raise UsageError(f"the language server needs {', '.join(missing)}: {server.INSTALL_HINT}")
    return server.serve()


def _rule(code: str) -> int:
    from ..rules import rule_by_code
    from ..rules.docs import rule_markdown

    rule = rule_by_code(code.strip().upper())
    if rule is None:
        raise UsageError(f"unknown rule {code!r}; 'torchbridge rules' lists them")
    sys.stdout.write(rule_markdown(rule))
    return ExitCode.CLEAN


def _rules(output_format: str) -> int:
    from ..rules import all_rules

    rules = all_rules()
    if output_format == "json":
        payload = [
            {"code": r.code, "name": r.name, "category": r.category, "default_enabled": r.default_enabled,
             "summary": r.summary()}
            for r in rules
        ]
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in rules:
            default = "on " if r.default_enabled else "off"
            sys.stdout.write(f"{r.code}  {default}  {r.name:<28} {r.summary()}\n")
    return ExitCode.CLEAN
