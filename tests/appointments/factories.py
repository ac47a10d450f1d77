"""Helpers that set up schedules and bookings through the services, as real users would."""
from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from accounts.models import DoctorProfile, User
from appointments import services
from appointments.models import Appointment
from telepresence.redis import get_redis
from telepresence.streams import EVENT_FIELD, stream_key

WEEKDAYS_NINE_TO_FIVE = [{"weekday": d, "start": time(9), "end": time(17)} for d in range(5)]


def give_hours(
    doctor: User,
    *,
    tz: str = "America/Toronto",
    periods: list[dict[str, Any]] | None = None,
    **settings_values: Any,
) -> User:
    DoctorProfile.objects.filter(user=doctor).update(time_zone=tz)
    values = {"slot_minutes": 30, "minimum_notice_minutes": 60, "horizon_days": 60}
    values.update(settings_values)
    services.availability_update(
        actor=doctor, doctor=doctor, settings_values=values,
        periods=WEEKDAYS_NINE_TO_FIVE if periods is None else periods,
    )
    doctor.refresh_from_db()
    return doctor


def book(
    patient: User, doctor: User, start: datetime, now: datetime, reason: str = ""
) -> Appointment:
    return services.appointment_book(
        actor=patient, doctor_id=doctor.pk, start=start, reason=reason, now=now
    )


def events_of(user: User) -> list[dict[str, Any]]:
    """Everything in the user's event stream, oldest first."""
    return [
        json.loads(fields[EVENT_FIELD])
        for _, fields in get_redis().xrange(stream_key(user.pk))
    ]
