"""Recall on code that people posted when the NumPy/torch boundary bit them.

Runs ``torchbridge check`` with every rule on over ``benchmarks/recall/posts/`` and
matches its findings to the labels written in the snippets before the tool ever ran
(see ``benchmarks/recall/README.md``):

- ``# expect: TNPxxx[, TNPyyy]`` at the end of a line: that rule should report there;
- ``# ok`` at the end of a line: a look-alike that is correct; any finding there is a
  false positive.

A finding matches an expectation with the same code on its first line, or on a later
line that the finding spans (a multi-line call reported from its start). Codes that no
rule has yet count as misses.

    python benchmarks/recall.py                     # tables on stdout
    python benchmarks/recall.py --misses            # ... and every miss
    python benchmarks/recall.py --markdown benchmarks/recall/RESULTS.md

``--markdown`` replaces only the part of the file between ``<!-- results:start -->`` and
``<!-- results:end -->``, so the notes written around the tables survive a re-run.

Run it with the interpreter that has torchbridge installed (``.venv/bin/python``).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
POSTS = HERE / "recall" / "posts"

_EXPECT = re.compile(r"#\s*expect:\s*(TNP\d{3}(?:\s*,\s*TNP\d{3})*)\s*$")
_OK = re.compile(r"#\s*ok\s*$")
_HEADER = re.compile(r"#\s*(source|title|cause|what happened):\s*(.*)$")


@dataclass
class Post:
    path: Path
    source: str = ""
    title: str = ""
    cause: str = ""
    happened: str = ""
    expect: dict[int, list[str]] = field(default_factory=dict)  # line -> codes
    ok: set[int] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)


@dataclass
class Finding:
    code: str | None
    name: str
    message: str
    line: int
    end_line: int


def read_post(path: Path) -> Post:
    post = Post(path=path)
    post.lines = path.read_text(encoding="utf-8").splitlines()
    for number, text in enumerate(post.lines, 1):
        if number <= 4 and (m := _HEADER.match(text)):
            key = {"what happened": "happened"}.get(m.group(1), m.group(1))
            setattr(post, key, m.group(2).strip())
            continue
        if m := _EXPECT.search(text):
            post.expect[number] = [c.strip() for c in m.group(1).split(",")]
        elif _OK.search(text):
            post.ok.add(number)
    return post


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "torchbridge", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def known_rules() -> dict[str, dict]:
    out = tool("rules", "--output-format", "json")
    if out.returncode != 0:
        sys.exit(f"torchbridge rules failed: {out.stderr.strip()}")
    return {r["code"]: r for r in json.loads(out.stdout)}


def run_check(paths: list[Path], rules: dict[str, dict], jobs: int) -> dict[Path, list[Finding]]:
    # `--select TNP` alone leaves the rules that are off by default off; naming every
    # known code turns them all on.
    args = [
        "check", "--isolated", "--no-cache", "--select", "TNP",
        "--extend-select", ",".join(sorted(rules)),
        "--output-format", "json", "--exit-zero", "-j", str(jobs),
        *[str(p) for p in paths],
    ]
    out = tool(*args)
    if out.returncode != 0:
        sys.exit(f"torchbridge check exited {out.returncode}: {out.stderr.strip()}")
    findings: dict[Path, list[Finding]] = defaultdict(list)
    for item in json.loads(out.stdout):
        path = Path(item["filename"]).resolve()
        findings[path].append(
            Finding(
                code=item.get("code"),
                name=item.get("name") or "",
                message=item.get("message") or "",
                line=int(item.get("line") or 0),
                end_line=int(item.get("end_line") or item.get("line") or 0),
            )
        )
    return findings


@dataclass
class Outcome:
    hits: set[tuple[Path, int, str]] = field(default_factory=set)
    misses: list[tuple[Post, int, str]] = field(default_factory=list)
    false_positives: list[tuple[Post, Finding]] = field(default_factory=list)
    other_code_on_labelled_line: list[tuple[Post, Finding]] = field(default_factory=list)
    unlabelled: list[tuple[Post, Finding]] = field(default_factory=list)
    errors: list[tuple[Post, Finding]] = field(default_factory=list)


def match(posts: list[Post], findings: dict[Path, list[Finding]]) -> Outcome:
    outcome = Outcome()
    for post in posts:
        for f in findings.get(post.path.resolve(), []):
            if f.code is None:
                outcome.errors.append((post, f))
                continue
            span = range(f.line, max(f.line, f.end_line) + 1)
            if f.code in post.expect.get(f.line, ()):
                outcome.hits.add((post.path, f.line, f.code))
            elif f.line in post.ok:
                outcome.false_positives.append((post, f))
            elif f.line in post.expect:
                outcome.other_code_on_labelled_line.append((post, f))
            elif hit := next((n for n in span if f.code in post.expect.get(n, ())), None):
                outcome.hits.add((post.path, hit, f.code))
            else:
                outcome.unlabelled.append((post, f))
        for number, codes in post.expect.items():
            for code in codes:
                if (post.path, number, code) not in outcome.hits:
                    outcome.misses.append((post, number, code))
    return outcome


def pct(found: int, expected: int) -> str:
    return f"{100 * found / expected:.0f}%" if expected else "-"


def tables(posts: list[Post], outcome: Outcome, rules: dict[str, dict]) -> dict[str, list[list[str]]]:
    by_cause: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # posts, exp, found, posts hit, ok
    by_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for post in posts:
        row = by_cause[post.cause]
        row[0] += 1
        row[4] += len(post.ok)
        any_hit = False
        for number, codes in post.expect.items():
            for code in codes:
                found = (post.path, number, code) in outcome.hits
                row[1] += 1
                row[2] += found
                any_hit |= found
                by_rule[code][0] += 1
                by_rule[code][1] += found
        row[3] += any_hit
    fp_by_cause: dict[str, int] = defaultdict(int)
    for post, _ in outcome.false_positives:
        fp_by_cause[post.cause] += 1

    cause_rows = []
    total = [0, 0, 0, 0, 0, 0]
    for cause, (n, exp, found, posts_hit, oks) in sorted(by_cause.items(), key=lambda kv: (-kv[1][1], kv[0])):
        fp = fp_by_cause[cause]
        cause_rows.append([cause, str(n), str(exp), str(found), str(exp - found), pct(found, exp),
                           f"{posts_hit}/{n}", f"{fp}/{oks}"])
        for i, v in enumerate((n, exp, found, posts_hit, oks, fp)):
            total[i] += v
    n, exp, found, posts_hit, oks, fp = total
    cause_rows.append(["**all**", str(n), str(exp), str(found), str(exp - found), pct(found, exp),
                       f"{posts_hit}/{n}", f"{fp}/{oks}"])

    rule_rows = []
    for code, (exp, found) in sorted(by_rule.items()):
        rule = rules.get(code)
        if rule is None:
            status = "no rule yet"
        elif rule.get("default_enabled"):
            status = rule["name"]
        else:
            status = f"{rule['name']} (off by default)"
        rule_rows.append([code, status, str(exp), str(found), str(exp - found), pct(found, exp)])
    return {"cause": cause_rows, "rule": rule_rows}


def finding_rows(items: list[tuple[Post, Finding]]) -> list[list[str]]:
    rows = []
    for post, f in sorted(items, key=lambda pf: (pf[0].path.name, pf[1].line, pf[1].code or "")):
        text = post.lines[f.line - 1].strip() if 0 < f.line <= len(post.lines) else ""
        rows.append([f"{post.path.name}:{f.line}", f.code or f.name, f.message, text])
    return rows


def miss_rows(outcome: Outcome) -> list[list[str]]:
    rows = []
    for post, number, code in sorted(outcome.misses, key=lambda m: (m[0].path.name, m[1], m[2])):
        rows.append([f"{post.path.name}:{number}", code, post.cause, post.lines[number - 1].strip()])
    return rows


def render_text(title: str, header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return f"{title}: none\n"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    widths[-1] = min(widths[-1], 100)
    out = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths))]
    out.append("  ".join("-" * w for w in widths))
    for r in rows:
        out.append("  ".join(c[:w].ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(out) + "\n"


def render_md(header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "None.\n"

    def cell(text: str, column: str) -> str:
        text = text.replace("|", "\\|").replace("\n", " ")
        if column == "line" and text:
            return "`" + text.replace("`", "'") + "`"
        return text

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c, h) for c, h in zip(r, header)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


START, END = "<!-- results:start -->", "<!-- results:end -->"


def write_markdown(path: Path, body: str) -> None:
    """Write ``body`` between the results markers of ``path``, keeping the text around
    them; a file without the markers gets them, with ``body`` between."""
    block = f"{START}\n<!-- generated by benchmarks/recall.py --markdown; do not edit by hand -->\n\n{body}\n{END}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + block
    path.write_text(text, encoding="utf-8")


CAUSE_HEADER = ["cause", "posts", "expected", "found", "missed", "recall", "posts with a hit", "FP on ok lines"]
RULE_HEADER = ["code", "rule", "expected", "found", "missed", "recall"]
FINDING_HEADER = ["where", "code", "message", "line"]
MISS_HEADER = ["where", "code", "cause", "line"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=Path, default=POSTS, help="folder of labelled snippets")
    parser.add_argument("--misses", action="store_true", help="list every missed expectation")
    parser.add_argument("--markdown", type=Path, help="write the tables as Markdown to this file")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="torchbridge worker processes (default 1)")
    args = parser.parse_args(argv)

    paths = sorted(args.posts.glob("*.py"))
    if not paths:
        sys.exit(f"no snippets under {args.posts}")
    posts = [read_post(p) for p in paths]
    rules = known_rules()
    findings = run_check(paths, rules, args.jobs)
    outcome = match(posts, findings)
    t = tables(posts, outcome, rules)
    reserved = sorted({c for p in posts for cs in p.expect.values() for c in cs} - set(rules))

    print(render_text("Recall per cause", CAUSE_HEADER, t["cause"]))
    print(render_text("Recall per rule", RULE_HEADER, t["rule"]))
    if reserved:
        print(f"Expected codes with no rule yet (all counted as misses): {', '.join(reserved)}\n")
    print(render_text("Findings on `# ok` lines (false positives)", FINDING_HEADER,
                      finding_rows(outcome.false_positives)))
    print(render_text("Other codes on labelled lines (to review)", FINDING_HEADER,
                      finding_rows(outcome.other_code_on_labelled_line)))
    print(render_text("Findings on unlabelled lines (to review)", FINDING_HEADER,
                      finding_rows(outcome.unlabelled)))
    if outcome.errors:
        print(render_text("Files torchbridge could not check", FINDING_HEADER, finding_rows(outcome.errors)))
    if args.misses:
        print(render_text("Misses", MISS_HEADER, miss_rows(outcome)))

    if args.markdown:
        parts = [
            "### Recall per cause\n", render_md(CAUSE_HEADER, t["cause"]),
            "\n### Recall per rule\n", render_md(RULE_HEADER, t["rule"]),
        ]
        if reserved:
            parts.append(f"\nExpected codes with no rule yet (all counted as misses): {', '.join(reserved)}.\n")
        parts += [
            "\n### Findings on `# ok` lines (false positives)\n",
            render_md(FINDING_HEADER, finding_rows(outcome.false_positives)),
            "\n### Other codes on labelled lines (to review)\n",
            render_md(FINDING_HEADER, finding_rows(outcome.other_code_on_labelled_line)),
            "\n### Findings on unlabelled lines (to review)\n",
            render_md(FINDING_HEADER, finding_rows(outcome.unlabelled)),
            "\n### Misses\n",
            render_md(MISS_HEADER, miss_rows(outcome)),
        ]
        write_markdown(args.markdown, "".join(parts))
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
