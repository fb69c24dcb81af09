"""The gRPC API (``dapr.proto.runtime.v1.Dapr``): state, pub/sub, jobs, invocation, actors,
metadata, the API token, and RPCs without a building block, with daprd's status codes, messages
and rich details."""

from __future__ import annotations

from typing import Any

from .._grpc import GrpcExchange, gx
from .._model import API_TOKEN, TOKEN

S = {"storeName": "statestore"}
ONE = "eyJhIjoxfQ=="  # {"a":1}
STRING_ANY = {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": "v"}


def _state() -> list[GrpcExchange]:
    save = {**S, "states": [{"key": "k1", "value": ONE}]}
    return [
        gx("grpc.state.save", "SaveState", save),
        gx("grpc.state.get", "GetState", {**S, "key": "k1"}),
        gx("grpc.state.get-missing", "GetState", {**S, "key": "nokey"}),
        gx("grpc.state.unknown-store", "GetState", {"storeName": "nostore", "key": "k1"}),
        gx("grpc.state.pipes-in-key", "GetState", {**S, "key": "a||b"}),
        gx(
            "grpc.state.save-stale-etag",
            "SaveState",
            {**S, "states": [{"key": "k1", "value": ONE, "etag": {"value": "999"}}]},
        ),
        gx("grpc.state.save-empty-key", "SaveState", {**S, "states": [{"key": "", "value": ONE}]}),
        gx("grpc.state.save-nothing", "SaveState", {**S, "states": []}),
        gx("grpc.state.save-no-store", "SaveState", {"storeName": "", "states": []}),
        gx("grpc.state.bulk", "GetBulkState", {**S, "keys": ["k1", "nokey"]}),
        gx(
            "grpc.state.delete-stale-etag",
            "DeleteState",
            {**S, "key": "k1", "etag": {"value": "999"}},
        ),
        gx("grpc.state.delete", "DeleteState", {**S, "key": "k1"}),
        gx("grpc.state.delete-bulk", "DeleteBulkState", {**S, "states": [{"key": "k2"}]}),
        gx(
            "grpc.state.transaction",
            "ExecuteStateTransaction",
            {
                "storeName": "statestore",
                "operations": [
                    {"operationType": "upsert", "request": {"key": "t1", "value": "MQ=="}},
                    {"operationType": "delete", "request": {"key": "t2"}},
                ],
            },
        ),
        gx(
            "grpc.state.transaction-unknown-op",
            "ExecuteStateTransaction",
            {"storeName": "statestore", "operations": [{"operationType": "merge"}]},
        ),
        gx("grpc.state.query", "QueryStateAlpha1", {**S, "query": "{}"}),
    ]


def _pubsub() -> list[GrpcExchange]:
    event = {"pubsubName": "pubsub", "topic": "orders", "data": ONE}
    entry = {"entryId": "1", "event": "e30=", "contentType": "application/json"}
    return [
        gx(
            "grpc.pubsub.publish",
            "PublishEvent",
            {**event, "dataContentType": "application/json"},
            app="/events/orders",
            app_count=1,
        ),
        gx("grpc.pubsub.unknown", "PublishEvent", {**event, "pubsubName": "nope"}),
        gx("grpc.pubsub.no-topic", "PublishEvent", {**event, "topic": ""}),
        gx("grpc.pubsub.no-name", "PublishEvent", {**event, "pubsubName": ""}),
        gx(
            "grpc.pubsub.bulk",
            "BulkPublishEventAlpha1",
            {"pubsubName": "pubsub", "topic": "t", "entries": [entry]},
        ),
        gx(
            "grpc.pubsub.bulk-duplicate-ids",
            "BulkPublishEvent",
            {"pubsubName": "pubsub", "topic": "t", "entries": [entry, entry]},
        ),
        gx("grpc.pubsub.bulk-unknown", "BulkPublishEvent", {"pubsubName": "nope", "topic": "t"}),
    ]


def _jobs() -> list[GrpcExchange]:
    job: dict[str, Any] = {"name": "g1", "dueTime": "1h"}
    return [
        gx("grpc.jobs.empty", "ScheduleJobAlpha1"),
        gx("grpc.jobs.no-schedule", "ScheduleJobAlpha1", {"job": {"name": "j2"}}),
        gx("grpc.jobs.no-name", "ScheduleJobAlpha1", {"job": {"name": "", "dueTime": "1h"}}),
        gx("grpc.jobs.bad-cron", "ScheduleJob", {"job": {"name": "b", "schedule": "not cron"}}),
        gx("grpc.jobs.bad-name", "ScheduleJob", {"job": {"name": "b/x", "dueTime": "1h"}}),
        gx(
            "grpc.jobs.repeats-without-schedule",
            "ScheduleJob",
            {"job": {"name": "b", "dueTime": "1h", "repeats": 2}},
        ),
        gx("grpc.jobs.schedule", "ScheduleJobAlpha1", {"job": job}),
        gx("grpc.jobs.exists", "ScheduleJobAlpha1", {"job": job}),
        gx(
            "grpc.jobs.schedule-policy",
            "ScheduleJob",
            {
                "job": {
                    "name": "g2",
                    "schedule": "@every 1h",
                    "data": {
                        "@type": "type.googleapis.com/google.protobuf.Value",
                        "value": {"a": 1},
                    },
                    "failurePolicy": {"constant": {"interval": "5s"}},
                },
                "overwrite": True,
            },
        ),
        gx("grpc.jobs.get", "GetJobAlpha1", {"name": "g1"}),
        gx("grpc.jobs.get-stable", "GetJob", {"name": "g2"}),
        gx("grpc.jobs.get-missing", "GetJob", {"name": "nojob"}),
        gx("grpc.jobs.get-bad-name", "GetJob", {"name": "b/x"}),
        gx("grpc.jobs.list", "ListJobsAlpha1"),
        gx("grpc.jobs.delete", "DeleteJobAlpha1", {"name": "g1"}),
        gx("grpc.jobs.delete-again", "DeleteJob", {"name": "g1"}),
        gx("grpc.jobs.delete-prefix", "DeleteJobsByPrefix", {"namePrefix": "g"}),
        gx("grpc.jobs.list-after", "ListJobs"),
        gx(
            "grpc.jobs.fire-any",
            "ScheduleJob",
            {"job": {"name": "fire", "dueTime": "0s", "data": STRING_ANY}},
            app="/job/fire",
            app_count=1,
        ),
    ]


def _invoke() -> list[GrpcExchange]:
    def invoke(name: str, method: str, verb: str | None = "POST", **kw: Any) -> GrpcExchange:
        message: dict[str, Any] = {"method": method, **kw}
        if verb is not None:
            message["httpExtension"] = {"verb": verb}
        return gx(f"grpc.invoke.{name}", "InvokeService", {"id": "parity", "message": message})

    return [
        invoke("self", "hello", data=STRING_ANY, contentType="text/plain"),
        invoke("text", "text", verb="GET"),
        invoke("app-500", "status/500"),
        invoke("app-404", "status/404", verb="GET"),
        invoke("no-extension", "hello", verb=None),
        invoke("bad-method", "hello?x=1", verb="GET"),
        gx("grpc.invoke.no-id", "InvokeService", {"id": "", "message": {"method": "m"}}),
    ]


def _actors() -> list[GrpcExchange]:
    a1 = {"actorType": "T", "actorId": "a1"}
    upsert = {"operationType": "upsert", "key": "k", "value": STRING_ANY}
    return [
        gx("grpc.actors.invoke", "InvokeActor", {**a1, "method": "m", "data": "e30="}),
        gx("grpc.actors.state-tx", "ExecuteActorStateTransaction", {**a1, "operations": [upsert]}),
        gx("grpc.actors.get-state", "GetActorState", {**a1, "key": "k"}),
        gx("grpc.actors.get-state-missing", "GetActorState", {**a1, "key": "none"}),
        gx(
            "grpc.actors.state-tx-inactive",
            "ExecuteActorStateTransaction",
            {"actorType": "T", "actorId": "idle", "operations": [upsert]},
        ),
        gx(
            "grpc.actors.reminder",
            "RegisterActorReminder",
            {**a1, "name": "r1", "dueTime": "1h", "period": "1h"},
        ),
        gx(
            "grpc.actors.reminder-get",
            "GetActorReminder",
            {"actorType": "T", "actorID": "a1", "name": "r1"},
        ),
        gx("grpc.actors.reminder-list", "ListActorReminders", {"actorType": "T"}),
        gx(
            "grpc.actors.reminder-get-missing",
            "GetActorReminder",
            {"actorType": "T", "actorID": "a1", "name": "none"},
        ),
        gx("grpc.actors.reminder-delete", "UnregisterActorReminder", {**a1, "name": "r1"}),
        gx("grpc.actors.reminder-no-name", "RegisterActorReminder", a1),
        gx(
            "grpc.actors.reminder-not-hosted",
            "RegisterActorReminder",
            {"actorType": "Nope", "actorId": "a", "name": "r", "dueTime": "1h"},
        ),
        gx("grpc.actors.reminders-by-type", "UnregisterActorRemindersByType", {"actorType": "T"}),
        gx(
            "grpc.actors.timer",
            "RegisterActorTimer",
            {**a1, "name": "t1", "dueTime": "1h", "period": "1h", "callback": "cb"},
        ),
        gx("grpc.actors.timer-delete", "UnregisterActorTimer", {**a1, "name": "t1"}),
        gx("grpc.actors.timer-list", "ListActorTimers", {"actorType": "T", "actorID": "a1"}),
    ]


def _platform() -> list[GrpcExchange]:
    token = {"dapr-api-token": API_TOKEN}
    return [
        gx("grpc.metadata.set", "SetMetadata", {"key": "k", "value": "v"}),
        gx("grpc.token.missing", "SetMetadata", {"key": "k"}, runtime=TOKEN),
        gx(
            "grpc.token.wrong",
            "SetMetadata",
            {"key": "k"},
            runtime=TOKEN,
            metadata={"dapr-api-token": "no"},
        ),
        gx("grpc.token.right", "SetMetadata", {"key": "k"}, runtime=TOKEN, metadata=token),
    ]


def _unserved() -> list[GrpcExchange]:
    names = [
        "GetSecret", "GetBulkSecret", "GetConfiguration", "GetConfigurationAlpha1",
        "UnsubscribeConfiguration", "UnlockAlpha1", "SubtleGetKeyAlpha1", "ConverseAlpha1",
        "StartWorkflowBeta1", "GetWorkflowBeta1", "PurgeWorkflowAlpha1", "SearchAlpha1",
        "UpsertVectorsAlpha1", "DeleteBinaryFileAlpha1", "GetActorTimer",
    ]  # fmt: skip
    out = [gx(f"grpc.unserved.{name}", name) for name in names]
    out.append(
        gx("grpc.unserved.InvokeBinding", "InvokeBinding", {"name": "b", "operation": "create"})
    )
    out.append(
        gx("grpc.unserved.TryLockAlpha1", "TryLockAlpha1", {"storeName": "s", "expiryInSeconds": 5})
    )
    out.append(gx("grpc.unserved.TryLockAlpha1-no-expiry", "TryLockAlpha1", {"storeName": "s"}))
    return out


EXCHANGES: list[GrpcExchange] = [
    *_state(),
    *_pubsub(),
    *_jobs(),
    *_invoke(),
    *_actors(),
    *_platform(),
    *_unserved(),
]
