"""Parse a Dapr multi-app run template (``dapr.yaml``) the way ``dapr run -f`` does.

Follows the Dapr CLI (pkg/runfileconfig): ``version`` is required; apps inherit every shared field
they leave at its zero value from ``common``; app ``env`` keys override ``common`` ones. Paths in
``common`` and ``appDirPath`` are relative to the template's folder, other app paths to the app's
``appDirPath``; ``~`` is expanded and every path must exist. Resource folders per app:
``apps[i].resourcesPaths`` > ``<appDirPath>/.dapr/resources`` > ``common.resourcesPaths`` >
``~/.dapr/components`` (skipped when absent).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from . import _yamlfile

log = logging.getLogger(__name__)
RUN_FILE_NAMES = ("dapr.yaml", "dapr.yml")


class RunFileError(Exception):
    """A run template that cannot be used; the message names the file and the field."""


class LogDestination(StrEnum):
    FILE = "file"
    CONSOLE = "console"
    FILE_AND_CONSOLE = "fileAndConsole"

    @property
    def to_file(self) -> bool:
        return self is not LogDestination.CONSOLE

    @property
    def to_console(self) -> bool:
        return self is not LogDestination.FILE


@dataclass(frozen=True)
class SharedConfig:
    """Fields ``common`` and an app may both set; zero values mean "not set"."""

    resources_paths: tuple[Path, ...] = ()
    config_file: Path | None = None
    app_protocol: str = ""
    log_level: str = ""
    app_ssl: bool = False
    max_body_size: int | None = None  # bytes
    enable_app_health_check: bool = False
    app_health_check_path: str = ""
    app_health_probe_interval: int = 0  # seconds
    app_health_probe_timeout: int = 0  # milliseconds
    app_health_threshold: int = 0
    app_max_concurrency: int = 0  # <= 0: unlimited
    api_listen_address: str = ""
    placement_disabled: bool = False
    daprd_log_destination: LogDestination | None = None
    app_log_destination: LogDestination | None = None
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AppConfig:
    """One app of the template, with inheritance and path rules applied."""

    app_id: str
    app_dir: Path
    shared: SharedConfig = field(default_factory=SharedConfig)
    app_port: int = 0  # 0: no app channel
    app_channel_address: str = ""
    dapr_http_port: int = 0  # <= 0: a free port
    dapr_grpc_port: int = 0
    metrics_port: int = 0
    command: tuple[str, ...] = ()

    @property
    def daprd_log(self) -> LogDestination:
        return self.shared.daprd_log_destination or LogDestination.FILE

    @property
    def app_log(self) -> LogDestination:
        return self.shared.app_log_destination or LogDestination.FILE_AND_CONSOLE


@dataclass(frozen=True)
class RunFile:
    path: Path
    version: int
    name: str
    common: SharedConfig
    apps: tuple[AppConfig, ...]


def _keys(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SHARED_SCALARS: dict[str, tuple[str, type]] = {
    "appProtocol": ("app_protocol", str),
    "logLevel": ("log_level", str),
    "appSSL": ("app_ssl", bool),
    "enableAppHealthCheck": ("enable_app_health_check", bool),
    "appHealthCheckPath": ("app_health_check_path", str),
    "appHealthProbeInterval": ("app_health_probe_interval", int),
    "appHealthProbeTimeout": ("app_health_probe_timeout", int),
    "appHealthThreshold": ("app_health_threshold", int),
    "appMaxConcurrency": ("app_max_concurrency", int),
    "apiListenAddresses": ("api_listen_address", str),
}
_SHARED_SPECIAL = _keys(
    "resourcesPath resourcesPaths configFilePath maxBodySize env daprdLogDestination "
    "appLogDestination"
)
_APP_SCALARS: dict[str, tuple[str, type]] = {
    "appID": ("app_id", str),
    "appPort": ("app_port", int),
    "appChannelAddress": ("app_channel_address", str),
    "daprHTTPPort": ("dapr_http_port", int),
    "daprGRPCPort": ("dapr_grpc_port", int),
    "metricsPort": ("metrics_port", int),
}
# Accepted by the Dapr CLI but meaningless for this runtime; read and ignored.
_IGNORED = _keys(
    "enableProfiling placementHostAddress "
    "schedulerHostAddress readBufferSize enableApiLogging runtimePath profilePort "
    "daprInternalGRPCPort unixDomainSocket containerImage containerImagePullPolicy "
    "createService envFile"
)
_COMMON_KEYS = frozenset(_SHARED_SCALARS) | _SHARED_SPECIAL | _IGNORED
_APP_KEYS = _COMMON_KEYS | set(_APP_SCALARS) | {"appDirPath", "command"}
_QUANTITY = re.compile(r"^\s*(\d+)\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?\s*$")
_UNITS: dict[str | None, int] = {None: 1, "K": 1000}
_UNITS |= {unit: 1000 ** (i + 1) for i, unit in enumerate("kMGT")}
_UNITS |= {f"{unit}i": 1024 ** (i + 1) for i, unit in enumerate("KMGT")}


def find_run_file(path: Path) -> Path:
    """``path`` itself, or the ``dapr.yaml``/``dapr.yml`` inside it when it is a folder."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise RunFileError(f"run template {path} does not exist")
    for name in RUN_FILE_NAMES:
        if (path / name).is_file():
            return path / name
    raise RunFileError(f"no dapr.yaml or dapr.yml in folder {path}")


