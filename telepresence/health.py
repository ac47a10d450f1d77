"""GET /healthz: is the database reachable, is Redis reachable."""
from __future__ import annotations

from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from .redis import ping


def _database_ok() -> bool:
    try:
        connections["default"].ensure_connection()
        return connections["default"].is_usable()
    except DatabaseError:
        return False


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": "ok" if _database_ok() else "unreachable",
        "redis": "ok" if ping() else "unreachable",
    }
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )
