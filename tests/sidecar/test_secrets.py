"""Secret stores, the secrets API and ``secretKeyRef``/``envRef`` in component metadata."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from sidecar._config import SidecarConfig
from sidecar._sidecar import Sidecar
from sidecar.clock import ManualClock
from sidecar.components import ComponentError
from sidecar.secrets import EnvSecretStore, FileSecretStore, SecretNotFoundError
from sidecar.state import SqliteStateStore
from tests.integration._components import component, dump, sqlite_statestore
from tests.sidecar._inprocess import in_process


def file_store(path: Path) -> str:
    return dump(
        component("files", "secretstores.local.file", {"name": "secretsFile", "value": str(path)})
    )


ENV_STORE = dump(component("env", "secretstores.local.env"))
SECRET_REF = {"secretKeyRef": {"name": "db", "key": "path"}}


def sqlite_from(connection: dict[str, Any], **top: Any) -> str:
    """``statestore`` (state.sqlite) whose connection string comes from ``connection``."""
    doc = sqlite_statestore(connection, busy_timeout=False, actor_store=False)
    return dump(doc | top)


Running = Callable[..., AbstractAsyncContextManager[tuple[Sidecar, httpx.AsyncClient]]]


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.json"
    nested = {"db": {"path": str(tmp_path / "from-secret.db")}, "list": ["a", 2]}
    path.write_text(json.dumps({"token": "s3cret", **nested}))
    return path


@pytest.fixture
def running(tmp_path: Path) -> Running:
    @asynccontextmanager
    async def run(*docs: str) -> AsyncIterator[tuple[Sidecar, httpx.AsyncClient]]:
        folder = tmp_path / "resources"
        folder.mkdir(exist_ok=True)
        for n, doc in enumerate(docs):
            (folder / f"c{n}.yaml").write_text(doc)
        config = SidecarConfig(
            app_id="a", http_port=0, home=tmp_path / "home", resources_paths=(folder,)
        )
        async with in_process(config, ManualClock(0)) as (sc, client):
            yield sc, client

    return run


def test_env_store_serves_variables_but_not_daprs_own() -> None:
    environ = {"APP_DB": "x", "DAPR_API_TOKEN": "t", "HOME": "/h"}
    store = EnvSecretStore("env", environ=environ)
    assert store.get("APP_DB") == {"APP_DB": "x"}
    assert store.get("DAPR_API_TOKEN") == {"DAPR_API_TOKEN": ""}
    assert store.get("MISSING") == {"MISSING": ""}
    assert store.bulk() == {"APP_DB": {"APP_DB": "x"}, "HOME": {"HOME": "/h"}}
    assert EnvSecretStore("env", "APP_", environ).bulk() == {"DB": {"DB": "x"}}


def test_file_store_flattens_nested_values(secrets_file: Path) -> None:
    store = FileSecretStore("f", secrets_file)
    assert store.get("db:path") == {"db:path": str(secrets_file.parent / "from-secret.db")}
    assert store.get("list:1") == {"list:1": "2"}
    with pytest.raises(SecretNotFoundError, match="secret db not found"):
        store.get("db")
    multi = FileSecretStore("f", secrets_file, multi=True)
    assert multi.get("db") == {"path": str(secrets_file.parent / "from-secret.db")}
    assert multi.get("token") == {"token": "s3cret"}


async def test_secrets_api_answers_as_daprd(running: Running, secrets_file: Path) -> None:
    async with running(file_store(secrets_file)) as (_, client):
        r = await client.get("/v1.0/secrets/files/token")
        assert (r.status_code, r.json()) == (200, {"token": "s3cret"})
        bulk = (await client.get("/v1.0/secrets/files/bulk")).json()
        assert bulk["token"] == {"token": "s3cret"} and "db:path" in bulk
        missing = await client.get("/v1.0/secrets/files/nope")
        assert (missing.status_code, missing.json()["errorCode"]) == (500, "ERR_SECRET_GET")
        assert missing.json()["message"] == (
            "failed getting secret with key nope from secret store files: secret nope not found"
        )
        other = await client.get("/v1.0/secrets/vault/token")
        assert (other.status_code, other.json()["message"]) == (
            401,
            "failed finding secret store with key vault",
        )


async def test_without_a_secret_store_the_api_says_so(running: Running) -> None:
    async with running() as (_, client):
        r = await client.get("/v1.0/secrets/any/key")
    assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_SECRET_STORES_NOT_CONFIGURED")


async def test_secret_key_ref_fills_component_metadata(
    running: Running, secrets_file: Path
) -> None:
    ref = {"secretKeyRef": {"name": "db:path", "key": "db:path"}}
    doc = sqlite_from(ref, auth={"secretStore": "files"})
    async with running(file_store(secrets_file), doc) as (sidecar, _):
        store = sidecar.state_stores["statestore"]
        assert isinstance(store, SqliteStateStore)
        assert str(secrets_file.parent / "from-secret.db") in store.path


async def test_env_ref_fills_component_metadata(
    running: Running, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATE_DB_PATH", str(tmp_path / "from-env.db"))
    doc = sqlite_from({"envRef": "STATE_DB_PATH"})
    async with running(ENV_STORE, doc) as (sidecar, _):
        store = sidecar.state_stores["statestore"]
        assert isinstance(store, SqliteStateStore) and "from-env.db" in store.path


async def test_a_secret_store_that_is_not_loaded_is_a_start_error(running: Running) -> None:
    with pytest.raises(ComponentError) as info:
        async with running(ENV_STORE, sqlite_from(SECRET_REF)):
            pass
    message = str(info.value)
    assert "c1.yaml: component 'statestore' references a secret store" in message
    assert "isn't loaded: kubernetes" in message
