"""Receivers of the seams other apps publish; connected in QueueingConfig.ready."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import User

from . import selectors, services


def on_presence_changed(
    sender: Any, *, user_id: str, status: str, at: datetime | None = None, **kwargs: Any
) -> None:
    services.queue_presence_changed(user_id=user_id, status=status, at=at or timezone.now())


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
