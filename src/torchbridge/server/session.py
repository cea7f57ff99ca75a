"""The language server: what it keeps, when it checks, and what it answers.

A thin adapter: the findings are the engine's, every edit is the fixer's (or
``--add-noqa``'s), the settings are the CLI's resolution; this module only decides when to
ask and how to say it in LSP.

**When it checks.** A document is checked when it opens, after a change once the editor
has been quiet for ``DEBOUNCE`` seconds (keystrokes in a burst cost one check), at once on
save, and whenever a request needs findings for the text as it is now. Checks run one at a
time on a worker thread, so the server keeps reading (and can be cancelled or shut down)
while one runs; a check for a text that has changed since it started is never published.
Only the last check of each open document is kept (its findings and texts, never a syntax
tree), and a closed document is forgotten, so memory does not grow with a session.

**Push or pull.** A client that can pull diagnostics (``textDocument/diagnostic``) pulls
them, and is asked to pull again (``workspace/diagnostic/refresh``) when the settings
change; any other client gets them pushed (``textDocument/publishDiagnostics``). Both at
once would show every finding twice in clients that keep the two apart (VS Code does).

**A syntax error while typing** is reported, as ``torchbridge check`` reports it: one
Error at the place CPython names, and no findings until the code parses again. Keeping the
last findings instead would leave them on lines that have since moved, and offer quick
fixes for text that is no longer there.

**Unsafe fixes** are offered, labelled "(unsafe fix)" and never preferred, where the
document's settings allow them (``unsafe-fixes`` in ``[tool.torchbridge]``, or the
editor's ``unsafeFixes``, as ``--unsafe-fixes`` would), or where the client asks for them
by kind (``quickfix.torchbridge.unsafe``). "Fix all" applies safe fixes only, whatever the
settings: it runs on save, unattended.

**Project-wide facts.** A check reads the project's other modules through the project
index (``model.project_index``), and an open document's unsaved text takes precedence over
the file on disk. ``refresh_dependents`` runs after each edit (and open) of a document:
``dependents`` names the open documents whose last check consulted it (the index's reverse
edges, through chains of imports too), and they are checked again (pushed) or the client
is asked to pull again (``workspace/diagnostic/refresh``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from ..diagnostics.finding import INTERNAL_ERROR, diagnostic
from ..engine.incremental import Parsed
from ..engine.lint import BUG_REPORT, default_index
from ..model.project_index import read_file
from ..project.config import Settings
from ..rules import rule_by_code
from ..rules.docs import rule_markdown
from ..version import __version__
from .analysis import Analysis, Part, Placed, Refused, Unit, analyze, file_unit, fixed, notebook_unit, with_directive
from .convert import diagnostic as to_diagnostic
from .convert import finding_range, text_edits
from .documents import Codec, Documents, TextDocument
from .heap import HEAP
from .settings import ClientSettings, Configuration

DEBOUNCE = 0.15  # seconds of quiet after a change before a pushed check

FIX = "quickfix.torchbridge"
UNSAFE_FIX = "quickfix.torchbridge.unsafe"
NOQA = "quickfix.torchbridge.noqa"
FIX_ALL = "source.fixAll.torchbridge"
NOTEBOOK_FIX_ALL = "notebook.source.fixAll.torchbridge"
KINDS = (FIX, UNSAFE_FIX, NOQA, FIX_ALL, NOTEBOOK_FIX_ALL)

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _passed_on(method: str) -> Callable[..., Any]:
    """A built-in handler of pygls' that leaves its workspace alone and only calls the
    session's handler (registered with ``feature``)."""

    @lsp_method(method)
    def pass_on(self: LanguageServerProtocol, params: Any) -> Any:
        handler = self.fm.features.get(method)
        if handler is not None:
            yield handler, (params,), None

    return pass_on


