"""Findings as LSP diagnostics, and changed texts as LSP edits.

Severity follows the rule's class, as in SARIF (``output.report.SEVERITIES``): correctness
is an Error, portability and performance a Warning, style Information; a file that could
not be checked is an Error. ``codeDescription`` links the rule's page in ``docs/rules/``;
the deprecated-API rule (TNP304) carries the Deprecated tag, so editors strike the call
through.
"""

from __future__ import annotations

import difflib

from lsprotocol import types

from ..diagnostics.finding import Finding
from ..engine.incremental import common_prefix, common_suffix
from ..engine.source import python_lines
from ..output.report import severity
from .documents import Codec, TextDocument

SOURCE = "torchbridge"
# Where docs/rules/ is published; the pre-commit example in the README names the same repository.
RULE_DOCS = "https://github.com/torchbridge/torchbridge/blob/main/docs/rules/{code}.md"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "note": types.DiagnosticSeverity.Information,
}
_TAGS = {"TNP304": [types.DiagnosticTag.Deprecated]}  # a deprecated API: editors strike it through


def finding_range(finding: Finding, document: TextDocument, codec: Codec) -> types.Range:
    start = document.position(finding.line, finding.column, codec)
    end = document.position(finding.end_line, finding.end_column, codec)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start, end)


def diagnostic(finding: Finding, document: TextDocument, codec: Codec) -> types.Diagnostic:
    if finding.code is None:
        # A file that could not be checked: its kind names it, and it has no page.
        return types.Diagnostic(
            range=finding_range(finding, document, codec), message=finding.message,
            severity=types.DiagnosticSeverity.Error, code=finding.name, source=SOURCE,
        )
    return types.Diagnostic(
        range=finding_range(finding, document, codec),
        message=finding.message,
        severity=_SEVERITY[severity(finding).sarif],
        code=finding.code,
        code_description=types.CodeDescription(href=RULE_DOCS.format(code=finding.code)),
        source=SOURCE,
        tags=_TAGS.get(finding.code),
    )


def text_edits(document: TextDocument, new: str, codec: Codec) -> list[types.TextEdit]:
    """The edits that turn ``document`` into ``new``: one per changed run of lines, trimmed
    to the characters that differ, so that the editor keeps its cursor and marks elsewhere."""
    old_lines, new_lines = document.lines, python_lines(new)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))
    new_starts = [0]
    for line in new_lines:
        new_starts.append(new_starts[-1] + len(line))
    old_text = document.text
    edits = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start, end = starts[i1], starts[i2]
        content = new[new_starts[j1] : new_starts[j2]]
        prefix = common_prefix(old_text[start:end], content)
        start, content = start + prefix, content[prefix:]
        suffix = common_suffix(old_text[start:end], content, min(end - start, len(content)))
        end, content = end - suffix, content[: len(content) - suffix]
        # An LSP position cannot fall between the two characters of a CRLF.
        if 0 < start < len(old_text) and old_text[start - 1 : start + 1] == "\r\n":
            start, content = start - 1, "\r" + content
        if 0 < end < len(old_text) and old_text[end - 1 : end + 1] == "\r\n":
            end, content = end + 1, content + "\n"
        edits.append(
            types.TextEdit(types.Range(document.position_at(start, codec), document.position_at(end, codec)), content)
        )
    return edits


