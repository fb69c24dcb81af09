"""What the project's apps (agent, notifier) share: the HTTP edge and the logging setup.

The apps import it; it imports neither app (nor ``actors`` nor ``sidecar``).
"""
