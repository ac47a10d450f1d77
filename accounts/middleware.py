"""WebSocket authentication: a single-use ticket, or a same-origin browser session.

A ticket comes from POST /api/auth/ws-ticket/ and travels as `/ws/?ticket=...`. A browser that is
signed in to the site may connect with its session cookie instead, but only from this site's own
origin: a cookie alone would let any other site open a socket in the user's name.
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlparse

import redis
from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host

from telepresence.redis import connect_gate

from .services import ws_ticket_redeem

logger = logging.getLogger(__name__)


def query_param(scope: dict[str, Any], name: str) -> str:
    """One query-string parameter of an ASGI scope, "" when absent."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[0] if values else ""


def _same_origin(scope: dict[str, Any]) -> bool:
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    if not origin:
        return False
    host = urlparse(origin).hostname or ""
    return validate_host(host, settings.ALLOWED_HOSTS)


class TicketOrSessionAuthMiddleware:
    def __init__(self, inner: Any) -> None:
        # The session path reuses Channels' own cookie, session and auth middleware.
        self.inner = inner
        self.with_session = CookieMiddleware(SessionMiddleware(AuthMiddleware(inner)))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        ticket = query_param(scope, "ticket")
        if ticket:
            try:
                async with connect_gate():
                    scope["user_id"] = await ws_ticket_redeem(ticket=ticket)
            except redis.RedisError as error:
                logger.warning("ticket not checked: %s: %s", type(error).__name__, error)
                # Tickets live in Redis: without it nobody can be let in, but the client should
                # retry rather than fetch a new ticket (the consumer closes with 4503).
                scope["auth_unavailable"] = True
            # The user row is read only when a frame needs it (a subscription's access check):
            # a reconnect storm after a deploy then costs the database nothing. A ticket is only
            # issued to an active, signed-in user, and lives 60 seconds.
            scope["user"] = AnonymousUser()
            scope["auth_method"] = "ticket"
            return await self.inner(scope, receive, send)
        if _same_origin(scope):
            scope["auth_method"] = "session"
            return await self.with_session(scope, receive, send)
        scope["user"] = AnonymousUser()
        return await self.inner(scope, receive, send)
