"""Reads: schedules, free slots, who sees which appointment, doctors with their presence."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from accounts.models import DoctorProfile, User
from presence.selectors import presence_of

from . import rules
from .errors import AppointmentNotFound, DoctorNotFound
from .models import (
    Appointment,
    AvailabilityOverride,
    DailyBookingCount,
    Schedule,
    WaitlistEntry,
    WeeklyAvailability,
)


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def doctor_get(*, doctor_id: object) -> User:
    """An active doctor, or DoctorNotFound (also for malformed ids)."""
    pk = _uuid_or_none(doctor_id)
    doctor = (
        User.objects.filter(pk=pk, role=User.Role.DOCTOR, is_active=True)
        .select_related("doctor_profile")
        .first()
        if pk
        else None
    )
    if doctor is None:
        raise DoctorNotFound()
    return doctor


def doctor_time_zone(*, doctor: User) -> ZoneInfo:
    profile = DoctorProfile.objects.filter(user=doctor).only("time_zone").first()
    return ZoneInfo(profile.time_zone if profile else "America/Toronto")


def schedule_of(*, doctor: User) -> Schedule:
    """The doctor's settings; an unsaved one with the defaults if they never set any."""
    return Schedule.objects.filter(doctor=doctor).first() or Schedule(doctor=doctor)


def periods_of(*, doctor: User) -> list[rules.Period]:
    return [p.as_rule() for p in WeeklyAvailability.objects.filter(doctor=doctor)]


def overrides_of(*, doctor: User, start_date: date, end_date: date) -> list[rules.Override]:
    return [
        o.as_rule()
        for o in AvailabilityOverride.objects.filter(
            doctor=doctor, date__gte=start_date, date__lte=end_date
        )
    ]


