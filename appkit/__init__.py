"""What the project's apps (agent, notifier) share: the HTTP edge, the logging setup, the
``/metrics`` route (``metrics.py``) and W3C tracing (``tracing.py``).

The apps import it; it imports neither app (nor ``actors`` nor ``sidecar``).
"""
