"""The ``torchbridge`` command: ``check``, ``rule``, ``rules``.

Exit codes follow Ruff: 0 nothing found; 1 findings, or a file that could not be checked;
2 a usage or configuration error, or an internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .config import ConfigError, ConfigResolver
from .discovery import discover
from .docs import rule_markdown
from .engine import BUG_REPORT, lint_bytes
from .finding import Finding
from .output import FORMATS
from .rules import all_rules, rule_by_code
from .runner import check_files, default_jobs, sort_key
from .selection import SelectionError, validate_selectors

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _codes(value: str) -> list[str]:
    return [part for part in (p.strip() for p in value.split(",")) if part]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="torchbridge", description="Lint the NumPy <-> PyTorch boundary and device handling.")
    parser.add_argument("--version", action="version", version=f"torchbridge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="check files and report findings")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: .); - reads standard input")
    check.add_argument("--select", type=_codes, metavar="CODES", help="rule codes or prefixes to run, replacing the default set")
    check.add_argument("--extend-select", type=_codes, default=[], metavar="CODES", help="rule codes or prefixes to add")
    check.add_argument("--ignore", type=_codes, default=[], metavar="CODES", help="rule codes or prefixes to leave out")
    check.add_argument("--output-format", choices=sorted(FORMATS), default="text")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--config", type=Path, metavar="FILE", help="use this configuration file for every file")
    check.add_argument("--isolated", action="store_true", help="ignore all configuration files")
    check.add_argument("--stdin-filename", metavar="NAME", help="the name to report for standard input")
    check.add_argument("--force-exclude", action="store_true", help="apply excludes to paths given explicitly too")
    check.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false", default=None,
                       help="check files that .gitignore ignores")
    check.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="worker processes (default: CPU count)")

    rule = commands.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", metavar="CODE")

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--output-format", choices=["text", "json"], default="text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        sys.stderr.write(f"torchbridge: error: {exc}\nRun 'torchbridge --help' for usage.\n")
        code = EXIT_ERROR
    except (ConfigError, SelectionError) as exc:
        sys.stderr.write(f"torchbridge: error: {exc}\n")
        code = EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("torchbridge: interrupted\n")
        code = 130
    except BrokenPipeError:
        code = EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - never a traceback
        sys.stderr.write(f"torchbridge: internal error ({type(exc).__name__}: {exc}); {BUG_REPORT}\n")
        code = EXIT_ERROR
    return code


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args)
    if args.command == "rule":
        return _rule(args.code)
    if args.command == "rules":
        return _rules(args.output_format)
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def _check(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.config is not None and args.isolated:
        raise UsageError("--config and --isolated cannot be used together")
    overrides = {
        "select": validate_selectors(args.select, "--select") if args.select is not None else None,
        "extend_select": validate_selectors(args.extend_select, "--extend-select"),
        "ignore": validate_selectors(args.ignore, "--ignore"),
        "respect_gitignore": args.respect_gitignore,
    }
    resolver = ConfigResolver(config_file=args.config, isolated=args.isolated, overrides=overrides)
    paths: list[Path] = args.paths or [Path(".")]
    if any(str(p) == "-" for p in paths):
        if len(paths) > 1:
            raise UsageError("'-' (standard input) cannot be combined with other paths")
        findings = _check_stdin(resolver, args.stdin_filename)
    else:
        targets = list(discover(paths, resolver, force_exclude=args.force_exclude))
        findings = check_files(targets, args.jobs or default_jobs())
    FORMATS[args.output_format](findings, sys.stdout)
    sys.stdout.flush()
    if any(f.name == "internal-error" for f in findings):
        return EXIT_ERROR
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    if args.exit_zero and any(f.is_diagnostic for f in findings):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _check_stdin(resolver: ConfigResolver, stdin_filename: str | None) -> list[Finding]:
    name = stdin_filename or "-"
    path = Path(stdin_filename) if stdin_filename else Path.cwd() / "-"
    settings = resolver.for_path(path.absolute())
    data = sys.stdin.buffer.read()
    return sorted(lint_bytes(data, name, settings.rules_for(path)), key=sort_key)


def _rule(code: str) -> int:
    rule = rule_by_code(code.strip().upper())
    if rule is None:
        raise UsageError(f"unknown rule {code!r}; 'torchbridge rules' lists them")
    sys.stdout.write(rule_markdown(rule))
    return EXIT_CLEAN


def _rules(output_format: str) -> int:
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
    return EXIT_CLEAN
