"""The reminder system highly available on real Dapr: three scheduler replicas forming one
embedded etcd cluster, three placement replicas forming one raft cluster, two agent replicas and
the notifier, each app with its own daprd, all on one shared Redis (``state.redis``,
``actorStateStore``). Each kill takes down a whole "pod" (an app and its daprd, or one control
plane replica) with SIGKILL and starts it again on the same ports and data. Used by
``tests/faults/test_ha.py`` (short) and ``bench/fault_soak.py --ha`` (long); no pytest here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import redis

from tests.integration._processes import WAIT, AppProcess, Process, free_ports, scrubbed_env
from tests.realdapr._procs import DaprdFlags, binary, write_config

from ._system import AGENT, NOTIFIER, Kill, System

log = logging.getLogger(__name__)

REPLICAS = 3  # scheduler and placement replicas: one may be lost, two keep a quorum
AGENT_REPLICAS = 2


def redis_missing() -> str | None:
    """None when a Redis server is installed; else why the HA scenario cannot run."""
    if shutil.which("redis-server"):
        return None
    return "no redis-server on PATH (apt-get install redis-server)"


class Unit:
    """Processes that live and die together (a pod), ready when each answers its health URL."""

    def __init__(self, name: str, parts: Sequence[tuple[Process, str, int]]) -> None:
        self.name = name
        self.parts = list(parts)

    def start(self) -> None:
        for proc, _, _ in self.parts:
            proc.start()

    def kill9(self) -> None:
        for proc, _, _ in self.parts:
            proc.kill9()

    def stop(self) -> None:
        for proc, _, _ in reversed(self.parts):
            proc.stop()

    async def wait_healthy(self, client: httpx.AsyncClient, timeout: float = WAIT) -> None:
        for proc, url, status in self.parts:
            await proc.wait_http(client, url, status, timeout)


def _cluster(prefix: str, peers: list[int], scheme: str = "") -> str:
    return ",".join(f"{prefix}-{i}={scheme}127.0.0.1:{p}" for i, p in enumerate(peers))


def scheduler_units(root: Path) -> tuple[list[Unit], str]:
    """Three schedulers, one etcd cluster; and the address list daprd is given."""
    ports = [free_ports(5) for _ in range(REPLICAS)]  # api, healthz, metrics, etcd client, peer
    cluster = _cluster("dapr-scheduler-server", [p[4] for p in ports], "http://")
    units = []
    for i, (api, healthz, metrics, etcd, _) in enumerate(ports):
        args = [str(binary("scheduler")), "--id", f"dapr-scheduler-server-{i}"]
        args += ["--port", str(api), "--listen-address", "127.0.0.1"]
        args += ["--healthz-port", str(healthz), "--metrics-port", str(metrics)]
        args += ["--etcd-data-dir", str(root / f"etcd-{i}"), "--etcd-client-port", str(etcd)]
        args += ["--etcd-initial-cluster", cluster]
        proc = Process(f"scheduler-{i}", args, log=root / "logs" / f"scheduler-{i}.log")
        units.append(Unit(f"scheduler-{i}", [(proc, f"http://127.0.0.1:{healthz}/healthz", 200)]))
    return units, ",".join(f"127.0.0.1:{p[0]}" for p in ports)


def placement_units(root: Path) -> tuple[list[Unit], str, list[str]]:
    """Three placements, one raft cluster; the address list; and their table URLs."""
    ports = [free_ports(4) for _ in range(REPLICAS)]  # api, healthz, metrics, raft
    cluster = _cluster("dapr-placement", [p[3] for p in ports])
    units, tables = [], []
    for i, (api, healthz, metrics, _) in enumerate(ports):
        args = [str(binary("placement")), "--id", f"dapr-placement-{i}", "--initial-cluster"]
        args += [cluster, "--port", str(api), "--listen-address", "127.0.0.1"]
        args += ["--healthz-port", str(healthz), "--healthz-listen-address", "127.0.0.1"]
        args += ["--metrics-port", str(metrics), "--metadata-enabled"]
        proc = Process(f"placement-{i}", args, log=root / "logs" / f"placement-{i}.log")
        health = f"http://127.0.0.1:{healthz}/healthz"
        units.append(Unit(f"placement-{i}", [(proc, health, 200)]))
        tables.append(f"http://127.0.0.1:{healthz}/placement/state")
    return units, ",".join(f"127.0.0.1:{p[0]}" for p in ports), tables


STATESTORE = """\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: "127.0.0.1:{port}"
    - name: actorStateStore
      value: "true"
