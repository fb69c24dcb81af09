"""The Dapr gRPC API through the real SDK (``dapr.clients.DaprClient``, ``dapr.aio``): a real
sidecar process (real daprd under ``--runtime dapr``) in front of a real app, every RPC group's
success and its main error answers, which must be the same on both runtimes."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from dapr.aio.clients import DaprClient as AsyncDaprClient
from dapr.clients import DaprClient, Job
from dapr.clients.exceptions import DaprGrpcError
from dapr.clients.grpc._state import StateItem
from dapr.conf import settings
from dapr.proto.runtime.v1 import actors_pb2, dapr_pb2_grpc, jobs_pb2, metadata_pb2
from google.protobuf import any_pb2

from ._processes import REPO_ROOT, WAIT, Process, free_port
from ._support import Sidecar, sidecar_for_app, write_statestore

pytestmark = pytest.mark.integration

APP = REPO_ROOT / "tests" / "parity" / "app.py"  # records requests, hosts actor type T


class System:
    """The app and its sidecar, and what a test needs to reach them."""

    def __init__(self, root: Path, env: dict[str, str] | None = None, extra: str = "") -> None:
        resources = root / "resources"
        write_statestore(resources, root / "state.db", busy_timeout=False, pubsub=True)
        if extra:
            (resources / "extra.yaml").write_text(extra)
        port = free_port()
        self.app = Process(
            "grpc-app", [sys.executable, str(APP), str(port)], log=root / "app.log", env={}
        )
        self.app_url = f"http://127.0.0.1:{port}"
        self.sidecar: Sidecar = sidecar_for_app(
            root / "home", "grpcapp", port, resources=resources, env=env
        )
        self.address = f"127.0.0.1:{self.sidecar.grpc_port}"

    def start(self) -> System:
        self.app.start()
        self.sidecar.start()
        _wait_healthy(self.sidecar)
        return self

    def stop(self) -> None:
        self.sidecar.stop()
        self.app.stop()

    def received(self, prefix: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.app_url}/_recorded", params={"after": 0}).json()
        return [r for r in answer["records"] if r["path"].startswith(prefix)]


def _wait_healthy(sidecar: Sidecar) -> None:
    """Until the sidecar says it is ready (app connected), within WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert sidecar.alive(), sidecar.describe()
        try:
            if httpx.get(f"{sidecar.url}/v1.0/healthz", timeout=2).status_code == 204:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"sidecar not healthy within {WAIT}s\n{sidecar.describe()}")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    started = System(tmp_path_factory.mktemp("grpc"))
    try:
        yield started.start()
    finally:
        started.stop()


@pytest.fixture
def client(system: System, monkeypatch: pytest.MonkeyPatch) -> Iterator[DaprClient]:
    monkeypatch.setattr(settings, "DAPR_HTTP_ENDPOINT", system.sidecar.url)
    monkeypatch.setattr(settings, "DAPR_API_TOKEN", None)
    monkeypatch.setattr(settings, "DAPR_API_METHOD_INVOCATION_PROTOCOL", "grpc")
    with DaprClient(address=system.address) as c:
        yield c


