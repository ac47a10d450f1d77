"""Presence over HTTP, for clients that cannot hold a WebSocket, and the events long-poll.

The same services and the same event stream as the WebSocket gateway: a client can switch
transports at any moment and carry on from its cursor.
"""
from __future__ import annotations

import logging

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from telepresence import streams
from telepresence.api import json_error
from telepresence.errors import DomainError, Invalid, Unavailable

from . import services
from .serializers import (
    HeartbeatSerializer,
    PresenceSerializer,
    StatusSerializer,
    UsersSerializer,
)

logger = logging.getLogger(__name__)

HTTP_CONNECTION_PREFIX = "http-"


def _valid(serializer_class: type[serializers.Serializer], data: object) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class HeartbeatView(APIView):
    @extend_schema(
        request=HeartbeatSerializer,
        responses={200: inline_serializer("Heartbeat", {
            "connection": serializers.CharField(),
            "heartbeat_seconds": serializers.FloatField(),
            "timeout_seconds": serializers.FloatField(),
        })},
    )
    def post(self, request: Request) -> Response:
        """This HTTP connection is alive; send it every `heartbeat_seconds`."""
        connection = _valid(HeartbeatSerializer, request.data)["connection"]
        services.presence_heartbeat(
            user_id=request.user.pk, connection_id=HTTP_CONNECTION_PREFIX + connection
        )
        return Response(
            {
                "connection": connection,
                "heartbeat_seconds": settings.PRESENCE_HEARTBEAT_SECONDS,
                "timeout_seconds": settings.PRESENCE_TIMEOUT_SECONDS,
            }
        )

    @extend_schema(request=HeartbeatSerializer, responses={204: None})
    def delete(self, request: Request) -> Response:
        """This HTTP connection closes cleanly (the page is being left)."""
        connection = _valid(HeartbeatSerializer, request.data)["connection"]
        services.presence_disconnect(
            user_id=request.user.pk, connection_id=HTTP_CONNECTION_PREFIX + connection
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class StatusView(APIView):
    @extend_schema(request=StatusSerializer, responses={200: StatusSerializer})
    def put(self, request: Request) -> Response:
        new_status = _valid(StatusSerializer, request.data)["status"]
        services.presence_status_set(user_id=request.user.pk, status=new_status)
        return Response({"status": new_status})


class SubscriptionsView(APIView):
    @extend_schema(request=UsersSerializer, responses={200: PresenceSerializer(many=True)})
    def post(self, request: Request) -> Response:
        """Watch users: their changes join your event stream; the answer is their presence now."""
        user_ids = _valid(UsersSerializer, request.data)["users"]
        snapshot = services.presence_subscribe(viewer=request.user, user_ids=user_ids)
        return Response({"users": snapshot})

    @extend_schema(request=UsersSerializer, responses={204: None})
    def delete(self, request: Request) -> Response:
        user_ids = _valid(UsersSerializer, request.data)["users"]
        services.presence_unsubscribe(viewer_id=request.user.pk, user_ids=user_ids)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SnapshotView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("users", str, description="Comma-separated user ids.")],
        responses={200: PresenceSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("users", "")
        user_ids = _valid(UsersSerializer, {"users": [part for part in raw.split(",") if part]})["users"]
        return Response({"users": services.presence_snapshot(viewer=request.user, user_ids=user_ids)})


# --- GET /api/events/: the long-poll ---------------------------------------------------------
# An async Django view, not DRF: a sync view would hold one of the server's few threads for the
# whole wait. Authentication reuses DRF's token check (and the session, for same-site pages).


def _authenticate(request: HttpRequest) -> object | None:
    result = TokenAuthentication().authenticate(request)
    if result is not None:
        return result[0]
    return request.user if request.user.is_authenticated else None


def _wait_seconds(raw: str | None) -> float:
    if raw in (None, ""):
        return 0.0
    try:
        wait = float(raw)
    except ValueError:
        raise Invalid("`wait` must be a number of seconds.", code="invalid") from None
    if not 0 <= wait <= settings.EVENTS_LONG_POLL_MAX_SECONDS:
        raise Invalid(
            f"`wait` must be between 0 and {settings.EVENTS_LONG_POLL_MAX_SECONDS} seconds."
        )
    return wait


@extend_schema(exclude=True)
async def events_view(request: HttpRequest) -> JsonResponse:
    if request.method != "GET":
        return json_error("method_not_allowed", "Use GET.", 405)
    try:
        user = await sync_to_async(_authenticate)(request)
    except exceptions.AuthenticationFailed as failure:
        return json_error("authentication_failed", str(failure.detail), 401)
    if user is None:
        return json_error("not_authenticated", "Send `Authorization: Token <token>`.", 401)
    try:
        after = streams.validate_cursor(request.GET.get("after"))
        wait = _wait_seconds(request.GET.get("wait"))
        page = await streams.aread(user_id=user.pk, after=after, wait_seconds=wait)
    except DomainError as error:
        return json_error(error.code, error.detail, error.status)
    except redis.RedisError:
        unavailable = Unavailable()
        return json_error(unavailable.code, unavailable.detail, unavailable.status)
    return JsonResponse(
        {"events": page.events, "cursor": page.cursor, "truncated": page.truncated}
    )
