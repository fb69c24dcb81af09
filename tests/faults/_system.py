"""The whole reminder system as real processes, plus a seeded kill -9 schedule and its verdict.

Four processes share one runtime home and one ``state.sqlite`` file: the pm-agent sidecar, the
notifier sidecar (``python -m sidecar run``), the agent app (``python -m agent``) and the notifier
app (``python -m notifier``). Each can be killed with SIGKILL and started again on the same ports
and home. Used by ``tests/faults`` (short) and ``bench/fault_soak.py`` (long); no pytest here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from sidecar._runner import free_port
from tests.integration._processes import WAIT, Process, scrubbed_env
from tests.integration._support import AppProcess, SidecarProcess, write_statestore

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
AGENT, NOTIFIER = "pm-agent", "notifier"
AGENT_SIDECAR, NOTIFIER_SIDECAR = "pm-agent-sidecar", "notifier-sidecar"
RUNNER = "runner"  # one ``sidecar run -f`` process holding both sidecars and both apps
DEFAULT_VICTIMS = (AGENT_SIDECAR, AGENT, NOTIFIER)


class RunnerProcess(Process):
    """``sidecar run -f dapr.yaml``, as ``./dev up`` runs the system; kill -9 hits it alone."""

    def __init__(
        self, run_file: Path, home: Path, urls: list[str], log: Path, runtime: str = "local"
    ) -> None:
        args = [sys.executable, "-m", "sidecar", "run", "-f", str(run_file), "--home", str(home)]
        args += ["--log-level", "warning"]
        if runtime == "dapr":  # the same run file on real daprd, placement and scheduler
            args = [sys.executable, "-m", "sidecar.real_dapr", "-f", str(run_file)]
        env = scrubbed_env("DAPR_", "PM_", "APP_") | {"PYTHONUNBUFFERED": "1"}
        super().__init__(RUNNER, args, log=log, env=env)
        self.urls = urls

    def kill9(self) -> None:
        """SIGKILL the runner process only: its apps must not outlive it (they are not hit)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    async def wait_healthy(self, client: httpx.AsyncClient, timeout: float = WAIT) -> None:
        for url in self.urls:
            status = 204 if "/v1.0/" in url else 200
            await self.wait_http(client, url, status, timeout)

    async def wait_apps_gone(self, client: httpx.AsyncClient, timeout: float = WAIT) -> None:
        """Until no app or sidecar of the killed runner answers any more."""

        async def gone() -> bool:
            for url in self.urls:
                with contextlib.suppress(httpx.HTTPError):
                    await client.get(url, timeout=1)
                    return False
            return True

        await self.until(gone, "the killed runner's apps to go", timeout, while_running=False)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def poll(check: Callable[[], Awaitable[Any]], timeout: float, interval: float = 0.1) -> Any:
    """Re-run ``check`` until it returns something truthy; TimeoutError after ``timeout`` s."""
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(interval)


RECURRENCE_EVERY = 8  # seconds between the instances of a recurring soak task
RECURRENCE_COUNT = 3
ESCALATION_EVERY = 2  # seconds between escalations
ESCALATION_MAX = 3


@dataclass(frozen=True)
class Planned:
    """One assigned task as the agent answered it, and what its plan must produce."""

    agent_id: str
    task_id: str
    due_at: datetime
    remind_at: datetime
    shape: str = "plain"  # plain, escalating (three escalations), recurring (three instances)

    def expected(self) -> dict[str, datetime]:
        """Notification id -> the earliest moment it may exist (an independent reckoning of the
        plan: a lead time before due, the due time, escalations every few seconds after it)."""
        lead = self.due_at - self.remind_at
        found: dict[str, datetime] = {}
        for task_id, due in self._instances():
            base = f"{self.agent_id}:{task_id}"
            found |= {f"{base}:reminder:1": due - lead, f"{base}:overdue:1": due}
            if self.shape == "escalating":
                for k in range(ESCALATION_MAX):
                    step = "escalation" if k == 0 else f"escalation{k + 1}"
                    found[f"{base}:{step}:1"] = due + timedelta(seconds=k * ESCALATION_EVERY)
        return found

    def _instances(self) -> list[tuple[str, datetime]]:
        if self.shape != "recurring":
            return [(self.task_id, self.due_at)]
        start = self.due_at.replace(microsecond=0)  # RRULE instants are whole seconds
        later = [
            (f"{self.task_id}.{k + 1}", start + timedelta(seconds=k * RECURRENCE_EVERY))
            for k in range(1, RECURRENCE_COUNT)
        ]
        return [(self.task_id, self.due_at), *later]

    @property
    def last_due(self) -> datetime:
        return max(self.expected().values())


