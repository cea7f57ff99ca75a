"""``--statistics``: how many findings each rule gave, with the rule's name and how many of
them ``fix`` would fix, in place of the findings themselves; most frequent first. A file
that could not be checked counts under its diagnostic's name (``syntax-error``)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, TextIO

from .report import Report, fixable, rule_name, write_footer


def rows(report: Report) -> list[dict[str, Any]]:
    counts: Counter[tuple[str | None, str]] = Counter()
    fixes: Counter[tuple[str | None, str]] = Counter()
    for f in report.findings:
        key = (f.code, rule_name(f))
        counts[key] += 1
        fixes[key] += fixable(f, report.unsafe)
    ordered = sorted(counts, key=lambda key: (-counts[key], key[0] is None, key[0] or key[1]))
    return [{"code": code, "name": name, "count": counts[code, name], "fixable": fixes[code, name]} for code, name in ordered]


def render_text(report: Report, stream: TextIO) -> None:
    table = rows(report)
    count_width = max((len(str(row["count"])) for row in table), default=0)
    code_width = max((len(row["code"] or row["name"]) for row in table), default=0)
    name_width = max((len(row["name"]) if row["code"] else 0 for row in table), default=0)
    style = report.style
    for row in table:
        code = (row["code"] or row["name"]).ljust(code_width)
        name = (row["name"] if row["code"] else "").ljust(name_width)
        fixes = style.fixable("[*]") + f" {row['fixable']} fixable" if row["fixable"] else ""
        stream.write(f"{str(row['count']).rjust(count_width)}  {style.code(code)}  {name}  {fixes}".rstrip() + "\n")
    write_footer(report, stream)


def render_json(report: Report, stream: TextIO) -> None:
    json.dump(rows(report), stream, indent=2)
    stream.write("\n")


def render_json_lines(report: Report, stream: TextIO) -> None:
    for row in rows(report):
        stream.write(json.dumps(row) + "\n")
