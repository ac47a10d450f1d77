"""Every state change of appointments, availability and the waitlist goes through here.

Race-freedom in one paragraph (details in models.py): booking inserts the appointment's claim
rows, whose unique (doctor, cell) and (patient, cell) keys let the database pick exactly one
winner among overlapping bookings; every status transition is one conditional
`filter(id=..., status=...).update(...)` whose row count says whether this caller won; the daily
cap is one conditional increment (`count < cap`). Nothing is decided on a value read earlier,
so no interleaving of requests, workers or beat runs can double-book, double-cancel or double-
remind. Events and emails leave only after commit.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import PatientProfile, User
from presence.services import presence_watchers_prune_on_commit

from . import events, rules, selectors
from .errors import (
    AlreadyBooked,
    BadAvailability,
    BeyondHorizon,
    CheckInClosed,
    CheckInNotOpen,
    DayFull,
    NaiveTime,
    NoticeTooShort,
    NotAllowed,
    NotAcceptingNewPatients,
    NotASlot,
    NotBooked,
    PatientBusy,
    PatientNotFound,
    SlotTaken,
    TooEarly,
    TooSoon,
)
from .models import (
    Appointment,
    AppointmentStatusChange,
    AvailabilityOverride,
    DailyBookingCount,
    PatientSlotClaim,
    Schedule,
    SlotClaim,
    WaitlistEntry,
    WeeklyAvailability,
)
from .signals import appointment_checked_in

logger = logging.getLogger(__name__)

Status = Appointment.Status
RESCHEDULED = "rescheduled"  # the cancellation reason and audit note of a moved appointment


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveTime()
    return moment.astimezone(UTC)


def _audit(
    *, appointment_id: Any, from_status: str, to_status: str, actor: User | None,
    at: datetime, note: str = "",
) -> None:
    AppointmentStatusChange.objects.create(
        appointment_id=appointment_id, from_status=from_status, to_status=to_status,
        actor=actor, at=at, note=note,
    )


def _role(actor: User, appointment: Appointment) -> str:
    if actor.is_clinic_staff:
        return "staff"
    if actor.pk == appointment.doctor_id:
        return "doctor"
    if actor.pk == appointment.patient_id:
        return "patient"
    return "none"


def cancel_notice(*, schedule: Schedule) -> timedelta:
    if schedule.cancellation_notice_minutes is not None:
        return timedelta(minutes=schedule.cancellation_notice_minutes)
    return timedelta(seconds=settings.APPOINTMENT_CANCEL_NOTICE_SECONDS)


# --- slots and claims -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedSlot:
    slot: rules.Slot
    local_date: date
    cap: int | None


def _resolve_slot(
    *,
    doctor: User,
    start: datetime,
    now: datetime,
    ignore: Appointment | None = None,
    patient: User | None = None,
) -> ResolvedSlot:
    """Check that `start` is a slot the doctor offers now, and say why not if it isn't.

    A read, only to give a precise error early; the claims decide races, not this.
    """
    tz = selectors.doctor_time_zone(doctor=doctor)
    day = rules.local_date(start, tz)
    schedule = selectors.schedule_of(doctor=doctor)
    schedule_rules = schedule.as_rules()
    grid = rules.slot_grid(
        rules=schedule_rules,
        periods=selectors.periods_of(doctor=doctor),
        overrides=selectors.overrides_of(doctor=doctor, start_date=day, end_date=day),
        start_date=day,
        end_date=day,
        tz=tz,
    )
    slot = next((s for s in grid if s.start == start), None)
    if slot is None:
        raise NotASlot()
    if slot.start < now + timedelta(minutes=schedule_rules.minimum_notice_minutes):
        raise TooSoon()
    if slot.start > now + timedelta(days=schedule_rules.horizon_days):
        raise BeyondHorizon()
    busy = Appointment.objects.filter(
        doctor=doctor, blocked_start__lt=slot.blocked_end, blocked_end__gt=slot.blocked_start
    ).exclude(status=Status.CANCELLED)
    if ignore is not None:
        busy = busy.exclude(pk=ignore.pk)
    holders = list(busy.values_list("patient_id", "start")[:5])
    if holders:
        if patient is not None and (patient.pk, slot.start) in holders:
            raise AlreadyBooked()  # a retried request: say so, rather than "taken"
        raise SlotTaken()
    cap = schedule_rules.max_per_day
    if cap is not None and not (ignore is not None and ignore.local_date == day):
        counted = selectors.day_counts_of(doctor=doctor, start_date=day, end_date=day)
        if counted.get(day, 0) >= cap:
            raise DayFull()
    return ResolvedSlot(slot=slot, local_date=day, cap=cap)


def _claim(
    *, appointment: Appointment, slot: rules.Slot, replacing: Appointment | None = None
) -> None:
    """Take the doctor's and the patient's claim cells for `slot`, or raise the loser's error.

    When `replacing` (a reschedule), cells it already holds are handed over instead of being
    inserted again, and its other cells are released only after the new ones were won.
    WARNING: cells are inserted in ascending order by every caller: two transactions then wait
    for each other in one direction only, which is what keeps them free of deadlocks.
    """
    doctor_cells = rules.cells(slot.blocked_start, slot.blocked_end)
    patient_cells = rules.cells(slot.start, slot.end)
    for model, owner, wanted, error in (
        (SlotClaim, {"doctor_id": appointment.doctor_id}, doctor_cells, SlotTaken),
        (PatientSlotClaim, {"patient_id": appointment.patient_id}, patient_cells, PatientBusy),
    ):
        held: set[datetime] = set()
        if replacing is not None:
            held = set(
                model.objects.filter(appointment=replacing).values_list("cell_start", flat=True)
            )
        fresh = [cell for cell in wanted if cell not in held]
        try:
            with transaction.atomic():  # a savepoint: the loser's error names the right person
                model.objects.bulk_create(
                    [model(cell_start=cell, appointment=appointment, **owner) for cell in fresh]
                )
        except IntegrityError:
            raise error() from None
        if replacing is not None:
            model.objects.filter(appointment=replacing, cell_start__in=wanted).update(
                appointment=appointment
            )
            model.objects.filter(appointment=replacing).delete()


def _release_claims(*, appointment_id: Any) -> None:
    SlotClaim.objects.filter(appointment_id=appointment_id).delete()
    PatientSlotClaim.objects.filter(appointment_id=appointment_id).delete()


def _count_day(*, doctor_id: Any, day: date, cap: int | None) -> None:
    """Take one place of the doctor's day: one conditional increment, so never over the cap."""
    counter, _ = DailyBookingCount.objects.get_or_create(doctor_id=doctor_id, date=day)
    places = DailyBookingCount.objects.filter(pk=counter.pk)
    if cap is not None:
        places = places.filter(count__lt=cap)
    if places.update(count=F("count") + 1) != 1:
        raise DayFull()


