"""Every flag of ``dapr run`` (Dapr CLI 1.18, ``cmd/run.go``), with what it does here.

Each flag is honoured, or accepted with one warning naming it (what it tunes does not exist
here), or refused with a clear error (running without it would change what the app sees).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

log = logging.getLogger(__name__)
LOG_LEVELS = ("debug", "info", "warn", "warning", "error", "fatal", "panic")


class FlagError(Exception):
    """A flag this runtime cannot honour, where ignoring it would change what the app sees."""


class Treatment(Enum):
    WARN = "warn"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Unsupported:
    flag: str
    dest: str
    treatment: Treatment
    reason: str


# What the runtime has no part for; given a value, the run starts (WARN) or stops (REFUSE).
UNSUPPORTED = (
    Unsupported(
        "--dapr-internal-grpc-port",
        "dapr_internal_grpc_port",
        Treatment.WARN,
        "sidecars of one home forward to each other over HTTP, not daprd's internal gRPC API",
    ),
    Unsupported("--enable-profiling", "enable_profiling", Treatment.WARN, "no pprof server"),
    Unsupported("--profile-port", "profile_port", Treatment.WARN, "no pprof server"),
    Unsupported(
        "--scheduler-host-address",
        "scheduler_host_address",
        Treatment.WARN,
        "each sidecar embeds its scheduler (jobs live in the runtime home's scheduler.db)",
    ),
    Unsupported(
        "--read-buffer-size",
        "read_buffer_size",
        Treatment.WARN,
        "the HTTP server reads headers of any size up to its own limit",
    ),
    Unsupported(
        "--enable-api-logging", "enable_api_logging", Treatment.WARN, "API calls are not logged"
    ),
    Unsupported(
        "--unix-domain-socket",
        "unix_domain_socket",
        Treatment.REFUSE,
        "the sidecar serves TCP ports only, and the app would find no socket",
    ),
    Unsupported(
        "--kubernetes", "kubernetes", Treatment.REFUSE, "this runtime runs apps on this machine"
    ),
)


def add_run_flags(run: argparse.ArgumentParser) -> None:
    """The ``dapr run`` flags that ``sidecar run`` adds to the shared ones."""
    _ports(run)
    _app(run)
    _health(run)
    _runtime(run)
    for flag in UNSUPPORTED:
        kind = {"action": "store_true", "default": None} if _is_switch(flag) else {}
        run.add_argument(
            flag.flag,
            *_short(flag),
            dest=flag.dest,
            help=f"{'ignored' if flag.treatment is Treatment.WARN else 'refused'}: {flag.reason}",
            **kind,  # type: ignore[arg-type]
        )


def _is_switch(flag: Unsupported) -> bool:
    return flag.dest in ("enable_profiling", "enable_api_logging", "kubernetes")


def _short(flag: Unsupported) -> tuple[str, ...]:
    return {"--dapr-internal-grpc-port": ("-I",), "--unix-domain-socket": ("-u",),
            "--kubernetes": ("-k",)}.get(flag.flag, ())  # fmt: skip


def _ports(run: argparse.ArgumentParser) -> None:
    run.add_argument("--app-port", "-p", type=int, default=0, help="port the app listens on")
    run.add_argument("--app-channel-address", default="127.0.0.1", help="host the app listens on")
    run.add_argument("--dapr-http-port", "-H", type=int, default=-1, help="default: a free port")
    run.add_argument(
        "--dapr-grpc-port", "-G", type=int, default=-1, help="DAPR_GRPC_PORT; default: a free port"
    )
    run.add_argument(
        "--metrics-port", "-M", type=int, default=-1, help="DAPR_METRICS_PORT; default: a free port"
    )
    run.add_argument(
        "--enable-metrics",
        type=_boolean,
        nargs="?",
        const=True,
        default=True,
        metavar="BOOL",
        help="serve Prometheus metrics on each sidecar's metrics port (default true;"
        " --enable-metrics=false: none, as daprd)",
    )
    run.add_argument(
        "--dapr-listen-addresses",
        default="",
        help="the address the sidecar's API listens on (one; default 127.0.0.1)",
    )


def _app(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--app-protocol",
        "-P",
        default="",
        help="how the sidecar calls the app: http (default), grpc",
    )
    run.add_argument("--app-ssl", action="store_true", help="deprecated: --app-protocol https")
    run.add_argument(
        "--app-max-concurrency",
        type=int,
        default=-1,
        help="at most this many calls to the app at once (default: unlimited)",
    )
    run.add_argument(
        "--max-body-size", default="", help="largest request body the API takes (default 4Mi)"
    )
    run.add_argument("--config", "-c", type=Path, help="Dapr Configuration file (see RUNNER.md)")
    run.add_argument(
        "--placement-host-address",
        default=None,
        help="ignored (the local registry places actors), except '' which disables actors",
    )


def _health(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--enable-app-health-check", action="store_true", help="probe the app as daprd does"
    )
    run.add_argument("--app-health-check-path", default="", help="default /healthz")
    run.add_argument("--app-health-probe-interval", type=int, default=0, help="seconds (default 5)")
    run.add_argument(
        "--app-health-probe-timeout", type=int, default=0, help="milliseconds (default 500)"
    )
    run.add_argument(
        "--app-health-threshold", type=int, default=0, help="failures until unhealthy (default 3)"
    )


def _runtime(run: argparse.ArgumentParser) -> None:
    run.add_argument("--dev-clock", action="store_true", help="enable the dev-clock extension")
    run.add_argument(
        "--runtime-path",
        type=Path,
        help="folder holding .dapr (default $DAPR_RUNTIME_PATH, else the home folder):"
        " its components/ and config.yaml are the defaults",
    )


def _boolean(text: str) -> bool:
    """A Go-style boolean flag value (``true``/``false``, ``1``/``0``, ...)."""
    value = text.strip().lower()
    if value in ("1", "t", "true"):
        return True
    if value in ("0", "f", "false"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {text!r} (true or false)")


def check_unsupported(args: argparse.Namespace) -> None:
    """Warn once per ignored flag given; FlagError for the first refused one."""
    for flag in UNSUPPORTED:
        if getattr(args, flag.dest, None) is None:
            continue
        if flag.treatment is Treatment.REFUSE:
            raise FlagError(f"{flag.flag} is not supported: {flag.reason}")
        log.warning("flag %s is ignored: %s", flag.flag, flag.reason)
    if args.placement_host_address:
        log.warning("flag --placement-host-address is ignored: the local registry places actors")


def listen_host(args: argparse.Namespace) -> str:
    """The one address of ``--dapr-listen-addresses`` (FlagError for several)."""
    addresses = [a.strip() for a in args.dapr_listen_addresses.split(",") if a.strip()]
    if len(addresses) > 1:
        raise FlagError(
            f"--dapr-listen-addresses {args.dapr_listen_addresses}: the sidecar listens on one"
            " address only"
        )
    return addresses[0] if addresses else "127.0.0.1"
