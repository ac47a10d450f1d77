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


def test_a_doctor_stops_watching_a_patient_once_their_entry_is_completed(
    settings, default_queue, django_capture_on_commit_callbacks
):
    from presence.services import presence_status_set, presence_subscribe
    from telepresence.errors import Forbidden

    doctor, patient = DoctorFactory(), PatientFactory()
    far = time.time() + 3600  # both stay connected for the whole test
    presence_heartbeat(user_id=str(doctor.pk), now=far)
    presence_heartbeat(user_id=str(patient.pk), now=far)
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.queue_entry_join(patient=patient, reason="x")
    presence_subscribe(viewer=doctor, user_ids=[str(patient.pk)])  # allowed: the patient waits
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_entry_claim(doctor=doctor, entry_id=entry.pk)
        services.queue_entry_start(doctor=doctor, entry_id=entry.pk)
        services.queue_entry_complete(doctor=doctor, entry_id=entry.pk)

    presence_status_set(user_id=str(patient.pk), status="away", now=far)
    from tests.presence.conftest import presence_events

    assert presence_events(doctor, about=patient) == []
    with pytest.raises(Forbidden):
        presence_subscribe(viewer=doctor, user_ids=[str(patient.pk)])
