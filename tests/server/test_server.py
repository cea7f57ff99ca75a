"""``torchbridge server`` driven over stdio, as an editor drives it: open, change,
diagnostics (pushed and pulled), code actions and their edits, hover, configuration,
robustness, shutdown. Every edit is checked against what ``torchbridge fix`` makes."""

from __future__ import annotations

import asyncio

import pytest
from lsp_helpers import (
    apply,
    capabilities,
    code_actions,
    codes,
    edits_by_uri,
    open_text,
    pushed,
    resolved,
    start,
    wait_until,
    whole,
)
from lsprotocol import types
from test_editors import BUFFER

import torchbridge
from torchbridge.rules import rule_by_code
from torchbridge.rules.docs import rule_markdown

# The buffer the flake8 editor tests use: TNP204 (style, safe fix) at 3:24 after two
# non-ASCII letters, one suppressed on line 4, TNP301 (portability, unsafe fix only) on line 5.
LINE = types.Range(types.Position(2, 0), types.Position(2, 40))

pytestmark = pytest.mark.asyncio


def uri_of(workspace, name="train.py"):
    return (workspace / name).as_uri()


async def test_open_pushes_the_findings_of_the_cli(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    diagnostics = await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    style, device = diagnostics
    expected = torchbridge.check_source(BUFFER)
    assert [d.message for d in diagnostics] == [f.message for f in expected]
    # UTF-16 columns, 0-based: "é" and "ö" are one unit each, as one code point each.
    assert style.range == types.Range(types.Position(2, 23), types.Position(2, 39))
    assert device.range == types.Range(types.Position(4, 22), types.Position(4, 28))
    # Severity by the rule's class, as in SARIF: style is a note, portability a warning.
    assert style.severity == types.DiagnosticSeverity.Information
    assert device.severity == types.DiagnosticSeverity.Warning
    assert style.source == "torchbridge"
    assert style.code_description is not None and style.code_description.href.endswith("/docs/rules/TNP204.md")


async def test_astral_characters_count_two_utf16_units(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    open_text(client, uri, 'import torch\nx = torch.ones(2)\ns = "🔥"; y = x.cpu().detach()\n')
    [found] = await pushed(client, uri, lambda found: found == ["TNP204"])
    assert found.range.start == types.Position(2, 14)  # 13 code points before, the emoji counting twice


async def test_a_correctness_finding_is_an_error_and_a_deprecated_api_is_tagged(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    text = (
        "import torch\n"
        "def f(x: torch.Tensor):\n"
        "    y = x.cuda()\n"
        "    return y.numpy()\n"
        "scaler = torch.cuda.amp.GradScaler()\n"
    )
    open_text(client, uri, text)
    diagnostics = await pushed(client, uri, lambda found: "TNP304" in found)
    by_code = {d.code: d for d in diagnostics}
    assert list(by_code["TNP304"].tags or ()) == [types.DiagnosticTag.Deprecated]
    assert by_code["TNP201"].severity == types.DiagnosticSeverity.Error


async def test_changes_are_followed_and_checked_after_the_burst(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    # A burst of keystrokes: delete line 3's finding a character at a time, then add one.
    version = 1
    for _ in range(len("; y = x.cpu().detach()")):
        version += 1
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangePartial(types.Range(types.Position(2, 17), types.Position(2, 18)), "")],
        ))
    version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangePartial(types.Range(types.Position(5, 0), types.Position(5, 0)), "v = x.cuda()\n")],
    ))
    diagnostics = await pushed(client, uri, lambda found: found == ["TNP301", "TNP302"])
    assert [d.range.start.line for d in diagnostics] == [4, 5]


async def test_pulled_diagnostics_and_an_unchanged_report(client, workspace):
    await start(client, workspace, pull=True)
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri)))
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert codes(report.items) == ["TNP204", "TNP301"]
    again = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri), previous_result_id=report.result_id)
    )
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2), [types.TextDocumentContentChangeWholeDocument("import torch\n")],
    ))
    after = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri), previous_result_id=report.result_id)
    )
    assert isinstance(after, types.RelatedFullDocumentDiagnosticReport) and not after.items
    assert uri not in client.diagnostics  # a client that pulls is not pushed to as well