def _uncount_day(*, doctor_id: Any, day: date) -> None:
    DailyBookingCount.objects.filter(doctor_id=doctor_id, date=day, count__gt=0).update(
        count=F("count") - 1
    )


# --- booking ----------------------------------------------------------------------------------


def _accepts(*, doctor: User, patient: User) -> bool:
    """A doctor closed to new patients still books the patients they have already seen."""
    profile = getattr(doctor, "doctor_profile", None)
    if profile is None or profile.accepting_new_patients:
        return True
    return Appointment.objects.filter(doctor=doctor, patient=patient).exclude(
        status=Status.CANCELLED
    ).exists()


def appointment_book(
    *,
    actor: User,
    doctor_id: Any,
    start: datetime,
    reason: str = "",
    patient_id: Any = None,
    now: datetime | None = None,
) -> Appointment:
    """Book a free slot: for themself by a patient, for a named patient by staff."""
    now = _now(now)
    if actor.is_clinic_staff:
        patient = User.objects.filter(
            pk=selectors._uuid_or_none(patient_id), role=User.Role.PATIENT, is_active=True
        ).first() if patient_id else None
        if patient is None:
            raise PatientNotFound()
    elif actor.is_patient:
        patient = actor
    else:
        raise NotAllowed("Only patients (or staff for a patient) book appointments.")
    doctor = selectors.doctor_get(doctor_id=doctor_id)
    if actor.is_patient and not _accepts(doctor=doctor, patient=patient):
        raise NotAcceptingNewPatients()
    start = _aware(start).astimezone(UTC)
    resolved = _resolve_slot(doctor=doctor, start=start, now=now, patient=patient)
    slot = resolved.slot
    with transaction.atomic():
        appointment = Appointment.objects.create(
            doctor=doctor, patient=patient, start=slot.start, end=slot.end,
            blocked_start=slot.blocked_start, blocked_end=slot.blocked_end,
            local_date=resolved.local_date, reason=reason, status=Status.BOOKED,
            created_at=now, updated_at=now,
        )
        _claim(appointment=appointment, slot=slot)
        _count_day(doctor_id=doctor.pk, day=resolved.local_date, cap=resolved.cap)
        _audit(appointment_id=appointment.pk, from_status="", to_status=Status.BOOKED,
               actor=actor, at=now)
        WaitlistEntry.objects.filter(
            doctor=doctor, patient=patient, status=WaitlistEntry.Status.WAITING
        ).update(status=WaitlistEntry.Status.BOOKED)
        events.publish_changed(appointment)
    return appointment