def plan_fields(shape: str) -> dict[str, Any]:
    """The task fields that give a soak task its shape."""
    if shape == "escalating":
        every = f"PT{ESCALATION_EVERY}S"
        return {"escalation": {"escalate_to": ["lead"], "every": every, "max": ESCALATION_MAX}}
    if shape == "recurring":
        rule = f"FREQ=SECONDLY;INTERVAL={RECURRENCE_EVERY};COUNT={RECURRENCE_COUNT}"
        return {"recurrence": rule}
    return {}


@dataclass(frozen=True)
class Kill:
    at: float  # seconds after the start of the firing window
    victim: str
    pause: float  # seconds the victim stays down


def kill_plan(
    rng: random.Random,
    window: float,
    kills: int,
    victims: tuple[str, ...] = DEFAULT_VICTIMS,
    max_pause: float = 1.5,
) -> list[Kill]:
    """``kills`` kills at random moments of ``[0, window]``; every victim at least once."""
    names = list(victims) + [rng.choice(victims) for _ in range(max(0, kills - len(victims)))]
    rng.shuffle(names)
    times = sorted(rng.uniform(0.0, window) for _ in names)
    return [Kill(t, v, rng.uniform(0.2, max_pause)) for t, v in zip(times, names, strict=True)]


@dataclass
class Verdict:
    """What was stored, against what was expected."""

    tasks: int
    expected: int
    stored: int = 0
    delivered_once: int = 0
    duplicates: int = 0
    missing: list[str] = field(default_factory=list)
    early: list[str] = field(default_factory=list)
    undelivered: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    not_listed: list[str] = field(default_factory=list)
    kills: list[str] = field(default_factory=list)
    moves: list[str] = field(default_factory=list)  # actors seen moving off a killed replica
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        bad = (self.missing, self.early, self.undelivered, self.unexpected, self.not_listed)
        return self.duplicates == 0 and not any(bad)

    def counts(self) -> dict[str, int]:
        return {
            "tasks": self.tasks,
            "expected_notifications": self.expected,
            "stored": self.stored,
            "delivered_once": self.delivered_once,
            "duplicates_stored": self.duplicates,
            "missing": len(self.missing),
            "early": len(self.early),
            "undelivered": len(self.undelivered),
            "unexpected_ids": len(self.unexpected),
            "not_in_notifier_list": len(self.not_listed),
            "kills": len(self.kills),
        }

    def summary(self) -> str:
        counts = " ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"{counts} seconds={self.seconds:.1f} kills=[{', '.join(self.kills)}]"


