"""Celery tasks of presence: thin, each calls one service."""
from __future__ import annotations

from celery import shared_task

from .services import presence_sweep


@shared_task(name="presence.tasks.sweep", ignore_result=True)
def sweep() -> int:
    """Run by beat every PRESENCE_SWEEP_SECONDS; safe to overlap with itself and with heartbeats."""
    return len(presence_sweep())
