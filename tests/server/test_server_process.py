"""The ``torchbridge server`` process itself: its exit codes, and what it says when its
extra is not installed."""

from __future__ import annotations

import subprocess
import sys

from lsp_helpers import SERVER


def test_exit_without_shutdown_is_an_error_exit():
    """LSP: ``exit`` after ``shutdown`` ends with 0 (the fixtures check that on every
    test), without it with 1."""
    body = b'{"jsonrpc": "2.0", "method": "exit"}'
    proc = subprocess.run(
        SERVER, input=b"Content-Length: %d\r\n\r\n%s" % (len(body), body), capture_output=True, timeout=120,
    )
    assert proc.returncode == 1
    assert b"Traceback" not in proc.stderr


def test_the_server_needs_its_extra():
    """Without pygls the command says what to install, in one line."""
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['pygls'] = None; from torchbridge.cli import main; sys.exit(main(['server']))"],
        capture_output=True, timeout=120,
    )
    assert proc.returncode == 2
    assert b"pip install 'torchbridge[server]'" in proc.stderr and b"Traceback" not in proc.stderr


def test_malformed_messages_are_logged_in_one_line_each():
    """Bytes that are not JSON, and an ``initialize`` without its capabilities: each a line
    on standard error, never a traceback, and the server ends with the input."""
    messages = [b"hello", b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}']
    stream = b"".join(b"Content-Length: %d\r\n\r\n%s" % (len(m), m) for m in messages)
    proc = subprocess.run(SERVER, input=stream, capture_output=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.decode().splitlines()
    assert lines and all(line.startswith("torchbridge server: ") for line in lines), lines