def _refused(call: Any, code: grpc.StatusCode) -> DaprGrpcError:
    """The call's error as the SDK reads it (some SDK calls raise grpc's error as it is)."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    error = caught.value
    error = error if isinstance(error, DaprGrpcError) else DaprGrpcError(error)
    assert error.code() == code, error.json()
    return error


# state -----------------------------------------------------------------------------------------


def test_state_round_trip(client: DaprClient) -> None:
    client.save_state("statestore", "k1", '{"a":1}')
    got = client.get_state("statestore", "k1")
    assert got.data == b'{"a":1}' and got.etag
    client.save_bulk_state("statestore", [StateItem("k2", "two"), StateItem("k3", "three")])
    bulk = client.get_bulk_state("statestore", ["k2", "k3", "none"]).items
    assert [(i.key, i.data) for i in bulk] == [("k2", b"two"), ("k3", b"three"), ("none", b"")]
    client.delete_state("statestore", "k2")
    assert client.get_state("statestore", "k2").data == b""


def test_state_transaction_and_etags(client: DaprClient) -> None:
    from dapr.clients.grpc._request import TransactionalStateOperation, TransactionOperationType

    ops = [
        TransactionalStateOperation(key="t1", data="one"),
        TransactionalStateOperation(key="t2", operation_type=TransactionOperationType.delete),
    ]
    client.execute_state_transaction("statestore", ops)
    assert client.get_state("statestore", "t1").data == b"one"
    stale = _refused(
        lambda: client.save_state("statestore", "t1", "x", etag="999"), grpc.StatusCode.ABORTED
    )
    assert stale.details() == (
        "failed saving state in state store statestore: possible etag mismatch. "
        "error from state store"
    )
    assert stale.error_code() == "ERR_STATE_SAVE"


def test_state_errors_carry_daprs_details(client: DaprClient) -> None:
    missing = _refused(lambda: client.get_state("nostore", "k"), grpc.StatusCode.INVALID_ARGUMENT)
    assert missing.details() == "state store nostore is not found"
    info = missing.status_details().error_info
    assert (info["reason"], info["domain"]) == ("DAPR_STATE_NOT_FOUND", "dapr.io")
    assert "metadata" not in info
    pipes = _refused(
        lambda: client.get_state("statestore", "a||b"), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert pipes.error_code() == "DAPR_STATE_ILLEGAL_KEY"
    assert pipes.status_details().resource_info["resource_name"] == "statestore"
    violation = pipes.status_details().bad_request["field_violations"][0]
    assert violation["field"] == "a||b"


def test_a_message_over_four_mib_is_refused(client: DaprClient) -> None:
    big = "x" * (4 * 1024 * 1024 + 1)
    _refused(
        lambda: client.save_state("statestore", "big", big), grpc.StatusCode.RESOURCE_EXHAUSTED
    )


# pub/sub ---------------------------------------------------------------------------------------


@pytest.mark.local_only(
    "the SDK's stream receives nothing from daprd 1.18.3 here: daprd logs the delivery and waits"
    " for an answer until the stream closes"
)
def test_streaming_subscription_receives_what_is_published(client: DaprClient) -> None:
    subscription = client.subscribe(pubsub_name="pubsub", topic="stream1")
    try:
        _until(lambda: _streaming(client, "stream1"), "the stream in the sidecar's metadata")
        for n in range(3):
            data = json.dumps({"n": n})
            client.publish_event("pubsub", "stream1", data, data_content_type="application/json")
        got: list[Any] = []
        deadline = time.monotonic() + WAIT
        while len(got) < 3 and time.monotonic() < deadline:
            message = subscription.next_message()  # returns None after a quiet interval
            if message is not None:
                got.append(message.data())
                subscription.respond_success(message)
    finally:
        subscription.close()
    assert got == [{"n": 0}, {"n": 1}, {"n": 2}]


def _streaming(client: DaprClient, topic: str) -> bool:
    stub = dapr_pb2_grpc.DaprStub(client._channel)
    subs = stub.GetMetadata(metadata_pb2.GetMetadataRequest()).subscriptions
    streaming = metadata_pb2.PubsubSubscriptionType.STREAMING
    return any(s.topic == topic and s.type == streaming for s in subs)


def _until(check: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_publish_errors(client: DaprClient) -> None:
    missing = _refused(
        lambda: client.publish_event("nope", "t", "x"), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert (missing.details(), missing.error_code()) == (
        "pubsub nope is not found",
        "DAPR_PUBSUB_NOT_FOUND",
    )
    empty = _refused(
        lambda: client.publish_event("pubsub", "", "x"), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert empty.error_code() == "DAPR_PUBSUB_TOPIC_NAME_EMPTY"


def test_bulk_publish(client: DaprClient) -> None:
    answer = client.publish_events("pubsub", "orders", ["a", "b"], data_content_type="text/plain")
    assert answer.failed_entries == []


# invocation ------------------------------------------------------------------------------------


def test_invoke_method_reaches_the_app(system: System, client: DaprClient) -> None:
    answer = client.invoke_method("grpcapp", "hello/world", data=b"hi", http_verb="POST")
    assert json.loads(answer.data) == {"method": "POST", "path": "/hello/world", "body": "hi"}
    failed = _refused(
        lambda: client.invoke_method("grpcapp", "status/500", data=b"", http_verb="GET"),
        grpc.StatusCode.UNKNOWN,
    )
    assert failed.details() == "Internal Server Error"
    assert failed.status_details().error_info["metadata"]["http.code"] == "500"


# jobs ------------------------------------------------------------------------------------------


def test_jobs_schedule_get_delete(client: DaprClient) -> None:
    data = any_pb2.Any(value=b'{"message": "hi"}')
    client.schedule_job(Job(name="g1", schedule="@every 1h", data=data), overwrite=True)
    job = client.get_job("g1")
    assert (job.name, job.schedule, job.data.value) == ("g1", "@every 1h", b'{"message": "hi"}')
    client.delete_job("g1")
    gone = _refused(lambda: client.get_job("g1"), grpc.StatusCode.INTERNAL)
    assert gone.details().endswith("desc = job not found: g1")
    assert gone.error_code() == "DAPR_SCHEDULER_GET_JOB"
    stub = dapr_pb2_grpc.DaprStub(client._channel)
    no_schedule = jobs_pb2.ScheduleJobRequest(job=jobs_pb2.Job(name="g2"))
    empty = _refused(lambda: stub.ScheduleJob(no_schedule), grpc.StatusCode.INVALID_ARGUMENT)
    assert (empty.details(), empty.error_code()) == (
        "Schedule is empty",
        "DAPR_SCHEDULER_SCHEDULE_EMPTY",
    )


def test_a_job_scheduled_over_grpc_reaches_the_http_app(system: System, client: DaprClient) -> None:
    client.schedule_job(Job(name="fire1", due_time="0s", data=any_pb2.Any(value=b'{"a": 1}')))
    deadline = time.monotonic() + WAIT
    while not system.received("/job/fire1") and time.monotonic() < deadline:
        time.sleep(0.05)
    (call,) = system.received("/job/fire1")
    assert call["body"] == '{"a": 1}'


# metadata, actors, unserved --------------------------------------------------------------------


def test_metadata(client: DaprClient) -> None:
    client.set_metadata("grpc-key", "grpc-value")
    meta = client.get_metadata()
    assert meta.application_id == "grpcapp"
    assert meta.extended_metadata["grpc-key"] == "grpc-value"
    names = {c.name for c in meta.registered_components}
    assert {"statestore", "pubsub"} <= names


def test_actor_rpcs(system: System) -> None:
    stub = dapr_pb2_grpc.DaprStub(grpc.insecure_channel(system.address))
    answer = stub.InvokeActor(
        actors_pb2.InvokeActorRequest(actor_type="T", actor_id="a1", method="m", data=b"{}")
    )
    assert answer.data == b"{}"
    value = any_pb2.Any(value=b'"v"')
    op = actors_pb2.TransactionalActorStateOperation(operationType="upsert", key="k", value=value)
    request = actors_pb2.ExecuteActorStateTransactionRequest(
        actor_type="T", actor_id="a1", operations=[op]
    )
    stub.ExecuteActorStateTransaction(request)
    state = stub.GetActorState(
        actors_pb2.GetActorStateRequest(actor_type="T", actor_id="a1", key="k")
    )
    assert state.data == b'"v"'
    reminder = actors_pb2.RegisterActorReminderRequest(
        actor_type="T", actor_id="a1", name="r1", due_time="1h", period="1h"
    )
    stub.RegisterActorReminder(reminder)
    got = stub.GetActorReminder(
        actors_pb2.GetActorReminderRequest(actor_type="T", actor_id="a1", name="r1")
    )
    assert (got.due_time, got.period) == ("1h", "@every 1h0m0s")
    listed = stub.ListActorReminders(actors_pb2.ListActorRemindersRequest(actor_type="T"))
    assert [r.name for r in listed.reminders] == ["r1"]
    stub.UnregisterActorReminder(
        actors_pb2.UnregisterActorReminderRequest(actor_type="T", actor_id="a1", name="r1")
    )
    with pytest.raises(grpc.RpcError) as caught:
        stub.RegisterActorReminder(
            actors_pb2.RegisterActorReminderRequest(actor_type="Nope", actor_id="a", name="r")
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_rpcs_without_a_building_block_answer_at_once(system: System, client: DaprClient) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        client.get_secret("vault", "k")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.value.details() == "secret store is not configured"
    channel = grpc.insecure_channel(system.address)
    search = channel.unary_unary("/dapr.proto.runtime.v1.Dapr/SearchAlpha1")
    with pytest.raises(grpc.RpcError) as caught:
        search(b"", timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNKNOWN
    assert "required metadata dapr-callee-app-id or dapr-app-id not found" in str(
        caught.value.details()
    )


async def test_the_asyncio_client(system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "DAPR_HTTP_ENDPOINT", system.sidecar.url)
    monkeypatch.setattr(settings, "DAPR_API_TOKEN", None)
    monkeypatch.setattr(settings, "DAPR_API_METHOD_INVOCATION_PROTOCOL", "grpc")
    async with AsyncDaprClient(address=system.address) as c:
        await c.save_state("statestore", "async1", "value")
        assert (await c.get_state("statestore", "async1")).data == b"value"
        await c.publish_event("pubsub", "orders", "x", data_content_type="text/plain")
        answer = await c.invoke_method("grpcapp", "async", data=b"", http_verb="GET")
        assert json.loads(answer.data)["path"] == "/async"
        with pytest.raises(DaprGrpcError) as caught:
            await c.get_state("nostore", "k")
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# token and shutdown (a sidecar of their own) ---------------------------------------------------


def test_api_token_is_required_on_grpc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = System(tmp_path, env={"DAPR_API_TOKEN": "grpc-secret"})
    monkeypatch.setattr(settings, "DAPR_HTTP_ENDPOINT", system.sidecar.url)
    try:
        system.start()
        stub = dapr_pb2_grpc.DaprStub(grpc.insecure_channel(system.address))
        for metadata, problem in (
            ((), "missing api token in request metadata"),
            ((("dapr-api-token", "wrong"),), "authentication error: api token mismatch"),
        ):
            with pytest.raises(grpc.RpcError) as caught:
                stub.GetMetadata(metadata_pb2.GetMetadataRequest(), metadata=metadata)
            error = DaprGrpcError(caught.value)
            assert (error.code(), error.details()) == (
                grpc.StatusCode.UNAUTHENTICATED,
                "Unauthorized",
            )
            assert error.status_details().error_info["metadata"]["http.error_message"] == problem
        monkeypatch.setattr(settings, "DAPR_API_TOKEN", "grpc-secret")
        with DaprClient(address=system.address) as c:
            assert c.get_metadata().application_id == "grpcapp"
            c.shutdown()
        deadline = time.monotonic() + WAIT
        while system.sidecar.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not system.sidecar.alive(), system.sidecar.describe()
    finally:
        system.stop()


# secrets ---------------------------------------------------------------------------------------

SECRET_FILE_STORE = """\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: files
spec:
  type: secretstores.local.file
  version: v1
  metadata:
    - name: secretsFile
      value: "{path}"
"""


@pytest.mark.local_only("the daprd built here has no secret stores")
def test_secrets_over_grpc_come_from_the_secret_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"db": {"password": "pw"}, "plain": "v"}))
    system = System(tmp_path, extra=SECRET_FILE_STORE.format(path=secrets)).start()
    monkeypatch.setattr(settings, "DAPR_HTTP_ENDPOINT", system.sidecar.url)
    monkeypatch.setattr(settings, "DAPR_API_TOKEN", None)
    try:
        with DaprClient(address=system.address) as c:
            assert c.get_secret("files", "plain").secret == {"plain": "v"}
            bulk = c.get_bulk_secret("files").secrets
            assert bulk == {"db:password": {"db:password": "pw"}, "plain": {"plain": "v"}}
            missing = _refused(lambda: c.get_secret("files", "nope"), grpc.StatusCode.INTERNAL)
            assert "failed getting secret with key nope from secret store files" in str(missing)
            _refused(lambda: c.get_secret("nostore", "plain"), grpc.StatusCode.INVALID_ARGUMENT)
        http = httpx.get(f"{system.sidecar.url}/v1.0/secrets/files/plain")
        assert (http.status_code, http.json()) == (200, {"plain": "v"})
    finally:
        system.stop()