def appointment_cancel(
    *, actor: User, appointment_id: Any, reason: str = "", now: datetime | None = None
) -> Appointment:
    """Cancel a booked appointment; patients only with enough notice. Frees the slot."""
    now = _now(now)
    appointment = selectors.appointment_visible_to(user=actor, appointment_id=appointment_id)
    role = _role(actor, appointment)
    if appointment.status != Status.BOOKED:
        raise NotBooked()
    if role == "patient":
        schedule = selectors.schedule_of(doctor=appointment.doctor)
        if not rules.notice_respected(
            start=appointment.start, now=now, notice=cancel_notice(schedule=schedule)
        ):
            raise NoticeTooShort()
    with transaction.atomic():
        won = Appointment.objects.filter(pk=appointment.pk, status=Status.BOOKED).update(
            status=Status.CANCELLED, cancellation_reason=reason, cancelled_by=actor,
            cancelled_at=now, updated_at=now,
        )
        if won != 1:
            raise NotBooked()
        _release_claims(appointment_id=appointment.pk)
        _uncount_day(doctor_id=appointment.doctor_id, day=appointment.local_date)
        _audit(appointment_id=appointment.pk, from_status=Status.BOOKED,
               to_status=Status.CANCELLED, actor=actor, at=now, note=f"by_{role}")
        appointment.refresh_from_db()
        events.publish_changed(appointment)
        # The appointment was what let the doctor watch this patient's presence.
        presence_watchers_prune_on_commit(user_id=appointment.patient_id)
        _waitlist_offer(appointment=appointment, now=now)
    return appointment


