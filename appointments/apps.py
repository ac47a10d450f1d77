from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from accounts.models import User


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self) -> None:
        from presence.access import register_patient_grant

        register_patient_grant(_doctor_may_watch_booked_patients)


def _doctor_may_watch_booked_patients(doctor: User, patient_ids: set[str]) -> set[str]:
    """A doctor may watch the patients with a booked or arrived appointment with them."""
    from .selectors import patients_with_active_appointments

    return patients_with_active_appointments(doctor=doctor, patient_ids=patient_ids)
