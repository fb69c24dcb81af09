"""``python -m sidecar``: the same as the ``sidecar`` command."""

from __future__ import annotations

from ._cli import main

raise SystemExit(main())
