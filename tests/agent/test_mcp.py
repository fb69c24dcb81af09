"""The MCP tools, called with the mcp package's own client (in process, against the app's
server; the HTTP transport is exercised by the integration test)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from mcp import Client

from agent import AgentSettings, create_app

from .fakes import FakeSidecar

TOOLS = {
    "assign",
    "list",
    "get",
    "update",
    "complete",
    "cancel",
    "snooze",
    "acknowledge",
    "upcoming",
    "history",
}


def structured(result: Any) -> Any:
    assert not result.is_error, result
    return result.structured_content


async def test_the_tools_are_listed_with_schemas_and_descriptions(app: FastAPI) -> None:
    async with Client(app.state.mcp) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    assign = tools["assign"]
    assert assign.description and "due time" in assign.description
    assert {"agent_id", "title", "assignee", "due_at"} <= set(assign.input_schema["required"])
    assert "RRULE" in str(assign.input_schema["properties"]["recurrence"])
    assert {"snooze_for", "until"} <= set(tools["snooze"].input_schema["properties"])


async def test_assign_snooze_acknowledge_and_upcoming_through_the_tools(app: FastAPI) -> None:
    async with Client(app.state.mcp) as client:
        task = structured(
            await client.call_tool(
                "assign",
                {
                    "agent_id": "llm",
                    "id": "follow-up",
                    "title": "Follow up with Bob",
                    "assignee": "bob",
                    "due_at": "2030-01-02T09:00:00Z",
                    "reminders": ["PT1H"],
                    "escalate_to": ["lead"],
                    "every": "PT4H",
                },
            )
        )
        assert task["id"] == "follow-up"
        assert [f["step"] for f in task["next_fires"]][:2] == ["reminder", "overdue"]
        snoozed = structured(
            await client.call_tool(
                "snooze", {"agent_id": "llm", "task_id": "follow-up", "snooze_for": "PT30H"}
            )
        )
        assert snoozed["next_fires"][0]["snoozed"] is True
        upcoming = structured(await client.call_tool("upcoming", {"agent_id": "llm"}))
        assert upcoming["upcoming"][0]["at"] == "2030-01-02T15:00:00Z"
        acked = structured(
            await client.call_tool("acknowledge", {"agent_id": "llm", "task_id": "follow-up"})
        )
        assert acked["next_fires"] == []
        listed = structured(await client.call_tool("list", {"agent_id": "llm", "status": "open"}))
        assert [t["id"] for t in listed["tasks"]] == ["follow-up"]


async def test_a_domain_error_is_a_tool_error_naming_the_field(app: FastAPI) -> None:
    async with Client(app.state.mcp) as client:
        result = await client.call_tool(
            "assign",
            {
                "agent_id": "llm",
                "title": "x",
                "assignee": "bob",
                "due_at": "2030-01-02T09:00:00Z",
                "recurrence": "FREQ=OFTEN",
            },
        )
        assert result.is_error
        text = result.content[0].text  # "Error executing tool assign: {...}"
        error = json.loads(text[text.index("{") :])
        assert (error["errorCode"], error["details"]["field"]) == (
            "ERR_INVALID_RECURRENCE",
            "recurrence",
        )
        missing = await client.call_tool("get", {"agent_id": "llm", "task_id": "nope"})
        assert missing.is_error and "ERR_TASK_NOT_FOUND" in missing.content[0].text


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}


async def test_mcp_over_http_survives_a_second_lifespan_of_the_app(sidecar: FakeSidecar) -> None:
    """Test servers (schemathesis, for one) start an app's lifespan more than once; the MCP
    session manager runs only once per instance, so each lifespan makes its own."""
    settings = AgentSettings(dapr_http_endpoint="http://sidecar.test")
    async with httpx.AsyncClient(transport=sidecar.transport()) as outbound:
        app = create_app(settings, http_client=outbound)
        for _ in range(2):
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://127.0.0.1:8002"
                ) as http:
                    response = await http.post(
                        "/mcp",
                        json=INITIALIZE,
                        headers={"accept": "application/json, text/event-stream"},
                    )
                assert response.status_code == 200, response.text
                assert response.json()["result"]["serverInfo"]["name"] == "pm-reminder-agent"
