from __future__ import annotations

from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self) -> None:
        from presence.access import register_patient_grant

        from .selectors import patients_with_active_appointments

        def grant(doctor, patient_ids):  # type: ignore[no-untyped-def]
            """A doctor may watch the patients with a booked or arrived appointment with them."""
            return patients_with_active_appointments(doctor=doctor, patient_ids=patient_ids)

        register_patient_grant(grant)