class Protocol(LanguageServerProtocol):
    """pygls' protocol, but the open documents are the session's (``documents``): the
    built-in handlers of these notifications only pass them on. Each keeps the name of
    the handler it replaces."""

    lsp_text_document__did_open = _passed_on(types.TEXT_DOCUMENT_DID_OPEN)
    lsp_text_document__did_change = _passed_on(types.TEXT_DOCUMENT_DID_CHANGE)
    lsp_text_document__did_close = _passed_on(types.TEXT_DOCUMENT_DID_CLOSE)
    lsp_notebook_document__did_open = _passed_on(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    lsp_notebook_document__did_change = _passed_on(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    lsp_notebook_document__did_close = _passed_on(types.NOTEBOOK_DOCUMENT_DID_CLOSE)

    def _handle_notification(self, method_name: str, params: Any) -> None:
        super()._handle_notification(method_name, params)
        # pygls 2.1 files the future of each notification's handler with the requests'
        # and never takes it out (a request's answer does): two per keystroke, each
        # holding its change, so memory grew by 3 MiB per 1,000 edits. Finished ones go;
        # dropping a finished request's early is harmless (its answer is sent from the
        # future itself), and a cancelled one's cancel finds nothing left to stop.
        finished = [key for key, future in self._request_futures.items() if future.done()]
        for key in finished:
            del self._request_futures[key]


def guarded(default: Any = None) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., Awaitable[T]]]:
    """A handler that fails logs one line (``window/logMessage``) and answers ``default``
    (or, where it is a function, what it makes of the request's parameters): one
    document's trouble must not end the session, nor show the user a traceback."""

    def wrap(handler: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        @functools.wraps(handler)
        async def run(self: Session, *args: Any) -> T:
            try:
                return await handler(self, *args)
            except Exception as exc:  # noqa: BLE001 - see the docstring
                self.log(types.MessageType.Error, f"internal error in {handler.__name__} ({_describe(exc)}); {BUG_REPORT}")
                return default(*args) if callable(default) else default

        return run

    return wrap


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}"


def create_server() -> tuple[LanguageServer, Session]:
    server = LanguageServer(
        "torchbridge", __version__,
        text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        notebook_document_sync=types.NotebookDocumentSyncOptions(
            notebook_selector=[
                # Any notebook ("*": every notebook type), its Python cells.
                types.NotebookDocumentFilterWithNotebook(notebook="*", cells=[types.NotebookCellLanguage(language="python")]),
            ],
            save=True,
        ),
        protocol_cls=Protocol,
    )
    session = Session(server)
    session.register()
    return server, session


