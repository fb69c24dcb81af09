"""The ``path`` label of the HTTP metrics, against daprd's recorded labels."""

from __future__ import annotations

import pytest

from sidecar.metrics import metric_path


@pytest.mark.parametrize(
    ("path", "label"),
    [
        # API side (dapr_http_server_*), as recorded from daprd 1.18.3
        ("/v1.0/state/statestore/k", "/v1.0/state/statestore"),
        ("/v1.0/state/statestore", "/v1.0/state/statestore"),
        ("/v1.0/actors/T/a1/method/echo", "/v1.0/actors/T/{id}/method"),
        # a job's name is folded too (daprd keeps it: a series per job; README deviations)
        ("/v1.0-alpha1/jobs/j1", "/v1.0-alpha1/jobs/{name}"),
        ("/v1.0/jobs/j1", "/v1.0/jobs/{name}"),
        ("/v1.0/invoke/parity/method/status/500", "/v1.0/invoke/parity/method/status/500"),
        ("/v1.0/publish/pubsub/orders", "/v1.0/publish/pubsub/orders"),
        ("/v1.0/healthz", "/v1.0/healthz"),
        ("//v1.0//state/s/k", "/v1.0/state/s"),
        ("/v1.0/actors/T", "/v1.0/actors/T"),
        # app side (dapr_http_client_*)
        ("actors/T/a1/method/echo", "actors/T/{id}/method/echo"),
        ("/actors/T/a1/method/echo", "actors/T/{id}/method/echo"),
        ("job/j1", "/job/{name}"),
        ("/dapr/config", "/dapr/config"),
        ("", ""),
    ],
)
def test_path_label_folds_variable_parts_as_daprd(path: str, label: str) -> None:
    assert metric_path(path) == label
