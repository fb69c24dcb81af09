"""The deployment in ``deploy/base``: it renders, every resource validates against its schema,
and the pieces fit together (Dapr annotations, probes, the actor state store, autoscaling)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ._manifests import BASE, InvalidManifest, Manifest, kustomization, name_of, render, validate

DOCS = render()
DAPR_ANNOTATIONS = (
    "dapr.io/enabled",
    "dapr.io/app-id",
    "dapr.io/app-port",
    "dapr.io/app-protocol",
    "dapr.io/config",
    "dapr.io/enable-metrics",
    "dapr.io/metrics-port",
)


def of_kind(kind: str) -> list[Manifest]:
    return [d for d in DOCS if d["kind"] == kind]


def one(kind: str, name: str) -> Manifest:
    (found,) = [d for d in of_kind(kind) if d["metadata"]["name"] == name]
    return found


def pod_annotations(deployment: Manifest) -> dict[str, str]:
    annotations: dict[str, str] = deployment["spec"]["template"]["metadata"]["annotations"]
    return annotations


def test_the_kustomization_lists_every_manifest_of_the_base() -> None:
    listed = set(kustomization()["resources"])
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


@pytest.mark.parametrize("doc", DOCS, ids=name_of)
def test_each_resource_validates_against_its_schema(doc: Manifest) -> None:
    validate(doc)


def test_every_kind_the_issue_asks_for_is_there() -> None:
    kinds = {d["kind"] for d in DOCS}
    wanted = {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"}
    assert wanted | {"Component", "Configuration", "Resiliency"} <= kinds


@pytest.mark.parametrize(
    ("doc", "change", "message"),
    [
        (
            ("Deployment", "pm-agent"),
            lambda d: d["spec"].update(replica=2),
            "'replica' was unexpected",
        ),
        (
            ("Deployment", "pm-agent"),
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(ports="8002"),
            "is not of type",
        ),
        (
            ("Component", "statestore"),
            lambda d: d["spec"].update(metadatas=[]),
            "'metadatas' was unexpected",
        ),
        (
            ("Configuration", "pm-config"),
            lambda d: d["spec"]["tracing"].update(samplingRate=0.1),
            "is not of type 'string'",
        ),
        (
            ("Resiliency", "pm-resiliency"),
            lambda d: d["spec"]["policies"]["retries"]["notifier"].update(maxRetries="5"),
            "is not of type 'integer'",
        ),
    ],
    ids=["k8s-unknown-field", "k8s-wrong-type", "dapr-unknown-field", "config-type", "retries"],
)
def test_the_validation_refuses_a_broken_resource_naming_the_field(
    doc: tuple[str, str], change: Any, message: str
) -> None:
    broken = copy.deepcopy(one(*doc))
    change(broken)
    with pytest.raises(InvalidManifest, match=message) as caught:
        validate(broken)
    assert name_of(broken) in str(caught.value)


def test_a_subscription_is_checked_against_its_crd_too() -> None:
    good = {
        "apiVersion": "dapr.io/v2alpha1",
        "kind": "Subscription",
        "metadata": {"name": "s"},
        "spec": {"pubsubname": "pubsub", "topic": "t", "routes": {"default": "/t"}},
        "scopes": ["notifier"],
    }
    validate(good)
    bad = copy.deepcopy(good)
    bad["spec"]["routes"] = {"default": 1}
    with pytest.raises(InvalidManifest, match="spec/routes/default"):
        validate(bad)


def test_an_unknown_dapr_kind_is_an_error_not_a_pass() -> None:
    doc = {"apiVersion": "dapr.io/v1alpha1", "kind": "Componnet", "metadata": {"name": "x"}}
    with pytest.raises(InvalidManifest, match="no Dapr CRD schema for dapr.io/v1alpha1 Componnet"):
        validate(doc)


@pytest.mark.parametrize("deployment", of_kind("Deployment"), ids=name_of)
def test_each_app_has_its_sidecar_annotations_matching_its_container(deployment: Manifest) -> None:
    annotations = pod_annotations(deployment)
    assert set(DAPR_ANNOTATIONS) <= set(annotations)
    assert annotations["dapr.io/enabled"] == "true"
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert int(annotations["dapr.io/app-port"]) == container["ports"][0]["containerPort"]
    assert one("Configuration", annotations["dapr.io/config"])
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["APP_HOST"] == "0.0.0.0"  # the kubelet's probes come from outside the pod
    assert env["APP_PORT"] == annotations["dapr.io/app-port"]


@pytest.mark.parametrize("deployment", of_kind("Deployment"), ids=name_of)
def test_each_app_runs_unprivileged_with_probes_and_resources(deployment: Manifest) -> None:
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    (container,) = pod["containers"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"]["cpu"]
    assert container["resources"]["limits"]["memory"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["image"] == "pm-reminder-agent:0.1.0"  # tagged by the kustomization


@pytest.mark.parametrize("deployment", of_kind("Deployment"), ids=name_of)
def test_each_app_has_a_disruption_budget_that_selects_its_pods(deployment: Manifest) -> None:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    budgets = [
        b
        for b in of_kind("PodDisruptionBudget")
        if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]
    assert len(budgets) == 1
    assert budgets[0]["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_the_agent_autoscales_from_two_replicas() -> None:
    (hpa,) = of_kind("HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert one(target["kind"], target["name"])["metadata"]["name"] == "pm-agent"
    assert hpa["spec"]["minReplicas"] >= 2


def test_the_shared_state_store_holds_the_actors_and_serves_both_apps() -> None:
    store = one("Component", "statestore")
    assert store["spec"]["type"] in {"state.redis", "state.postgresql"}
    metadata = {m["name"]: m.get("value") for m in store["spec"]["metadata"]}
    assert metadata["actorStateStore"] == "true"
    app_ids = {pod_annotations(d)["dapr.io/app-id"] for d in of_kind("Deployment")}
    assert set(store["scopes"]) == app_ids == {"pm-agent", "notifier"}
    assert one("Component", "pubsub")["spec"]["type"].startswith("pubsub.")


def test_resiliency_targets_an_app_that_is_deployed() -> None:
    resiliency = one("Resiliency", "pm-resiliency")
    app_ids = {pod_annotations(d)["dapr.io/app-id"] for d in of_kind("Deployment")}
    assert set(resiliency["spec"]["targets"]["apps"]) <= app_ids
