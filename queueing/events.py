"""Events of the waiting room, through each user's event stream (WebSocket and long-poll alike).

- `queue.position` to a patient: their own entry's status, position and estimated wait.
- `queue.changed` to the doctors who may see the entry: the entry with the patient's presence.

A patient only ever receives events about their own entry.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from presence.selectors import presence_of
from telepresence import streams

from . import selectors
from .models import QueueEntry

POSITION = "queue.position"
CHANGED = "queue.changed"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": str(user.pk), "name": user.display_name}


def entry_for_doctor(
    entry: QueueEntry,
    *,
    presence: dict[str, Any] | None,
    spot: selectors.LineSpot | None,
    now: datetime,
) -> dict[str, Any]:
    """What doctors and staff see of an entry: everything they need to pick, with presence."""
    patient = entry.patient
    return {
        "id": str(entry.pk),
        "queue": {"id": str(entry.queue_id), "name": entry.queue.name, "slug": entry.queue.slug},
        "status": entry.status,
        "urgency": entry.urgency,
        "reason": entry.reason,
        "appointment_id": None if entry.appointment_id is None else str(entry.appointment_id),
        "appointment_start": _iso(entry.appointment_start),
        "reserved_for": None if entry.doctor_id is None else str(entry.doctor_id),
        "claimed_by": _person(entry.claimed_by),
        "patient": {
            "id": str(patient.pk),
            "name": patient.display_name,
            "presence": presence or {"user": str(patient.pk), "status": "offline", "last_seen": None},
        },
        "position": None if spot is None else spot.position,
        "estimated_wait_seconds": None if spot is None else spot.estimated_wait_seconds,
        "wait_seconds": selectors.seconds_since(entry.joined_at, entry.claimed_at or now)
        if entry.status in QueueEntry.ACTIVE_STATUSES
        else None,
        "joined_at": _iso(entry.joined_at),
        "claimed_at": _iso(entry.claimed_at),
        "started_at": _iso(entry.started_at),
        "completed_at": _iso(entry.completed_at),
        "ended_at": _iso(entry.ended_at),
        "away_since": _iso(entry.away_since),
    }


def entry_for_patient(entry: QueueEntry, *, spot: selectors.LineSpot | None) -> dict[str, Any]:
    """What a patient sees of their own entry: never anything about anyone else in line."""
    return {
        "id": str(entry.pk),
        "queue": {"id": str(entry.queue_id), "name": entry.queue.name, "slug": entry.queue.slug},
        "status": entry.status,
        "urgency": entry.urgency,
        "reason": entry.reason,
        "appointment_id": None if entry.appointment_id is None else str(entry.appointment_id),
        "position": None if spot is None else spot.position,
        "estimated_wait_seconds": None if spot is None else spot.estimated_wait_seconds,
        # The doctor who is about to see them (or seeing them), so the app can say who.
        "doctor": _person(entry.claimed_by),
        "joined_at": _iso(entry.joined_at),
        "claimed_at": _iso(entry.claimed_at),
        "started_at": _iso(entry.started_at),
        "completed_at": _iso(entry.completed_at),
        "ended_at": _iso(entry.ended_at),
        "away_since": _iso(entry.away_since),
    }


def position_event(spot: selectors.LineSpot) -> dict[str, Any]:
    return {
        "type": POSITION,
        "entry": spot.entry_id,
        "status": spot.status,
        "position": spot.position,
        "estimated_wait_seconds": spot.estimated_wait_seconds,
    }


def doctor_recipients(entry: QueueEntry) -> list[str]:
    """The doctors who may see this entry: the one it is reserved for, else all who serve its
    queue; and whoever holds it."""
    if entry.doctor_id is not None:
        ids = [str(entry.doctor_id)]
    else:
        ids = selectors.doctor_ids_serving(queue_id=entry.queue_id)
    if entry.claimed_by_id is not None:
        ids.append(str(entry.claimed_by_id))
    return list(dict.fromkeys(ids))


def publish_entry_changed(
    *, entry_id: object, holder_only: bool = False, also_to: list[str] | None = None
) -> None:
    """Send the entry as it is now (after the commit) to the doctors who may see it, or only
    to the doctor holding it."""
    entry = (
        QueueEntry.objects.select_related("queue", "patient", "claimed_by")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None:
        return
    presence = presence_of(user_ids=[entry.patient_id]).get(str(entry.patient_id))
    payload = entry_for_doctor(entry, presence=presence, spot=None, now=timezone.now())
    if holder_only and entry.claimed_by_id is not None:
        recipients = [str(entry.claimed_by_id)]
    else:
        recipients = doctor_recipients(entry)
    recipients = list(dict.fromkeys([*recipients, *(also_to or [])]))
    streams.publish(user_ids=recipients, event={"type": CHANGED, "entry": payload})


def entry_changed_on_commit(*, entry_id: object) -> None:
    transaction.on_commit(lambda: publish_entry_changed(entry_id=entry_id))
