"""Record what real daprd shows of itself: the metric families on its metrics port after a few
requests of every kind (names, types, label names), and, with tracing on (samplingRate 1), the
``traceparent`` its answers carry and the one the app receives for invocation, an actor call,
pub/sub and a job trigger.

``./dev test`` never runs this; ``python -m tests.realdapr.record_observability`` re-records
``tests/sidecar/observability/daprd_recorded.json`` (needs ``./dev dapr-install``).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from sidecar._runner import free_port

from ..parity._runtimes import APP_SCRIPT, write_components
from ._procs import Daprd, Placement, Process, Scheduler, write_config

OUT = Path(__file__).parents[1] / "sidecar" / "observability" / "daprd_recorded.json"
PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
TRACING = """\
  tracing:
    samplingRate: "1"
    otel:
      endpointAddress: "127.0.0.1:{port}"
      isSecure: false
      protocol: http
"""


@contextmanager
def _system(root: Path) -> Iterator[tuple[str, str, str]]:
    """Placement, scheduler, the parity app and its daprd: (API url, metrics url, app url)."""
    config = write_config(root / "config.yaml", root / "names.db")
    config.write_text(config.read_text() + TRACING.format(port=free_port()))
    with ExitStack() as stack:
        placement = stack.enter_context(Placement(root / "logs").start())
        scheduler = stack.enter_context(Scheduler(root / "logs", root / "etcd").start())
        placement.wait_ready()
        scheduler.wait_ready()
        port = free_port()
        app_args = [sys.executable, str(APP_SCRIPT), str(port)]
        app = stack.enter_context(Process("app", app_args, root / "logs" / "app.log").start())
        app.wait_http(f"http://127.0.0.1:{port}/healthz")
        daprd = Daprd(
            root / "logs",
            "parity",
            app_port=port,
            resources=write_components(root),
            config=config,
            placement=placement.address,
            scheduler=scheduler.address,
        )
        stack.enter_context(daprd.start())
        daprd.wait_ready()
        metrics = daprd.args[daprd.args.index("--metrics-port") + 1]
        yield daprd.url, f"http://127.0.0.1:{metrics}/metrics", f"http://127.0.0.1:{port}"


def _traced(client: httpx.Client, app: str, method: str, url: str, **kw: Any) -> dict[str, Any]:
    """One request with ``PARENT``: the answer's trace headers and what the app received."""
    before = client.get(f"{app}/_recorded").json()["total"]
    answer = client.request(method, url, headers={"traceparent": PARENT}, **kw)
    received = _wait_records(client, app, before)
    return {
        "status": answer.status_code,
        "answer": answer.headers.get("traceparent"),
        "app": [
            {"path": r["path"], "traceparent": r["headers"].get("traceparent")} for r in received
        ],
    }


def _wait_records(client: httpx.Client, app: str, before: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = client.get(f"{app}/_recorded", params={"after": before}).json()["records"]
        if found:
            return list(found)
        time.sleep(0.1)
    return []


def _exercise(client: httpx.Client, api: str, app: str) -> dict[str, Any]:
    traces = {
        "invoke": _traced(client, app, "POST", f"{api}/v1.0/invoke/parity/method/echo", json={}),
        "actor": _traced(client, app, "PUT", f"{api}/v1.0/actors/T/a1/method/echo", json={}),
        "publish": _traced(client, app, "POST", f"{api}/v1.0/publish/pubsub/orders", json={}),
        "job": _traced(client, app, "POST", f"{api}/v1.0-alpha1/jobs/j1", json={"dueTime": "0s"}),
    }
    client.post(f"{api}/v1.0/state/statestore", json=[{"key": "k", "value": 1}])
    client.get(f"{api}/v1.0/state/statestore/k")
    client.get(f"{api}/v1.0/invoke/parity/method/status/500")
    return traces


def _series(labels: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if k not in ("le", "quantile")}


def _families(text: str) -> dict[str, Any]:
    """Each Dapr family: type, label names, sample names as written, label
    values of each series, histogram bounds."""
    out: dict[str, Any] = {}
    raw = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
    for family in text_string_to_metric_families(text):
        if family.name.startswith(("go_", "process_")):  # Go's runtime, not Dapr's
            continue
        labels = sorted({k for s in family.samples for k in s.labels if k != "le"})
        # as written: the parser adds _total to counters, daprd's exporter may not
        samples = sorted(n for n in raw if n == family.name or n.startswith(family.name + "_"))
        series = sorted({json.dumps(_series(s.labels), sort_keys=True) for s in family.samples})
        entry = {"type": family.type, "labels": labels, "samples": samples}
        entry["series"] = [json.loads(one) for one in series]
        buckets = sorted({float(s.labels["le"]) for s in family.samples if "le" in s.labels})
        if buckets:
            entry["buckets"] = [b for b in buckets if b != float("inf")]
        out[family.name] = entry
    return dict(sorted(out.items()))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        api, metrics, app = stack.enter_context(_system(Path(tmp)))
        client = stack.enter_context(httpx.Client(timeout=10))
        traces = _exercise(client, api, app)
        families = _families(client.get(metrics).text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    record = {"daprd": "1.18.3", "traces": traces, "metrics": families}
    OUT.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