async def test_a_quick_fix_is_the_fixers_edit(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    actions = await code_actions(client, uri, LINE)
    fix = next(a for a in actions if a.kind == "quickfix.torchbridge")
    assert fix.title == "torchbridge (TNP204): Detach before the copy to the CPU" and fix.is_preferred
    assert [d.code for d in fix.diagnostics or ()] == ["TNP204"]
    edits = edits_by_uri((await resolved(client, fix)).edit)
    fixed = apply(BUFFER, edits[uri])
    assert fixed == BUFFER.replace("y = x.cpu().detach()", "y = x.detach().cpu()")
    # The editor applies the edit and says so; the finding goes.
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2), [types.TextDocumentContentChangeWholeDocument(fixed)],
    ))
    await pushed(client, uri, lambda found: found == ["TNP301"])


async def test_unsafe_fixes_are_offered_only_when_allowed_or_asked_for(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    line5 = types.Range(types.Position(4, 0), types.Position(4, 30))
    # The file has a safe fix elsewhere, so "fix all" is on the menu; no unsafe fix is.
    assert [a.kind for a in await code_actions(client, uri, line5)] == ["quickfix.torchbridge.noqa", "source.fixAll.torchbridge"]
    asked = await code_actions(client, uri, line5, only=["quickfix.torchbridge.unsafe"])
    assert [a.title for a in asked] == ["torchbridge (TNP301): Choose the device at run time (`DEVICE`, inserted after the imports) (unsafe fix)"]
    assert not asked[0].is_preferred
    fixed = apply(BUFFER, edits_by_uri((await resolved(client, asked[0])).edit)[uri])
    assert fixed == torchbridge.fix_source(BUFFER, unsafe=True, select=["TNP301"]).source
    # The editor's setting, as --unsafe-fixes: offered with the others.
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams({"torchbridge": {"unsafeFixes": True}}))
    offered = [a.kind for a in await code_actions(client, uri, line5)]
    assert offered == ["quickfix.torchbridge.unsafe", "quickfix.torchbridge.noqa", "source.fixAll.torchbridge"]


async def test_fix_all_is_torchbridge_fix(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    text = BUFFER + "q = torch.ones(2).cpu().detach()\n"
    open_text(client, uri, text)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301", "TNP204"])
    [action] = await code_actions(client, uri, whole(text), only=["source.fixAll"])
    assert action.kind == "source.fixAll.torchbridge" and action.title == "Fix all safe torchbridge fixes"
    fixed = apply(text, edits_by_uri((await resolved(client, action)).edit)[uri])
    assert fixed == torchbridge.fix_source(text).source != text


async def test_add_noqa_silences_the_finding(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    [noqa] = [a for a in await code_actions(client, uri, LINE) if a.kind == "quickfix.torchbridge.noqa"]
    assert noqa.title == "torchbridge (TNP204): Add `# noqa: TNP204`"
    fixed = apply(BUFFER, edits_by_uri((await resolved(client, noqa)).edit)[uri])
    assert fixed.splitlines()[2] == 's = "héllo wörld"; y = x.cpu().detach()  # noqa: TNP204'
    assert [f.code for f in torchbridge.check_source(fixed)] == ["TNP301"]


async def test_hover_shows_the_rules_documentation(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(2, 30)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value == rule_markdown(rule_by_code("TNP204"))  # what `torchbridge rule TNP204` prints
    nothing = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 3)))
    assert nothing is None


async def test_a_syntax_error_is_reported_until_the_code_parses(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangePartial(types.Range(types.Position(1, 16), types.Position(1, 17)), "")],
    ))
    [error] = await pushed(client, uri, lambda found: found == ["syntax-error"])
    assert error.severity == types.DiagnosticSeverity.Error and error.range.start.line == 1
    assert await code_actions(client, uri, LINE) == []  # nothing offered on text that does not parse
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        [types.TextDocumentContentChangePartial(types.Range(types.Position(1, 16), types.Position(1, 16)), ")")],
    ))
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])


