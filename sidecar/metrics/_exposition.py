"""Prometheus text as daprd writes it, from prometheus-client's own families.

prometheus-client writes a counter ``x`` as ``x_total`` and adds ``*_created`` series; daprd's
exporter writes a counter under the name it was given (``dapr_http_server_request_count``, but
``dapr_runtime_component_init_total``) and no ``_created``. :class:`DaprNames` renames the
samples of the registry it wraps accordingly and :func:`render` the ``HELP``/``TYPE`` lines, so a
dashboard built on daprd's names reads ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector


class DaprNames(Collector):
    """The families of ``inner`` with counters under their given names and no ``_created``."""

    def __init__(self, inner: CollectorRegistry, counters: Iterable[str]) -> None:
        self.inner = inner
        self.counters = {_family(name): name for name in counters}

    def collect(self) -> Iterator[Metric]:
        for family in self.inner.collect():
            out = Metric(family.name, family.documentation, family.type, family.unit)
            written = self.counters.get(family.name)
            for sample in family.samples:
                if sample.name.endswith("_created"):
                    continue
                name = written if written and sample.name == family.name + "_total" else None
                out.add_sample(name or sample.name, sample.labels, sample.value)
            yield out


def _family(name: str) -> str:
    return name.removesuffix("_total")


def render(inner: CollectorRegistry, counters: Iterable[str]) -> bytes:
    """The text exposition (format 0.0.4) of ``inner``, with daprd's counter names.

    ``generate_latest`` names a counter's ``HELP`` and ``TYPE`` lines ``<family>_total``; for a
    counter daprd writes without ``_total`` those two lines are renamed too.
    """
    names = list(counters)
    outer = CollectorRegistry(auto_describe=False)
    outer.register(DaprNames(inner, names))
    text = generate_latest(outer)
    for name in names:
        if not name.endswith("_total"):
            for kind in (b"# HELP ", b"# TYPE "):
                text = text.replace(kind + name.encode() + b"_total ", kind + name.encode() + b" ")
    return text
