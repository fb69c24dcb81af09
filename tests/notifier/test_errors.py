"""The notifier answers every error in the apps' shape ``{"errorCode", "message", "details"}``."""

from __future__ import annotations

import httpx
import pytest

from ..conftest import problem
from .fakes import FakeStateSidecar

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("content", "headers", "status", "code", "field"),
    [
        (b'{"id": x}', JSON, 400, "ERR_INVALID_JSON", "body"),
        (b'{"id": "\xff"}', JSON, 400, "ERR_INVALID_JSON", "body"),
        (b'{"id": "a"}', {"content-type": "text/plain"}, 415, "ERR_UNSUPPORTED_MEDIA_TYPE", "body"),
        (b'{"message": "no id"}', JSON, 422, "ERR_INVALID_FIELD", "id"),
        (b'{"id": "a/b"}', JSON, 422, "ERR_INVALID_FIELD", "id"),
    ],
)
async def test_bad_intake_names_the_problem_and_stores_nothing(
    client: httpx.AsyncClient,
    sidecar: FakeStateSidecar,
    content: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
    field: str,
) -> None:
    response = await client.post("/notifications", content=content, headers=headers)
    assert problem(response, status, code)["details"]["field"] == field
    assert sidecar.rows == {}


async def test_unknown_path_and_wrong_method(client: httpx.AsyncClient) -> None:
    assert (
        "/notification"
        in problem(await client.get("/notification"), 404, "ERR_NOT_FOUND")["message"]
    )
    response = await client.put("/notifications", json={})
    problem(response, 405, "ERR_METHOD_NOT_ALLOWED")
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}


async def test_service_errors_have_the_shape_too(
    client: httpx.AsyncClient, sidecar: FakeStateSidecar
) -> None:
    sidecar.down = True
    response = await client.post("/notifications", json={"id": "a:t:reminder:1"})
    assert problem(response, 503, "ERR_STATE_STORE")["details"] == {}