async def test_closing_a_document_clears_its_diagnostics(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    await pushed(client, uri, lambda found: found == [])


async def test_an_internal_error_is_logged_and_the_server_goes_on(faulty_client, workspace):
    client = faulty_client
    await start(client, workspace)
    broken, fine = uri_of(workspace, "broken.py"), uri_of(workspace, "fine.py")
    open_text(client, broken, BUFFER + "# CRASH HERE\n")
    [crash] = await pushed(client, broken, lambda found: found == ["internal-error"])
    assert "please report it" in crash.message
    await wait_until(lambda: any("internal error while checking" in m.message for m in client.log_messages), "the log line")
    error = next(m for m in client.log_messages if "internal error while checking" in m.message)
    assert error.type == types.MessageType.Error and "Traceback" not in error.message
    open_text(client, fine, BUFFER)
    await pushed(client, fine, lambda found: found == ["TNP204", "TNP301"])


async def test_what_an_editor_should_not_send_does_not_stop_it(client, workspace):
    await start(client, workspace)
    uri = uri_of(workspace)
    # A change to a document never opened, positions past the end, a code action for an
    # unknown document, a malformed resolve: each answered or ignored, never fatal.
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri_of(workspace, "never.py"), version=2), [types.TextDocumentContentChangeWholeDocument("x")],
    ))
    open_text(client, uri, BUFFER)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangePartial(types.Range(types.Position(99, 5), types.Position(120, 0)), "v = x.cuda()\n")],
    ))
    assert await code_actions(client, uri_of(workspace, "unknown.py"), LINE) == []
    junk = await client.code_action_resolve_async(types.CodeAction("junk", data={"unit": 3}))
    assert junk.edit is None
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301", "TNP302"])


async def test_a_cancelled_request_is_answered_as_cancelled_and_the_server_goes_on(client, workspace):
    await start(client, workspace, pull=True)
    big, small = uri_of(workspace, "big.py"), uri_of(workspace, "small.py")
    open_text(client, big, BUFFER * 600)
    open_text(client, small, BUFFER)
    # The big file's check occupies the worker; the small one's request waits behind it
    # when the editor cancels it.
    busy = client.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(big)))
    waiting = asyncio.ensure_future(client.protocol.send_request_async(
        types.TEXT_DOCUMENT_DIAGNOSTIC, types.DocumentDiagnosticParams(types.TextDocumentIdentifier(small)), msg_id="waiting",
    ))
    await asyncio.sleep(0)  # the task writes the request at its first step
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="waiting"))
    with pytest.raises(Exception, match="(?i)cancel"):
        await waiting
    assert len((await busy).items) == 1200
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(small)))
    assert codes(report.items) == ["TNP204", "TNP301"]


def cell_uri(workspace, number):
    return f"vscode-notebook-cell:{(workspace / 'explore.ipynb').as_posix()}#C{number}"


def notebook_cell(workspace, number, text, kind=types.NotebookCellKind.Code):
    language = "python" if kind == types.NotebookCellKind.Code else "markdown"
    return types.NotebookCell(kind, cell_uri(workspace, number)), types.TextDocumentItem(cell_uri(workspace, number), language, 1, text)


