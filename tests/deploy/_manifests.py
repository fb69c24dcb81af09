"""Render ``deploy/base`` as kustomize would, and validate what comes out, offline.

The base is plain YAML: its ``kustomization.yaml`` lists the resource files and adds common
labels and an image tag, and nothing else (no patches, no generators), so rendering is loading the
listed files and applying those two transforms. Kubernetes kinds are checked against the schemas
``kubernetes-validate`` bundles, Dapr kinds against the CRD schemas in ``dapr_crds/`` (taken from
dapr/dapr v1.18.3), both strictly: an unknown field is an error, as with the API server's
``fieldValidation=Strict``.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "base"
CRDS = Path(__file__).parent / "dapr_crds"
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")  # the oldest Kubernetes Dapr 1.18 supports; the newest

Manifest = dict[str, Any]


class InvalidManifest(AssertionError):
    """A rendered resource breaks its schema; the message names the resource and the field."""


def kustomization(base: Path = BASE) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((base / "kustomization.yaml").read_text())
    return loaded


def render(base: Path = BASE) -> list[Manifest]:
    """Every resource of the kustomization, with its labels and image tags applied."""
    spec = kustomization(base)
    docs = [d for name in spec["resources"] for d in yaml.safe_load_all((base / name).read_text())]
    docs = [d for d in docs if d]
    for doc in docs:
        _label(doc, spec.get("labels", []))
        _retag(doc, {i["name"]: i for i in spec.get("images", [])})
    return docs


def _label(doc: Manifest, labels: list[dict[str, Any]]) -> None:
    for entry in labels:
        doc.setdefault("metadata", {}).setdefault("labels", {}).update(entry["pairs"])


def _retag(doc: Manifest, images: dict[str, dict[str, str]]) -> None:
    pod = doc.get("spec", {}).get("template", {}).get("spec", {})
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        image = images.get(container["image"])
        if image is not None:
            container["image"] = f"{image.get('newName', container['image'])}:{image['newTag']}"


def name_of(doc: Manifest) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def validate(doc: Manifest) -> None:
    """Raise :class:`InvalidManifest` unless ``doc`` is valid for its apiVersion and kind."""
    if str(doc.get("apiVersion", "")).startswith("dapr.io/"):
        _validate_dapr(doc)
        return
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            raise InvalidManifest(f"{name_of(doc)} (Kubernetes {version}): {exc.message}") from exc


def _validate_dapr(doc: Manifest) -> None:
    schema = dapr_schema(doc["apiVersion"], doc["kind"])
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(doc))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(root)"
        raise InvalidManifest(f"{name_of(doc)} at {where}: {error.message}")


@cache
def dapr_schema(api_version: str, kind: str) -> dict[str, Any]:
    group, _, version = api_version.partition("/")
    path = CRDS / f"{kind.lower()}-{version}.json"
    if group != "dapr.io" or not path.exists():
        raise InvalidManifest(f"no Dapr CRD schema for {api_version} {kind} (in {CRDS.name}/)")
    return strict(json.loads(path.read_text())["openAPIV3Schema"])


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy where every object with listed properties refuses others (unless the CRD keeps
    unknown fields there), as the API server does for custom resources under Strict validation."""
    schema = copy.deepcopy(schema)
    _close(schema)
    return schema


def _close(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _close(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _close(value)
    keeps = node.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in node and "additionalProperties" not in node and not keeps:
        node["additionalProperties"] = False
