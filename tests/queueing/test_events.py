"""Events: positions to each patient (only theirs, only when changed), entries to their doctors."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from queueing import services

from ..factories import DoctorFactory, PatientFactory
from .conftest import events_of
from .factories import QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the after-commit callbacks (events) of what happens inside the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def join(patient, minutes_ago: float = 0, **kwargs):
    return services.queue_entry_join(
        patient=patient, reason="earache", now=timezone.now() - timedelta(minutes=minutes_ago), **kwargs
    )


def test_joining_sends_the_patient_their_position_and_the_doctors_the_entry(
    committed, doctor, patient, outsider, online, default_queue
):
    online(patient)
    with committed():
        entry = join(patient)
    (position,) = events_of(patient, "queue.position")
    assert position["entry"] == str(entry.pk)
    assert (position["status"], position["position"], position["estimated_wait_seconds"]) == ("waiting", 1, 0)
    assert position["id"]
    (changed,) = events_of(doctor, "queue.changed")
    assert changed["entry"]["id"] == str(entry.pk)
    assert changed["entry"]["patient"]["presence"]["status"] == "online"
    assert events_of(outsider) == []


def test_a_patient_never_receives_anything_about_another(committed, doctor, patient, outsider, default_queue):
    with committed():
        theirs = join(outsider, minutes_ago=3)
        join(patient)
        services.queue_entry_claim(entry_id=theirs.pk, doctor=doctor)
    for event in events_of(patient):
        assert event["type"] == "queue.position"
        assert str(outsider.pk) not in str(event) and event["entry"] != str(theirs.pk)


def test_people_behind_are_told_when_they_move_up(committed, doctor, default_queue):
    first, second = PatientFactory(), PatientFactory()
    with committed():
        first_entry = join(first, minutes_ago=5)
        join(second)
    assert [e["position"] for e in events_of(second, "queue.position")] == [2]
    with committed():
        services.queue_entry_claim(entry_id=first_entry.pk, doctor=doctor)
    assert [e["position"] for e in events_of(second, "queue.position")] == [2, 1]
    assert [(e["status"], e["position"]) for e in events_of(first, "queue.position")] == [
        ("waiting", 1), ("claimed", None),
    ]


def test_no_position_event_when_the_numbers_did_not_change(committed, doctor, default_queue):
    first, second = PatientFactory(), PatientFactory()
    with committed():
        join(first, minutes_ago=5)
        last = join(second)
    before = len(events_of(first)), len(events_of(second))
    with committed():
        services.queue_entry_set_urgency(entry_id=last.pk, actor=doctor, urgency=5)
    assert (len(events_of(first)), len(events_of(second))) == before


def test_the_final_status_reaches_the_patient(committed, staff, patient, default_queue):
    with committed():
        entry = join(patient)
    with committed():
        services.queue_entry_remove(entry_id=entry.pk, actor=staff)
    assert events_of(patient, "queue.position")[-1] == {
        **events_of(patient, "queue.position")[-1],
        "status": "removed", "position": None, "estimated_wait_seconds": None,
    }


def test_queue_changed_goes_only_to_doctors_serving_that_queue(committed, patient, default_queue):
    derm_doctor, other_doctor = DoctorFactory(), DoctorFactory()
    QueueFactory(slug="derm").doctors.add(derm_doctor)
    with committed():
        join(patient, queue_ref="derm")
    assert len(events_of(derm_doctor, "queue.changed")) == 1
    assert events_of(other_doctor) == []


def test_events_are_not_sent_when_the_change_rolls_back(patient, doctor, default_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        join(patient)
    assert callbacks  # scheduled for after the commit, never sent inline
    assert events_of(patient) == [] and events_of(doctor) == []


def test_the_patient_is_told_when_the_consultation_starts_and_ends(committed, doctor, patient, default_queue):
    with committed():
        entry = join(patient)
    for step in (services.queue_entry_claim, services.queue_entry_start, services.queue_entry_complete):
        with committed():
            step(entry_id=entry.pk, doctor=doctor)
    assert [e["status"] for e in events_of(patient, "queue.position")] == [
        "waiting", "claimed", "in_consultation", "completed",
    ]


def test_starting_a_consultation_is_told_only_to_the_doctor_holding_it(committed, doctor, patient, default_queue):
    colleague = DoctorFactory()
    with committed():
        entry = join(patient)
        services.queue_entry_claim(entry_id=entry.pk, doctor=doctor)
    seen_by_colleague = len(events_of(colleague, "queue.changed"))
    with committed():
        services.queue_entry_start(entry_id=entry.pk, doctor=doctor)
    assert len(events_of(colleague, "queue.changed")) == seen_by_colleague
    assert events_of(doctor, "queue.changed")[-1]["entry"]["status"] == "in_consultation"


def test_a_transferred_patient_gets_their_place_in_the_new_queue_only(committed, doctor, patient, outsider, default_queue):
    QueueFactory(slug="derm")
    with committed():
        join(outsider, minutes_ago=30)
        entry = join(patient)
    with committed():
        services.queue_entry_transfer(entry_id=entry.pk, actor=doctor, queue_ref="derm")
    assert [(e["status"], e["position"]) for e in events_of(patient, "queue.position")] == [
        ("waiting", 2), ("waiting", 1),
    ]
