"""Input validation of the waiting room's HTTP API, and the shapes it answers with (for the schema)."""
from __future__ import annotations

from rest_framework import serializers

from .models import REASON_MAX_CHARS, URGENCY_MAX, URGENCY_MIN


class QueueJoinSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX_CHARS, allow_blank=False)
    queue = serializers.CharField(
        max_length=100, required=False, allow_blank=True, allow_null=True,
        help_text="Queue id or slug; the default queue when absent.",
    )


class QueueTransferSerializer(serializers.Serializer):
    queue = serializers.CharField(max_length=100, help_text="The target queue's id or slug.")


class QueueUrgencySerializer(serializers.Serializer):
    urgency = serializers.IntegerField(min_value=URGENCY_MIN, max_value=URGENCY_MAX)

    def validate_urgency(self, value: int) -> int:
        raw = self.initial_data.get("urgency")
        # "3" or true would be coerced by DRF; a triage level is sent as a number or not at all.
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise serializers.ValidationError("Send the urgency as a whole number from 1 to 5.")
        return value


class QueuePersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class QueuePatientPresenceSerializer(serializers.Serializer):
    user = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["online", "away", "busy", "offline"])
    last_seen = serializers.DateTimeField(allow_null=True)


class QueueRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.SlugField()


class QueueEntryForPatientSerializer(serializers.Serializer):
    """A patient's own entry."""

    id = serializers.UUIDField()
    queue = QueueRefSerializer()
    status = serializers.CharField()
    urgency = serializers.IntegerField()
    reason = serializers.CharField()
    appointment_id = serializers.UUIDField(allow_null=True)
    position = serializers.IntegerField(allow_null=True, help_text="1 = next; null once taken.")
    estimated_wait_seconds = serializers.IntegerField(allow_null=True)
    doctor = QueuePersonSerializer(allow_null=True, help_text="The doctor who took the patient.")
    joined_at = serializers.DateTimeField()
    claimed_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    away_since = serializers.DateTimeField(allow_null=True)


class QueueEntryPatientSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    presence = QueuePatientPresenceSerializer()


class QueueEntryForDoctorSerializer(serializers.Serializer):
    """An entry as doctors and staff see it, with the patient's live presence."""

    id = serializers.UUIDField()
    queue = QueueRefSerializer()
    status = serializers.CharField()
    urgency = serializers.IntegerField()
    reason = serializers.CharField()
    appointment_id = serializers.UUIDField(allow_null=True)
    appointment_start = serializers.DateTimeField(allow_null=True)
    reserved_for = serializers.UUIDField(allow_null=True)
    claimed_by = QueuePersonSerializer(allow_null=True)
    patient = QueueEntryPatientSerializer()
    position = serializers.IntegerField(allow_null=True)
    estimated_wait_seconds = serializers.IntegerField(allow_null=True)
    wait_seconds = serializers.IntegerField(allow_null=True)
    joined_at = serializers.DateTimeField()
    claimed_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    away_since = serializers.DateTimeField(allow_null=True)


class QueueSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    specialty = serializers.CharField()
    is_default = serializers.BooleanField()
