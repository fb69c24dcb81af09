"""The periodic self-check: every ``reconcile_interval`` each listed agent's actor reconciles
(finds due steps whose job is gone because its failure policy ran out, records and re-fires
them). Not on activation: that loaded every task and looked up every past-due job inside
whichever call activated the actor, which made that call slow enough, under load, to time out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from ._runtime import AgentRuntime

logger = logging.getLogger(__name__)


async def reconcile_all(runtime: AgentRuntime) -> int:
    """One round; the count of missed steps found. Failures are logged, the round goes on."""
    found = 0
    for agent_id in await runtime.directory.agents():
        try:
            result = await runtime.gateway.call(agent_id, "Reconcile", {})
        except Exception as exc:  # the next round tries again
            logger.warning("self-check of agent %s failed: %s", agent_id, exc)
            continue
        found += len(result["missed"])
    return found


async def _loop(runtime: AgentRuntime, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)  # a periodic check by design, not a wait for a condition
        try:
            await reconcile_all(runtime)
        except Exception as exc:
            logger.warning("self-check round failed: %s", exc)


@contextlib.asynccontextmanager
async def self_check(runtime: AgentRuntime) -> AsyncIterator[None]:
    seconds = runtime.settings.reconcile_interval.total_seconds()
    task = asyncio.create_task(_loop(runtime, seconds)) if seconds > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
