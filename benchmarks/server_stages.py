#!/usr/bin/env python3
"""Where the time between an edit and its pulled diagnostics goes, stage by stage.

    python benchmarks/server_stages.py [--edits 60] [--kind name] [--profile DIR]

The client of ``benchmarks/server.py`` (a one-character ``didChange``, then at once a
``textDocument/diagnostic`` request, the 2,000-line fixtures file) drives the real server
process, started through this script so that a few of its functions are wrapped to note
the monotonic clock (shared by both processes on Linux) as a message passes them. Per edit:

- ``change read``: from the client sending the ``didChange`` to the server holding its body
  (the pipe, pygls' reader thread);
- ``change decoded`` and ``change applied``: the JSON parse and lsprotocol's structuring,
  then the session's handler (the change applied to the document);
- ``pull read`` / ``pull decoded``: the same for the diagnostic request, from the end of the
  change's handler;
- ``to worker``: from the pull's handler starting to the check starting on the worker thread;
- ``check``: the check (``analyze``) on the worker;
- ``back from worker``: from the check's end to the pull's handler resuming;
- ``report built``: the findings made LSP diagnostics;
- ``sent``: pygls serialising the answer (cattrs, ``json.dumps``) and writing it;
- ``client``: from the write to the client's ``await`` returning (the pipe, the client's
  reader thread, JSON and structuring on its side);
- ``collector``: the time the cyclic garbage collector ran in the server during the edit
  (inside the stages above, on any thread).

``--profile DIR`` also writes a cProfile of the server's main thread (``main.prof``) and of
the check worker (``worker.prof``; cProfile is per thread) over the edits.

Not a test: nothing here runs in CI. Figures: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGES = (
    ("change read", "client sent", "change body"),
    ("change decoded", "change body", "change structured"),
    ("change applied", "change structured", "change handled"),
    ("pull read", "change handled", "pull body"),
    ("pull decoded", "pull body", "pull structured"),
    ("to worker", "pull structured", "check started"),
    ("check", "check started", "check ended"),
    ("back from worker", "check ended", "pull resumed"),
    ("report built", "pull resumed", "report built"),
    ("sent", "report built", "report written"),
    ("client", "report written", "client received"),
)


def serve(log: str, profile: str) -> None:
    """The server, with its stages noted in ``log`` (one JSON list of (event, ns) at exit)."""
    import atexit

    from pygls import io_
    from pygls.protocol import json_rpc

    from torchbridge.server import session

    events: list[tuple[str, int]] = []
    # The message being handled: ``change`` or ``pull`` (a didChange or a diagnostic request).
    current = {"what": ""}

    def note(event: str) -> None:
        events.append((event, time.monotonic_ns()))

    def readexactly(self: Any, n: int) -> Any:
        def body() -> bytes:
            data: bytes = self.stdin.read(n)
            what = "change" if b'"textDocument/didChange"' in data else "pull" if b'"textDocument/diagnostic"' in data else ""
            current["what"] = what
            if what:
                note(f"{what} body")
            return data

        return self.loop.run_in_executor(self.executor, body)

    io_.StdinAsyncReader.readexactly = readexactly  # type: ignore[method-assign]

    class Json:
        def __getattr__(self, name: str) -> Any:
            return getattr(json, name)

        @staticmethod
        def loads(body: bytes, **kwargs: Any) -> Any:
            message = json.loads(body, **kwargs)
            if current["what"]:
                note(f"{current['what']} structured")
            return message

    io_.json = Json()  # type: ignore[assignment]

    did_change, pull = session.Session.did_change, session.Session.pull_diagnostics

    async def change(self: Any, params: Any) -> None:
        await did_change(self, params)
        note("change handled")

    async def diagnostics(self: Any, params: Any) -> Any:
        analysis = self.analysis

        async def noted(uri: str) -> Any:
            result = await analysis(uri)
            note("pull resumed")
            return result

        self.analysis = noted
        try:
            report = await pull(self, params)
        finally:
            del self.analysis
        note("report built")
        return report

    session.Session.did_change = change  # type: ignore[method-assign]
    session.Session.pull_diagnostics = diagnostics  # type: ignore[method-assign]

    worker_profile = cProfile.Profile()
    checked = session._checked

    def check(*args: Any) -> Any:
        note("check started")
        if profile:
            worker_profile.enable()
        try:
            return checked(*args)
        finally:
            if profile:
                worker_profile.disable()
            note("check ended")

    session._checked = check  # type: ignore[assignment]

    send = json_rpc.JsonRPCProtocol._send_data

    def send_data(self: Any, data: Any) -> None:
        send(self, data)
        if hasattr(data, "result"):  # a response: the one to the diagnostic request, here
            note("report written")

    json_rpc.JsonRPCProtocol._send_data = send_data  # type: ignore[method-assign]

    main_profile = cProfile.Profile()
    if profile:
        main_profile.enable()

    def save() -> None:
        if profile:
            main_profile.disable()
            main_profile.dump_stats(str(Path(profile) / "main.prof"))
            worker_profile.dump_stats(str(Path(profile) / "worker.prof"))
        Path(log).write_text(json.dumps(events))

    atexit.register(save)
    _note_collections(events)
    from torchbridge.server import serve as run

    run()


def _note_collections(events: list[tuple[str, int]]) -> None:
    """The cyclic collector's passes, on whichever thread set them off: ("collector NS", when it
    ended), NS the nanoseconds it ran."""
    started = [0]

    def collected(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.monotonic_ns()
        else:
            ended = time.monotonic_ns()
            events.append((f"collector {ended - started[0]}", ended))

    gc.callbacks.append(collected)


async def drive(edits: int, kind: str, log: str, profile: str) -> list[dict[str, int]]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import server as bench
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    text = bench.torch_file()
    uri = (ROOT / "bench_2000_lines.py").as_uri()
    client = LanguageClient("stages", "1")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    await client.start_io(sys.executable, __file__, "--serve", log, profile, env=env)
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(diagnostic=types.DiagnosticClientCapabilities()),
    )
    await client.initialize_async(types.InitializeParams(capabilities=capabilities, root_uri=ROOT.as_uri()))
    client.initialized(types.InitializedParams())
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
    document = types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))
    await client.text_document_diagnostic_async(document)
    places = bench.marks(text) if kind == "comment" else bench.code_places(text, kind)
    sent, received = [], []
    for version in range(2, edits + 2):
        where = places[(version // 2) % len(places)]
        change = bench.edit(uri, version, where, bench.TYPED[kind], remove=version % 2 == 1)
        sent.append(time.monotonic_ns())
        client.text_document_did_change(change)
        await client.text_document_diagnostic_async(document)
        received.append(time.monotonic_ns())
    await bench.close(client)
    await asyncio.sleep(0.5)  # the server writes its log at exit
    events = json.loads(Path(log).read_text())
    # The events of the edits: those after the first pull's answer, in order, one run each.
    rows: list[dict[str, int]] = []
    stream = iter([e for e in events if e[1] >= sent[0]])
    for start, end in zip(sent, received, strict=True):
        row = {"client sent": start, "client received": end}
        for name, at in stream:
            if name.startswith("collector "):
                row["collector"] = row.get("collector", 0) + int(name.split()[1])
                continue
            row.setdefault(name, at)
            if name == "report written":
                break
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--kind", default="name", choices=("comment", "literal", "name"))
    parser.add_argument("--profile", default="", metavar="DIR")
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    with tempfile.TemporaryDirectory() as scratch:
        rows = asyncio.run(drive(args.edits, args.kind, str(Path(scratch) / "events.json"), args.profile))
    print(f"{len(rows)} {args.kind} edits, load average {os.getloadavg()[0]:.1f}; ms per stage, p50 / p95 / mean / max:")
    for name, start, end in (*STAGES, ("total", "client sent", "client received"), ("collector", "", "collector")):
        spans = [(row[end] - row.get(start, 0)) / 1e6 if end in row else 0.0 for row in rows if not start or start in row]
        if spans:
            ordered = sorted(spans)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            print(f"  {name:18s} {statistics.median(spans):7.2f} {p95:7.2f} {statistics.fmean(spans):7.2f} {ordered[-1]:7.2f}")


if __name__ == "__main__":
    main()
