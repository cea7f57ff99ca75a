"""The command line's options: the parser of every subcommand, and the configuration they make."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NoReturn

from ..output import FORMATS
from ..project.config import ConfigResolver
from ..project.selection import validate_selectors
from ..version import __version__


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _codes(value: str) -> list[str]:
    return [part for part in (p.strip() for p in value.split(",")) if part]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="torchbridge", description="Lint the NumPy <-> PyTorch boundary and device handling.")
    parser.add_argument("--version", action="version", version=f"torchbridge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="check files and report findings")
    _add_run_options(check)
    _add_cache_options(check)
    check.add_argument("--add-noqa", action="store_true",
                       help="append '# noqa: CODE' to every line with a finding, so that a second check reports nothing")
    _add_report_options(check)
    check.add_argument("--fix", action=argparse.BooleanOptionalAction, default=None,
                       help="apply safe fixes (default: the configuration's fix = true/false)")
    _add_fix_options(check)

    fix = commands.add_parser("fix", help="apply fixes, then report what remains (same as check --fix)")
    _add_run_options(fix)
    _add_cache_options(fix)
    _add_report_options(fix)
    _add_fix_options(fix)

    verify = commands.add_parser("verify", help="run each fix's original and fixed code and compare (needs torchbridge[verify])")
    _add_run_options(verify)
    verify.add_argument("--output-format", choices=["text", "json"], default="text")
    verify.add_argument("--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None,
                        help="verify unsafe fixes too (default: the configuration's unsafe-fixes)")
    verify.add_argument("--device", choices=["cpu", "cuda", "all"], default="all", help="which runs to do (default: all)")
    verify.add_argument("--require-cuda", action="store_true", help="a CUDA run skipped for want of CUDA is a failure")
    verify.add_argument("--rules", action="store_true",
                        help="verify every rule's INVALID example against its declared expectation")

    clean = commands.add_parser("clean", help="delete the result cache of the projects of PATHs (default: .)")
    clean.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders whose project's cache goes")
    clean.add_argument("--config", type=Path, metavar="FILE", help="the project is this configuration file's")
    clean.add_argument("--isolated", action="store_true", help="the project is the working directory")
    _add_cache_options(clean, no_cache=False)

    rule = commands.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", metavar="CODE")

    commands.add_parser("server", help="run the language server: LSP over standard input and output (needs torchbridge[server])")

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--output-format", choices=["text", "json"], default="text")
    return parser


def _add_run_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: .); - reads standard input")
    command.add_argument("--select", type=_codes, metavar="CODES", help="rule codes or prefixes to run, replacing the default set")
    command.add_argument("--extend-select", type=_codes, default=[], metavar="CODES", help="rule codes or prefixes to add")
    command.add_argument("--ignore", type=_codes, default=[], metavar="CODES", help="rule codes or prefixes to leave out")
    command.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    command.add_argument("--config", type=Path, metavar="FILE", help="use this configuration file for every file")
    command.add_argument("--isolated", action="store_true", help="ignore all configuration files")
    command.add_argument("--stdin-filename", metavar="NAME", help="the name to report for standard input")
    command.add_argument("--force-exclude", action="store_true", help="apply excludes to paths given explicitly too")
    command.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false", default=None,
                         help="check files that .gitignore ignores")
    command.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="worker processes (default: CPU count)")


def _add_report_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--output-format", choices=list(FORMATS), default=None,
                         help="how to report findings (default: full on a terminal, text otherwise)")
    command.add_argument("--statistics", action="store_true",
                         help="count the findings per rule, with how many are fixable, instead of listing them")


def _add_cache_options(command: argparse.ArgumentParser, *, no_cache: bool = True) -> None:
    if no_cache:
        command.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    command.add_argument("--cache-dir", type=Path, metavar="DIR",
                         help="where the result cache lives (default: $TORCHBRIDGE_CACHE_DIR, else "
                              ".torchbridge_cache in the project root)")


def _add_fix_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None,
                         help="apply unsafe fixes too (default: the configuration's unsafe-fixes)")
    command.add_argument("--diff", action="store_true",
                         help="print the fixes as a unified diff and write nothing; exit 1 when there is a diff")
    command.add_argument("--show-fixes", action="store_true", help="list the fixes applied")
    command.add_argument("--fix-only", action="store_true",
                         help="apply fixes and report nothing; exit 0 whatever remains (for hooks and editors)")
    command.add_argument("--verify", action="store_true",
                         help="apply only the fixes the runtime verifier proves (needs torchbridge[verify])")


def resolver_for(args: argparse.Namespace, **overrides: Any) -> ConfigResolver:
    """The configuration of a run: its files, with the command line's options on top."""
    overrides.update(
        select=validate_selectors(args.select, "--select") if args.select is not None else None,
        extend_select=validate_selectors(args.extend_select, "--extend-select"),
        ignore=validate_selectors(args.ignore, "--ignore"),
        respect_gitignore=args.respect_gitignore,
        unsafe_fixes=args.unsafe_fixes,
    )
    return ConfigResolver(config_file=args.config, isolated=args.isolated, overrides=overrides)
