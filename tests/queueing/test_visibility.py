"""Entries reserved for one doctor stay that doctor's business; position refreshes are debounced."""
from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from presence.access import watchable_user_ids
from queueing import services, tasks
from queueing.models import QueueEntry

from ..factories import DoctorFactory
from .conftest import events_of

pytestmark = pytest.mark.django_db


def reserve(patient, doctor) -> QueueEntry:
    return services.queue_entry_check_in(
        appointment_id=uuid.uuid4(), patient_id=patient.pk, doctor_id=doctor.pk,
        appointment_start=timezone.now(), reason="booked",
    )


def test_an_entry_reserved_for_a_colleague_is_hidden_from_other_doctors(
    client_for, doctor, patient, default_queue, django_capture_on_commit_callbacks
):
    colleague = DoctorFactory()
    with django_capture_on_commit_callbacks(execute=True):
        entry = reserve(patient, colleague)
    assert client_for(doctor).get("/api/queue/entries/").json() == []
    assert client_for(doctor).get(f"/api/queue/entries/{entry.pk}/").status_code == 404
    assert events_of(doctor) == []
    assert watchable_user_ids(viewer=doctor, user_ids=[patient.pk]) == set()
    assert [e["id"] for e in client_for(colleague).get("/api/queue/entries/").json()] == [str(entry.pk)]
    assert len(events_of(colleague, "queue.changed")) == 1
    assert watchable_user_ids(viewer=colleague, user_ids=[patient.pk]) == {str(patient.pk)}


def test_doctor_reads_one_entry_with_presence(client_for, doctor, patient, online, default_queue):
    online(patient)
    entry = services.queue_entry_join(patient=patient, reason="x")
    body = client_for(doctor).get(f"/api/queue/entries/{entry.pk}/").json()
    assert body["patient"]["presence"]["status"] == "online"
    assert body["position"] == 1


def test_position_refreshes_are_debounced_into_one_celery_task_per_queue(
    settings, patient, outsider, default_queue, monkeypatch, django_capture_on_commit_callbacks
):
    settings.QUEUE_POSITIONS_REFRESH_ASYNC = True
    settings.QUEUE_POSITIONS_DEBOUNCE_MS = 5_000
    scheduled = []
    monkeypatch.setattr(
        tasks.refresh_positions, "apply_async", lambda **kwargs: scheduled.append(kwargs)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_entry_join(patient=patient, reason="x")
        services.queue_entry_join(patient=outsider, reason="y")
    assert scheduled == [{"kwargs": {"queue_id": str(default_queue.pk)}, "countdown": 5.0}]
    # The task itself (run by the worker after the window) pushes both patients' positions.
    assert tasks.refresh_positions(queue_id=str(default_queue.pk)) == 2
    assert [e["position"] for e in events_of(outsider, "queue.position")] == [2]
    assert tasks.refresh_positions(queue_id=str(default_queue.pk)) == 0  # nothing changed since


def test_someone_named_on_a_queue_gets_no_events_once_no_longer_a_doctor(db, doctor):
    from accounts.models import User
    from queueing.models import Queue
    from queueing.selectors import doctor_ids_serving

    queue = Queue.objects.create(name="Dermatology", slug="dermatology")
    queue.doctors.add(doctor)
    assert doctor_ids_serving(queue_id=queue.pk) == [str(doctor.pk)]
    User.objects.filter(pk=doctor.pk).update(role=User.Role.STAFF)
    assert str(doctor.pk) not in doctor_ids_serving(queue_id=queue.pk)