"""


class DaprdApp:
    """One app and its daprd on ports fixed at construction, as one :class:`Unit`."""

    def __init__(self, root: Path, name: str, module: str, env: dict[str, str], planes: Any):
        http, grpc, internal, metrics, app = free_ports(5)
        self.url, self.app_url = f"http://127.0.0.1:{http}", f"http://127.0.0.1:{app}"
        app_id = AGENT if module == "agent" else NOTIFIER
        flags = DaprdFlags(
            app_id,
            Path(planes.res),
            Path(planes.config),
            planes.scheduler,
            planes.placement,
            app,
            http_port=http,
            grpc_port=grpc,
            internal_grpc_port=internal,
            metrics_port=metrics,
        )
        logs = root / "logs"
        env_d = scrubbed_env("DAPR_", "APP_", "NAMESPACE")
        daprd = Process(f"{name}-daprd", flags.args(), log=logs / f"{name}-daprd.log", env=env_d)
        proc = AppProcess(module, app, {**env, "DAPR_HTTP_PORT": str(http)}, logs / f"{name}.log")
        self.port = str(internal)  # placement lists this daprd as <host address>:<this port>
        self.unit = Unit(
            name, [(proc, f"{self.app_url}/healthz", 200), (daprd, f"{self.url}/v1.0/healthz", 204)]
        )


class Planes:
    """The control plane's addresses as daprd takes them, and the files every daprd shares."""

    def __init__(self, root: Path, scheduler: str, placement: str, redis_port: int) -> None:
        self.scheduler, self.placement = scheduler, placement
        resources = root / "resources"
        resources.mkdir(parents=True, exist_ok=True)
        (resources / "statestore.yaml").write_text(STATESTORE.format(port=redis_port))
        self.res = str(resources)
        self.config = str(write_config(root / "config.yaml", root / "names.db"))


