"""What each page needs to start: who the user is, their API token, and the directory it shows.

Pages get only what their role may see: a patient page gets the doctors (a public directory) and
nothing about any other patient; the staff overview gets everyone (staff see all).
"""
from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.models import User
from accounts.selectors import doctors_list


def _doctor_card(doctor: User) -> dict[str, Any]:
    profile = getattr(doctor, "doctor_profile", None)
    return {
        "id": str(doctor.pk),
        "name": doctor.display_name,
        "specialty": profile.specialty if profile else "",
        "time_zone": profile.time_zone if profile else "",
        "accepting_new_patients": profile.accepting_new_patients if profile else True,
    }


def _me(user: User) -> dict[str, Any]:
    return {"id": str(user.pk), "username": user.username, "role": user.role, "name": user.display_name}


def page_boot(*, user: User, token: str, page: str) -> dict[str, Any]:
    """The JSON a page starts from (rendered with json_script, never as HTML)."""
    boot: dict[str, Any] = {"me": _me(user), "token": token, "page": page}
    if page in ("patient", "staff"):
        boot["doctors"] = [_doctor_card(doctor) for doctor in doctors_list()]
    if page == "staff":
        # Presence subscriptions are capped per viewer; the overview watches at most that many.
        patients = User.objects.filter(role=User.Role.PATIENT, is_active=True).order_by(
            "last_name", "username"
        )[: max(settings.PRESENCE_MAX_SUBSCRIPTIONS - len(boot["doctors"]), 0)]
        boot["patients"] = [{"id": str(p.pk), "name": p.display_name} for p in patients]
    return boot
