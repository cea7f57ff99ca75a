#!/usr/bin/env python3
"""The language server's speed and memory, as an editor sees them.

    python benchmarks/server.py [--file PATH] [--edits N] [--latency-samples N] [--starts N] [--base REV] [--json FILE]

Everything is measured from the client's side of the pipe, in wall-clock time, on one
2,000-line torch file (the project's fixtures under ``fixtures/interop`` and
``fixtures/device``, concatenated until they reach 2,000 lines: code written to hold
findings, so denser in them than most files). Three figures:

- **latency after an edit**: the client sends a one-character ``didChange`` and at once a
  ``textDocument/diagnostic`` request, and waits for the full report. That is the pull
  model, so no debounce is involved: the time is the JSON-RPC round trip, applying the
  change, and a check of the file (the server re-parses only the statements the edit
  touched, down to those of one function's or class's body, and runs the model and the
  rules over the whole module). Three kinds
  of edit, reported apart, each typed and then deleted again so that the file stays valid:
  a character in a comment line (``comment``: the cheapest, and not what people mostly
  type), a digit after an integer literal inside a function body (``literal``), and an
  underscore after a name inside a function body (``name``). p50 and p95 over
  ``--latency-samples`` edits of each kind, at different places. For scale, the same file
  checked in-process (``lint_source``) and LibCST's parse alone (the floor no LibCST linter
  goes below) are timed too.
- ``--base REV`` measures the latency of the server at that revision too, in the same run
  (its ``src/`` from git, the two servers taking turns), so that before and after are
  compared on the same machine state.
- **start to first diagnostics**: from spawning ``python -m torchbridge server`` to the
  first ``publishDiagnostics`` for the file, opened right after ``initialize`` (the median
  of ``--starts`` starts).
- ``--file PATH`` measures another file instead (with an edit mark added first and last).
- **memory after N edits**: the server's resident set size (``VmRSS``) after the file is
  opened and checked once, then every 1,000 edits up to ``--edits`` (10,000), with a pulled
  check every 50 edits (an editor pulls after a pause, not after each keystroke).

Not a test: nothing here runs in CI, and no test times anything. Figures: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import io
import json
import keyword
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tokenize
from pathlib import Path

import libcst as cst
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from torchbridge.engine.lint import lint_source
from torchbridge.project.selection import Selection

ROOT = Path(__file__).resolve().parent.parent
LINES = 2000
MARK = "# edit here: "  # a comment line every 40 lines, where the benchmark types


def torch_file() -> str:
    parts = sorted((ROOT / "fixtures" / "interop").glob("*.py")) + sorted((ROOT / "fixtures" / "device").glob("*.py"))
    out: list[str] = []
    index = 0
    while len(out) < LINES:
        for line in parts[index % len(parts)].read_text().splitlines():
            if len(out) % 40 == 0:
                out.append(MARK)
            out.append(line)
        index += 1
    out = out[:LINES]
    # The cut may fall inside a statement (a ``def`` line without its body); end the file at
    # the last line where it is whole, and pad with comment lines back to LINES.
    while out and not _parses("\n".join(out) + "\n"):
        out.pop()
    out += ["# padding"] * (LINES - len(out))
    return "\n".join(out) + "\n"


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def given_file(path: Path) -> str:
    return f"{MARK}\n{path.read_text()}{MARK}\n"


def marks(text: str) -> list[tuple[int, int]]:
    """(line, column) just after each edit mark."""
    return [(n, len(MARK)) for n, line in enumerate(text.splitlines()) if line == MARK]


def code_places(text: str, kind: str) -> list[tuple[int, int]]:
    """(line, column) just after each integer literal (``literal``: typing a digit there keeps
    it an integer) or each name (``name``: an underscore keeps it a name) inside a function
    body, on ASCII lines (LSP counts columns in UTF-16 units); at most one per line, spread
    over the file."""
    bodies: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            bodies.update(range(node.body[0].lineno, (node.end_lineno or node.body[0].lineno) + 1))
    lines = text.splitlines()
    places: dict[int, tuple[int, int]] = {}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        line, column = token.end
        if line not in bodies or line in places or token.start[0] != line or not lines[line - 1].isascii():
            continue
        if _editable(token, kind):
            places[line] = (line - 1, column)
    return list(places.values())


def _editable(token: tokenize.TokenInfo, kind: str) -> bool:
    if kind == "literal":
        return token.type == tokenize.NUMBER and token.string.isdigit() and token.string[0] != "0"
    word = token.string
    return token.type == tokenize.NAME and not keyword.iskeyword(word) and not keyword.issoftkeyword(word)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def session(
    *, pull: bool, env: dict[str, str] | None = None,
) -> tuple[LanguageClient, asyncio.subprocess.Process, dict[str, asyncio.Event]]:
    client = LanguageClient("bench", "1")
    published: dict[str, asyncio.Event] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: types.PublishDiagnosticsParams) -> None:
        published.setdefault(params.uri, asyncio.Event()).set()

    await client.start_io(sys.executable, "-m", "torchbridge", "server", env=env)
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(diagnostic=types.DiagnosticClientCapabilities() if pull else None),
    )
    await client.initialize_async(types.InitializeParams(capabilities=capabilities, root_uri=ROOT.as_uri()))
    client.initialized(types.InitializedParams())
    server = client._server  # the subprocess, for its pid
    assert server is not None
    return client, server, published


async def close(client: LanguageClient) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


def edit(uri: str, version: int, where: tuple[int, int], text: str, remove: bool) -> types.DidChangeTextDocumentParams:
    line, column = where
    end = types.Position(line, column + (1 if remove else 0))
    change = types.TextDocumentContentChangePartial(types.Range(types.Position(line, column), end), "" if remove else text)
    return types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(version=version, uri=uri), [change])


async def first_diagnostics(text: str, uri: str) -> float:
    started = time.perf_counter()
    client, _, published = await session(pull=False)
    event = published.setdefault(uri, asyncio.Event())
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
    await event.wait()
    elapsed = time.perf_counter() - started
    await close(client)
    return elapsed


TYPED = {"comment": "x", "literal": "0", "name": "_"}


async def latency(
    text: str, uri: str, samples: int, kind: str = "comment", env: dict[str, str] | None = None, first: int = 0,
) -> list[float]:
    """Seconds from each edit to its pulled diagnostics; the edits of ``kind`` start at the
    ``first``-th place."""
    client, _, _ = await session(pull=True, env=env)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
    document = types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))
    await client.text_document_diagnostic_async(document)
    places = marks(text) if kind == "comment" else code_places(text, kind)
    times = []
    for version in range(2, samples + 2):
        where = places[(first + version // 2) % len(places)]
        started = time.perf_counter()
        # Type a character, then take it away again at the same place: the file stays valid.
        client.text_document_did_change(edit(uri, version, where, TYPED[kind], remove=version % 2 == 1))
        await client.text_document_diagnostic_async(document)
        times.append(time.perf_counter() - started)
    await close(client)
    return times


def checkout(revision: str, into: Path) -> dict[str, str]:
    """The environment that runs the server of ``revision`` (its ``src/`` under ``into``)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return {**os.environ, "PYTHONPATH": str(into / "src")}