def project_folder(folder: Path) -> Path:
    """The nearest folder from ``folder`` up that holds a run template, else ``folder``: apps
    started one by one from the app folders of a multi-app project share its runtime home."""
    for candidate in (folder, *folder.parents):
        if any((candidate / name).is_file() for name in RUN_FILE_NAMES):
            return candidate
    return folder


def load_run_file(
    path: Path | str, *, user_home: Path | None = None, dapr: Path | None = None
) -> RunFile:
    """Read and validate a run template (or the one in a folder); ``dapr`` is the Dapr CLI's
    folder of defaults (default: :func:`dapr_dir`, or ``<user_home>/.dapr``)."""
    file = find_run_file(Path(path).expanduser()).resolve()
    home = user_home or Path.home()
    defaults = dapr or (home / ".dapr" if user_home else dapr_dir())
    return _Parser(file, home, defaults).run_file(_read_yaml(file))


def dapr_dir(runtime_path: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The Dapr CLI's folder (``components/``, ``config.yaml``): ``<--runtime-path>/.dapr``, else
    ``$DAPR_RUNTIME_PATH/.dapr``, else ``~/.dapr``."""
    env = os.environ if env is None else env
    base = runtime_path or Path(env.get("DAPR_RUNTIME_PATH", "").strip() or Path.home())
    return base.expanduser() / ".dapr"


def default_resources_dir(dapr: Path | None = None) -> Path | None:
    """``~/.dapr/components`` when it exists: the Dapr CLI's fallback resources folder."""
    folder = (dapr or dapr_dir()) / "components"
    return folder if folder.is_dir() else None


def default_config_file(dapr: Path | None = None) -> Path | None:
    """``~/.dapr/config.yaml`` when it exists: the Dapr CLI's fallback configuration."""
    file = (dapr or dapr_dir()) / "config.yaml"
    return file if file.is_file() else None


def parse_quantity(text: str) -> int:
    """A Kubernetes-style size such as ``4Mi`` or ``1000k`` in bytes; ValueError if malformed."""
    match = _QUANTITY.match(text)
    if match is None:
        raise ValueError(f"invalid size {text!r} (examples: 4Mi, 512Ki, 1000000)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _read_yaml(file: Path) -> dict[str, Any]:
    data = _yamlfile.load(file, RunFileError)
    if not isinstance(data, dict):
        raise RunFileError(f"{file}: a run template must be a YAML mapping")
    return data


class _Parser:
    def __init__(self, file: Path, user_home: Path, dapr: Path) -> None:
        self.file = file
        self.base = file.parent
        self.user_home = user_home
        self.dapr = dapr

    def fail(self, where: str, message: str) -> RunFileError:
        return RunFileError(f"{self.file}: {where}: {message}")

    # top level -------------------------------------------------------------------------------

    def run_file(self, data: dict[str, Any]) -> RunFile:
        version = data.get("version")
        if version is None or version == 0:
            raise self.fail("version", "required field 'version' is missing (use version: 1)")
        version = self.typed("version", version, int)
        self.warn_unknown("top level", data, {"version", "name", "common", "apps"})
        common_data = self.mapping("common", data.get("common"))
        self.warn_unknown("common", common_data, _COMMON_KEYS)
        common = self.shared("common", common_data, self.base)
        apps = self.sequence("apps", data.get("apps"))
        if not apps:
            raise self.fail("apps", "no apps defined")
        parsed = tuple(self.app(f"apps[{i}]", app, common) for i, app in enumerate(apps))
        name = self.typed("name", data.get("name"), str)
        return RunFile(self.file, version, name, common, parsed)

    def shared(self, where: str, data: Mapping[str, Any], base: Path) -> SharedConfig:
        values: dict[str, Any] = {
            attr: self.typed(f"{where}.{key}", data.get(key), kind)
            for key, (attr, kind) in _SHARED_SCALARS.items()
        }
        values["resources_paths"] = self.resources(where, data, base)
        values["config_file"] = self.path(
            f"{where}.configFilePath", data.get("configFilePath"), base
        )
        values["max_body_size"] = self.size(f"{where}.maxBodySize", data.get("maxBodySize"))
        values["env"] = self.env(f"{where}.env", data.get("env"))
        for key in ("daprdLogDestination", "appLogDestination"):
            values[_snake(key)] = self.destination(f"{where}.{key}", data.get(key))
        return SharedConfig(**values)

    def app(self, where: str, raw: Any, common: SharedConfig) -> AppConfig:
        data = self.mapping(where, raw)
        self.warn_unknown(where, data, _APP_KEYS)
        app_dir = self.path(f"{where}.appDirPath", data.get("appDirPath"), self.base)
        if app_dir is None:
            raise self.fail(f"{where}.appDirPath", "required field 'appDirPath' is missing")
        own = self.shared(where, data, app_dir)
        values: dict[str, Any] = {
            attr: self.typed(f"{where}.{key}", data.get(key), kind)
            for key, (attr, kind) in _APP_SCALARS.items()
        }
        values["app_id"] = values["app_id"] or app_dir.name
        values["command"] = self.command(f"{where}.command", data.get("command"))
        shared = self.inherit(own, common, app_dir)
        return AppConfig(app_dir=app_dir, shared=shared, **values)

    # inheritance and precedence ----------------------------------------------------------------

    def inherit(self, own: SharedConfig, common: SharedConfig, app_dir: Path) -> SharedConfig:
        resolved = dataclasses.replace(
            own,
            resources_paths=self.app_resources(own, common, app_dir),
            config_file=self.app_config_file(own, common, app_dir),
        )
        merged = {
            f.name: getattr(common, f.name)
            for f in dataclasses.fields(SharedConfig)
            if f.name != "env" and not getattr(resolved, f.name)
        }
        return dataclasses.replace(resolved, **merged, env={**common.env, **own.env})

    def app_resources(
        self, own: SharedConfig, common: SharedConfig, app_dir: Path
    ) -> tuple[Path, ...]:
        local = app_dir / ".dapr" / "resources"
        fallback = default_resources_dir(self.dapr)
        for candidate in (own.resources_paths, (local,) if local.is_dir() else ()):
            if candidate:
                return candidate
        return common.resources_paths or ((fallback,) if fallback else ())

    def app_config_file(
        self, own: SharedConfig, common: SharedConfig, app_dir: Path
    ) -> Path | None:
        local = app_dir / ".dapr" / "config.yaml"
        fallback = self.dapr / "config.yaml"
        for candidate in (own.config_file, local, common.config_file, fallback):
            if candidate is not None and candidate.is_file():
                return candidate
        return None

    # fields ----------------------------------------------------------------------------------

    def resources(self, where: str, data: Mapping[str, Any], base: Path) -> tuple[Path, ...]:
        raw = self.sequence(f"{where}.resourcesPaths", data.get("resourcesPaths"))
        paths = [self.path(f"{where}.resourcesPaths[{i}]", p, base) for i, p in enumerate(raw)]
        paths.append(self.path(f"{where}.resourcesPath", data.get("resourcesPath"), base))
        return tuple(p for p in paths if p is not None)

    def path(self, where: str, raw: Any, base: Path) -> Path | None:
        text = self.typed(where, raw, str).strip()
        if not text:
            return None
        if text == "~" or text.startswith("~/"):
            text = str(self.user_home) + text[1:]
        path = base / Path(text).expanduser()
        if not path.exists():
            raise self.fail(where, f"path {path} does not exist")
        return path.resolve()

    def size(self, where: str, raw: Any) -> int | None:
        text = self.typed(where, raw, str)
        try:
            return parse_quantity(text) if text else None
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None

    def destination(self, where: str, raw: Any) -> LogDestination | None:
        text = self.typed(where, raw, str)
        try:
            return LogDestination(text) if text else None
        except ValueError:
            allowed = ", ".join(d.value for d in LogDestination)
            raise self.fail(
                where, f"invalid log destination {text!r} (allowed: {allowed})"
            ) from None

    def env(self, where: str, raw: Any) -> dict[str, str]:
        return {str(k): _env_value(v) for k, v in self.mapping(where, raw).items()}

    def command(self, where: str, raw: Any) -> tuple[str, ...]:
        items = self.sequence(where, raw)
        if not all(isinstance(x, str | int | float) and not isinstance(x, bool) for x in items):
            raise self.fail(where, "must be a list of strings, e.g. [python, app.py]")
        return tuple(str(x) for x in items)

    # YAML shapes -----------------------------------------------------------------------------

    def typed(self, where: str, value: Any, kind: type) -> Any:
        if value is None:
            return kind()
        if kind is str and isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        raise self.fail(where, f"expected {_KIND_NAMES[kind]}, got {value!r}")

    def mapping(self, where: str, value: Any) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {value!r}")
        return value

    def sequence(self, where: str, value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {value!r}")
        return value

    def warn_unknown(self, where: str, data: Mapping[str, Any], known: Container[str]) -> None:
        for key in data:
            if key not in known:
                log.warning("%s: %s: unknown field %r ignored", self.file, where, key)


_KIND_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
