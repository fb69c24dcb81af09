"""The console's routes: one page, the forms that POST and redirect back (303), and sign-in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from actors import TaskError, validate_id

from .._errors import STATUS_BY_CODE
from .._gateway import ActorCallFailedError
from .._sidecar_client import SidecarError
from ..deps import get_runtime
from ._access import ConsoleAccess, LoginRequiredError, check_origin
from ._forms import assign_request, snooze_request
from ._page import ConsolePage, gather

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/console", include_in_schema=False)
REFRESH_SECONDS = 3


def access_of(request: Request) -> ConsoleAccess:
    access: ConsoleAccess = request.app.state.console_access
    return access


def signed_in(request: Request) -> None:
    if not access_of(request).allows(request):
        raise LoginRequiredError()


def posting(request: Request) -> None:
    check_origin(request)
    signed_in(request)


SignedIn = Annotated[None, Depends(signed_in)]
Posting = Annotated[None, Depends(posting)]


async def render(request: Request, status: int = 200, **context: Any) -> Response:
    try:
        page = await gather(get_runtime(request))
    except (ActorCallFailedError, SidecarError) as exc:  # shown on the page, not as JSON
        page = ConsolePage(datetime.now(UTC))
        status, context = max(status, _unavailable(exc)), {**context, "unreadable": str(exc)}
    values = {"page": page, "form": {}, "error": None, "field": None, "unreadable": None}
    values |= context
    values |= {"refresh": REFRESH_SECONDS, "signed": access_of(request).needs_login}
    return templates.TemplateResponse(request, "console.html", values, status_code=status)


async def act(
    request: Request, action: Callable[[], Awaitable[Any]], form: Mapping[str, Any] | None = None
) -> Response:
    """Run a form's action: back to the page (303), or the page again with what was wrong."""
    try:
        await action()
    except TaskError as exc:
        field = exc.details.get("field")
        return await render(request, _status(exc), error=exc.message, field=field, form=form or {})
    except SidecarError as exc:
        status = exc.status if 400 <= exc.status < 500 else 502
        return await render(request, status, error=exc.message or str(exc), form=form or {})
    except ActorCallFailedError as exc:
        return await render(request, 502, error=str(exc), form=form or {})
    return RedirectResponse("/console", status_code=303)


def _unavailable(exc: Exception) -> int:
    return 503 if getattr(exc, "error_code", "") == "ERR_SIDECAR_UNAVAILABLE" else 502


def _status(exc: TaskError) -> int:
    """The API's status for the error, but 400 for a bad field (the API's 422): a form."""
    status = STATUS_BY_CODE.get(exc.code, 400)
    return 400 if status == 422 else status


@router.get("")
async def console(request: Request, _: SignedIn) -> Response:
    return await render(request)


@router.post("/tasks")
async def assign(request: Request, _: Posting) -> Response:
    form = dict((await request.form()).items())

    async def run() -> None:
        agent_id, payload = assign_request(form)
        await get_runtime(request).gateway.call(agent_id, "AssignTask", payload)

    return await act(request, run, form)


async def _task_call(request: Request, agent_id: str, task_id: str, method: str) -> Response:
    async def run() -> None:
        ids = validate_id("agent_id", agent_id), validate_id("task_id", task_id)
        await get_runtime(request).gateway.call(ids[0], method, {"task_id": ids[1]})

    return await act(request, run)


@router.post("/agents/{agent_id}/tasks/{task_id}/complete")
async def complete(request: Request, agent_id: str, task_id: str, _: Posting) -> Response:
    return await _task_call(request, agent_id, task_id, "CompleteTask")


@router.post("/agents/{agent_id}/tasks/{task_id}/ack")
async def acknowledge(request: Request, agent_id: str, task_id: str, _: Posting) -> Response:
    return await _task_call(request, agent_id, task_id, "AcknowledgeTask")


@router.post("/agents/{agent_id}/tasks/{task_id}/snooze")
async def snooze(request: Request, agent_id: str, task_id: str, _: Posting) -> Response:
    form = dict((await request.form()).items())

    async def run() -> None:
        ids = validate_id("agent_id", agent_id), validate_id("task_id", task_id)
        payload = {"task_id": ids[1], **snooze_request(form)}
        await get_runtime(request).gateway.call(ids[0], "SnoozeTask", payload)

    return await act(request, run, {"snooze_task": f"{agent_id}/{task_id}", **form})


@router.post("/dead-letters/{notification_id}/replay")
async def replay(request: Request, notification_id: str, _: Posting) -> Response:
    return await act(request, lambda: get_runtime(request).notifier.replay(notification_id))