def appointment_reschedule(
    *, actor: User, appointment_id: Any, start: datetime, now: datetime | None = None
) -> Appointment:
    """Move a booked appointment to another free slot of the same doctor, atomically.

    The old appointment becomes `cancelled` (reason "rescheduled") and a new one, linked by
    `rescheduled_from`, takes the new slot. All in one transaction that claims the new cells
    before releasing the old ones: if the new slot is taken, nothing changes at all.
    """
    now = _now(now)
    old = selectors.appointment_visible_to(user=actor, appointment_id=appointment_id)
    role = _role(actor, old)
    if old.status != Status.BOOKED:
        raise NotBooked()
    doctor = old.doctor
    if role == "patient":
        schedule = selectors.schedule_of(doctor=doctor)
        if not rules.notice_respected(
            start=old.start, now=now, notice=cancel_notice(schedule=schedule)
        ):
            raise NoticeTooShort()
    start = _aware(start).astimezone(UTC)
    if start == old.start:
        raise NotASlot("The appointment is already at that time.", code="same_time")
    resolved = _resolve_slot(doctor=doctor, start=start, now=now, ignore=old)
    slot = resolved.slot
    with transaction.atomic():
        won = Appointment.objects.filter(pk=old.pk, status=Status.BOOKED).update(
            status=Status.CANCELLED, cancellation_reason=RESCHEDULED, cancelled_by=actor,
            cancelled_at=now, updated_at=now,
        )
        if won != 1:
            raise NotBooked()
        new = Appointment.objects.create(
            doctor=doctor, patient_id=old.patient_id, start=slot.start, end=slot.end,
            blocked_start=slot.blocked_start, blocked_end=slot.blocked_end,
            local_date=resolved.local_date, reason=old.reason, status=Status.BOOKED,
            rescheduled_from=old, created_at=now, updated_at=now,
        )
        _claim(appointment=new, slot=slot, replacing=old)
        if resolved.local_date != old.local_date:
            # WARNING: counters are locked in date order by everyone, or two reschedules in
            # opposite directions between the same two days could deadlock.
            if resolved.local_date < old.local_date:
                _count_day(doctor_id=doctor.pk, day=resolved.local_date, cap=resolved.cap)
                _uncount_day(doctor_id=doctor.pk, day=old.local_date)
            else:
                _uncount_day(doctor_id=doctor.pk, day=old.local_date)
                _count_day(doctor_id=doctor.pk, day=resolved.local_date, cap=resolved.cap)
        _audit(appointment_id=old.pk, from_status=Status.BOOKED, to_status=Status.CANCELLED,
               actor=actor, at=now, note=RESCHEDULED)
        _audit(appointment_id=new.pk, from_status="", to_status=Status.BOOKED,
               actor=actor, at=now, note=RESCHEDULED)
        old.refresh_from_db()
        events.publish_changed(old)
        events.publish_changed(new)
        _waitlist_offer(appointment=old, now=now)
    return new


# --- the day of the appointment ---------------------------------------------------------------


def appointment_check_in(
    *, actor: User, appointment_id: Any, now: datetime | None = None
) -> Appointment:
    """The patient (or staff for them) checks in: `arrived`, and the doctor's queue is told.

    `appointment_checked_in` is sent inside the transaction, so the queue entry a receiver
    creates commits or rolls back with the check-in.
    """
    now = _now(now)
    appointment = selectors.appointment_visible_to(user=actor, appointment_id=appointment_id)
    if _role(actor, appointment) not in ("patient", "staff"):
        raise NotAllowed("Only the patient or clinic staff check in.")
    if appointment.status != Status.BOOKED:
        raise NotBooked()
    opens, closes = rules.check_in_window(
        start=appointment.start,
        opens_before=timedelta(seconds=settings.APPOINTMENT_CHECK_IN_OPENS_SECONDS),
        closes_after=timedelta(seconds=settings.APPOINTMENT_NO_SHOW_AFTER_SECONDS),
    )
    if now < opens:
        raise CheckInNotOpen()
    if now >= closes:
        raise CheckInClosed()
    with transaction.atomic():
        won = Appointment.objects.filter(pk=appointment.pk, status=Status.BOOKED).update(
            status=Status.ARRIVED, checked_in_at=now, updated_at=now
        )
        if won != 1:
            raise NotBooked()
        _audit(appointment_id=appointment.pk, from_status=Status.BOOKED,
               to_status=Status.ARRIVED, actor=actor, at=now)
        appointment.refresh_from_db()
        appointment_checked_in.send(
            sender=Appointment,
            appointment_id=str(appointment.pk),
            patient_id=str(appointment.patient_id),
            doctor_id=str(appointment.doctor_id),
            start=appointment.start,
            reason=appointment.reason,
        )
        events.publish_changed(appointment)
    return appointment