async def test_a_notebook_is_one_module_with_findings_and_fixes_per_cell(client, workspace):
    await start(client, workspace, options={"torchbridge": {"unsafeFixes": True}})
    cells = [
        notebook_cell(workspace, 1, "import torch\nx = torch.ones(2)\n"),
        notebook_cell(workspace, 2, "# Notes: `x.cuda()` here is prose", types.NotebookCellKind.Markup),
        notebook_cell(workspace, 3, "%matplotlib inline\ny = x.cpu().detach()\nz = torch.zeros(2).cuda()\n"),
    ]
    notebook = types.NotebookDocument(uri=(workspace / "explore.ipynb").as_uri(), notebook_type="jupyter-notebook", version=1,
                                      cells=[cell for cell, _ in cells])
    client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(notebook, [item for _, item in cells]))
    third = cell_uri(workspace, 3)
    # `x` comes from the first cell: the cells are one module. Lines count within the cell.
    diagnostics = await pushed(client, third, lambda found: found == ["TNP204", "TNP302"])
    assert [d.range.start.line for d in diagnostics] == [1, 2]
    assert not client.diagnostics[cell_uri(workspace, 1)]
    # TNP302's fix inserts the device variable after the imports, in the first cell.
    actions = await code_actions(client, third, types.Range(types.Position(2, 0), types.Position(2, 30)))
    unsafe = next(a for a in actions if a.kind == "quickfix.torchbridge.unsafe")
    edits = edits_by_uri((await resolved(client, unsafe)).edit)
    first = apply(cells[0][1].text, edits[cell_uri(workspace, 1)])
    # A blank line after the imports, as isort wants it (the CLI's fix does the same).
    assert first == 'import torch\n\nDEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")\nx = torch.ones(2)\n'
    assert apply(cells[2][1].text, edits[third]).splitlines() == ["%matplotlib inline", "y = x.cpu().detach()", "z = torch.zeros(2).to(DEVICE)"]
    # A cell added later joins the module.
    added, item = notebook_cell(workspace, 4, "w = x.cpu().detach()\n")
    client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        types.VersionedNotebookDocumentIdentifier(version=2, uri=notebook.uri),
        types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(
            structure=types.NotebookDocumentCellChangeStructure(types.NotebookCellArrayChange(3, 0, [added]), did_open=[item]),
        )),
    ))
    await pushed(client, cell_uri(workspace, 4), lambda found: found == ["TNP204"])
    [fix_all] = await code_actions(client, third, types.Range(types.Position(0, 0), types.Position(0, 0)), only=["notebook.source.fixAll"])
    edits = edits_by_uri((await resolved(client, fix_all)).edit)
    assert sorted(edits) == [third, cell_uri(workspace, 4)]  # safe fixes only: the device variable waits
    assert apply(item.text, edits[cell_uri(workspace, 4)]) == "w = x.detach().cpu()\n"


def pyproject(workspace, table):
    (workspace / "pyproject.toml").write_text("[tool.torchbridge]\n" + table)


async def test_configuration_is_the_clis_and_a_changed_pyproject_is_reloaded(client, workspace):
    pyproject(workspace, 'ignore = ["TNP204"]\nper-file-ignores = { "tests/*" = ["TNP3"] }\nextend-exclude = ["generated/"]\n')
    await start(client, workspace)
    await wait_until(lambda: client.registrations, "the watcher's registration")
    assert [(r.method, r.register_options["watchers"][0]["globPattern"]) for r in client.registrations] == [
        ("workspace/didChangeWatchedFiles", "**/pyproject.toml")
    ]
    train, test, generated = uri_of(workspace), uri_of(workspace, "tests/test_x.py"), uri_of(workspace, "generated/g.py")
    for name in ("train.py", "tests/test_x.py", "generated/g.py"):  # saved files, as an editor opens them
        (workspace / name).parent.mkdir(exist_ok=True)
        (workspace / name).write_text(BUFFER)
    for uri in (train, test, generated):
        open_text(client, uri, BUFFER)
    await pushed(client, train, lambda found: found == ["TNP301"])
    await pushed(client, test, lambda found: found == [])
    await pushed(client, generated, lambda found: found == [])
    pyproject(workspace, "")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        [types.FileEvent((workspace / "pyproject.toml").as_uri(), types.FileChangeType.Changed)],
    ))
    await pushed(client, train, lambda found: found == ["TNP204", "TNP301"])
    await pushed(client, generated, lambda found: found == ["TNP204", "TNP301"])


async def test_a_configuration_file_named_in_the_editor_settings(client, workspace):
    (workspace / "lint.toml").write_text('select = ["TNP204"]\n')
    await start(client, workspace, options={"configuration": "lint.toml"})
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204"])
    open_text(client, "untitled:Untitled-1", BUFFER)  # a buffer with no file takes the same settings
    await pushed(client, "untitled:Untitled-1", lambda found: found == ["TNP204"])


async def test_a_broken_configuration_is_shown_once_and_the_defaults_apply(client, workspace):
    pyproject(workspace, "select = 3\n")
    await start(client, workspace)
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    shown = [m for m in client.messages if "select" in m.message]
    assert len(shown) == 1 and shown[0].type == types.MessageType.Error
    assert "expected a list of strings" in shown[0].message and "the default settings are used" in shown[0].message