class System:
    """The four processes of the reminder system on fixed ports, one home, one state file."""

    def __init__(
        self,
        root: Path,
        *,
        retry_interval: str = "1s",
        max_retries: int = 100_000,
        as_runner: bool = False,
        runtime: str = "local",
    ):
        self.root = root
        self.home = root / "home"
        self.resources = root / "resources"
        self.db = root / "state.db"
        self.logs = root / "logs"
        for folder in (self.home, self.resources, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        write_statestore(self.resources, self.db)
        ports = {name: free_port() for name in ("agent", "agent_http", "notifier", "notifier_http")}
        self.agent_url = f"http://127.0.0.1:{ports['agent']}"
        self.notifier_url = f"http://127.0.0.1:{ports['notifier']}"
        self.agent_sidecar_url = f"http://127.0.0.1:{ports['agent_http']}"
        agent_env = {
            "PM_NOTIFIER_APP_ID": NOTIFIER,
            "PM_JOB_RETRY_INTERVAL": retry_interval,
            "PM_JOB_MAX_RETRIES": str(max_retries),
            "PM_HTTP_TIMEOUT": "10",
        }
        self.procs: dict[str, SidecarProcess | AppProcess | RunnerProcess] = {}
        self.moves: list[str] = []
        self.assigned_agents: set[str] = set()  # agent ids given a task, for the move check
        if as_runner:
            self.procs[RUNNER] = self._runner(ports, agent_env, runtime)
            return
        self.procs = {
            AGENT_SIDECAR: self._sidecar(AGENT, ports["agent"], ports["agent_http"]),
            NOTIFIER_SIDECAR: self._sidecar(NOTIFIER, ports["notifier"], ports["notifier_http"]),
            AGENT: self._app("agent", ports["agent"], ports["agent_http"], agent_env),
            NOTIFIER: self._app("notifier", ports["notifier"], ports["notifier_http"], {}),
        }

    def _runner(
        self, ports: dict[str, int], agent_env: dict[str, str], runtime: str
    ) -> RunnerProcess:
        apps = [
            {
                "appID": app_id,
                "appDirPath": str(ROOT),
                "appPort": ports[name],
                "daprHTTPPort": ports[f"{name}_http"],
                "command": [sys.executable, "-m", name],
                "env": env,
            }
            for app_id, name, env in ((AGENT, "agent", agent_env), (NOTIFIER, "notifier", {}))
        ]
        run_file = self.root / "dapr.yaml"
        doc = {"version": 1, "common": {"resourcesPaths": [str(self.resources)]}, "apps": apps}
        run_file.write_text(json.dumps(doc))  # JSON is YAML
        urls = [
            f"http://127.0.0.1:{ports[n]}{p}" for n in ("agent", "notifier") for p in ("/healthz",)
        ]
        urls += [
            f"http://127.0.0.1:{ports[n + '_http']}/v1.0/healthz" for n in ("agent", "notifier")
        ]
        return RunnerProcess(run_file, self.home, urls, self.logs / "runner.log", runtime)

    def _sidecar(self, app_id: str, app_port: int, http_port: int) -> SidecarProcess:
        extra = ("--resources-path", str(self.resources), "--log-level", "warning")
        log = self.logs / f"{app_id}-sidecar.log"
        return SidecarProcess.for_app(
            self.home, app_id, app_port, *extra, log=log, http_port=http_port
        )

    def _app(self, module: str, port: int, http_port: int, env: dict[str, str]) -> AppProcess:
        env = {**env, "DAPR_HTTP_PORT": str(http_port)}
        return AppProcess(module, port, env, self.logs / f"{module}.log")

    # lifecycle ---------------------------------------------------------------------------------

    async def start(self, client: httpx.AsyncClient, timeout: float = 60) -> None:
        for proc in self.procs.values():
            proc.start()
        async with asyncio.timeout(timeout):
            await asyncio.gather(
                *(p.wait_healthy(client, timeout=timeout) for p in self.procs.values())
            )

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.stop()

    async def kill_and_restart(self, client: httpx.AsyncClient, kill: Kill) -> None:
        proc = self.procs[kill.victim]
        proc.kill9()
        if isinstance(proc, RunnerProcess):
            await proc.wait_apps_gone(client)
        log.info("killed %s (down for %.2fs)", kill.victim, kill.pause)
        await asyncio.sleep(kill.pause)  # the outage itself, not a wait for a condition
        proc.start()
        await proc.wait_healthy(client)
        for other in self.procs.values():  # a sidecar whose app went away must be ready again
            await other.wait_healthy(client)

    async def run_kills(
        self, client: httpx.AsyncClient, plan: list[Kill], window_start: float
    ) -> list[str]:
        """Carry out ``plan`` in order, each at (or, if the previous restart ran late, after) its
        moment; returns ``victim@seconds`` for each kill done."""
        done: list[str] = []
        for kill in plan:
            delay = window_start + kill.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            done.append(f"{kill.victim}@{time.monotonic() - window_start:.1f}s")
            await self.kill_and_restart(client, kill)
        return done

    # the task API ------------------------------------------------------------------------------

    async def assign(
        self,
        client: httpx.AsyncClient,
        agent_id: str,
        task_id: str,
        due_at: datetime,
        remind_before: str,
        shape: str = "plain",
    ) -> Planned:
        body = {
            "id": task_id,
            "title": f"task {task_id}",
            "assignee": f"owner-of-{agent_id}",
            "due_at": due_at.isoformat(timespec="milliseconds"),
            "remind_before": remind_before,
            **plan_fields(shape),
        }
        url = f"{self.agent_url}/agents/{agent_id}/tasks"
        response = await client.post(url, json=body, timeout=30)
        if response.status_code not in (200, 201):
            raise RuntimeError(
                f"assign {agent_id}/{task_id}: {response.status_code} {response.text}"
            )
        task = response.json()
        self.assigned_agents.add(agent_id)
        due, remind = _parse_time(task["due_at"]), _parse_time(task["remind_at"])
        return Planned(agent_id, task_id, due, remind, shape)

    async def assign_spread(
        self,
        client: httpx.AsyncClient,
        rng: random.Random,
        *,
        tasks: int,
        agents: int,
        first_reminder: datetime,
        window: float,
        concurrency: int = 8,
        prefix: str = "t",
    ) -> list[Planned]:
        """``tasks`` tasks over ``agents`` agents, reminders spread over ``window`` seconds from
        ``first_reminder``; the lead time is 3-6 s, given in Go or ISO 8601 form. Every fifth
        task escalates three times after due, every fifth recurs three times."""
        specs = []
        for i in range(tasks):
            before = rng.randint(3, 6)
            remind_at = first_reminder + timedelta(seconds=rng.uniform(0, window))
            text = rng.choice([f"{before}s", f"PT{before}S"])
            due = remind_at + timedelta(seconds=before)
            shape = {0: "escalating", 1: "recurring"}.get(i % 5, "plain")
            specs.append((f"agent-{i % agents}", f"{prefix}{i:05d}", due, text, shape))
        gate = asyncio.Semaphore(concurrency)

        async def one(spec: tuple[str, str, datetime, str, str]) -> Planned:
            async with gate:
                return await self.assign(client, *spec)

        return list(await asyncio.gather(*(one(s) for s in specs)))

    # what was stored ---------------------------------------------------------------------------

    def stored_notifications(self) -> list[dict[str, Any]]:
        """Every notification record in the state file (the notifier's keys), read directly."""
        if not self.db.exists():
            return []
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            rows = conn.execute(
                "SELECT key, value FROM state WHERE key LIKE ?", (f"{NOTIFIER}||notification-%",)
            ).fetchall()
        except sqlite3.OperationalError:  # table not created yet
            return []
        finally:
            conn.close()
        return [json.loads(value) for _, value in rows]

    async def listed_ids(self, client: httpx.AsyncClient) -> list[str]:
        response = await client.get(f"{self.notifier_url}/notifications", timeout=30)
        response.raise_for_status()
        return [n["id"] for n in response.json()["notifications"]]

    async def wait_for_all(self, planned: list[Planned], timeout: float) -> bool:
        """Until every expected notification is stored and delivered (False on timeout)."""
        wanted = {nid for p in planned for nid in p.expected()}

        async def complete() -> bool:
            records = await asyncio.to_thread(self.stored_notifications)
            done = {r["notification"]["id"] for r in records if r.get("delivered")}
            return wanted <= done

        try:
            await poll(complete, timeout, interval=0.5)
        except TimeoutError:
            return False
        return True

    async def verdict(self, client: httpx.AsyncClient, planned: list[Planned]) -> Verdict:
        expected: dict[str, datetime] = {}
        for p in planned:
            expected.update(p.expected())
        records = await asyncio.to_thread(self.stored_notifications)
        verdict = Verdict(tasks=len(planned), expected=len(expected), stored=len(records))
        by_slot = Counter(_slot(r["notification"]) for r in records)
        verdict.duplicates = sum(n - 1 for n in by_slot.values() if n > 1)
        found = {r["notification"]["id"]: r for r in records}
        verdict.unexpected = sorted(set(found) - set(expected))
        verdict.missing = sorted(set(expected) - set(found))
        for nid, record in found.items():
            earliest = expected.get(nid)
            if earliest is not None and _early(record, earliest):
                verdict.early.append(nid)
            if not record.get("delivered"):
                verdict.undelivered.append(nid)
        listed = Counter(await self.listed_ids(client))
        verdict.duplicates += sum(n - 1 for n in listed.values() if n > 1)
        verdict.not_listed = sorted(set(found) - set(listed))
        verdict.delivered_once = sum(
            1
            for nid in expected
            if nid in found
            and found[nid].get("delivered")
            and by_slot[_slot(found[nid]["notification"])] == 1
        )
        return verdict


def _slot(notification: dict[str, Any]) -> tuple[str, str, str]:
    """One fire = one (agent, task, step); a second stored version of it is a duplicate."""
    step = notification.get("step") or notification["kind"]
    return notification["agent_id"], notification["task_id"], step


def _early(record: dict[str, Any], earliest: datetime) -> bool:
    received = _parse_time(record["received_at"])
    created = _parse_time(record["notification"]["created_at"])
    return min(received, created) < earliest


async def run_fault_scenario(
    root: Path,
    *,
    tasks: int,
    agents: int,
    seed: int,
    window: float,
    kills: int,
    lead: float,
    settle: float,
    victims: tuple[str, ...] = DEFAULT_VICTIMS,
    as_runner: bool = False,
    system: System | None = None,
) -> Verdict:
    """Start the system, assign ``tasks`` reminders due over ``window`` seconds starting ``lead``
    seconds from now, kill -9 per a seeded plan while they fire, wait ``settle`` seconds at most
    after the last one is due, and judge what was stored. ``system``: another topology (the
    HA one) instead of the four processes."""
    rng = random.Random(seed)
    system = system or System(root, as_runner=as_runner)
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        try:
            await system.start(client)
            first = datetime.now(UTC) + timedelta(seconds=lead)
            planned = await system.assign_spread(
                client, rng, tasks=tasks, agents=agents, first_reminder=first, window=window
            )
            plan = kill_plan(rng, window + 3, kills, victims)
            window_start = time.monotonic() + (first - datetime.now(UTC)).total_seconds()
            done = await system.run_kills(client, plan, window_start)
            last_due = max(p.last_due for p in planned)
            remaining = (last_due - datetime.now(UTC)).total_seconds()
            await system.wait_for_all(planned, max(0.0, remaining) + settle)
            verdict = await system.verdict(client, planned)
            verdict.kills, verdict.moves = done, system.moves
        finally:
            system.stop()
    verdict.seconds = time.monotonic() - started
    return verdict
