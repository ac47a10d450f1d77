"""The waiting room: queues, the patients' entries in them, and every entry's status history."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

URGENCY_MIN = 1  # Canadian triage scale: 1 resuscitation ... 5 non-urgent
URGENCY_MAX = 5
URGENCY_DEFAULT = 4
REASON_MAX_CHARS = 500


class Queue(models.Model):
    """A line patients wait in, for instance one per specialty.

    `doctors` lists who serves it; an empty list means every doctor does (the default queue).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    specialty = models.CharField(max_length=100, blank=True)
    is_default = models.BooleanField(
        default=False, help_text="Patients who name no queue join this one."
    )
    doctors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="served_queues",
        limit_choices_to={"role": "doctor"},
        help_text="Doctors who serve this queue; none means every doctor.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="queue_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class QueueEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        AWAY = "away", "Away (offline, keeps their place)"
        CLAIMED = "claimed", "Claimed by a doctor"
        IN_CONSULTATION = "in_consultation", "In consultation"
        COMPLETED = "completed", "Completed"
        LEFT = "left", "Left"
        REMOVED = "removed", "Removed by staff"

    ACTIVE_STATUSES = (Status.WAITING, Status.AWAY, Status.CLAIMED, Status.IN_CONSULTATION)
    # Entries that still hold a place in line (positions are counted among them).
    QUEUED_STATUSES = (Status.WAITING, Status.AWAY)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="entries")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_entries"
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reserved_queue_entries",
        help_text="Reserved for this doctor (an appointment check-in): only they may take it.",
    )
    # A plain UUID, not a foreign key: the queue must not depend on the appointments app.
    appointment_id = models.UUIDField(null=True, blank=True, db_index=True)
    appointment_start = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=REASON_MAX_CHARS, blank=True)
    urgency = models.PositiveSmallIntegerField(
        default=URGENCY_DEFAULT,
        validators=[MinValueValidator(URGENCY_MIN), MaxValueValidator(URGENCY_MAX)],
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claimed_queue_entries",
    )
    joined_at = models.DateTimeField()
    # The time ordering counts from: the join time, moved earlier when a claim is handed back
    # so that the patient goes to the front of their urgency (TaskRouter's VirtualStartTime).
    virtual_start = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When it became final.")
    away_since = models.DateTimeField(null=True, blank=True)
    # Set while the claiming doctor is offline; after the grace the claim goes back to the queue.
    claimer_offline_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at"]
        verbose_name_plural = "queue entries"
        constraints = [
            # The database, not only the service, guarantees one live entry per patient.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["waiting", "away", "claimed", "in_consultation"]),
                name="queue_one_active_entry_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(urgency__gte=URGENCY_MIN) & Q(urgency__lte=URGENCY_MAX),
                name="queue_entry_urgency_1_to_5",
            ),
        ]
        indexes = [
            # `next` reads the head of each (queue, urgency) in exactly this order: an index
            # range scan that stops after a few rows, however long the line.
            models.Index(
                fields=["queue", "status", "urgency", "virtual_start", "id"],
                name="queue_entry_pick",
            ),
            models.Index(fields=["status", "away_since"], name="queue_entry_away"),
            models.Index(fields=["status", "completed_at"], name="queue_entry_done"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} in {self.queue_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class QueueEntryTransition(models.Model):
    """Append-only audit trail: one row per change of an entry, with who did it and why."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entry = models.ForeignKey(QueueEntry, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, blank=True)  # blank: the entry was created
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the system decided (presence, timers).",
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=40, help_text="A constant code, never free text.")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["entry", "at"], name="queue_transition_entry")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status} ({self.note})"
