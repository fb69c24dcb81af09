"""The garbage collector's settings for a long-lived runtime process (``sidecar run``).

CPython's cyclic collector runs a full pass, over every object it tracks, whenever the objects
that survived its younger passes since the last one reach a quarter of all. A sidecar holds many
long-lived objects (its imports, ~95,000; then active actors, jobs in flight, connections), so a
full pass stalls its event loop for tens to hundreds of milliseconds. Two settings keep them rare:

- ``gc.freeze()`` once the imports are done: they live as long as the process, and a frozen
  object is never walked again;
- a youngest generation of ``GEN0_THRESHOLD`` allocations instead of 700: most of a request's
  objects (futures, tasks, tuples of a write) die before a pass of the youngest generation, so
  far fewer survive into the older ones, and a burst of work (100,000 idle actors deactivated at
  once, each with a registry write) no longer sets off full passes. A young pass, and the middle
  generation's behind it, then walk more objects at a time. 2,000 was the best of three tried at
  100,000 actors (bench/README.md, "The sweep's stall, profiled and fixed"): the idle sweep's
  worst stall 11.6 ms (72 at 700, 11.0 at 5,000) with the turns' 1.3 ms (96 and 6.0).
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 2_000


def settle() -> None:
    """Freeze what exists now and set the youngest generation's threshold; call it once the
    process has imported what it needs."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, older, oldest)
