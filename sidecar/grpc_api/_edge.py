"""What daprd applies to every gRPC call before and after the servicer: the API token, and the
translation of errors raised deep (``DaprError``, ``GrpcAnswer``) into a status, once."""

from __future__ import annotations

import hmac
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import grpc
from grpc import aio

from ..dapr_errors import DaprError
from ._status import PROXY_ERROR, GrpcAnswer, from_dapr_error, unauthenticated

log = logging.getLogger(__name__)
Behaviour = Callable[[Any, aio.ServicerContext[Any, Any]], Any]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


def _answer(exc: Exception) -> GrpcAnswer:
    if isinstance(exc, GrpcAnswer):
        return exc
    if isinstance(exc, DaprError):
        return from_dapr_error(exc)
    log.exception("unhandled error serving a gRPC call")
    return GrpcAnswer(grpc.StatusCode.INTERNAL, f"internal error: {exc}")


async def _abort(context: aio.ServicerContext[Any, Any], answer: GrpcAnswer) -> None:
    await context.abort(answer.code, answer.message, answer.trailing_metadata())


def _guard_unary(behaviour: Behaviour, check: Callable[[Any], GrpcAnswer | None]) -> Behaviour:
    async def call(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        refused = check(context)
        if refused is not None:
            await _abort(context, refused)
        try:
            return await behaviour(request, context)
        except (DaprError, GrpcAnswer) as exc:
            await _abort(context, _answer(exc))
        except aio.AbortError:
            raise
        except Exception as exc:  # anything else is our bug: say so, as a status
            await _abort(context, _answer(exc))

    return call


def _guard_stream(behaviour: Behaviour, check: Callable[[Any], GrpcAnswer | None]) -> Behaviour:
    async def call(request: Any, context: aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        refused = check(context)
        if refused is not None:
            await _abort(context, refused)
        try:
            result = behaviour(request, context)
            if inspect.isasyncgen(result):
                async for item in result:
                    yield item
            else:  # a coroutine that writes with context.write, or only refuses
                await result
        except (DaprError, GrpcAnswer) as exc:
            await _abort(context, _answer(exc))
        except aio.AbortError:
            raise
        except Exception as exc:
            await _abort(context, _answer(exc))

    return call


class Edge(aio.ServerInterceptor):
    """``dapr-api-token`` checked as daprd does (when a token is set), errors turned into
    statuses; every handler of the server passes through here."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def check(self, context: aio.ServicerContext[Any, Any]) -> GrpcAnswer | None:
        if not self.token:
            return None
        given = [v for k, v in context.invocation_metadata() or () if k == "dapr-api-token"]
        if not given:
            return unauthenticated("missing api token in request metadata")
        value = given[0] if isinstance(given[0], str) else given[0].decode()
        if not hmac.compare_digest(value.encode(), self.token.encode()):
            return unauthenticated("authentication error: api token mismatch")
        return None

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler:
        handler = await continuation(handler_call_details)
        if handler is None:
            handler = unknown_method()
        return self.wrap(handler)

    def wrap(self, handler: Handler) -> Handler:
        h: Any = handler
        io = {"request_deserializer": h.request_deserializer}
        io["response_serializer"] = h.response_serializer
        if h.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _guard_unary(h.unary_unary, self.check), **io
            )
        if h.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                _guard_unary(h.stream_unary, self.check), **io
            )
        if h.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _guard_stream(h.unary_stream, self.check), **io
            )
        return grpc.stream_stream_rpc_method_handler(
            _guard_stream(h.stream_stream, self.check), **io
        )


async def _proxy_refusal(
    requests: Any, context: aio.ServicerContext[Any, Any]
) -> AsyncIterator[bytes]:
    raise GrpcAnswer(grpc.StatusCode.UNKNOWN, PROXY_ERROR)
    yield b""  # an async generator, as a streaming handler must be


def unknown_method() -> Handler:
    """daprd hands a call to a method it does not serve to its gRPC proxy, which refuses one
    that names no target app (recorded from daprd 1.18.3)."""
    return grpc.stream_stream_rpc_method_handler(_proxy_refusal)
