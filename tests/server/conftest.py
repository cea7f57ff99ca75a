"""Fixtures that start the real ``torchbridge server`` process and drive it over stdio with
pytest-lsp, as an editor does."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import DEPENDENTS_SERVER, FAULTY_SERVER, SERVER
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient


def _accept_registrations(client: LanguageClient) -> None:
    """The server registers a watcher for pyproject.toml; the test client says yes (and
    keeps it, as ``client.registrations``)."""
    client.registrations = []  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    _accept_registrations(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=FAULTY_SERVER))
async def faulty_client(lsp_client: LanguageClient):
    _accept_registrations(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.torchbridge]\n")
    return tmp_path


@pytest_lsp.fixture(config=ClientServerConfig(server_command=DEPENDENTS_SERVER))
async def dependents_client(lsp_client: LanguageClient):
    _accept_registrations(lsp_client)
    yield
    await lsp_client.shutdown_session()
