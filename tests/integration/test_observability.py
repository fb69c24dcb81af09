"""Observability across the real processes: the agent, the notifier and their two ``sidecar run``
processes, with a Dapr Configuration that turns tracing on (OTLP/HTTP to a receiver in the test)
and the apps exporting their own spans to it (``OTEL_EXPORTER_OTLP_ENDPOINT``).

- After a reminder fires, the pm-agent sidecar's ``/metrics`` counts one more lateness sample.
- One trace id links the task API call, the actor turn, the job it schedules, that job's fire
  and the notifier's intake.

The Configuration is given to ``sidecar run``; the real-Dapr lane starts daprd with a
Configuration of its own, so these tests run on the local runtime only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from ._otlp import OtlpReceiver, Span
from ._support import AGENT_ID, NOTIFIER_ID, System, on_dapr, running_system

pytestmark = [
    pytest.mark.integration,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(on_dapr(), reason="the tracing Configuration is passed to sidecar run"),
]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
CONFIG = """\
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: traced
spec:
  tracing:
    samplingRate: "1"
    otel:
      endpointAddress: "{endpoint}"
      isSecure: false
      protocol: http
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def receiver() -> AsyncIterator[OtlpReceiver]:
    async with OtlpReceiver() as started:
        yield started


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(
    tmp_path_factory: pytest.TempPathFactory, receiver: OtlpReceiver
) -> AsyncIterator[System]:
    root = tmp_path_factory.mktemp("observed-system")
    config = root / "tracing.yaml"
    config.write_text(CONFIG.format(endpoint=receiver.endpoint))
    app_env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{receiver.endpoint}"}
    async with running_system(
        root, app_env=app_env, sidecar_args=["--config", str(config)]
    ) as started:
        yield started


async def lateness_count(client: httpx.AsyncClient, url: str) -> float:
    answer = await client.get(url)
    assert answer.status_code == 200, answer.text
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            wanted = {"app_id": AGENT_ID, "kind": "job"}
            if sample.name == "sidecar_job_fire_lateness_seconds_count" and sample.labels == wanted:
                return sample.value
    return 0.0


async def assign_and_fire(system: System, agent: str, headers: dict[str, str]) -> None:
    due = await system.now() + timedelta(days=2)
    body = {"id": "t1", "title": "observed", "assignee": "bob", "due_at": due.isoformat()}
    body["remind_before"] = "1h"
    url = f"{system.agent.url}/agents/{agent}/tasks"
    answer = await system.client.post(url, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    await system.advance_to(due - timedelta(hours=1) + timedelta(seconds=1))

    async def notified() -> bool:
        return bool(await system.stored_notifications(agent, "t1"))

    await system.until(notified, f"the reminder of {agent}/t1")


async def test_a_fired_reminder_adds_a_lateness_sample(system: System) -> None:
    url = system.agent_sidecar.metrics_url
    before = await lateness_count(system.client, url)
    await assign_and_fire(system, "metrics1", {})
    assert await lateness_count(system.client, url) >= before + 1


def in_trace(spans: list[Span], service: str, name_part: str) -> list[Span]:
    return [
        s for s in spans if s.trace_id == TRACE_ID and s.service == service and name_part in s.name
    ]


async def test_one_trace_links_api_call_actor_turn_job_fire_and_notifier_intake(
    system: System, receiver: OtlpReceiver
) -> None:
    await assign_and_fire(system, "traced1", {"traceparent": TRACEPARENT})
    wanted = {
        "the task API call": ("pm-agent", "POST /agents/{agent_id}/tasks"),
        "the actor turn": (AGENT_ID, "/method/AssignTask"),
        "the job it schedules": (AGENT_ID, "/jobs/pm-reminder-traced1--t1"),
        "the job's fire": (AGENT_ID, "/method/OnReminderDue"),
        "the notifier intake, its sidecar": (NOTIFIER_ID, "/notifications"),
        "the notifier intake, the app": ("notifier", "POST /notifications"),
    }

    def complete(spans: list[Span]) -> bool:
        return all(in_trace(spans, *where) for where in wanted.values())

    spans = await receiver.wait_for(complete, "spans of every step under one trace id")
    for what, where in wanted.items():
        assert in_trace(spans, *where), what
