"""Validation of presence input, shared by the HTTP views and the WebSocket consumer."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from telepresence.errors import Invalid

from .store import CLIENT_STATUSES


class UsersSerializer(serializers.Serializer):
    users = serializers.ListField(child=serializers.UUIDField(), allow_empty=False)

    def validate_users(self, value: list) -> list[str]:
        if len(value) > settings.PRESENCE_MAX_SUBSCRIPTIONS:
            raise serializers.ValidationError(
                f"At most {settings.PRESENCE_MAX_SUBSCRIPTIONS} users per request."
            )
        return [str(user_id) for user_id in value]


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=CLIENT_STATUSES, help_text="`offline` is decided by the server alone."
    )


class HeartbeatSerializer(serializers.Serializer):
    connection = serializers.RegexField(
        r"^[A-Za-z0-9_-]{1,64}$",
        required=False,
        default="default",
        help_text="A client-chosen id for this HTTP connection (one per tab or device).",
    )


class PresenceSerializer(serializers.Serializer):
    user = serializers.UUIDField()
    status = serializers.CharField()
    last_seen = serializers.DateTimeField(allow_null=True)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """Validate a WebSocket frame with the same serializer as HTTP; Invalid on failure."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        field, messages = next(iter(serializer.errors.items()))
        message = messages[0] if isinstance(messages, list) else messages
        if isinstance(message, dict):  # a list field reports {index: [errors]}
            message = next(iter(message.values()))[0]
        raise Invalid(f"{field}: {message}")
    return serializer.validated_data