class Session:
    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.documents = Documents()
        self.codec = Codec()
        self.config = Configuration([])
        self.push = True  # the client cannot pull diagnostics
        self.lazy_edits = False  # the client resolves a code action's edit when chosen
        self.document_changes = False  # the client takes versioned edits
        self.refresh = False  # the client re-pulls on workspace/diagnostic/refresh
        self.debounce = DEBOUNCE
        self.shut_down = False
        self._revisions: dict[str, int] = {}  # per unit: one more for each change
        self._analyses: dict[str, Analysis] = {}  # per unit: the last check
        self._running: dict[str, tuple[tuple[int, int], asyncio.Future[Analysis]]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Future[None]] = set()
        self._published: dict[str, set[str]] = {}  # per unit: the documents that got diagnostics
        self._reported: set[str] = set()  # errors already shown, once each
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="torchbridge-check")
        default_index().reader = self._read_module  # the editor's text of open modules first

    def register(self) -> None:
        on = self._on
        on(types.INITIALIZE, self.initialize)
        on(types.INITIALIZED, self.initialized)
        on(types.SHUTDOWN, self.shutdown)
        on(types.TEXT_DOCUMENT_DID_OPEN, self.did_open)
        on(types.TEXT_DOCUMENT_DID_CHANGE, self.did_change)
        on(types.TEXT_DOCUMENT_DID_SAVE, self.did_save, types.SaveOptions(include_text=False))
        on(types.TEXT_DOCUMENT_DID_CLOSE, self.did_close)
        on(types.NOTEBOOK_DOCUMENT_DID_OPEN, self.notebook_did_open)
        on(types.NOTEBOOK_DOCUMENT_DID_CHANGE, self.notebook_did_change)
        on(types.NOTEBOOK_DOCUMENT_DID_SAVE, self.notebook_did_save)
        on(types.NOTEBOOK_DOCUMENT_DID_CLOSE, self.notebook_did_close)
        on(types.WORKSPACE_DID_CHANGE_CONFIGURATION, self.did_change_configuration)
        on(types.WORKSPACE_DID_CHANGE_WATCHED_FILES, self.did_change_watched_files)
        on(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, self.did_change_workspace_folders)
        on(
            types.TEXT_DOCUMENT_DIAGNOSTIC, self.pull_diagnostics,
            # A notebook's cells are documents that depend on each other (a name defined in
            # one is used in the next), and so will modules once the project index lands.
            types.DiagnosticOptions(identifier="torchbridge", inter_file_dependencies=True, workspace_diagnostics=False),
        )
        on(types.TEXT_DOCUMENT_CODE_ACTION, self.code_action, types.CodeActionOptions(code_action_kinds=list(KINDS), resolve_provider=True))
        on(types.CODE_ACTION_RESOLVE, self.resolve_code_action)
        on(types.TEXT_DOCUMENT_HOVER, self.hover)

    def _on(self, method: str, handler: Callable[[Any], Awaitable[Any]], options: Any = None) -> None:
        # pygls marks its handlers with attributes, which a bound method cannot take.
        async def handle(params: Any) -> Any:
            return await handler(params)

        handle.__name__ = handler.__name__
        self.server.feature(method, options)(handle)

    # ------------------------------------------------------------------ messages

    def log(self, level: types.MessageType, message: str) -> None:
        self.server.window_log_message(types.LogMessageParams(type=level, message=f"torchbridge: {message}"))

    def _show_errors(self) -> None:
        for error in self.config.errors:
            if error not in self._reported:
                self._reported.add(error)
                self.log(types.MessageType.Error, error)
                self.server.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=f"torchbridge: {error}"))

    # ------------------------------------------------------------------ lifecycle

    @guarded()
    async def initialize(self, params: types.InitializeParams) -> None:
        self.codec = Codec(str(self.server.workspace.position_encoding or types.PositionEncodingKind.Utf16.value))
        capabilities = params.capabilities
        text = capabilities.text_document
        self.push = text is None or text.diagnostic is None
        action = text.code_action if text is not None else None
        resolvable = action is not None and action.resolve_support is not None and "edit" in action.resolve_support.properties
        self.lazy_edits = bool(resolvable and action is not None and action.data_support)
        workspace = capabilities.workspace
        self.document_changes = bool(workspace and workspace.workspace_edit and workspace.workspace_edit.document_changes)
        self.refresh = bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)
        folders = [_path(folder.uri) for folder in params.workspace_folders or ()]
        if not folders and params.root_uri:
            folders = [_path(params.root_uri)]
        client, problems = ClientSettings.parse(params.initialization_options)
        self.config = Configuration([f for f in folders if f is not None], client)
        for problem in problems:
            self.log(types.MessageType.Warning, problem)

    @guarded()
    async def initialized(self, params: types.InitializedParams) -> None:
        self._show_errors()
        watched = self.server.client_capabilities.workspace
        if watched and watched.did_change_watched_files and watched.did_change_watched_files.dynamic_registration:
            # Without this, a pyproject.toml changed outside the editor is noticed only
            # when the editor saves one or sends new settings.
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern="**/pyproject.toml")],
            )
            self.server.client_register_capability(
                types.RegistrationParams([types.Registration("torchbridge-pyproject", types.WORKSPACE_DID_CHANGE_WATCHED_FILES, options)])
            )

    @guarded()
    async def shutdown(self, params: None) -> None:
        self.shut_down = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._worker.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ documents

    @guarded()
    async def did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        self.documents.open_text(params.text_document)
        self._changed(params.text_document.uri, delay=0)

    @guarded()
    async def did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        if self.documents.change_text(params, self.codec) is not None:
            self._changed(self._unit_uri(params.text_document.uri), delay=self.debounce)

    @guarded()
    async def did_save(self, params: types.DidSaveTextDocumentParams) -> None:
        if _is_configuration(params.text_document.uri):
            self._reload()
        elif self._unit_uri(params.text_document.uri) in self._revisions:
            self._schedule(self._unit_uri(params.text_document.uri), 0)  # no need to wait for quiet

    @guarded()
    async def did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        self.documents.close_text(uri)
        self._forget(uri)

    @guarded()
    async def notebook_did_open(self, params: types.DidOpenNotebookDocumentParams) -> None:
        self.documents.open_notebook(params)
        self._changed(params.notebook_document.uri, delay=0)

    @guarded()
    async def notebook_did_change(self, params: types.DidChangeNotebookDocumentParams) -> None:
        changed = self.documents.change_notebook(params, self.codec)
        if changed is None:
            return
        notebook, closed = changed
        if closed and self.push:
            for uri in closed:
                self._publish_one(uri, None, [])
            self._published.get(notebook.uri, set()).difference_update(closed)
        self._changed(notebook.uri, delay=self.debounce)

    @guarded()
    async def notebook_did_save(self, params: types.DidSaveNotebookDocumentParams) -> None:
        self._schedule(params.notebook_document.uri, 0)

    @guarded()
    async def notebook_did_close(self, params: types.DidCloseNotebookDocumentParams) -> None:
        self.documents.close_notebook(params.notebook_document.uri)
        self._forget(params.notebook_document.uri)

    def _unit_uri(self, uri: str) -> str:
        return self.documents.notebook_of(uri) or uri

    def _changed(self, unit_uri: str, delay: float) -> None:
        """The unit's text changed: check it (after ``delay``), and its dependents."""
        self._bump(unit_uri, delay)
        self.refresh_dependents(unit_uri)

    def _bump(self, unit_uri: str, delay: float) -> None:
        self._revisions[unit_uri] = self._revisions.get(unit_uri, 0) + 1
        self._schedule(unit_uri, delay)

    def _forget(self, unit_uri: str) -> None:
        timer = self._timers.pop(unit_uri, None)
        if timer is not None:
            timer.cancel()
        self._revisions.pop(unit_uri, None)
        self._analyses.pop(unit_uri, None)
        self._running.pop(unit_uri, None)
        if self.push:
            # A closed document's findings leave the editor's problem list with it.
            for uri in self._published.pop(unit_uri, set()):
                self._publish_one(uri, None, [])

    # ------------------------------------------------------------------ configuration

    @guarded()
    async def did_change_configuration(self, params: types.DidChangeConfigurationParams) -> None:
        client, problems = ClientSettings.parse(params.settings)
        for problem in problems:
            self.log(types.MessageType.Warning, problem)
        self._reload(client=client)

    @guarded()
    async def did_change_watched_files(self, params: types.DidChangeWatchedFilesParams) -> None:
        if any(_is_configuration(change.uri) for change in params.changes):
            self._reload()

    @guarded()
    async def did_change_workspace_folders(self, params: types.DidChangeWorkspaceFoldersParams) -> None:
        folders = [_path(uri) for uri in self.server.workspace.folders]
        self._reload(folders=[f for f in folders if f is not None])

    def _reload(self, *, client: ClientSettings | None = None, folders: list[Path] | None = None) -> None:
        """Settings changed: every open document is checked again under the new ones."""
        self.config.reload(client=client, folders=folders)
        self._reported.clear()
        self._show_errors()
        if self.push:
            for unit_uri in self._revisions:
                self._schedule(unit_uri, 0)
        elif self.refresh:
            self.server.workspace_diagnostic_refresh(None)

    # ------------------------------------------------------------------ checking

    def _key(self, unit_uri: str) -> tuple[int, int]:
        return self._revisions.get(unit_uri, 0), self.config.generation

    def _unit(self, unit_uri: str) -> Unit | None:
        """The unit's texts as they are now (strings: the worker can read them while the
        editor goes on changing the documents)."""
        path = _path(unit_uri)
        filename = str(path) if path is not None else unit_uri
        notebook = self.documents.notebooks.get(unit_uri)
        if notebook is not None:
            cells = []
            for number, cell in enumerate(notebook.cells, start=1):
                document = self.documents.texts.get(cell.document)
                if cell.kind == types.NotebookCellKind.Code and document is not None and document.language_id == "python":
                    cells.append((number, cell.document, document.text))
            return notebook_unit(unit_uri, filename, path, cells)
        document = self.documents.texts.get(unit_uri)
        if document is None:
            return None
        # A client may send every file it opens; only Python is checked (Emacs names
        # python-ts-mode's buffers "python-ts").
        python = document.language_id.startswith("python") or (path is not None and path.suffix in (".py", ".pyi"))
        text = document.text if python else ""
        return file_unit(unit_uri, filename, path, text)

    async def analysis(self, unit_uri: str) -> Analysis | None:
        """The findings of the unit's current text, checked now unless known already."""
        key = self._key(unit_uri)
        known = self._analyses.get(unit_uri)
        if known is not None and known.key == key:
            return known
        running = self._running.get(unit_uri)
        if running is None or running[0] != key:
            unit = self._unit(unit_uri)
            if unit is None:
                return None
            settings = self.config.for_path(unit.path)
            self._show_errors()
            excluded = self.config.excluded(unit.path)
            previous = known.parsed if known is not None else None  # the next parse starts from it
            future = asyncio.get_running_loop().run_in_executor(
                self._worker, _checked, unit, settings, key, excluded, previous, known,
            )
            running = (key, asyncio.ensure_future(future))
            self._running[unit_uri] = running
        # Shielded: a cancelled request must not cancel a check other requests wait for.
        result = await asyncio.shield(running[1])
        if self._running.get(unit_uri) is running:
            del self._running[unit_uri]
        if result.error is not None and result.key == key and self._analyses.get(unit_uri) is not result:
            self.log(types.MessageType.Error, f"internal error while checking {result.unit.filename} ({result.error}); {BUG_REPORT}")
        if self._key(unit_uri) == key and unit_uri in self._revisions:
            self._analyses[unit_uri] = result
        return result

    def _schedule(self, unit_uri: str, delay: float) -> None:
        timer = self._timers.pop(unit_uri, None)
        if timer is not None:
            timer.cancel()
        if not self.push:
            return  # the client pulls when it wants them
        self._timers[unit_uri] = asyncio.get_running_loop().call_later(delay, self._start_publishing, unit_uri)

    def _start_publishing(self, unit_uri: str) -> None:
        task = asyncio.ensure_future(self._publish(unit_uri))
        # The loop keeps only a weak reference to a task: one nobody holds may vanish midway.
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @guarded()
    async def _publish(self, unit_uri: str) -> None:
        self._timers.pop(unit_uri, None)
        analysis = await self.analysis(unit_uri)
        if analysis is None or analysis.key != self._key(unit_uri):
            return  # changed meanwhile: the check of the newer text publishes
        by_document: dict[str, list[types.Diagnostic]] = {part.uri: [] for part in analysis.unit.parts}
        for placed in analysis.placed:
            document = self.documents.texts.get(placed.uri)
            if document is not None:
                by_document.setdefault(placed.uri, []).append(to_diagnostic(placed.local, document, self.codec))
        previous = self._published.get(unit_uri, set())
        for uri in previous - by_document.keys():
            self._publish_one(uri, None, [])
        for uri, diagnostics in by_document.items():
            document = self.documents.texts.get(uri)
            self._publish_one(uri, document.version if document is not None else None, diagnostics)
        self._published[unit_uri] = set(by_document)

    def _publish_one(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, diagnostics, version))

    def dependents(self, unit_uri: str) -> list[str]:
        """The open units whose findings may change when ``unit_uri``'s text changes: those
        whose last check consulted its file (the project index's reverse edges)."""
        path = _path(unit_uri)
        if path is None:
            return []
        importers = default_index().importers_of(path)
        return [uri for uri in self._revisions if uri != unit_uri and (found := _path(uri)) is not None
                and found.absolute() in importers]

    def _read_module(self, path: Path) -> bytes | None:
        """A module the project index consults: an open document's text (unsaved edits
        included), else the file on disk. Called on the check worker: the texts are read,
        never changed, there."""
        for uri, document in list(self.documents.texts.items()):
            found = _path(uri)
            if found is not None and found.absolute() == path and not self.documents.notebook_of(uri):
                return document.text.encode("utf-8", "surrogatepass")
        return read_file(path)

    def refresh_dependents(self, unit_uri: str) -> None:
        """After an edit of ``unit_uri``: its open dependents are checked again (pushed), or
        the client is asked to pull again (pulled). Only an edit refreshes: a dependent's own
        re-check refreshes nothing, so import cycles cannot loop."""
        stale = [d for d in self.dependents(unit_uri) if d in self._revisions and d != unit_uri]
        if not stale:
            return
        if self.push:
            for dependent in stale:
                self._bump(dependent, self.debounce)
        elif self.refresh:
            self.server.workspace_diagnostic_refresh(None)

    # ------------------------------------------------------------------ pulled diagnostics

    @guarded(default=types.RelatedFullDocumentDiagnosticReport(items=[]))
    async def pull_diagnostics(self, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        unit_uri = self._unit_uri(uri)
        analysis = await self.analysis(unit_uri)
        document = self.documents.texts.get(uri)
        if analysis is None or document is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        result_id = "{}.{}".format(*analysis.key)
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        items = [to_diagnostic(p.local, document, self.codec) for p in analysis.in_document(uri)]
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)

    # ------------------------------------------------------------------ hover

    @guarded()
    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        analysis = await self.analysis(self._unit_uri(uri))
        document = self.documents.texts.get(uri)
        if analysis is None or document is None:
            return None
        here = [p for p in analysis.in_document(uri) if p.local.code is not None and _contains(self._range(p, document), params.position)]
        if not here:
            return None
        rules = list(dict.fromkeys(rule_by_code(p.local.code or "") for p in here))
        pages = [rule_markdown(rule) for rule in rules if rule is not None]
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n---\n\n".join(pages)),
            range=self._range(here[0], document),
        )

    def _range(self, placed: Placed, document: TextDocument) -> types.Range:
        return finding_range(placed.local, document, self.codec)

    # ------------------------------------------------------------------ code actions

    @guarded(default=[])
    async def code_action(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        unit_uri = self._unit_uri(uri)
        analysis = await self.analysis(unit_uri)
        document = self.documents.texts.get(uri)
        if analysis is None or document is None:
            return []
        only = params.context.only
        actions = []
        for index, placed in enumerate(analysis.placed):
            if placed.uri != uri or placed.local.code is None or not _overlaps(self._range(placed, document), params.range):
                continue
            actions += self._finding_actions(analysis, index, placed, document, only)
        if any(p.finding.fix is not None and p.finding.fix.applies(False) for p in analysis.placed):
            kind = NOTEBOOK_FIX_ALL if analysis.unit.notebook is not None and _wanted(NOTEBOOK_FIX_ALL, only) else FIX_ALL
            if _wanted(kind, only):
                actions.append(types.CodeAction("Fix all safe torchbridge fixes", kind=kind, data=self._data(analysis, "all", -1)))
        if not self.lazy_edits:
            resolved = [await self._resolve(action) for action in actions]
            actions = [action for action in resolved if action is not None]
        return actions

    def _finding_actions(
        self, analysis: Analysis, index: int, placed: Placed, document: TextDocument, only: Sequence[str] | None,
    ) -> list[types.CodeAction]:
        code = placed.local.code
        diagnostics = [to_diagnostic(placed.local, document, self.codec)]
        actions = []
        fix = placed.finding.fix
        if fix is not None and fix.applies(unsafe=True):
            safe = fix.applies(unsafe=False)
            kind = FIX if safe else UNSAFE_FIX
            allowed = safe or analysis.settings.unsafe_fixes or UNSAFE_FIX in (only or ())
            if allowed and _wanted(kind, only):
                actions.append(types.CodeAction(
                    f"torchbridge ({code}): {fix.title}" + ("" if safe else " (unsafe fix)"),
                    kind=kind, diagnostics=diagnostics, is_preferred=safe,
                    data=self._data(analysis, "fix" if safe else "unsafe", index),
                ))
        if _wanted(NOQA, only):
            actions.append(types.CodeAction(
                f"torchbridge ({code}): Add `# noqa: {code}`", kind=NOQA, diagnostics=diagnostics,
                data=self._data(analysis, "noqa", index),
            ))
        return actions

    @staticmethod
    def _data(analysis: Analysis, what: str, index: int) -> dict[str, Any]:
        return {"unit": analysis.unit.uri, "key": list(analysis.key), "what": what, "index": index}

    @guarded(default=lambda action: action)  # an answer the client can read: the action, unresolved
    async def resolve_code_action(self, action: types.CodeAction) -> types.CodeAction:
        resolved = await self._resolve(action)
        return resolved if resolved is not None else action

    async def _resolve(self, action: types.CodeAction) -> types.CodeAction | None:
        """The action with its edit; None where the fixer refused (told in the log, and in a
        message when the user chose the action)."""
        data = action.data if isinstance(action.data, dict) else {}
        unit_uri = data.get("unit")
        if not isinstance(unit_uri, str) or data.get("what") not in ("all", "noqa", "fix", "unsafe"):
            return None  # not an action of ours
        analysis = await self.analysis(unit_uri)
        if analysis is None or list(analysis.key) != data.get("key"):
            self.log(types.MessageType.Info, f"{action.title}: the document changed since; ask again")
            return None
        what, index = data.get("what"), data.get("index", -1)
        loop = asyncio.get_running_loop()
        try:
            if what == "all":
                texts = await loop.run_in_executor(self._worker, functools.partial(fixed, analysis, unsafe=False))
            elif what == "noqa":
                texts = await loop.run_in_executor(self._worker, with_directive, analysis, analysis.placed[index].finding)
            else:
                finding = analysis.placed[index].finding
                texts = await loop.run_in_executor(
                    self._worker, functools.partial(fixed, analysis, unsafe=what == "unsafe", only=finding),
                )
        except Refused as refused:
            self.log(types.MessageType.Warning, f"{action.title}: {refused}")
            if self.lazy_edits:
                self.server.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=f"torchbridge: {refused}"))
            return None
        if not texts and what != "all":
            return None  # the fix changed nothing: no edit to offer
        action.edit = self._workspace_edit(texts)
        return action

    def _workspace_edit(self, texts: dict[str, str]) -> types.WorkspaceEdit:
        changes = {}
        for uri, text in texts.items():
            document = self.documents.texts.get(uri)
            if document is not None:
                changes[uri] = (document, text_edits(document, text, self.codec))
        if self.document_changes:
            return types.WorkspaceEdit(document_changes=[
                types.TextDocumentEdit(types.OptionalVersionedTextDocumentIdentifier(uri, document.version), list(edits))
                for uri, (document, edits) in changes.items()
            ])
        return types.WorkspaceEdit(changes={uri: edits for uri, (_, edits) in changes.items()})


