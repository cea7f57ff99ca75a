"""SARIF 2.1.0, for GitHub code scanning (``github/codeql-action/upload-sarif``) and other
SARIF viewers.

One run: the ``torchbridge`` driver with every rule's metadata (results point at theirs by
``ruleId`` and ``ruleIndex``), ``columnKind: unicodeCodePoints`` (our columns count code
points), results with a level from the rule's class, a region and a
``partialFingerprints`` entry that survives unrelated edits, and each fix's edits as SARIF
``fixes``. Files that could not be checked are tool execution notifications, not results:
they say nothing about the code. Paths are relative to ``%SRCROOT%``, the working directory,
and percent-encoded byte by byte, so a name that is not valid UTF-8 keeps its bytes.

The package has no project URL, so rules carry their help as text and Markdown (the rule's
documentation, as ``torchbridge rule CODE`` prints it) rather than a ``helpUri``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..diagnostics.edits import Fix
from ..diagnostics.filenames import for_uri
from ..diagnostics.finding import Finding
from ..version import __version__
from .json_text import dumps
from .report import SEVERITIES, Report, has_position, located_message, severity
from .sources import relative_path

if TYPE_CHECKING:
    from ..rules import Rule

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "torchbridge/v1"
SOURCE_ROOT = "%SRCROOT%"


def render(report: Report, stream: TextIO) -> None:
    from ..rules import all_rules  # every rule's documentation goes in: load them only here

    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    results, notifications = [], []
    for finding, fingerprint in zip(report.findings, report.fingerprints()):
        if finding.is_diagnostic:
            notifications.append(_notification(finding))
        else:
            results.append(_result(finding, index.get(finding.code or ""), fingerprint))
    run = {
        "tool": {
            "driver": {
                "name": "torchbridge",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_descriptor(rule) for rule in rules],  # type: ignore[arg-type]  # a class is hashable; mypy asks its instances
            }
        },
        "originalUriBaseIds": {SOURCE_ROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [
            {
                "executionSuccessful": not any(f.is_internal_error for f in report.findings),
                "toolExecutionNotifications": notifications,
            }
        ],
    }
    stream.write(dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, stream, indent=2) + "\n")


@cache
def _descriptor(rule: type[Rule]) -> dict[str, Any]:
    from ..rules.docs import rule_markdown

    summary = rule.summary()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _first_sentence(summary)},
        "fullDescription": {"text": summary},
        "help": {
            "text": f"{summary} Run `torchbridge rule {rule.code}` for the full documentation.",
            "markdown": rule_markdown(rule),
        },
        "defaultConfiguration": {
            "level": SEVERITIES[rule.category].sarif,
            "enabled": rule.default_enabled,
        },
        "properties": {"tags": [rule.category], "precision": "high"},
    }


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?\.)(?=\s+[A-Z`(])", text)
    return match.group(1) if match else text


def _result(finding: Finding, rule_index: int | None, fingerprint: str) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.code}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    result["level"] = severity(finding).sarif
    result["message"] = {"text": located_message(finding)}
    result["locations"] = [_location(finding)]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
    cell = finding.cell
    if cell is not None:
        result["properties"] = {"cell": cell}  # and no fixes: their edits count lines within the cell
    elif finding.fix is not None and finding.fix.edits:
        result["fixes"] = [_fix(finding, finding.fix)]
    return result


def _location(finding: Finding) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(finding.filename)}
    if has_position(finding) and finding.cell is None:
        region = {"startLine": finding.line, "startColumn": finding.column}
        if (finding.end_line, finding.end_column) > (finding.line, finding.column):
            region.update(endLine=finding.end_line, endColumn=finding.end_column)
        physical["region"] = region
    return {"physicalLocation": physical}


def _artifact(filename: str) -> dict[str, Any]:
    path = relative_path(filename)
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}  # outside the working directory
    return {"uri": for_uri(path), "uriBaseId": SOURCE_ROOT}


def _fix(finding: Finding, fix: Fix) -> dict[str, Any]:
    return {
        "description": {"text": fix.title},
        "artifactChanges": [
            {
                "artifactLocation": _artifact(finding.filename),
                "replacements": [
                    {
                        # An insertion is an empty region: start and end are the same place.
                        "deletedRegion": {
                            "startLine": edit.line, "startColumn": edit.column,
                            "endLine": edit.end_line, "endColumn": edit.end_column,
                        },
                        "insertedContent": {"text": edit.content},
                    }
                    for edit in fix.edits
                ],
            }
        ],
        "properties": {"applicability": fix.applicability},
    }


def _notification(finding: Finding) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": f"{finding.name}: {located_message(finding)}"},
        "descriptor": {"id": finding.name},
        "locations": [_location(finding)],
    }
