"""Reads of people."""
from __future__ import annotations

from django.db.models import QuerySet

from .models import User


def user_get_active(*, user_id: str) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


def doctors_list() -> QuerySet[User]:
    return (
        User.objects.filter(role=User.Role.DOCTOR, is_active=True)
        .select_related("doctor_profile")
        .order_by("last_name", "username")
    )
