"""The queue against the real presence core: heartbeats bring patients online, the sweep takes
them offline, and the queue follows through `presence_changed` (no hand-written presence)."""
from __future__ import annotations

import time

import pytest

from presence.services import presence_heartbeat, presence_sweep
from queueing import services
from queueing.models import QueueEntry

from ..factories import DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db

Status = QueueEntry.Status


def test_heartbeats_and_the_sweep_drive_the_queue(settings, default_queue):
    doctor, first, second = DoctorFactory(), PatientFactory(), PatientFactory()
    start = time.time()
    for patient in (first, second):
        presence_heartbeat(user_id=str(patient.pk), now=start)
    first_entry = services.queue_entry_join(patient=first, reason="x")
    second_entry = services.queue_entry_join(patient=second, reason="y")

    # Only the second patient keeps sending heartbeats; the sweep then takes the first offline.
    later = start + settings.PRESENCE_TIMEOUT_SECONDS + settings.PRESENCE_GRACE_SECONDS + 1
    presence_heartbeat(user_id=str(second.pk), now=later)
    presence_sweep(now=later)
    first_entry.refresh_from_db()
    assert first_entry.status == Status.AWAY
    assert services.queue_entry_next(doctor=doctor).pk == second_entry.pk

    # Back through a heartbeat: waiting again, in the old place.
    presence_heartbeat(user_id=str(first.pk), now=later + 1)
    first_entry.refresh_from_db()
    assert first_entry.status == Status.WAITING
    assert services.queue_entry_next(doctor=DoctorFactory()).pk == first_entry.pk
