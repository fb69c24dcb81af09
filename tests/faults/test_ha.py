"""HA on real Dapr (short): three schedulers (one etcd cluster), three placements (one raft
cluster), two agent replicas and the notifier on one Redis. One agent replica, one scheduler
replica and the notifier are killed with SIGKILL at seeded moments while reminders come due, and
started again: every reminder is stored exactly once, none early, and the killed replica's actors
are seen moving to the survivor (placement drops it, the survivor's metadata shows more actors).
The long version is ``./dev bench fault_soak --ha``.

Tune with ``HA_TASKS`` (default 40) and ``FAULT_SEED`` (default 1234).
"""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import pytest

from ._ha import AGENT_REPLICAS, HASystem, ha_victims, redis_missing
from ._ha_local import LocalHASystem
from ._system import AGENT, NOTIFIER, Verdict, run_fault_scenario
from .test_fault_injection import _judge

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)

TASKS = int(os.environ.get("HA_TASKS", "40"))
SEED = int(os.environ.get("FAULT_SEED", "1234"))


async def ha_scenario(
    root: Path, record_property: pytest.RecordProperty, system: HASystem, victims: tuple[str, ...]
) -> Verdict:
    """Reminders due over 20 s while ``victims`` are killed (three kills at seeded moments) on
    ``system``: judged as every fault scenario is, every victim killed once; its verdict."""
    verdict = await run_fault_scenario(
        root,
        tasks=TASKS,
        agents=8,
        seed=SEED,
        window=20.0,
        kills=3,
        lead=8.0,
        settle=60.0,
        victims=victims,
        system=system,
    )
    record_property("moves", "; ".join(verdict.moves))
    _judge(verdict, record_property, kills=3)
    assert {k.split("@")[0] for k in verdict.kills} == set(victims)
    return verdict


@pytest.mark.daprd
@pytest.mark.skipif(redis_missing() is not None, reason=redis_missing() or "")
async def test_ha_on_real_dapr_survives_losing_an_agent_replica_a_scheduler_and_the_notifier(
    tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    victims = ha_victims(random.Random(SEED))
    verdict = await ha_scenario(tmp_path, record_property, HASystem(tmp_path), victims)
    assert verdict.moves, "no agent replica was killed, so no actor could move"


async def test_two_agent_replicas_on_the_local_runtime_survive_losing_either_and_the_notifier(
    tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    """The same on the local runtime: two agent replicas and the notifier share one home (its
    registry places the actors, its job store schedules) and one state file."""
    victims = (*(f"{AGENT}-{i}" for i in range(AGENT_REPLICAS)), NOTIFIER)
    verdict = await ha_scenario(tmp_path, record_property, LocalHASystem(tmp_path), victims)
    assert len(verdict.moves) == AGENT_REPLICAS
