"""The notifier: idempotent notification intake, history and delivery channels."""

from ._settings import NotifierSettings
from .app import create_app

__all__ = ["NotifierSettings", "create_app"]