class HASystem(System):
    """:class:`System`'s scenario API (assign, kill, verdict) over the HA topology above.

    Victims are ``pm-agent-0``/``pm-agent-1`` (an agent replica: app and daprd),
    ``scheduler-0..2``, ``placement-0..2`` and ``notifier`` (app and daprd).
    """

    def __init__(self, root: Path, *, retry_interval: str = "1s", max_retries: int = 100_000):
        self.root, self.logs = root, root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.redis_port = free_ports(1)[0]
        redis_unit = self._redis()
        schedulers, scheduler = scheduler_units(root)
        placements, placement, self.tables = placement_units(root)
        planes = Planes(root, scheduler, placement, self.redis_port)
        agent_env = {
            "PM_NOTIFIER_APP_ID": NOTIFIER,
            "PM_JOB_RETRY_INTERVAL": retry_interval,
            "PM_JOB_MAX_RETRIES": str(max_retries),
            "PM_HTTP_TIMEOUT": "30",  # eight daprds and six apps share two cores
        }
        self.agents = [
            DaprdApp(root, f"{AGENT}-{i}", "agent", agent_env, planes)
            for i in range(AGENT_REPLICAS)
        ]
        notifier = DaprdApp(root, NOTIFIER, "notifier", {}, planes)
        self.agent_url, self.notifier_url = self.agents[0].app_url, notifier.app_url
        self.groups = [[redis_unit], schedulers, placements, [notifier.unit, *self.units()]]
        self.procs: dict[str, Any] = {u.name: u for group in self.groups for u in group}
        self.moves: list[str] = []
        self.assigned_agents: set[str] = set()  # agent ids given a task, for the move check

    def units(self) -> list[Unit]:
        return [a.unit for a in self.agents]

    def _redis(self) -> Unit:
        data = self.root / "redis"
        data.mkdir(exist_ok=True)
        args = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1"]
        args += ["--dir", str(data), "--save", "", "--appendonly", "yes"]
        proc = Process("redis", args, log=self.logs / "redis.log")
        return Unit("redis", [(proc, "", 0)])

    async def start(self, client: httpx.AsyncClient, timeout: float = 120) -> None:
        """Redis, then the schedulers together (etcd needs a quorum to answer), then the
        placements together, then every app with its daprd."""
        for group in self.groups:
            for unit in group:
                unit.start()
            await asyncio.gather(*(self._healthy(client, u, timeout) for u in group))

    async def _healthy(self, client: httpx.AsyncClient, unit: Unit, timeout: float) -> None:
        if unit.name == "redis":
            await unit.parts[0][0].until(self._redis_up, "redis to answer PING", timeout)
            return
        await unit.wait_healthy(client, timeout)

    async def _redis_up(self) -> bool:
        def ping() -> bool:
            try:
                with self.redis_client(timeout=2) as conn:
                    return bool(conn.ping())
            except redis.RedisError:
                return False

        return await asyncio.to_thread(ping)

    def redis_client(self, timeout: float = 10) -> redis.Redis:
        """A client of the shared Redis (a test reads the store directly, not through the apps
        it judges)."""
        return redis.Redis(port=self.redis_port, socket_timeout=timeout)

    def stop(self) -> None:
        for group in reversed(self.groups):
            for unit in group:
                unit.stop()

    async def kill_and_restart(self, client: httpx.AsyncClient, kill: Kill) -> None:
        unit = self.procs[kill.victim]
        unit.kill9()
        log.info("killed %s (down for at least %.2fs)", kill.victim, kill.pause)
        replica = next((a for a in self.agents if a.unit is unit), None)
        if replica is not None:
            self.moves.append(await self._actors_move(client, replica))
        await asyncio.sleep(kill.pause)  # the outage itself, not a wait for a condition
        unit.start()
        for other in self.procs.values():
            await self._healthy(client, other, WAIT)

    # where the actors are -------------------------------------------------------------------

    async def placement_hosts(self, client: httpx.AsyncClient) -> set[str] | None:
        """The daprds the placement leader lists for pm-agent (None: no leader answered)."""
        for url in self.tables:
            try:
                table = (await client.get(url, timeout=5)).json()
            except (httpx.HTTPError, ValueError):
                continue
            if table:  # followers answer null; the leader {"tables": {namespace: {"hosts"}}}
                tables = (table.get("tables") or {}).values()
                hosts = [h for t in tables for h in t.get("hosts", [])]
                return {_host(h) for h in hosts if h.get("id") == AGENT}
        return None

    async def active_actors(self, client: httpx.AsyncClient, replica: DaprdApp) -> int:
        """Active actors on ``replica`` by its daprd's metadata API."""
        metadata = (await client.get(f"{replica.url}/v1.0/metadata", timeout=10)).json()
        return sum(a.get("count", 0) for a in metadata.get("actors") or [])

    async def _actors_move(self, client: httpx.AsyncClient, killed: DaprdApp) -> str:
        """After ``killed`` went down: until placement drops it, then until its survivor, the
        only host left, has every agent given a task active. (Not "more than it held": a replica
        killed again soon after its restart may hold no actor yet, and then nothing moves.)"""
        started = time.monotonic()
        survivor = next(a for a in self.agents if a is not killed)
        before = await self.active_actors(client, survivor)

        async def dropped() -> set[str] | None:
            hosts = await self.placement_hosts(client)
            if hosts is None or killed.port in {h.rsplit(":", 1)[-1] for h in hosts}:
                return None
            return hosts

        proc = survivor.unit.parts[1][0]
        hosts = await proc.until(dropped, f"placement to drop {killed.unit.name}", WAIT)
        dropped_after = time.monotonic() - started

        async def all_here() -> int | None:
            await self._call_every_agent(client, survivor)
            count = await self.active_actors(client, survivor)
            return count if count >= len(self.assigned_agents) else None

        after = await proc.until(all_here, f"{survivor.unit.name} to take over actors", WAIT)
        return (
            f"{killed.unit.name} killed: placement listed {sorted(hosts)} after"
            f" {dropped_after:.1f}s; {survivor.unit.name} active actors {before} -> {after}"
            f" after {time.monotonic() - started:.1f}s"
        )

    async def _call_every_agent(self, client: httpx.AsyncClient, survivor: DaprdApp) -> None:
        """List the tasks of every agent given one, through the survivor: the actors the killed
        replica held are activated on the survivor now, even when none of their reminders is due
        before the wait ends (a kill late in the window left nothing to move them otherwise)."""
        for agent_id in sorted(self.assigned_agents):
            with contextlib.suppress(httpx.HTTPError):
                await client.get(f"{survivor.app_url}/agents/{agent_id}/tasks", timeout=10)

    # what was stored ---------------------------------------------------------------------------

    def stored_notifications(self) -> list[dict[str, Any]]:
        """Every notification record in Redis (the notifier's keys), read directly."""
        try:
            with self.redis_client() as conn:
                keys = list(conn.scan_iter(f"{NOTIFIER}||notification-*", count=1000))
                values = [conn.hget(key, "data") for key in keys]
        except redis.RedisError:
            return []
        return [json.loads(v) for v in values if v is not None]


def _host(entry: dict[str, Any]) -> str:
    name = str(entry.get("name", ""))
    return name if ":" in name else f"{name}:{entry.get('port')}"


def ha_victims(rng: random.Random) -> tuple[str, ...]:
    """One agent replica, one scheduler replica and the notifier, drawn with ``rng``."""
    agent = f"{AGENT}-{rng.randrange(AGENT_REPLICAS)}"
    return agent, f"scheduler-{rng.randrange(REPLICAS)}", NOTIFIER
