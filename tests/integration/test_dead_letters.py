"""Dead letters end to end: a webhook receiver (a real process) that is down for longer than the
notifier's retries yields a dead letter; replay delivers it once, with a signature the receiver
can verify."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from notifier._channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

from ._support import RecordingApp, running_system

pytestmark = [pytest.mark.integration]
SECRET = "hook-secret"


async def test_a_receiver_down_longer_than_the_retries_yields_a_dead_letter_replayed_once(
    tmp_path: Path,
) -> None:
    receiver = RecordingApp(tmp_path, "hook").start()
    receiver.answer(503)
    env = {
        "NOTIFIER_WEBHOOK_URL": f"http://127.0.0.1:{receiver.port}/hook",
        "NOTIFIER_WEBHOOK_SECRET": SECRET,
        "NOTIFIER_WEBHOOK_ATTEMPTS": "3",
        "NOTIFIER_WEBHOOK_BACKOFF_SECONDS": "0.05",
    }
    try:
        async with running_system(tmp_path / "system", notifier_env=env) as system:
            await receiver.wait_http(system.client, f"http://127.0.0.1:{receiver.port}/", 503)
            due = await system.now() + timedelta(days=1)
            body = {"id": "t", "title": "Ship", "assignee": "bob", "due_at": due.isoformat()}
            body["remind_before"] = "P2D"  # due soon: the reminder fires at once
            r = await system.client.post(f"{system.agent.url}/agents/dead1/tasks", json=body)
            assert r.status_code == 201, r.text

            async def dead() -> list[dict[str, object]]:
                r = await system.client.get(f"{system.notifier.url}/dead-letters")
                return list(r.json()["notifications"])

            (letter,) = await system.until(dead, "the reminder to become a dead letter")
            assert letter["id"] == "dead1:t:reminder:1" and letter["status"] == "dead_letter"
            assert len(receiver.requests("/hook")) == 3  # every retry reached the receiver
            sent = await system.until(
                lambda: system.sent_notifications("dead1", "t"), "the agent to record it sent"
            )
            assert [n["id"] for n in sent] == ["dead1:t:reminder:1"]  # the job is done

            receiver.answer(200)
            url = f"{system.notifier.url}/dead-letters/dead1:t:reminder:1/replay"
            first = await system.client.post(url)
            assert (first.status_code, first.json()["status"]) == (200, "replayed"), first.text
            second = await system.client.post(url)
            assert second.json()["status"] == "replayed"
            hooks = receiver.requests("/hook")
            assert len(hooks) == 4  # three failures, one replay: delivered once
            last = hooks[-1]
            stamp = last["headers"][TIMESTAMP_HEADER.lower()]
            expected = signature(SECRET, stamp, last["body"].encode())
            assert last["headers"][SIGNATURE_HEADER.lower()] == expected
            assert json.loads(last["body"])["id"] == "dead1:t:reminder:1"
            assert (await dead()) == []
    finally:
        receiver.stop()


async def test_a_reminder_job_dapr_gave_up_on_is_noticed_recorded_and_delivered(
    tmp_path: Path,
) -> None:
    """The notifier is down for longer than the job's failure policy (two retries 0.2 s apart):
    the scheduler drops the job; the agent's self-check notices, records it and fires it again."""
    env = {
        "PM_JOB_RETRY_INTERVAL": "200ms",
        "PM_JOB_MAX_RETRIES": "2",
        "PM_RECONCILE_INTERVAL": "1s",
        "PM_MISSED_GRACE": "1s",
    }
    async with running_system(tmp_path, agent_env=env) as system:
        system.notifier.kill9()
        due = await system.now() + timedelta(days=1)
        body = {"id": "t", "title": "Ship", "assignee": "bob", "due_at": due.isoformat()}
        body["remind_before"] = "P2D"
        r = await system.client.post(f"{system.agent.url}/agents/lost2/tasks", json=body)
        assert r.status_code == 201, r.text

        async def noticed() -> bool:
            return "its failure policy ran out" in system.agent.output()

        await system.until(noticed, "the self-check to notice the dropped job")
        system.notifier.start()
        await system.notifier.wait_healthy(system.client)

        async def delivered() -> list[dict[str, object]]:
            notes = await system.stored_notifications("lost2", "t")
            return [n for n in notes if n["delivered"]]

        (note,) = await system.until(delivered, "the re-fired reminder to be delivered")
        assert note["step"] == "reminder"
        await system.settle()
        assert len(await system.stored_notifications("lost2", "t")) == 1
        task = (await system.client.get(f"{system.agent.url}/agents/lost2/tasks/t")).json()
        assert task["missed_fires"] and task["missed_fires"][0]["step"] == "reminder"
        assert task["notifications_sent"] == [note["id"]]
