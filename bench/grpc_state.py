"""State save+get round trips per second over the gRPC API and over the HTTP API, with 1 and 16
concurrent clients, on the local runtime and on real daprd side by side.

Usage: ./dev bench grpc_state [--runtimes local,dapr] [--rounds 2000] [--runs 3]
Each runtime gets a ``state.sqlite`` store (the same component YAML) and no app. A round trip is
one SaveState of a 100-byte value and one GetState of it; each client works on its own keys.
gRPC clients are ``grpc.aio`` stubs from the dapr SDK (``DaprStub``); HTTP clients are aiohttp
based httpx clients, as in ``http_api.py``. The median of ``--runs`` runs is printed per cell.
The load generator runs on the same 2-core machine as the runtime.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
from dapr.proto.common.v1 import common_pb2
from dapr.proto.runtime.v1 import dapr_pb2_grpc, state_pb2
from httpx_aiohttp import HttpxAiohttpClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _procs import Procs, free_port  # noqa: E402

from tests.integration._components import dump, sqlite_statestore  # noqa: E402

VALUE = b"v" * 100
RoundTrip = Callable[[str], Awaitable[None]]


async def run_clients(clients: int, rounds: int, make: Callable[[int], RoundTrip]) -> float:
    """Round trips per second of ``clients`` concurrent clients doing ``rounds`` in all."""
    per_client = rounds // clients

    async def worker(n: int) -> None:
        trip = make(n)
        for i in range(per_client):
            await trip(f"c{n}-k{i % 50}")

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(clients)))
    return per_client * clients / (time.perf_counter() - start)


async def grpc_rate(address: str, clients: int, rounds: int) -> float:
    channels = [grpc.aio.insecure_channel(address) for _ in range(clients)]
    stubs = [dapr_pb2_grpc.DaprStub(c) for c in channels]

    def make(n: int) -> RoundTrip:
        async def trip(key: str) -> None:
            item = common_pb2.StateItem(key=key, value=VALUE)
            await stubs[n].SaveState(
                state_pb2.SaveStateRequest(store_name="statestore", states=[item])
            )
            got = await stubs[n].GetState(
                state_pb2.GetStateRequest(store_name="statestore", key=key)
            )
            assert got.data == VALUE

        return trip

    try:
        return await run_clients(clients, rounds, make)
    finally:
        for c in channels:
            await c.close()


async def http_rate(url: str, clients: int, rounds: int) -> float:
    sessions = [HttpxAiohttpClient(timeout=30) for _ in range(clients)]
    body = [{"key": "", "value": VALUE.decode()}]

    def make(n: int) -> RoundTrip:
        async def trip(key: str) -> None:
            body[0]["key"] = key
            saved = await sessions[n].post(f"{url}/v1.0/state/statestore", json=[{**body[0]}])
            assert saved.status_code == 204, saved.text
            got = await sessions[n].get(f"{url}/v1.0/state/statestore/{key}")
            assert got.status_code == 200, got.text

        return trip

    try:
        return await run_clients(clients, rounds, make)
    finally:
        for s in sessions:
            await s.aclose()


async def measure(runtime: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, Procs() as procs:
        root = Path(tmp)
        resources = root / "resources"
        resources.mkdir()
        statestore = sqlite_statestore(
            {"value": str(root / "state.db")}, busy_timeout=False, actor_store=False
        )
        (resources / "statestore.yaml").write_text(dump(statestore))
        grpc_port = free_port()
        if runtime == "dapr":
            url = procs.daprd(root, "bench", None, resources=resources, grpc_port=grpc_port)
        else:
            extra = ("--resources-path", str(resources), "--dapr-grpc-port", str(grpc_port))
            url = procs.sidecar(root / "home", "bench", None, *extra)
        address = f"127.0.0.1:{grpc_port}"
        out: dict[str, float] = {}
        for clients in (1, 16):
            for transport, rate in (("grpc", grpc_rate), ("http", http_rate)):
                target = address if transport == "grpc" else url
                await rate(target, clients, min(200, args.rounds))  # warm-up
                runs = [await rate(target, clients, args.rounds) for _ in range(args.runs)]
                out[f"{transport} x{clients}"] = round(statistics.median(runs))
        return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runtimes", default="local,dapr")
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = {rt: await measure(rt, args) for rt in args.runtimes.split(",")}
    cells = list(next(iter(results.values())))
    print(f"{'round trips/s':<16}" + "".join(f"{rt:>12}" for rt in results))
    for cell in cells:
        print(f"{cell:<16}" + "".join(f"{results[rt][cell]:>12}" for rt in results))
    if {"local", "dapr"} <= set(results):
        for cell in cells:
            print(f"local/dapr {cell}: {results['local'][cell] / results['dapr'][cell]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