def appointment_mark_no_show(
    *, actor: User | None, appointment_id: Any, now: datetime | None = None
) -> Appointment | None:
    """Booked and never checked in: `noshow`. By the doctor or staff once the start has
    passed, or by the system (actor None) after the no-show cut-off.

    For the system, losing the race (the patient checked in meanwhile) returns None.
    """
    now = _now(now)
    if actor is None:
        appointment = Appointment.objects.select_related("doctor__doctor_profile").filter(
            pk=appointment_id
        ).first()
        cutoff = timedelta(seconds=settings.APPOINTMENT_NO_SHOW_AFTER_SECONDS)
        if appointment is None or appointment.status != Status.BOOKED:
            return None
        if now < appointment.start + cutoff:
            return None
    else:
        appointment = selectors.appointment_visible_to(user=actor, appointment_id=appointment_id)
        if _role(actor, appointment) not in ("doctor", "staff"):
            raise NotAllowed("Only the doctor or clinic staff mark a no-show.")
        if appointment.status != Status.BOOKED:
            raise NotBooked()
        if now < appointment.start:
            raise TooEarly()
    with transaction.atomic():
        won = Appointment.objects.filter(pk=appointment.pk, status=Status.BOOKED).update(
            status=Status.NOSHOW, updated_at=now
        )
        if won != 1:
            if actor is None:
                return None
            raise NotBooked()
        _audit(appointment_id=appointment.pk, from_status=Status.BOOKED,
               to_status=Status.NOSHOW, actor=actor, at=now,
               note="automatic" if actor is None else "")
        appointment.refresh_from_db()
        events.publish_changed(appointment)
        # The appointment was what let the doctor watch this patient's presence.
        presence_watchers_prune_on_commit(user_id=appointment.patient_id)
    return appointment


def appointment_complete(
    *, actor: User, appointment_id: Any, now: datetime | None = None
) -> Appointment:
    """The consultation took place: `fulfilled`, by the doctor or staff, once it has started."""
    now = _now(now)
    appointment = selectors.appointment_visible_to(user=actor, appointment_id=appointment_id)
    if _role(actor, appointment) not in ("doctor", "staff"):
        raise NotAllowed("Only the doctor or clinic staff complete an appointment.")
    if now < appointment.start - timedelta(seconds=settings.APPOINTMENT_CHECK_IN_OPENS_SECONDS):
        raise TooEarly()
    with transaction.atomic():
        for previous in (Status.ARRIVED, Status.BOOKED):
            won = Appointment.objects.filter(pk=appointment.pk, status=previous).update(
                status=Status.FULFILLED, updated_at=now
            )
            if won == 1:
                break
        else:
            raise NotBooked()
        _audit(appointment_id=appointment.pk, from_status=previous,
               to_status=Status.FULFILLED, actor=actor, at=now)
        appointment.refresh_from_db()
        events.publish_changed(appointment)
        # The appointment was what let the doctor watch this patient's presence.
        presence_watchers_prune_on_commit(user_id=appointment.patient_id)
    return appointment


def appointment_send_reminder(*, appointment_id: Any, now: datetime | None = None) -> bool:
    """Email the patient once; True if this call sent it.

    The claim is the conditional update on `reminder_sent_at IS NULL` (and still booked, still
    ahead): of two workers running the sweep at once, exactly one wins. The email leaves after
    commit, so at most once; a mail server failure is logged, not retried.
    """
    now = _now(now)
    with transaction.atomic():
        won = Appointment.objects.filter(
            pk=appointment_id, status=Status.BOOKED, reminder_sent_at__isnull=True, start__gt=now
        ).update(reminder_sent_at=now)
        if won != 1:
            return False
        appointment = Appointment.objects.select_related(
            "doctor", "doctor__doctor_profile", "patient"
        ).get(pk=appointment_id)
        if appointment.patient.email:
            when = _in_patient_zone(appointment.patient, appointment.start)
            _mail_on_commit(
                to=appointment.patient.email,
                subject="Appointment reminder",
                body=(
                    f"Hello {appointment.patient.display_name},\n\n"
                    f"This is a reminder of your appointment with "
                    f"{appointment.doctor.display_name} on {when}.\n"
                    "You can check in up to "
                    f"{settings.APPOINTMENT_CHECK_IN_OPENS_SECONDS // 60} minutes before.\n"
                ),
            )
    return True


