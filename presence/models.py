"""Presence history: the durable record of transitions. Live state is in Redis, never here."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class PresenceChange(models.Model):
    """One change of a user's status, written once per transition (never per heartbeat)."""

    class Status(models.TextChoices):
        ONLINE = "online", "Online"
        AWAY = "away", "Away"
        BUSY = "busy", "Busy"
        OFFLINE = "offline", "Offline"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presence_changes"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    previous = models.CharField(max_length=16, choices=Status.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        return f"{self.previous} → {self.status}"
