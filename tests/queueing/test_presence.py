"""The queue follows presence: away at once, back in place, grace timers, missed signals."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from presence.access import watchable_user_ids
from queueing import selectors, services, tasks
from queueing.models import QueueEntry

from ..factories import DoctorFactory, PatientFactory
from .conftest import change_presence, set_presence

pytestmark = pytest.mark.django_db

Status = QueueEntry.Status


def join(patient, minutes_ago: float = 0) -> QueueEntry:
    return services.queue_entry_join(
        patient=patient, reason="follow-up", now=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_offline_patient_is_away_at_once_and_skipped_by_next(doctor, online, default_queue):
    first, second = PatientFactory(), PatientFactory()
    online(first, second)
    first_entry = join(first, minutes_ago=5)
    second_entry = join(second)
    change_presence(first, "offline")
    first_entry.refresh_from_db()
    assert first_entry.status == Status.AWAY and first_entry.away_since is not None
    assert services.queue_entry_next(doctor=doctor).pk == second_entry.pk


def test_patient_back_online_is_waiting_in_their_old_place(online, default_queue):
    first, second, third = PatientFactory(), PatientFactory(), PatientFactory()
    online(first, second, third)
    first_entry = join(first, minutes_ago=5)
    join(second, minutes_ago=3)
    join(third, minutes_ago=1)
    before = selectors.entry_spot(entry=first_entry, now=timezone.now()).position
    change_presence(first, "offline")
    change_presence(first, "online", previous="offline")
    first_entry.refresh_from_db()
    assert first_entry.status == Status.WAITING and first_entry.away_since is None
    assert before == 1
    assert selectors.entry_spot(entry=first_entry, now=timezone.now()).position == 1
    assert services.queue_entry_next(doctor=DoctorFactory()).pk == first_entry.pk


def test_presence_receiver_is_idempotent(patient, online, default_queue):
    online(patient)
    entry = join(patient)
    change_presence(patient, "offline")
    change_presence(patient, "offline")
    assert entry.transitions.filter(note="patient_offline").count() == 1


def test_away_past_the_grace_becomes_left(patient, online, settings, default_queue):
    settings.QUEUE_AWAY_GRACE_SECONDS = 120
    online(patient)
    entry = join(patient)
    went = timezone.now()
    change_presence(patient, "offline", at=went)
    assert services.queue_entries_expire(now=went + timedelta(seconds=119)) == {"left": 0, "requeued": 0}
    assert services.queue_entries_expire(now=went + timedelta(seconds=121)) == {"left": 1, "requeued": 0}
    entry.refresh_from_db()
    assert entry.status == Status.LEFT and entry.ended_at is not None
    last = entry.transitions.last()
    assert (last.from_status, last.to_status, last.actor, last.note) == (
        "away", "left", None, "away_grace_expired",
    )
    # Safe to run twice.
    assert services.queue_entries_expire(now=went + timedelta(seconds=200)) == {"left": 0, "requeued": 0}


def test_doctor_disconnect_requeues_their_claim_at_the_front_after_the_grace(online, settings, default_queue):
    settings.QUEUE_AWAY_GRACE_SECONDS = 120
    doctor, colleague = DoctorFactory(), DoctorFactory()
    held, other = PatientFactory(), PatientFactory()
    online(doctor, held, other)
    join(other, minutes_ago=10)
    held_entry = join(held, minutes_ago=1)
    services.queue_entry_claim(entry_id=held_entry.pk, doctor=doctor)
    went = timezone.now()
    change_presence(doctor, "offline", at=went)
    assert services.queue_entries_expire(now=went + timedelta(seconds=60))["requeued"] == 0
    assert services.queue_entries_expire(now=went + timedelta(seconds=121))["requeued"] == 1
    held_entry.refresh_from_db()
    assert (held_entry.status, held_entry.claimed_by) == (Status.WAITING, None)
    assert held_entry.transitions.last().note == "doctor_offline_requeued"
    # At the front of its urgency: ahead of the patient who joined nine minutes earlier.
    assert services.queue_entry_next(doctor=colleague).pk == held_entry.pk


def test_doctor_back_within_the_grace_keeps_the_claim(doctor, patient, online, default_queue):
    online(doctor, patient)
    entry = join(patient)
    services.queue_entry_claim(entry_id=entry.pk, doctor=doctor)
    went = timezone.now()
    change_presence(doctor, "offline", at=went)
    change_presence(doctor, "online", previous="offline", at=went + timedelta(seconds=30))
    assert services.queue_entries_expire(now=went + timedelta(seconds=600))["requeued"] == 0
    entry.refresh_from_db()
    assert (entry.status, entry.claimed_by, entry.claimer_offline_since) == (Status.CLAIMED, doctor, None)


def test_the_expire_task_runs_the_service(patient, online, settings, default_queue):
    settings.QUEUE_AWAY_GRACE_SECONDS = 1
    online(patient)
    entry = join(patient)
    change_presence(patient, "offline", at=timezone.now() - timedelta(seconds=5))
    assert tasks.expire_away() == {"left": 1, "requeued": 0}
    entry.refresh_from_db()
    assert entry.status == Status.LEFT


def test_reconcile_catches_missed_presence_signals(doctor, online, default_queue):
    silent, returned = PatientFactory(), PatientFactory()
    online(doctor, returned)
    silent_entry = join(silent)  # never seen online: no signal ever came
    returned_entry = join(returned)
    QueueEntry.objects.filter(pk=returned_entry.pk).update(status=Status.AWAY, away_since=timezone.now())
    counts = services.queue_entries_reconcile_presence()
    assert counts["away"] == 1 and counts["back"] == 1
    silent_entry.refresh_from_db()
    returned_entry.refresh_from_db()
    assert (silent_entry.status, returned_entry.status) == (Status.AWAY, Status.WAITING)


def test_reconcile_starts_the_grace_for_a_claim_whose_doctor_vanished(doctor, patient, default_queue):
    entry = join(patient)
    services.queue_entry_claim(entry_id=entry.pk, doctor=doctor)  # the doctor was never online
    assert services.queue_entries_reconcile_presence()["claims_orphaned"] == 1
    entry.refresh_from_db()
    assert entry.claimer_offline_since is not None


def test_doctor_may_watch_patients_waiting_in_their_queue_only(doctor, patient, outsider, default_queue):
    join(patient)
    assert watchable_user_ids(viewer=doctor, user_ids=[patient.pk, outsider.pk]) == {str(patient.pk)}


def test_a_patient_never_watches_another_waiting_patient(patient, outsider, default_queue):
    join(patient)
    join(outsider)
    assert watchable_user_ids(viewer=outsider, user_ids=[patient.pk]) == set()


def test_next_double_checks_presence_even_if_the_entry_says_waiting(doctor, patient, default_queue):
    join(patient)
    set_presence(patient, "offline")
    assert services.queue_entry_next(doctor=doctor) is None


def test_a_failing_queue_reaction_never_fails_the_presence_transition(patient, monkeypatch, default_queue):
    from django.db import DatabaseError

    def broken(**kwargs):
        raise DatabaseError("database went away")

    monkeypatch.setattr(services, "queue_presence_changed", broken)
    change_presence(patient, "offline")  # no exception reaches the sender
