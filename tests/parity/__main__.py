"""``python -m tests.parity [--record]`` (``./dev parity``): replay the catalogue against the
local runtime and print ``parity: N exchanges, D deviations, F failures`` (exit 1 on failures);
with ``--record``, re-record the snapshots against real daprd."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ..realdapr._procs import missing_reason
from ._session import record, replay


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev parity", description=__doc__)
    parser.add_argument("--record", action="store_true", help="re-record against real daprd")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep its logs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="parity-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        return _record(root) if args.record else _replay(root)


def _record(root: Path) -> int:
    reason = missing_reason()
    if reason:
        sys.stderr.write(f"parity: cannot record: {reason}\n")
        return 2
    count = record(root)
    sys.stdout.write(f"parity: recorded {count} exchanges from daprd\n")
    return 0


def _replay(root: Path) -> int:
    result = replay(root)
    for failure in result.failures:
        sys.stderr.write(failure + "\n\n")
    sys.stdout.write(result.summary() + "\n")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
