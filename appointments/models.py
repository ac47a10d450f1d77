"""Schedules, appointments, the claims that make double booking impossible, and the waitlist.

Why double booking cannot happen, whatever the race: an appointment owns one `SlotClaim` row per
5-minute cell of the claim grid that its blocked time (slot plus buffers) covers, and one
`PatientSlotClaim` per cell of its own time. Both tables have a unique constraint on
(person, cell), so two overlapping active appointments would need two rows with the same key:
the database refuses the second insert (IntegrityError) however the requests interleave, and
the loser's whole transaction rolls back. No read decides anything; no lock is taken by hand
(no `select_for_update`, no exclusion constraint), so the same code runs on MongoDB with a unique
index. Claims are created with the appointment and deleted with its cancellation, in the same
transaction.
"""
from __future__ import annotations

import uuid
from datetime import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from . import rules


def _validate_on_grid(value: time) -> None:
    if not rules.is_on_grid(value):
        raise ValidationError(f"Times must fall on {rules.CELL_MINUTES}-minute marks.")


def _validate_multiple_of_cell(value: int) -> None:
    if value % rules.CELL_MINUTES:
        raise ValidationError(f"Must be a multiple of {rules.CELL_MINUTES} minutes.")


class Schedule(models.Model):
    """A doctor's scheduling settings; the time zone is the doctor's profile's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedule"
    )
    slot_minutes = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(480), _validate_multiple_of_cell],
    )
    buffer_before_minutes = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(240), _validate_multiple_of_cell]
    )
    buffer_after_minutes = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(240), _validate_multiple_of_cell]
    )
    minimum_notice_minutes = models.PositiveIntegerField(
        default=120, validators=[MaxValueValidator(60 * 24 * 60)]
    )
    horizon_days = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    max_per_day = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text="Most appointments per local day; empty for no cap.",
    )
    cancellation_notice_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(60 * 24 * 30)],
        help_text="How long before the start patients may still cancel or reschedule; "
        "empty for the clinic default (APPOINTMENT_CANCEL_NOTICE_SECONDS).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Schedule of {self.doctor}"

    def as_rules(self) -> rules.ScheduleRules:
        return rules.ScheduleRules(
            slot_minutes=self.slot_minutes,
            buffer_before_minutes=self.buffer_before_minutes,
            buffer_after_minutes=self.buffer_after_minutes,
            minimum_notice_minutes=self.minimum_notice_minutes,
            horizon_days=self.horizon_days,
            max_per_day=self.max_per_day,
        )


class WeeklyAvailability(models.Model):
    """One working period on a weekday, in the doctor's local time; several per day allowed."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_availability"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField(validators=[_validate_on_grid])
    end_time = models.TimeField(validators=[_validate_on_grid])

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name_plural = "weekly availability"

    def clean(self) -> None:
        if self.start_time and self.end_time and self.start_time >= self.end_time:
            raise ValidationError("A working period must end after it starts (same day).")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def as_rule(self) -> rules.Period:
        return rules.Period(weekday=self.weekday, start=self.start_time, end=self.end_time)


class AvailabilityOverride(models.Model):
    """A dated exception to the weekly hours: time off, or extra hours."""

    class Kind(models.TextChoices):
        TIME_OFF = rules.OFF, "Time off"
        EXTRA_HOURS = rules.EXTRA, "Extra hours"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_overrides"
    )
    date = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    start_time = models.TimeField(null=True, blank=True, validators=[_validate_on_grid])
    end_time = models.TimeField(null=True, blank=True, validators=[_validate_on_grid])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "start_time"]
        indexes = [models.Index(fields=["doctor", "date"])]

    def clean(self) -> None:
        if (self.start_time is None) != (self.end_time is None):
            raise ValidationError("Give both a start and an end time, or neither.")
        if self.kind == self.Kind.EXTRA_HOURS and self.start_time is None:
            raise ValidationError("Extra hours need a start and an end time.")
        if self.start_time is not None and self.end_time is not None and (
            self.start_time >= self.end_time
        ):
            raise ValidationError("The end must come after the start (same day).")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def as_rule(self) -> rules.Override:
        return rules.Override(
            date=self.date, kind=self.kind, start=self.start_time, end=self.end_time
        )


class Appointment(models.Model):
    class Status(models.TextChoices):
        """The FHIR Appointment.status codes this service uses."""

        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Arrived (checked in)"
        FULFILLED = "fulfilled", "Fulfilled"
        CANCELLED = "cancelled", "Cancelled"
        NOSHOW = "noshow", "No-show"

    ACTIVE = (Status.BOOKED, Status.ARRIVED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments_as_doctor"
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments_as_patient"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The slot plus the buffers in force when it was booked: what the claims cover.
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    # The doctor's local date of the start, for the daily cap (see DailyBookingCount).
    local_date = models.DateField()
    reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    cancellation_reason = models.CharField(max_length=500, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rescheduled_to"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["doctor", "start"]),
            models.Index(fields=["patient", "start"]),
            models.Index(fields=["status", "start"]),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}Z {self.doctor} / {self.patient} ({self.status})"

    @property
    def time_zone(self) -> ZoneInfo:
        profile = getattr(self.doctor, "doctor_profile", None)
        return ZoneInfo(profile.time_zone if profile else settings.TIME_ZONE)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class AppointmentStatusChange(models.Model):
    """Append-only audit of every status change: who, from what, to what, when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=16, blank=True)  # blank: created
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(  # None: the system (a Celery task)
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=64, blank=True)  # a constant tag, never free text

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status} at {self.at:%Y-%m-%d %H:%M}Z"


class SlotClaim(models.Model):
    """One claim-grid cell of a doctor's time, owned by one non-cancelled appointment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    cell_start = models.DateTimeField()
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="slot_claims"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "cell_start"], name="one_claim_per_doctor_cell"
            )
        ]


class PatientSlotClaim(models.Model):
    """One claim-grid cell of a patient's time: a patient is in one appointment at a time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    cell_start = models.DateTimeField()
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="patient_claims"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "cell_start"], name="one_claim_per_patient_cell"
            )
        ]


class DailyBookingCount(models.Model):
    """Non-cancelled appointments of a doctor on one local date: the daily cap's counter.

    Raised by one conditional update (`count < cap`), so two bookings can never both take the
    last place of a day.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["doctor", "date"], name="one_counter_per_doctor_day")
        ]


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        BOOKED = "booked", "Booked"
        LEFT = "left", "Left"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_memberships"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    times_notified = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(fields=["doctor", "patient"], name="one_waitlist_entry_each")
        ]
        indexes = [models.Index(fields=["doctor", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.patient} waits for {self.doctor} ({self.status})"