def busy_of(*, doctor: User, start: datetime, end: datetime) -> list[rules.Interval]:
    """Blocked intervals (buffers included) of the doctor's non-cancelled appointments."""
    return list(
        Appointment.objects.filter(
            doctor=doctor, blocked_start__lt=end, blocked_end__gt=start
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .values_list("blocked_start", "blocked_end")
    )


def day_counts_of(*, doctor: User, start_date: date, end_date: date) -> dict[date, int]:
    return dict(
        DailyBookingCount.objects.filter(
            doctor=doctor, date__gte=start_date, date__lte=end_date
        ).values_list("date", "count")
    )


def patient_busy_of(*, patient: User, start: datetime, end: datetime) -> list[rules.Interval]:
    """The patient's own non-cancelled appointments (with any doctor) in a window."""
    return list(
        Appointment.objects.filter(patient=patient, start__lt=end, end__gt=start)
        .exclude(status=Appointment.Status.CANCELLED)
        .values_list("start", "end")
    )


def free_slots_for(
    *,
    doctor: User,
    start_date: date,
    end_date: date,
    now: datetime,
    patient: User | None = None,
) -> list[rules.Slot]:
    """Free slots of the doctor; when `patient` asks, minus the times they are booked already."""
    tz = doctor_time_zone(doctor=doctor)
    window_start = rules.local_to_utc(start_date, datetime.min.time(), tz) - timedelta(days=1)
    window_end = rules.local_to_utc(end_date, datetime.min.time(), tz) + timedelta(days=2)
    return rules.free_slots(
        rules=schedule_of(doctor=doctor).as_rules(),
        periods=periods_of(doctor=doctor),
        overrides=overrides_of(doctor=doctor, start_date=start_date, end_date=end_date),
        booked=busy_of(doctor=doctor, start=window_start, end=window_end),
        day_counts=day_counts_of(doctor=doctor, start_date=start_date, end_date=end_date),
        start_date=start_date,
        end_date=end_date,
        now=now,
        tz=tz,
        patient_booked=patient_busy_of(patient=patient, start=window_start, end=window_end)
        if patient is not None
        else (),
    )


# --- appointments, as each person may see them ------------------------------------------------


def appointments_visible_to(*, user: User) -> QuerySet[Appointment]:
    """Doctors see theirs, patients theirs, staff all; anyone else nothing."""
    appointments = Appointment.objects.select_related(
        "doctor", "doctor__doctor_profile", "patient", "cancelled_by"
    )
    if user.is_clinic_staff:
        return appointments.all()
    if user.is_doctor:
        return appointments.filter(doctor=user)
    if user.is_patient:
        return appointments.filter(patient=user)
    return appointments.none()


def appointment_visible_to(*, user: User, appointment_id: object) -> Appointment:
    """One appointment the user may see; 404 for any other, so existence never leaks."""
    pk = _uuid_or_none(appointment_id)
    appointment = appointments_visible_to(user=user).filter(pk=pk).first() if pk else None
    if appointment is None:
        raise AppointmentNotFound()
    return appointment


def appointments_list(
    *,
    user: User,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    doctor_id: object = None,
    limit: int = 500,
) -> list[Appointment]:
    appointments = appointments_visible_to(user=user)
    if status:
        appointments = appointments.filter(status=status)
    if start:
        appointments = appointments.filter(end__gt=start)
    if end:
        appointments = appointments.filter(start__lt=end)
    if doctor_id:
        appointments = appointments.filter(doctor_id=_uuid_or_none(doctor_id))
    return list(appointments.order_by("start")[:limit])


def doctor_calendar(*, doctor: User, since: datetime) -> list[Appointment]:
    return list(
        Appointment.objects.filter(doctor=doctor, end__gte=since)
        .select_related("doctor__doctor_profile")
        .order_by("start")[:2000]
    )


# --- doctors, with live presence --------------------------------------------------------------


def doctors_with_presence(*, specialty: str | None = None) -> list[dict[str, Any]]:
    profiles = DoctorProfile.objects.select_related("user").filter(
        user__role=User.Role.DOCTOR, user__is_active=True
    )
    if specialty:
        profiles = profiles.filter(specialty__iexact=specialty)
    profiles_list = list(profiles.order_by("user__last_name", "user__username"))
    presence = presence_of(user_ids=[p.user_id for p in profiles_list])
    return [
        {
            "id": str(p.user_id),
            "username": p.user.username,
            "name": p.user.display_name,
            "specialty": p.specialty,
            "time_zone": p.time_zone,
            "accepting_new_patients": p.accepting_new_patients,
            "presence": {
                "status": presence[str(p.user_id)]["status"],
                "last_seen": presence[str(p.user_id)]["last_seen"],
            },
        }
        for p in profiles_list
    ]


# --- seams for other apps ---------------------------------------------------------------------


def patients_with_active_appointments(*, doctor: User, patient_ids: set[str]) -> set[str]:
    """The patients among patient_ids with a booked or arrived appointment with the doctor."""
    wanted = {pk for pk in (_uuid_or_none(p) for p in patient_ids) if pk}
    if not wanted:
        return set()
    return {
        str(pk)
        for pk in Appointment.objects.filter(
            doctor=doctor, patient_id__in=wanted, status__in=Appointment.ACTIVE
        ).values_list("patient_id", flat=True)
    }


def waitlist_first(
    *, doctor_id: object, count: int, exclude_patient_id: object = None
) -> list[WaitlistEntry]:
    entries = WaitlistEntry.objects.filter(
        doctor_id=doctor_id, status=WaitlistEntry.Status.WAITING
    ).select_related("patient", "patient__patient_profile")
    if exclude_patient_id:
        entries = entries.exclude(patient_id=exclude_patient_id)
    return list(entries.order_by("created_at")[:count])


def waitlist_of_patient(*, patient: User) -> list[WaitlistEntry]:
    return list(
        WaitlistEntry.objects.filter(patient=patient, status=WaitlistEntry.Status.WAITING)
        .select_related("doctor")
        .order_by("created_at")
    )


def appointments_due_for_reminder(*, now: datetime, before: timedelta) -> list[Any]:
    return list(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            reminder_sent_at__isnull=True,
            start__gt=now,
            start__lte=now + before,
        ).values_list("pk", flat=True)[:1000]
    )


def appointments_past_no_show_cutoff(*, now: datetime, after: timedelta) -> list[Any]:
    return list(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED, start__lte=now - after
        ).values_list("pk", flat=True)[:1000]
    )
