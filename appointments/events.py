"""Appointment events and their payloads; who receives what is decided here, nowhere else.

`appointment.changed` goes to the appointment's doctor and patient only;
`appointment.slot_available` goes only to the waitlisted patients being told. Payloads carry no
reason or other free text: clients that need it GET the appointment.
"""
from __future__ import annotations

from typing import Any

from telepresence.streams import publish_on_commit

from .models import Appointment

CHANGED = "appointment.changed"
SLOT_AVAILABLE = "appointment.slot_available"


def iso(moment: Any, tz: Any = None) -> str | None:
    if moment is None:
        return None
    return (moment.astimezone(tz) if tz else moment).isoformat()


def appointment_payload(appointment: Appointment) -> dict[str, Any]:
    tz = appointment.time_zone
    return {
        "id": str(appointment.pk),
        "doctor": str(appointment.doctor_id),
        "patient": str(appointment.patient_id),
        "start": iso(appointment.start, tz),
        "end": iso(appointment.end, tz),
        "time_zone": str(tz),
        "status": appointment.status,
        "rescheduled_from": str(appointment.rescheduled_from_id)
        if appointment.rescheduled_from_id
        else None,
    }


def publish_changed(appointment: Appointment) -> None:
    """After commit, to that appointment's doctor and patient only."""
    publish_on_commit(
        user_ids=[appointment.doctor_id, appointment.patient_id],
        event={"type": CHANGED, "appointment": appointment_payload(appointment)},
    )


def publish_slot_available(
    *, patient_ids: list[str], doctor_id: str, start: Any, end: Any, tz: Any
) -> None:
    if patient_ids:
        publish_on_commit(
            user_ids=patient_ids,
            event={
                "type": SLOT_AVAILABLE,
                "doctor": str(doctor_id),
                "slot": {"start": iso(start, tz), "end": iso(end, tz)},
            },
        )