async def test_a_pyproject_saved_in_the_editor_is_reloaded_without_file_watching(client, workspace):
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(watch=False), root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(workspace.as_uri(), workspace.name)],
    ))
    uri = uri_of(workspace)
    (workspace / "train.py").write_text(BUFFER)
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    pyproject(workspace, 'ignore = ["TNP3"]\n')
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier((workspace / "pyproject.toml").as_uri())))
    await pushed(client, uri, lambda found: found == ["TNP204"])
    assert client.registrations == []  # nothing to watch with


async def test_a_document_in_another_language_gets_no_findings(client, workspace):
    await start(client, workspace)
    notes, uri = uri_of(workspace, "notes.md"), uri_of(workspace)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(notes, "markdown", 1, "import torch\nx = (\n")))
    open_text(client, uri, BUFFER)
    await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    await pushed(client, notes, lambda found: found == [])


async def test_an_edit_refreshes_the_open_documents_that_depend_on_it(dependents_client, workspace):
    """With a project index (here a stand-in: everything depends on everything), an edit of
    one module asks a pulling client to pull its dependents again."""
    client = dependents_client
    await start(client, workspace, pull=True)
    a, b = uri_of(workspace, "a.py"), uri_of(workspace, "b.py")
    open_text(client, a, BUFFER)
    open_text(client, b, BUFFER)
    await wait_until(lambda: client.diagnostic_refresh_count >= 1, "a refresh after b opened beside a")
    before = client.diagnostic_refresh_count
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=a, version=2), [types.TextDocumentContentChangeWholeDocument("import torch\n")],
    ))
    await wait_until(lambda: client.diagnostic_refresh_count > before, "a refresh after a changed")


HELPER_LISTS = "def load(p):\n    return [p]\n"
HELPER_LOADS = "import numpy as np\n\n\ndef load(p):\n    return np.load(p)\n"
IMPORTER = "import torch\nfrom helpers import load\n\nt = torch.tensor(load('a.npy'))\n"


async def test_an_unsaved_edit_of_an_imported_module_rechecks_its_open_importers(client, workspace):
    """The real project index: main.py imports helpers.py; typing in helpers.py (never
    saved) changes main.py's findings."""
    await start(client, workspace)
    (workspace / "helpers.py").write_text(HELPER_LISTS)
    (workspace / "main.py").write_text(IMPORTER)
    main, helpers = uri_of(workspace, "main.py"), uri_of(workspace, "helpers.py")
    open_text(client, main, IMPORTER)
    await pushed(client, main, lambda found: found == [])
    open_text(client, helpers, HELPER_LISTS)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=helpers, version=2), [types.TextDocumentContentChangeWholeDocument(HELPER_LOADS)],
    ))
    await pushed(client, main, lambda found: found == ["TNP101"])
    assert (workspace / "helpers.py").read_text() == HELPER_LISTS  # the editor's text, not the disk's
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=helpers, version=3), [types.TextDocumentContentChangeWholeDocument(HELPER_LISTS)],
    ))
    await pushed(client, main, lambda found: found == [])


async def test_columns_in_utf8_when_the_client_prefers_them(client, workspace):
    params = capabilities()
    params.general = types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf8])
    result = await client.initialize_session(types.InitializeParams(capabilities=params, root_uri=workspace.as_uri()))
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    uri = uri_of(workspace)
    open_text(client, uri, BUFFER)
    style, _ = await pushed(client, uri, lambda found: found == ["TNP204", "TNP301"])
    assert style.range.start == types.Position(2, 25)  # "é" and "ö" are two bytes each


async def test_a_notebook_cell_pulls_its_own_diagnostics(client, workspace):
    await start(client, workspace, pull=True)
    cells = [notebook_cell(workspace, 1, "import torch\nx = torch.ones(2)\n"), notebook_cell(workspace, 2, "y = x.cpu().detach()\n")]
    notebook = types.NotebookDocument(uri=(workspace / "explore.ipynb").as_uri(), notebook_type="jupyter-notebook", version=1,
                                      cells=[cell for cell, _ in cells])
    client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(notebook, [item for _, item in cells]))
    first, second = [
        await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(cell_uri(workspace, n))))
        for n in (1, 2)
    ]
    assert codes(first.items) == [] and codes(second.items) == ["TNP204"]
    assert second.items[0].range.start == types.Position(0, 4)
