"""GitLab's code quality report (a subset of the Code Climate format): a JSON array of
issues with ``description``, ``check_name``, ``fingerprint``, ``severity`` and
``location.path`` / ``location.lines.begin``. Publish it as ``artifacts:reports:codequality``.

The fingerprint is the one the SARIF format gives (``Report.fingerprints``): it stays the
same when unrelated lines move, so GitLab does not report moved findings as new ones.
"""

from __future__ import annotations

from typing import Any, TextIO

from ..diagnostics.finding import Finding
from .json_text import dumps
from .report import Report, located_message, rule_name, severity
from .sources import relative_path


def render(report: Report, stream: TextIO) -> None:
    issues = [_issue(f, fingerprint) for f, fingerprint in zip(report.findings, report.fingerprints())]
    stream.write(dumps(issues, stream, indent=2) + "\n")


def _issue(finding: Finding, fingerprint: str) -> dict[str, Any]:
    level = severity(finding)
    in_file = finding.cell is None
    heading = f"{finding.code} {rule_name(finding)}" if finding.code is not None else finding.name
    return {
        "type": "issue",
        "check_name": finding.code or finding.name,
        "description": f"{heading}: {located_message(finding)}",
        "categories": [level.codeclimate],
        "severity": level.gitlab,
        "fingerprint": fingerprint,
        "location": {
            "path": relative_path(finding.filename),
            # In a notebook the line counts within a cell; GitLab can only point at the file.
            "lines": {"begin": finding.line if in_file else 1, "end": finding.end_line if in_file else 1},
        },
    }
