"""Input validation and output shapes of the appointments API; no business rules."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rest_framework import serializers

from . import rules
from .models import Appointment, AvailabilityOverride, Schedule, WaitlistEntry


MIN_YEAR, MAX_YEAR = 2000, 9990


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset; a time without one is ambiguous, so it is refused."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-03-09T09:00:00-04:00.",
        "out_of_range": "The time is outside the years 2000 to 9990.",
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str) and len(value) > 64:
            self.fail("invalid", format="ISO 8601")
        parsed = super().to_internal_value(value)
        return parsed

    def enforce_timezone(self, value: datetime) -> datetime:
        if value.tzinfo is None:
            self.fail("naive")
        # Far-off years would overflow on the way to UTC (or when slots are expanded around
        # them): a 400 here, not a 500 later.
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            self.fail("out_of_range")
        return value


class DateRangeQuery(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    tz = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("start", "end"):
            if not MIN_YEAR <= attrs[name].year <= MAX_YEAR:
                raise serializers.ValidationError({name: "Dates run from the year 2000 to 9990."})
        return super().validate(attrs)

    def validate_tz(self, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise serializers.ValidationError("Not an IANA time zone name.") from None
        return value


class BookInput(serializers.Serializer):
    doctor = serializers.UUIDField()
    start = AwareDateTimeField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    patient = serializers.UUIDField(
        required=False, help_text="Staff only: the patient booked for."
    )


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RescheduleInput(serializers.Serializer):
    start = AwareDateTimeField()


class AppointmentListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Appointment.Status.choices, required=False)
    start = AwareDateTimeField(required=False)
    end = AwareDateTimeField(required=False)
    doctor = serializers.UUIDField(required=False)


def _iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None


class AppointmentSerializer(serializers.ModelSerializer):
    """Times in the doctor's zone, with their offset; `time_zone` names it."""

    doctor = serializers.SerializerMethodField()
    patient = serializers.SerializerMethodField()
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    time_zone = serializers.SerializerMethodField()
    cancelled_by = serializers.SerializerMethodField()
    checked_in_at = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = [
            "id", "doctor", "patient", "start", "end", "time_zone", "status", "reason",
            "cancellation_reason", "cancelled_by", "rescheduled_from", "checked_in_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_doctor(self, obj: Appointment) -> dict[str, str]:
        return {"id": str(obj.doctor_id), "name": obj.doctor.display_name}

    def get_patient(self, obj: Appointment) -> dict[str, str]:
        return {"id": str(obj.patient_id), "name": obj.patient.display_name}

    def get_start(self, obj: Appointment) -> str | None:
        return _iso(obj.start, obj.time_zone)

    def get_end(self, obj: Appointment) -> str | None:
        return _iso(obj.end, obj.time_zone)

    def get_time_zone(self, obj: Appointment) -> str:
        return str(obj.time_zone)

    def get_checked_in_at(self, obj: Appointment) -> str | None:
        return _iso(obj.checked_in_at, obj.time_zone)

    def get_cancelled_by(self, obj: Appointment) -> str | None:
        """The role of who cancelled (doctor, patient, staff), not who: enough to act on."""
        if obj.status != Appointment.Status.CANCELLED or obj.cancelled_by is None:
            return None
        if obj.cancelled_by.is_clinic_staff:
            return "staff"
        return obj.cancelled_by.role


class PeriodSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday")
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["start"] >= data["end"]:
            raise serializers.ValidationError("A period must end after it starts (same day).")
        for name in ("start", "end"):
            if not rules.is_on_grid(data[name]):
                raise serializers.ValidationError(
                    f"Times must fall on {rules.CELL_MINUTES}-minute marks."
                )
        return data


class ScheduleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Schedule
        fields = [
            "slot_minutes", "buffer_before_minutes", "buffer_after_minutes",
            "minimum_notice_minutes", "horizon_days", "max_per_day",
            "cancellation_notice_minutes",
        ]


class AvailabilityInput(ScheduleSerializer):
    periods = PeriodSerializer(many=True, required=False)

    class Meta(ScheduleSerializer.Meta):
        fields = [*ScheduleSerializer.Meta.fields, "periods"]
        extra_kwargs = {name: {"required": False} for name in ScheduleSerializer.Meta.fields}

    def validate_periods(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > 100:
            raise serializers.ValidationError("At most 100 periods.")
        return value


class OverrideSerializer(serializers.ModelSerializer):
    start = serializers.TimeField(
        source="start_time", required=False, allow_null=True, format="%H:%M"
    )
    end = serializers.TimeField(source="end_time", required=False, allow_null=True, format="%H:%M")

    class Meta:
        model = AvailabilityOverride
        fields = ["id", "date", "kind", "start", "end"]
        read_only_fields = ["id"]


class WaitlistEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = WaitlistEntry
        fields = ["id", "doctor", "status", "created_at", "notified_at"]
        read_only_fields = fields
