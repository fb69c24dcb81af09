"""What the servicer sees of the sidecar: the API's services and the optional runtimes."""

from __future__ import annotations

from typing import Any

from grpc import aio

from ..services import ApiServices

Services = ApiServices
Context = aio.ServicerContext[Any, Any]
