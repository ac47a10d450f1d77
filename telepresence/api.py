"""HTTP API plumbing: one exception handler that turns every error into a JSON body.

Bodies have the shape `{"code": "...", "detail": "...", "errors": {...}}`; `errors` appears only
for field validation failures.
"""
from __future__ import annotations

import logging
from typing import Any

import redis
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError, Unavailable

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, redis.RedisError):
        # Logged by class only: the arguments could hold user identifiers.
        logger.warning("redis unreachable during %s", type(context.get("view")).__name__)
        exc = Unavailable()
    if isinstance(exc, DomainError):
        return Response({"code": exc.code, "detail": exc.detail}, status=exc.status)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "detail": _first_message(exc.detail),
            "errors": exc.detail,
        }
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "code": codes if isinstance(codes, str) else "error",
            "detail": str(exc.detail),
        }
    return response


def _first_message(detail: Any) -> str:
    """The first human message in a nested DRF error structure, for a one-line `detail`."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail) or "Invalid input."


def json_error(code: str, detail: str, status_code: int) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status_code)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """JSON under /api/ (clients parse it); Django's own page elsewhere (the admin, pages)."""
    if request.path.startswith("/api/"):
        return json_error("not_found", "Not found.", status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> JsonResponse:
    return json_error("server_error", "Internal error.", status.HTTP_500_INTERNAL_SERVER_ERROR)
