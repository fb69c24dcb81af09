from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sidecar._runfile import (
    LogDestination,
    RunFile,
    RunFileError,
    find_run_file,
    load_run_file,
    parse_quantity,
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    for sub in ("svc-a", "svc-b", "components", "svc-a/res"):
        (folder / sub).mkdir(parents=True)
    return folder


def load(project: Path, home: Path, text: str, name: str = "dapr.yaml") -> RunFile:
    (project / name).write_text(text)
    return load_run_file(project / name, user_home=home)


def error(project: Path, home: Path, text: str) -> str:
    with pytest.raises(RunFileError) as info:
        load(project, home, text)
    return str(info.value)


TWO_APPS = """
version: 1
common:
  resourcesPaths: [./components]
  env: {SHARED: common, OVERRIDE: common}
  appHealthCheckPath: /health
  maxBodySize: 8Mi
apps:
  - appDirPath: ./svc-a
    appPort: 3000
    daprHTTPPort: 3500
    command: [python, app.py]
    env: {OVERRIDE: app, NUMBER: 5, FLAG: true}
  - appID: other
    appDirPath: svc-b
    appHealthCheckPath: /ready
    appLogDestination: console
"""


def test_two_apps_inherit_common(project: Path, home: Path) -> None:
    run = load(project, home, TWO_APPS)
    a, b = run.apps
    assert (run.version, a.app_id, b.app_id) == (1, "svc-a", "other")
    assert a.app_dir == project / "svc-a" and a.command == ("python", "app.py")
    assert (a.app_port, a.dapr_http_port, b.app_port, b.dapr_http_port) == (3000, 3500, 0, 0)
    assert dict(a.shared.env) == {
        "SHARED": "common",
        "OVERRIDE": "app",
        "NUMBER": "5",
        "FLAG": "true",
    }
    assert dict(b.shared.env) == {"SHARED": "common", "OVERRIDE": "common"}
    assert (a.shared.app_health_check_path, b.shared.app_health_check_path) == ("/health", "/ready")
    assert a.shared.max_body_size == b.shared.max_body_size == 8 * 1024 * 1024


def test_log_destinations_default_and_override(project: Path, home: Path) -> None:
    a, b = load(project, home, TWO_APPS).apps
    assert (a.app_log, a.daprd_log) == (LogDestination.FILE_AND_CONSOLE, LogDestination.FILE)
    assert b.app_log is LogDestination.CONSOLE and not b.app_log.to_file


def test_folder_holding_the_template(project: Path, home: Path) -> None:
    (project / "dapr.yml").write_text("version: 1\napps: [{appDirPath: svc-a}]\n")
    assert find_run_file(project) == project / "dapr.yml"
    assert load_run_file(project, user_home=home).apps[0].app_id == "svc-a"


def test_resources_precedence_app_paths_first(project: Path, home: Path) -> None:
    (project / "svc-a/.dapr/resources").mkdir(parents=True)
    text = TWO_APPS.replace("appPort: 3000", "appPort: 3000\n    resourcesPaths: [res]")
    a, b = load(project, home, text).apps
    assert a.shared.resources_paths == (project / "svc-a/res",)
    assert b.shared.resources_paths == (project / "components",)


def test_resources_precedence_local_dapr_folder(project: Path, home: Path) -> None:
    (project / "svc-a/.dapr/resources").mkdir(parents=True)
    a, _ = load(project, home, TWO_APPS).apps
    assert a.shared.resources_paths == (project / "svc-a/.dapr/resources",)


def test_resources_precedence_home_fallback(project: Path, home: Path) -> None:
    text = "version: 1\napps: [{appDirPath: svc-a}]\n"
    assert load(project, home, text).apps[0].shared.resources_paths == ()
    (home / ".dapr/components").mkdir(parents=True)
    assert load(project, home, text).apps[0].shared.resources_paths == (home / ".dapr/components",)


def test_deprecated_resources_path_is_merged(project: Path, home: Path) -> None:
    text = "version: 1\ncommon: {resourcesPath: components}\napps: [{appDirPath: svc-a}]\n"
    assert load(project, home, text).common.resources_paths == (project / "components",)


def test_app_paths_relative_to_app_dir_and_home_expanded(project: Path, home: Path) -> None:
    (home / "shared-res").mkdir()
    text = """
version: 1
apps:
  - appDirPath: svc-a
    resourcesPaths: [res, ~/shared-res]
"""
    paths = load(project, home, text).apps[0].shared.resources_paths
    assert paths == (project / "svc-a/res", home / "shared-res")


def test_app_dir_with_home_and_absolute_paths(project: Path, home: Path) -> None:
    (home / "elsewhere").mkdir()
    text = f"version: 1\napps: [{{appDirPath: '~/elsewhere'}}, {{appDirPath: '{project}/svc-b'}}]\n"
    a, b = load(project, home, text).apps
    assert (a.app_dir, b.app_dir) == (home / "elsewhere", project / "svc-b")


def test_config_file_precedence(project: Path, home: Path) -> None:
    (project / "common.yaml").write_text("kind: Configuration\n")
    (project / "svc-a/.dapr").mkdir()
    (project / "svc-a/.dapr/config.yaml").write_text("kind: Configuration\n")
    text = "version: 1\ncommon: {configFilePath: common.yaml}\n"
    a, b = load(project, home, text + "apps: [{appDirPath: svc-a}, {appDirPath: svc-b}]").apps
    assert a.shared.config_file == project / "svc-a/.dapr/config.yaml"
    assert b.shared.config_file == project / "common.yaml"


def test_unknown_fields_are_warned_about(
    project: Path, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        load(project, home, "version: 1\napps: [{appDirPath: svc-a, appPrt: 3000}]\n")
    assert "apps[0]: unknown field 'appPrt'" in caplog.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apps: [{appDirPath: svc-a}]", "version: required field 'version'"),
        ("version: 0\napps: [{appDirPath: svc-a}]", "version: required field 'version'"),
        ("version: one\napps: [{appDirPath: svc-a}]", "version: expected an integer"),
        ("version: 1", "apps: no apps defined"),
        ("version: 1\napps: {a: 1}", "apps: expected a list"),
        ("version: 1\napps: [svc-a]", "apps[0]: expected a mapping"),
        ("version: 1\napps: [{appID: x}]", "apps[0].appDirPath: required field 'appDirPath'"),
        ("version: 1\napps: [{appDirPath: nope}]", "apps[0].appDirPath: path "),
        (
            "version: 1\napps: [{appDirPath: svc-a, appPort: '3000'}]",
            "apps[0].appPort: expected an",
        ),
        ("version: 1\napps: [{appDirPath: svc-a, command: python app.py}]", "apps[0].command: "),
        ("version: 1\napps: [{appDirPath: svc-a, command: [[x]]}]", "list of strings"),
        ("version: 1\napps: [{appDirPath: svc-a, resourcesPaths: [gone]}]", "resourcesPaths[0]"),
        ("version: 1\ncommon: {resourcesPaths: [gone]}\napps: [{appDirPath: svc-a}]", "common.res"),
        ("version: 1\ncommon: {configFilePath: x.yaml}\napps: [{appDirPath: svc-a}]", "x.yaml"),
        ("version: 1\ncommon: {env: [A]}\napps: [{appDirPath: svc-a}]", "common.env: expected a"),
        ("version: 1\ncommon: {maxBodySize: 4 MB}\napps: [{appDirPath: svc-a}]", "invalid size"),
        ("version: 1\ncommon: {enableAppHealthCheck: yes please}\napps: []", "true or false"),
        ("version: 1\ncommon: []\napps: [{appDirPath: svc-a}]", "common: expected a mapping"),
        (
            "version: 1\napps: [{appDirPath: svc-a, daprdLogDestination: stdout}]",
            "apps[0].daprdLogDestination: invalid log destination 'stdout'",
        ),
        ("- 1\n- 2", "must be a YAML mapping"),
        ("version: 1\napps: [", "invalid YAML"),
    ],
)
def test_errors_name_the_file_and_field(
    project: Path, home: Path, text: str, expected: str
) -> None:
    message = error(project, home, text)
    assert message.startswith(f"{project / 'dapr.yaml'}")
    assert expected in message


def test_missing_template(tmp_path: Path) -> None:
    with pytest.raises(RunFileError, match="does not exist"):
        find_run_file(tmp_path / "nothing.yaml")
    with pytest.raises(RunFileError, match="no dapr.yaml or dapr.yml"):
        find_run_file(tmp_path)


@pytest.mark.parametrize(
    ("text", "size"),
    [("4Mi", 4 << 20), ("512Ki", 512 << 10), ("1000", 1000), ("2k", 2000), ("1G", 10**9)],
)
def test_parse_quantity(text: str, size: int) -> None:
    assert parse_quantity(text) == size


@pytest.mark.parametrize("text", ["", "4MB", "-1", "1.5Mi"])
def test_parse_quantity_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_quantity(text)
