"""Receivers of the seams other apps publish; connected in QueueingConfig.ready."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import redis
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.models import User

from . import selectors, services

logger = logging.getLogger(__name__)


def on_presence_changed(
    sender: Any, *, user_id: str, status: str, at: datetime | None = None, **kwargs: Any
) -> None:
    # A failure here must not fail the presence transition that announced it: the queue's
    # reconcile task catches up within QUEUE_RECONCILE_INTERVAL_SECONDS. The savepoint keeps a
    # database error from breaking the sender's transaction.
    try:
        with transaction.atomic():
            services.queue_presence_changed(
                user_id=user_id, status=status, at=at or timezone.now()
            )
    except (DatabaseError, redis.RedisError):
        logger.warning("queue reaction to a presence change failed; reconcile will catch up")


def on_appointment_checked_in(
    sender: Any,
    *,
    appointment_id: Any,
    patient_id: Any,
    doctor_id: Any,
    start: datetime | None = None,
    reason: str = "",
    **kwargs: Any,
) -> None:
    # Inside the check-in transaction on purpose: the entry commits or rolls back with it.
    services.queue_entry_check_in(
        appointment_id=appointment_id,
        patient_id=patient_id,
        doctor_id=doctor_id,
        appointment_start=start,
        reason=reason,
    )


def patient_grant(doctor: User, patient_ids: set[str]) -> set[str]:
    """Presence watch grant: a doctor may watch the patients waiting for them."""
    return selectors.patients_watchable_by(doctor=doctor, patient_ids=patient_ids)