async def compared(
    text: str, uri: str, samples: int, servers: dict[str, dict[str, str] | None],
) -> dict[tuple[str, str], list[float]]:
    """Latency samples by (edit kind, server): the servers take turns, in two rounds of half
    the samples each, so that a change in the machine's load falls on both."""
    results: dict[tuple[str, str], list[float]] = {}
    for kind in TYPED:
        for round_ in range(2):
            for name, env in servers.items():
                half = samples // 2 + (samples % 2 if round_ else 0)
                got = await latency(text, uri, half, kind, env, first=round_ * samples)
                results.setdefault((kind, name), []).extend(got)
    return results


async def memory(text: str, uri: str, edits: int) -> list[tuple[int, int]]:
    client, server, _ = await session(pull=True)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
    document = types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))
    await client.text_document_diagnostic_async(document)
    readings = [(0, rss_kib(server.pid))]
    places = marks(text)
    for version in range(2, edits + 2):
        client.text_document_did_change(edit(uri, version, places[(version // 2) % len(places)], "x", remove=version % 2 == 1))
        if version % 50 == 0:
            await client.text_document_diagnostic_async(document)
        if (version - 1) % 1000 == 0:
            await client.text_document_diagnostic_async(document)
            readings.append((version - 1, rss_kib(server.pid)))
    await close(client)
    return readings


def in_process(text: str, repeat: int = 5) -> tuple[float, float]:
    rules = Selection().rules()
    parse, check = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        cst.parse_module(text)
        parse.append(time.perf_counter() - started)
        started = time.perf_counter()
        lint_source(text, "bench.py", rules)
        check.append(time.perf_counter() - started)
    return statistics.median(parse), statistics.median(check)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, help="measure this file instead of the 2,000-line one")
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--latency-samples", type=int, default=100)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--base", action="append", default=[], metavar="REV", help="also measure the server at REV")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    text = torch_file() if args.file is None else given_file(args.file)
    uri = (ROOT / "bench_2000_lines.py").as_uri()  # never written: the editor's buffer
    findings = lint_source(text, "bench.py", Selection().rules())
    parse, check = in_process(text)
    print(f"file: {len(text.splitlines())} lines, {len(text):,} characters, {len(findings)} findings")
    print(f"in-process: LibCST parse {parse * 1000:.0f} ms, lint_source {check * 1000:.0f} ms (medians of 5)")
    starts = [await first_diagnostics(text, uri) for _ in range(args.starts)]
    print(f"start to first diagnostics: median {statistics.median(starts) * 1000:.0f} ms over {len(starts)} starts")
    with tempfile.TemporaryDirectory() as scratch:
        servers: dict[str, dict[str, str] | None] = {"this tree": None}
        for revision in args.base:
            into = Path(scratch) / revision.replace("/", "_")
            into.mkdir()
            servers[f"at {revision}"] = checkout(revision, into)
        latencies = await compared(text, uri, args.latency_samples, servers)
    print("latency after an edit (didChange + textDocument/diagnostic), p50 / p95:")
    for (kind, name), times in latencies.items():
        print(f"  {kind:8s} {name:16s} {percentile(times, 0.5) * 1000:5.0f} ms / {percentile(times, 0.95) * 1000:5.0f} ms"
              f"  ({len(times)} edits)")
    readings = await memory(text, uri, args.edits)
    print("memory (VmRSS) after N edits: " + ", ".join(f"{n:,}: {kib / 1024:.0f} MiB" for n, kib in readings))
    if args.json is not None:
        args.json.write_text(json.dumps({
            "lines": len(text.splitlines()), "findings": len(findings), "parse_s": parse, "lint_s": check,
            "start_to_first_diagnostics_s": starts,
            "latency_s": {f"{kind} {name}": times for (kind, name), times in latencies.items()},
            "rss_kib_after_edits": readings,
        }, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
