"""A fake Dapr sidecar for httpx.MockTransport: actor calls dispatch into the SDK's
ActorRuntime in-process; actor state, jobs and notifier invocations are kept in memory."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import httpx
from dapr.actor import ActorRuntime

_ACTOR = re.compile(r"/v1\.0/actors/(?P<type>[^/]+)/(?P<id>[^/]+)/(?P<rest>.+)")
_JOBS = re.compile(r"/(?P<version>v1\.0(?:-alpha1)?)/jobs/(?P<name>[^/]+)")


class FakeSidecar:
    def __init__(self) -> None:
        self.state: dict[str, bytes] = {}
        self.app_state: dict[str, tuple[Any, int]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.dead_letters: list[dict[str, Any]] = []
        self.replayed: list[str] = []
        self.requests: list[httpx.Request] = []
        self.notifier_down = False
        self.actors_down = False
        self.override: Callable[[httpx.Request], Awaitable[httpx.Response]] | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.override is not None:
            return await self.override(request)
        path = request.url.path
        if match := _ACTOR.fullmatch(path):
            return await self._actor(request, match["type"], match["id"], match["rest"])
        if match := _JOBS.fullmatch(path):
            return self._job(request, match["name"])
        if path == "/v1.0/invoke/notifier/method/notifications":
            return self._notify(request)
        if path.startswith("/v1.0/invoke/notifier/method/dead-letters"):
            return self._dead_letters(request, path)
        if path.startswith("/v1.0/state/statestore"):
            return self._state_api(request, path.removeprefix("/v1.0/state/statestore"))
        return httpx.Response(404, json={"errorCode": "ERR_DIRECT_INVOKE", "message": path})

    async def _actor(
        self, request: httpx.Request, type_: str, id_: str, rest: str
    ) -> httpx.Response:
        key = f"{type_}||{id_}||"
        if rest.startswith("method/"):
            return await self._invoke(type_, id_, rest[7:], request.content)
        if rest == "state":
            for op in json.loads(request.content):
                name = key + op["request"]["key"]
                if op["operation"] == "upsert":
                    self.state[name] = json.dumps(op["request"]["value"]).encode()
                else:
                    self.state.pop(name, None)
            return httpx.Response(204)
        value = self.state.get(key + rest.removeprefix("state/"))
        return httpx.Response(200, content=value) if value else httpx.Response(204)

    async def _invoke(self, type_: str, id_: str, method: str, body: bytes) -> httpx.Response:
        if self.actors_down:
            return httpx.Response(
                500, json={"errorCode": "ERR_ACTOR_INVOKE_METHOD", "message": "x"}
            )
        try:
            result = await ActorRuntime.dispatch(type_, id_, method, body)
        except Exception as exc:
            message = f"error from actor service: (500) {exc!r}"
            return httpx.Response(
                500, json={"errorCode": "ERR_ACTOR_INVOKE_METHOD", "message": message}
            )
        return httpx.Response(200, content=result)

    def _job(self, request: httpx.Request, name: str) -> httpx.Response:
        if request.method == "POST":
            self.jobs[name] = json.loads(request.content)
            return httpx.Response(204)
        if request.method == "DELETE":
            self.jobs.pop(name, None)
            return httpx.Response(204)
        if name not in self.jobs:
            message = (
                f"failed to get job due to: rpc error: code = NotFound desc = job not found: {name}"
            )
            return httpx.Response(
                500, json={"errorCode": "DAPR_SCHEDULER_GET_JOB", "message": message}
            )
        return httpx.Response(200, json={"name": name, **self.jobs[name]})

    def _state_api(self, request: httpx.Request, rest: str) -> httpx.Response:
        """The app's own keys (first-write and ETags, as the notifier's fake)."""
        if rest == "/bulk":
            keys = json.loads(request.content)["keys"]
            found_all = [(key, self.app_state.get(key)) for key in keys]
            return httpx.Response(
                200,
                json=[
                    {"key": k, "data": v[0], "etag": str(v[1])} if v else {"key": k}
                    for k, v in found_all
                ],
            )
        if request.method == "GET":
            found = self.app_state.get(rest.lstrip("/"))
            if found is None:
                return httpx.Response(204)
            return httpx.Response(200, json=found[0], headers={"etag": str(found[1])})
        for item in json.loads(request.content):
            current = self.app_state.get(item["key"])
            guarded = item.get("options", {}).get("concurrency") == "first-write"
            if guarded and (str(current[1]) if current else None) != item.get("etag"):
                return httpx.Response(409, json={"errorCode": "ERR_STATE_SAVE", "message": "etag"})
            self.app_state[item["key"]] = (item["value"], (current[1] + 1) if current else 1)
        return httpx.Response(204)

    def _notify(self, request: httpx.Request) -> httpx.Response:
        if self.notifier_down:
            return httpx.Response(500, json={"errorCode": "ERR_DIRECT_INVOKE", "message": "down"})
        if request.method == "GET":  # the notifier's history, each notification delivered
            notes = [{**n, "status": "delivered", "deliveries": []} for n in self.notifications]
            return httpx.Response(200, json={"notifications": notes})
        self.notifications.append(json.loads(request.content))
        return httpx.Response(200, json={"status": "stored"})

    def _dead_letters(self, request: httpx.Request, path: str) -> httpx.Response:
        """The notifier's ``GET /dead-letters`` and ``POST /dead-letters/{id}/replay``."""
        if request.method == "GET":
            return httpx.Response(200, json={"notifications": self.dead_letters})
        nid = unquote(path.split("/")[-2])
        if nid not in [d["id"] for d in self.dead_letters]:
            body = {"errorCode": "ERR_DEAD_LETTER_NOT_FOUND", "message": f"no dead letter {nid}"}
            return httpx.Response(404, json=body)
        self.replayed.append(nid)
        return httpx.Response(200, json={"id": nid, "status": "replayed"})