def _checked(
    unit: Unit, settings: Settings, key: tuple[int, int], excluded: bool, previous: Parsed | None = None,
    last: Analysis | None = None,
) -> Analysis:
    """``analyze``, on the worker; a bug of ours becomes the unit's one diagnostic. An
    excluded file has no findings, as with ``--force-exclude``."""
    if excluded:
        return Analysis(unit, settings, key)
    try:
        return analyze(unit, settings, key, previous, last)
    except Exception as exc:  # noqa: BLE001 - one document's bug must not end the session
        first = unit.parts[0] if unit.parts else Part(unit.uri, "")
        message = f"internal error while checking this file ({_describe(exc)}); {BUG_REPORT}"
        finding = diagnostic(unit.filename, INTERNAL_ERROR, message)
        analysis = Analysis(unit, settings, key, [Placed(finding, first.uri, finding)], error=_describe(exc))
        return analysis
    finally:
        HEAP.after_check()  # out of the collector's full passes: what this check keeps


def _path(uri: str) -> Path | None:
    if urlparse(uri).scheme != "file":
        return None
    path = to_fs_path(uri)
    return Path(path) if path else Path(unquote(urlparse(uri).path))


def _is_configuration(uri: str) -> bool:
    return uri.endswith("/pyproject.toml")


def _wanted(kind: str, only: Iterable[str] | None) -> bool:
    """Whether ``kind`` is among the kinds asked for (a kind covers its sub-kinds)."""
    return only is None or any(kind == asked or kind.startswith(asked + ".") for asked in only)


def _contains(where: types.Range, position: types.Position) -> bool:
    here = (position.line, position.character)
    return (where.start.line, where.start.character) <= here <= (where.end.line, where.end.character)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and (
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)
    )