# --- availability -----------------------------------------------------------------------------


def _may_manage_schedule(actor: User, doctor: User) -> None:
    if not (actor.is_clinic_staff or actor.pk == doctor.pk):
        raise NotAllowed("Only the doctor or clinic staff change this schedule.")


def _clean(instance: Any, *, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise BadAvailability("; ".join(error.messages)) from None


SCHEDULE_FIELDS = (
    "slot_minutes", "buffer_before_minutes", "buffer_after_minutes", "minimum_notice_minutes",
    "horizon_days", "max_per_day", "cancellation_notice_minutes",
)


def availability_update(
    *,
    actor: User,
    doctor: User,
    settings_values: dict[str, Any] | None = None,
    periods: list[dict[str, Any]] | None = None,
) -> Schedule:
    """Set a doctor's scheduling settings and, when given, replace their weekly periods.

    Existing appointments stay as booked: changing hours never cancels anyone silently.
    """
    _may_manage_schedule(actor, doctor)
    with transaction.atomic():
        schedule, _ = Schedule.objects.get_or_create(doctor=doctor)
        for name, value in (settings_values or {}).items():
            if name in SCHEDULE_FIELDS:
                setattr(schedule, name, value)
        _clean(schedule, exclude=["doctor"])
        schedule.save()
        if periods is not None:
            rows = [
                WeeklyAvailability(
                    doctor=doctor, weekday=p["weekday"], start_time=p["start"], end_time=p["end"]
                )
                for p in periods
            ]
            for row in rows:
                _clean(row, exclude=["doctor"])
            by_day = sorted(rows, key=lambda r: (r.weekday, r.start_time))
            for before, after in zip(by_day, by_day[1:]):
                if before.weekday == after.weekday and after.start_time < before.end_time:
                    raise BadAvailability(
                        "Working periods on one day must not overlap.", code="overlapping_periods"
                    )
            WeeklyAvailability.objects.filter(doctor=doctor).delete()
            WeeklyAvailability.objects.bulk_create(by_day)
    return schedule


def availability_override_add(
    *,
    actor: User,
    doctor: User,
    day: date,
    kind: str,
    start_time: time | None = None,
    end_time: time | None = None,
) -> tuple[AvailabilityOverride, list[str]]:
    """Add time off or extra hours on one date; returns it and the ids of booked appointments
    that now fall in time off (they are kept: the doctor decides whom to cancel)."""
    _may_manage_schedule(actor, doctor)
    override = AvailabilityOverride(
        doctor=doctor, date=day, kind=kind, start_time=start_time, end_time=end_time
    )
    _clean(override, exclude=["doctor"])
    override.save()
    affected: list[str] = []
    if kind == AvailabilityOverride.Kind.TIME_OFF:
        tz = selectors.doctor_time_zone(doctor=doctor)
        if start_time is None or end_time is None:
            window = (
                rules.local_to_utc(day, time(0), tz),
                rules.local_to_utc(day + timedelta(days=1), time(0), tz),
            )
        else:
            window = (
                rules.local_to_utc(day, start_time, tz), rules.local_to_utc(day, end_time, tz)
            )
        affected = [
            str(pk)
            for pk in Appointment.objects.filter(
                doctor=doctor, status__in=Appointment.ACTIVE,
                start__lt=window[1], end__gt=window[0],
            ).values_list("pk", flat=True)
        ]
    return override, affected


def availability_override_remove(*, actor: User, doctor: User, override_id: Any) -> None:
    _may_manage_schedule(actor, doctor)
    pk = selectors._uuid_or_none(override_id)
    deleted = AvailabilityOverride.objects.filter(pk=pk, doctor=doctor).delete()[0] if pk else 0
    if not deleted:
        raise BadAvailability("No such override.", code="override_not_found")


# --- waitlist ---------------------------------------------------------------------------------


def waitlist_join(
    *, patient: User, doctor_id: Any, now: datetime | None = None
) -> tuple[WaitlistEntry, bool]:
    """Join a doctor's waitlist (at the back); joining again while waiting changes nothing."""
    now = _now(now)
    if not patient.is_patient:
        raise NotAllowed("Only patients join a waitlist.")
    doctor = selectors.doctor_get(doctor_id=doctor_id)
    with transaction.atomic():
        rejoined = WaitlistEntry.objects.filter(doctor=doctor, patient=patient).exclude(
            status=WaitlistEntry.Status.WAITING
        ).update(status=WaitlistEntry.Status.WAITING, created_at=now, notified_at=None,
                 times_notified=0)
        if not rejoined:
            try:
                with transaction.atomic():
                    entry = WaitlistEntry.objects.create(
                        doctor=doctor, patient=patient, created_at=now
                    )
                return entry, True
            except IntegrityError:
                return WaitlistEntry.objects.get(doctor=doctor, patient=patient), False
    return WaitlistEntry.objects.get(doctor=doctor, patient=patient), True


def waitlist_leave(*, patient: User, doctor_id: Any) -> bool:
    doctor = selectors.doctor_get(doctor_id=doctor_id)
    return bool(
        WaitlistEntry.objects.filter(
            doctor=doctor, patient=patient, status=WaitlistEntry.Status.WAITING
        ).update(status=WaitlistEntry.Status.LEFT)
    )


def _waitlist_offer(*, appointment: Appointment, now: datetime) -> None:
    """A slot freed up: tell the first waitlisted patients (event + email), after commit.

    Only if the freed time still holds a slot patients could book now; the first to book it
    wins through the ordinary booking path.
    """
    count = settings.APPOINTMENT_WAITLIST_NOTIFY_COUNT
    if count <= 0:
        return
    tz = appointment.time_zone
    day = appointment.local_date
    free = [
        s
        for s in selectors.free_slots_for(
            doctor=appointment.doctor, start_date=day, end_date=day, now=now
        )
        if rules.overlaps((s.start, s.end), (appointment.blocked_start, appointment.blocked_end))
    ]
    if not free:
        return
    slot = free[0]
    entries = selectors.waitlist_first(
        doctor_id=appointment.doctor_id, count=count, exclude_patient_id=appointment.patient_id
    )
    if not entries:
        return
    WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        notified_at=now, times_notified=F("times_notified") + 1
    )
    events.publish_slot_available(
        patient_ids=[str(e.patient_id) for e in entries],
        doctor_id=str(appointment.doctor_id),
        start=slot.start, end=slot.end, tz=tz,
    )
    doctor_name = appointment.doctor.display_name
    for entry in entries:
        if entry.patient.email:
            _mail_on_commit(
                to=entry.patient.email,
                subject="A slot opened up",
                body=(
                    f"Hello {entry.patient.display_name},\n\n"
                    f"A slot with {doctor_name} opened up on "
                    f"{_in_patient_zone(entry.patient, slot.start)}.\n"
                    "The first patient to book it gets it.\n"
                ),
            )


# --- email ------------------------------------------------------------------------------------


def _in_patient_zone(patient: User, moment: datetime) -> str:
    profile = PatientProfile.objects.filter(user=patient).only("time_zone").first()
    tz = ZoneInfo(profile.time_zone if profile else "America/Toronto")
    local = moment.astimezone(tz)
    return f"{local:%A %d %B %Y at %H:%M} ({local.tzname()}, UTC{local:%z})"


def _mail_on_commit(*, to: str, subject: str, body: str) -> None:
    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
        except Exception:  # noqa: BLE001 - a mail outage must not break the request
            logger.exception("appointment email failed")  # no address, no content

    transaction.on_commit(send)
