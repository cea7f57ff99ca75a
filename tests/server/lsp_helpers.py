"""What a test does as an editor would: start a session, open, type, wait for diagnostics,
apply an edit."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

HERE = Path(__file__).parent
SERVER = [sys.executable, "-m", "torchbridge", "server"]
# The real server with one function wrapped to raise on a marker: an internal error on demand.
FAULTY_SERVER = [sys.executable, str(HERE / "faulty_server.py")]
# The real server with a stand-in project index (every open document depends on the others).
DEPENDENTS_SERVER = [sys.executable, str(HERE / "dependents_server.py")]


def capabilities(*, pull: bool = False, watch: bool = True) -> types.ClientCapabilities:
    """A client like most editors: versioned workspace edits, code actions resolved when
    chosen, UTF-16 columns; pushed diagnostics unless ``pull``."""
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=watch),
            diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True) if pull else None,
            workspace_folders=True,
        ),
        text_document=types.TextDocumentClientCapabilities(
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(value_set=["", "quickfix", "source"]),
                ),
                is_preferred_support=True, data_support=True,
                resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]),
            ),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                tag_support=types.ClientDiagnosticsTagOptions(value_set=[types.DiagnosticTag.Deprecated]),
                code_description_support=True, version_support=True,
            ),
            diagnostic=types.DiagnosticClientCapabilities() if pull else None,
        ),
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities(),
        ),
    )


async def start(client: LanguageClient, root: Path, *, pull: bool = False, options: object = None) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(pull=pull),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(root.as_uri(), root.name)],
            initialization_options=options,
        )
    )



WAIT = 60  # seconds: a bound on waiting for the server, never a speed requirement


async def wait_until(check: Callable[[], Any], what: str) -> Any:
    """Poll ``check`` until it returns something truthy (the server answers in its own time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        value = check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return [str(d.code) for d in diagnostics]


async def pushed(client: LanguageClient, uri: str, check: Callable[[list[str]], bool]) -> list[types.Diagnostic]:
    """The diagnostics pushed for ``uri`` once their codes satisfy ``check``."""
    await wait_until(lambda: uri in client.diagnostics and check(codes(client.diagnostics[uri])), f"diagnostics of {uri}")
    return list(client.diagnostics[uri])


def open_text(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", version, text)))


def lines(text: str) -> list[str]:
    return io.StringIO(text, newline="").readlines()


def offset(text: str, position: types.Position) -> int:
    """An LSP position (UTF-16 columns) as an offset into ``text``."""
    all_lines = lines(text)
    if position.line >= len(all_lines):
        return len(text)
    start = sum(len(line) for line in all_lines[: position.line])
    line, units, index = all_lines[position.line], 0, 0
    while index < len(line) and units < position.character:
        units += 2 if ord(line[index]) > 0xFFFF else 1
        index += 1
    return start + index


def apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    """``text`` with LSP edits applied, as an editor applies them (all against the original)."""
    spans = sorted(((offset(text, e.range.start), offset(text, e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def edits_by_uri(edit: types.WorkspaceEdit | None) -> dict[str, list[types.TextEdit]]:
    assert edit is not None, "the action has no edit"
    out: dict[str, list[types.TextEdit]] = {}
    for change in edit.document_changes or ():
        assert isinstance(change, types.TextDocumentEdit)
        out.setdefault(change.text_document.uri, []).extend(change.edits)  # type: ignore[arg-type]
    for uri, edits in (edit.changes or {}).items():
        out.setdefault(uri, []).extend(edits)
    return out


def whole(text: str) -> types.Range:
    return types.Range(types.Position(0, 0), types.Position(len(lines(text)), 0))


async def code_actions(
    client: LanguageClient, uri: str, where: types.Range, only: list[str] | None = None,
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), where, types.CodeActionContext(diagnostics=[], only=only))
    )
    return [a for a in result or () if isinstance(a, types.CodeAction)]


async def resolved(client: LanguageClient, action: types.CodeAction) -> types.CodeAction:
    return action if action.edit is not None else await client.code_action_resolve_async(action)
