"""Periodic and deferred work of the waiting room: thin, each calls one service, safe to repeat."""
from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="queueing.tasks.expire_away")
def expire_away() -> dict[str, int]:
    """Away past the grace becomes `left`; claims of doctors offline past it go back in line."""
    return services.queue_entries_expire()


@shared_task(name="queueing.tasks.reconcile_presence")
def reconcile_presence() -> dict[str, int]:
    return services.queue_entries_reconcile_presence()


@shared_task(name="queueing.tasks.refresh_positions")
def refresh_positions(queue_id: str | None = None) -> int:
    """One queue's positions (after a change), or every queue's (periodically, for ageing)."""
    if queue_id is None:
        return services.queue_positions_refresh_all()
    return services.queue_positions_refresh(queue_id=queue_id)
