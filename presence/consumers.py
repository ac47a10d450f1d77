"""The WebSocket gateway on /ws/: one connection per browser tab or app.

Thin on purpose: it authenticates, parses frames, hands each one to a service, and forwards the
user's event stream. Every frame is a JSON object with a `type`; anything else is answered with
an `error` frame and the connection stays open. Presence comes from heartbeats and the sweep,
never from this socket's group membership or from `disconnect()` running (it may not).
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import redis
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts.middleware import query_param
from accounts.models import User
from accounts.selectors import user_get_active

from telepresence import streams
from telepresence.redis import connect_gate
from telepresence.errors import DomainError, Forbidden, Unavailable

from . import services
from .serializers import StatusSerializer, UsersSerializer, validated

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
# 1013 ("try again later") would be the standard code, but daphne's WebSocket library only
# sends 1000 or application codes.
CLOSE_TRY_AGAIN_LATER = 4503
GROUP_REJOIN_SECONDS = 60

FrameHandler = Callable[["GatewayConsumer", dict[str, Any]], Awaitable[None]]


class FrameError(DomainError):
    pass


def _session_user_id(scope: dict[str, Any]) -> str | None:
    user = scope.get("user")
    return str(user.pk) if user is not None and user.is_authenticated else None


class GatewayConsumer(AsyncWebsocketConsumer):
    user_id: str | None = None
    connection_id: str = ""
    cursor: tuple[int, int] = (0, 0)  # the newest event id this socket has sent
    last_touch: float = 0.0
    group_joined_at: float = 0.0
    _viewer: User | None = None

    async def dispatch(self, message: dict[str, Any]) -> None:
        # WARNING: Channels' own dispatch hops to a thread before every message to close stale
        # database connections. Handlers here reach the ORM only through
        # database_sync_to_async, which does that itself, so the hop is pure cost: skipping it
        # doubled message throughput on a 2-core machine.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- lifecycle ------------------------------------------------------------------------

    async def connect(self) -> None:
        # Accept before closing: a close before accept can only be an HTTP 403, and clients
        # need the code to know what to do (4401: fetch a new ticket; 4503: retry later).
        await self.accept()
        if self.scope.get("auth_unavailable"):
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        user_id = self.scope.get("user_id") or _session_user_id(self.scope)
        if not user_id:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = str(user_id)
        self.connection_id = uuid.uuid4().hex
        try:
            async with connect_gate():
                await self._start()
        except redis.RedisError as error:
            logger.warning("connect refused: %s: %s", type(error).__name__, error)
            self.user_id = None
            await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def _start(self) -> None:
        # Join the group first, so that no event published from now on can be missed.
        await self.channel_layer.group_add(streams.user_group(self.user_id), self.channel_name)
        self.group_joined_at = time.monotonic()
        await self._touch(force=True)
        try:
            after = streams.validate_cursor(query_param(self.scope, "after"))
        except DomainError as error:
            after, cursor_error = None, error
        else:
            cursor_error = None
        if not after:
            self.cursor = streams.event_id_key(await streams.alatest_id(user_id=self.user_id))
        await self.send_json(
            {
                "type": "welcome",
                "user": self.user_id,
                "connection": self.connection_id,
                "cursor": after or self._cursor_text(),
                "heartbeat_seconds": settings.PRESENCE_HEARTBEAT_SECONDS,
                "timeout_seconds": settings.PRESENCE_TIMEOUT_SECONDS,
            }
        )
        if cursor_error:
            await self.send_error(cursor_error.code, cursor_error.detail)
        if after:
            await self._replay(after)  # what was missed, before anything live

    async def disconnect(self, code: int) -> None:
        if self.user_id is None:
            return
        try:
            await self.channel_layer.group_discard(
                streams.user_group(self.user_id), self.channel_name
            )
            await services.apresence_disconnect(
                user_id=self.user_id, connection_id=self.connection_id
            )
        except redis.RedisError:
            # The connection's deadline still expires it: the sweep will see to it.
            logger.warning("clean disconnect not recorded: Redis unreachable")

    # --- frames from the client -------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = self._parse(text_data, bytes_data)
            handler = self.frame_handlers.get(frame["type"])
            if handler is None:
                raise FrameError("Unknown message type.", code="unknown_type")
            await self._touch()  # any well-formed frame is a sign of life
            await handler(self, frame)
        except DomainError as error:
            await self.send_error(error.code, error.detail)
        except redis.RedisError:
            error = Unavailable()
            await self.send_error(error.code, error.detail)
        except Exception as error:  # noqa: BLE001 - one bad frame must not end the connection
            logger.exception("frame handling failed: %s", type(error).__name__)
            await self.send_error("server_error", "The server could not handle this frame.")

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

    async def _touch(self, *, force: bool = False) -> None:
        # Refreshing the deadline more than once a second buys nothing: chatty clients would
        # only add Redis work.
        now = time.time()
        if force or now - self.last_touch >= 1.0:
            self.last_touch = now
            await services.apresence_heartbeat(
                user_id=self.user_id, connection_id=self.connection_id, now=now
            )

    async def on_heartbeat(self, frame: dict[str, Any]) -> None:
        # receive() has already refreshed the connection's deadline for this frame.
        # Re-joining keeps the group alive past channels-redis' group expiry and restores it
        # after a Redis restart; once a minute is enough for both and spares the hot path.
        now = time.monotonic()
        if now - self.group_joined_at >= GROUP_REJOIN_SECONDS:
            self.group_joined_at = now
            await self.channel_layer.group_add(streams.user_group(self.user_id), self.channel_name)
        await self.send_json({"type": "heartbeat.ack"})

    async def viewer(self) -> User:
        """The connected user's row, read once, when a frame first needs it."""
        if self._viewer is None:
            self._viewer = await database_sync_to_async(user_get_active)(user_id=self.user_id)
            if self._viewer is None:  # deactivated since the ticket was issued
                await self.close(code=CLOSE_UNAUTHENTICATED)
                raise Forbidden()
        return self._viewer

    async def on_subscribe(self, frame: dict[str, Any]) -> None:
        user_ids = validated(UsersSerializer, frame)["users"]
        snapshot = await database_sync_to_async(services.presence_subscribe)(
            viewer=await self.viewer(), user_ids=user_ids
        )
        await self.send_json({"type": "presence.snapshot", "users": snapshot})

    async def on_unsubscribe(self, frame: dict[str, Any]) -> None:
        user_ids = validated(UsersSerializer, frame)["users"]
        await database_sync_to_async(services.presence_unsubscribe)(
            viewer_id=self.user_id, user_ids=user_ids
        )
        await self.send_json({"type": "presence.unsubscribed", "users": user_ids})

    async def on_set_status(self, frame: dict[str, Any]) -> None:
        status = validated(StatusSerializer, frame)["status"]
        await services.apresence_status_set(user_id=self.user_id, status=status)
        await self.send_json({"type": "presence.status", "status": status})

    async def on_resume(self, frame: dict[str, Any]) -> None:
        after = frame.get("after")
        if not isinstance(after, str) or not after:
            raise FrameError("`after` must be the id of the last event received.", code="bad_cursor")
        await self._replay(streams.validate_cursor(after) or "0")

    frame_handlers: dict[str, FrameHandler] = {
        "heartbeat": on_heartbeat,
        "presence.subscribe": on_subscribe,
        "presence.unsubscribe": on_unsubscribe,
        "presence.set": on_set_status,
        "events.resume": on_resume,
    }

    # --- events from the user's stream --------------------------------------------------------

    async def _replay(self, after: str, *, check_truncation: bool = True) -> None:
        """Send, in order, every retained event after `after` that this socket has not sent."""
        page_size = 500
        while True:
            page = await streams.aread(
                user_id=self.user_id, after=after, count=page_size,
                check_truncation=check_truncation,
            )
            if page.truncated:
                await self.send_json({"type": "events.truncated", "after": after})
            for event in page.events:
                await self._forward(event)
            if len(page.events) < page_size:
                return
            after, check_truncation = page.cursor, False

    async def _forward(self, event: dict[str, Any]) -> None:
        key = streams.event_id_key(event["id"])
        if key <= self.cursor:
            return  # already sent (a replay and a live push can overlap)
        self.cursor = key
        await self.send_json(event)

    async def stream_event(self, message: dict[str, Any]) -> None:
        """A live push through the channel layer (`stream.event`): a notification only.

        Pushes from several processes can arrive out of order; forwarding them as they come
        would send a newer event before an older one and then drop the older. So a push that is
        news makes the socket read its stream after its cursor, in id order.
        """
        if self.user_id is None:
            return
        if streams.event_id_key(message["event"]["id"]) > self.cursor:
            # Its own cursor was never trimmed away under it: no truncation check needed.
            await self._replay(self._cursor_text(), check_truncation=False)

    # --- helpers ----------------------------------------------------------------------------

    def _cursor_text(self) -> str:
        millis, sequence = self.cursor
        return f"{millis}-{sequence}" if self.cursor != (0, 0) else "0"

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def send_error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})
