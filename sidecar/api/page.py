"""Extension route (not in Dapr): ``GET /_sidecar/``, an HTML page of what this sidecar holds:
its app's jobs (next fire, attempts, failure policy), the reminders of the actor types it hosts,
its active actors and its loaded components. Read through the sidecar's services, like
``GET /v1.0/metadata``; behind the same ``DAPR_API_TOKEN`` rule as the other ``/_sidecar/``
routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from ..clock import utc
from ..jobs import JobRecord, app_owner, reminder_owner
from ..services import ApiServices
from ..timefmt import format_rfc3339
from ._context import services_of

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def job_row(record: JobRecord) -> dict[str, Any]:
    spec = record.spec
    return {
        "name": record.name,
        "schedule": spec.schedule or spec.due_time or "",
        "repeats": spec.repeats,
        "next_fire": format_rfc3339(utc(record.due_at)),
        "retrying": record.due_at != record.tick,
        "fired": record.count,
        "attempts": record.attempts,
        "policy": policy_text(spec.failure_policy.to_json()),
    }


def policy_text(policy: dict[str, Any]) -> str:
    if "drop" in policy:
        return "drop"
    constant = policy["constant"]
    retries = constant.get("maxRetries", "unlimited")
    return f"constant, every {constant.get('interval', '0s')}, {retries} retries"


async def _records(services: ApiServices, owner: str) -> list[dict[str, Any]]:
    return [job_row(r) for r in await services.job_store.records(owner)]


async def page_context(services: ApiServices) -> dict[str, Any]:
    me = services.identity
    metadata = services.metadata()
    actors = metadata.get("actorRuntime", {}).get("activeActors", [])
    reminders = {
        a["type"]: await _records(services, reminder_owner(me.namespace, a["type"])) for a in actors
    }
    return {
        "app_id": me.app_id,
        "now": format_rfc3339(utc(services.clock.now())),
        "jobs": await _records(services, app_owner(me.namespace, me.app_id)),
        "reminders": reminders,
        "actors": actors,
        "components": metadata.get("components", []),
        "runtime_version": metadata.get("runtimeVersion", ""),
    }


async def sidecar_page(request: Request) -> Response:
    context = await page_context(services_of(request))
    return templates.TemplateResponse(request, "sidecar.html", context)


async def to_page(request: Request) -> Response:
    return RedirectResponse("/_sidecar/", status_code=307)


routes = [
    Route("/_sidecar/", sidecar_page, methods=["GET"]),
    Route("/_sidecar", to_page, methods=["GET"]),
]
