"""The waiting room app: connects its receivers to presence and appointments at start-up."""
from __future__ import annotations

from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "queueing"
    verbose_name = "Waiting room"

    def ready(self) -> None:
        from appointments.signals import appointment_checked_in
        from presence.access import register_patient_grant
        from presence.signals import presence_changed

        from . import receivers

        presence_changed.connect(
            receivers.on_presence_changed, dispatch_uid="queueing.presence_changed"
        )
        appointment_checked_in.connect(
            receivers.on_appointment_checked_in, dispatch_uid="queueing.appointment_checked_in"
        )
        register_patient_grant(receivers.patient_grant)
