"""The image (``deploy/Dockerfile``), read offline: multi-stage, a pinned base, a non-root user,
every package the project installs copied in, and an entrypoint for each Deployment's args."""

from __future__ import annotations

import re
import tomllib

from ._manifests import ROOT, render

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
PINNED = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$|^[\w./-]+@sha256:")


def instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.partition(" ") for line in lines if line)
        if not word.startswith("#")
    ]


def arg_defaults() -> dict[str, str]:
    return dict(a.split("=", 1) for k, a in instructions() if k == "ARG" and "=" in a)


def stages() -> list[str]:
    """The image each FROM starts from, ARG defaults substituted."""
    args = arg_defaults()
    images = [rest.split()[0] for k, rest in instructions() if k == "FROM"]
    return [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], i) for i in images]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last = max(i for i, (k, _) in enumerate(steps) if k == "FROM")
    return steps[last:]


def test_it_builds_in_stages_from_a_pinned_base() -> None:
    images = stages()
    assert len(images) >= 2
    for image in images:
        assert PINNED.match(image), f"{image} is not pinned to an exact version or digest"
    assert any(k == "COPY" and "--from=" in rest for k, rest in final_stage())


def test_the_final_stage_runs_as_a_non_root_user() -> None:
    users = [rest for k, rest in final_stage() if k == "USER"]
    assert users, "no USER in the final stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0  # numeric, so runAsNonRoot can check it


def test_every_installed_package_is_copied_into_the_build() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {rest.split()[0] for k, rest in instructions() if k == "COPY" and "--from" not in rest}
    assert packages <= copied
    ignore = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().split()
    assert {f"!{p}/" for p in packages} <= set(ignore)


def test_each_deployment_runs_a_module_the_image_has() -> None:
    (entrypoint,) = [rest for k, rest in final_stage() if k == "ENTRYPOINT"]
    assert entrypoint == '["python", "-m"]'
    for doc in render():
        if doc["kind"] == "Deployment":
            (container,) = doc["spec"]["template"]["spec"]["containers"]
            (module,) = container["args"]
            assert (ROOT / module / "__main__.py").is_file()
