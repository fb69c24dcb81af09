"""Without a resources path or a config file, ``sidecar run`` uses the Dapr CLI's defaults:
``~/.dapr/components`` and ``~/.dapr/config.yaml`` (``$DAPR_RUNTIME_PATH/.dapr`` when set), and
where they do not exist, ``dapr init``'s components built in. Every test has a HOME of its own."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration._processes import SidecarProcess, free_ports

from ._runner_procs import runner, wait_status

pytestmark = pytest.mark.integration

IN_MEMORY = """
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: mystore}
spec: {type: state.in-memory, version: v1, metadata: []}
"""
FEATURES = """
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata: {name: daprConfig}
spec:
  features: [{name: HotReload, enabled: true}]
"""


async def metadata_of(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess], env: dict[str, str]
) -> tuple[SidecarProcess, str]:
    (port,) = free_ports(1)
    proc = runner(tmp_path, "--app-id", "plain", "-H", str(port), env=env).start()
    runners.append(proc)
    base = f"http://127.0.0.1:{port}/v1.0"
    await wait_status(proc, http, f"{base}/metadata", 200)
    return proc, base


async def test_without_dapr_init_the_built_in_statestore_and_pubsub_are_used(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess]
) -> None:
    proc, base = await metadata_of(tmp_path, http, runners, {})
    components = {c["name"]: c["type"] for c in (await http.get(f"{base}/metadata")).json()
                  ["components"]}  # fmt: skip
    assert components == {"statestore": "state.sqlite", "pubsub": "pubsub.in-memory"}
    saved = await http.post(f"{base}/state/statestore", json=[{"key": "k", "value": 1}])
    assert saved.status_code == 204
    assert (tmp_path / "home" / "state.db").is_file()  # durable, in the runtime home
    published = await http.post(f"{base}/publish/pubsub/orders", json={"id": 1})
    assert published.status_code == 204
    lines = [ln for ln in proc.stderr().splitlines() if "built-in components" in ln]
    assert len(lines) == 1 and "statestore (state.sqlite" in lines[0], proc.describe()
    assert "built-in configuration daprConfig" in proc.stderr()


@pytest.mark.parametrize("via", ["HOME", "DAPR_RUNTIME_PATH"])
async def test_the_dapr_cli_folder_gives_the_components_and_configuration(
    tmp_path: Path, http: httpx.AsyncClient, runners: list[SidecarProcess], via: str
) -> None:
    base_dir = tmp_path / "runtime" if via == "DAPR_RUNTIME_PATH" else tmp_path
    (base_dir / ".dapr" / "components").mkdir(parents=True)
    (base_dir / ".dapr" / "components" / "store.yaml").write_text(IN_MEMORY)
    (base_dir / ".dapr" / "config.yaml").write_text(FEATURES)
    env = {"DAPR_RUNTIME_PATH": str(base_dir)} if via == "DAPR_RUNTIME_PATH" else {}
    proc, base = await metadata_of(tmp_path, http, runners, env)
    metadata = (await http.get(f"{base}/metadata")).json()
    assert [c["name"] for c in metadata["components"]] == ["mystore"], proc.describe()
    assert metadata["enabledFeatures"] == ["HotReload"]
    assert "built-in" not in proc.stderr()
