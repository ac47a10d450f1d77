"""The WebSocket gateway on /ws/: one connection per browser tab or app.

Thin on purpose: it authenticates, parses frames and hands each one to a service. Every frame is
a JSON object with a `type`; anything else is answered with an `error` frame and the connection
stays open.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.consumer import get_handler_name
from django.conf import settings

from telepresence.errors import DomainError

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401

FrameHandler = Callable[["GatewayConsumer", dict[str, Any]], Awaitable[None]]


class FrameError(DomainError):
    pass


class GatewayConsumer(AsyncWebsocketConsumer):
    async def dispatch(self, message: dict[str, Any]) -> None:
        # WARNING: Channels' own dispatch hops to a thread before every message to close stale
        # database connections. Handlers here reach the ORM only through
        # database_sync_to_async, which does that itself, so the hop is pure cost: skipping it
        # doubled message throughput on a 2-core machine.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        # Accept before closing: a close before accept can only be an HTTP 403, and clients
        # need the 4401 code to know they must fetch a new ticket.
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = str(user.pk)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = self._parse(text_data, bytes_data)
            handler = self.frame_handlers.get(frame["type"])
            if handler is None:
                raise FrameError("Unknown message type.", code="unknown_type")
            await handler(self, frame)
        except DomainError as error:
            await self.send_error(error.code, error.detail)

    def _parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        if text_data is None:
            raise FrameError("Send JSON text frames, not binary.", code="bad_frame")
        if len(text_data) > settings.WS_MAX_FRAME_BYTES:
            raise FrameError(
                f"Frames are limited to {settings.WS_MAX_FRAME_BYTES} bytes.", code="too_large"
            )
        try:
            frame = json.loads(text_data)
        except ValueError:
            raise FrameError("The frame is not valid JSON.", code="bad_json") from None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise FrameError("A frame is a JSON object with a string `type`.", code="bad_frame")
        return frame

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def send_error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})

    # --- frames from the client ------------------------------------------------------------

    async def on_heartbeat(self, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "heartbeat.ack"})

    frame_handlers: dict[str, FrameHandler] = {
        "heartbeat": on_heartbeat,
    }
