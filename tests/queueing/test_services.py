"""Services of the waiting room against the real database and Redis."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from queueing import selectors, services
from queueing.models import QueueEntry, QueueEntryTransition

from ..factories import DoctorFactory, PatientFactory
from .factories import QueueFactory

pytestmark = pytest.mark.django_db

Status = QueueEntry.Status


def join(patient, *, minutes_ago: float = 0, reason: str = "sore throat", **kwargs) -> QueueEntry:
    return services.queue_entry_join(
        patient=patient, reason=reason, now=timezone.now() - timedelta(minutes=minutes_ago), **kwargs
    )


def test_a_patient_joins_the_default_queue_waiting_with_default_urgency(patient, default_queue):
    entry = join(patient)
    assert (entry.queue, entry.status, entry.urgency) == (default_queue, Status.WAITING, 4)
    assert list(entry.transitions.values_list("from_status", "to_status", "actor", "note")) == [
        ("", "waiting", patient.pk, "joined")
    ]


def test_a_second_active_entry_is_refused(patient, default_queue):
    join(patient)
    with pytest.raises(services.AlreadyQueued):
        join(patient)
    assert QueueEntry.objects.filter(patient=patient).count() == 1


def test_the_database_itself_refuses_a_second_active_entry(patient, default_queue):
    first = join(patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        QueueEntry.objects.create(
            queue=default_queue, patient=patient, joined_at=first.joined_at,
            virtual_start=first.joined_at,
        )


def test_a_patient_may_join_again_after_leaving(patient, default_queue):
    first = join(patient)
    services.queue_entry_leave(entry_id=first.pk, patient=patient)
    second = join(patient)
    assert second.pk != first.pk and second.status == Status.WAITING


def test_only_patients_join(doctor, default_queue):
    with pytest.raises(services.PatientsOnly):
        join(doctor)


def test_unknown_queue_is_refused_with_its_code(patient, default_queue):
    with pytest.raises(selectors.UnknownQueue) as refused:
        join(patient, queue_ref="no-such-queue")
    assert refused.value.code == "unknown_queue"
    assert not QueueEntry.objects.exists()


def test_a_named_queue_is_found_by_slug_or_id(patient, outsider, default_queue):
    derm = QueueFactory(slug="dermatology")
    assert join(patient, queue_ref="dermatology").queue == derm
    assert join(outsider, queue_ref=str(derm.pk)).queue == derm


def test_next_gives_the_best_online_patient(doctor, online, default_queue):
    routine, urgent = PatientFactory(), PatientFactory()
    online(routine, urgent)
    join(routine, minutes_ago=2)
    urgent_entry = join(urgent)
    services.queue_entry_set_urgency(entry_id=urgent_entry.pk, actor=doctor, urgency=2)
    taken = services.queue_entry_next(doctor=doctor)
    assert taken.pk == urgent_entry.pk
    assert (taken.status, taken.claimed_by) == (Status.CLAIMED, doctor)


def test_next_skips_a_waiting_patient_who_is_not_online(doctor, online, default_queue):
    gone, here = PatientFactory(), PatientFactory()
    online(here)
    join(gone, minutes_ago=5)
    here_entry = join(here)
    assert services.queue_entry_next(doctor=doctor).pk == here_entry.pk
    assert QueueEntry.objects.get(patient=gone).status == Status.WAITING


def test_next_answers_none_when_nobody_can_be_seen(doctor, patient, default_queue):
    join(patient)  # offline
    assert services.queue_entry_next(doctor=doctor) is None


def test_next_again_before_starting_gives_the_same_patient(doctor, online, default_queue):
    first, second = PatientFactory(), PatientFactory()
    online(first, second)
    join(first, minutes_ago=1)
    join(second)
    taken = services.queue_entry_next(doctor=doctor)
    assert services.queue_entry_next(doctor=doctor).pk == taken.pk
    services.queue_entry_start(entry_id=taken.pk, doctor=doctor)
    assert services.queue_entry_next(doctor=doctor).patient == second


def test_next_reads_further_when_the_first_batch_is_all_offline(doctor, online, settings, default_queue):
    settings.QUEUE_NEXT_BATCH_SIZE = 2
    for minutes in (10, 9, 8, 7, 6):
        join(PatientFactory(), minutes_ago=minutes)
    last = PatientFactory()
    online(last)
    entry = join(last)
    assert services.queue_entry_next(doctor=doctor).pk == entry.pk


def test_a_doctor_only_takes_from_queues_they_serve(online, patient, default_queue):
    derm_doctor, other_doctor = DoctorFactory(), DoctorFactory()
    derm = QueueFactory(slug="derm")
    derm.doctors.add(derm_doctor)
    online(patient)
    entry = join(patient, queue_ref="derm")
    assert services.queue_entry_next(doctor=other_doctor) is None
    with pytest.raises(selectors.EntryNotFound):
        services.queue_entry_claim(entry_id=entry.pk, doctor=other_doctor)
    assert services.queue_entry_next(doctor=derm_doctor).pk == entry.pk


def test_claim_of_a_taken_entry_is_a_conflict(doctor, patient, default_queue):
    entry = join(patient)
    services.queue_entry_claim(entry_id=entry.pk, doctor=doctor)
    with pytest.raises(services.NotClaimable):
        services.queue_entry_claim(entry_id=entry.pk, doctor=DoctorFactory())


def test_only_doctors_take_patients(staff, patient, default_queue):
    entry = join(patient)
    with pytest.raises(services.DoctorsOnly):
        services.queue_entry_next(doctor=staff)
    with pytest.raises(services.DoctorsOnly):
        services.queue_entry_claim(entry_id=entry.pk, doctor=patient)


def test_start_and_complete_belong_to_the_claiming_doctor(doctor, patient, default_queue):
    entry = join(patient)
    services.queue_entry_claim(entry_id=entry.pk, doctor=doctor)
    with pytest.raises(services.NotClaimer):
        services.queue_entry_start(entry_id=entry.pk, doctor=DoctorFactory())
    with pytest.raises(services.WrongState):
        services.queue_entry_complete(entry_id=entry.pk, doctor=doctor)
    started = services.queue_entry_start(entry_id=entry.pk, doctor=doctor)
    assert started.status == Status.IN_CONSULTATION and started.started_at
    done = services.queue_entry_complete(entry_id=entry.pk, doctor=doctor)
    assert done.status == Status.COMPLETED and done.completed_at and done.ended_at
    assert list(done.transitions.values_list("to_status", flat=True)) == [
        "waiting", "claimed", "in_consultation", "completed",
    ]


def test_released_patient_goes_to_the_front_of_their_urgency(doctor, online, default_queue):
    early, late = PatientFactory(), PatientFactory()
    online(early, late)
    join(early, minutes_ago=3)
    late_entry = join(late, minutes_ago=1)
    services.queue_entry_claim(entry_id=late_entry.pk, doctor=doctor)
    released = services.queue_entry_release(entry_id=late_entry.pk, doctor=doctor)
    assert (released.status, released.claimed_by) == (Status.WAITING, None)
    assert services.queue_entry_next(doctor=DoctorFactory()).pk == late_entry.pk


def test_urgency_is_set_by_doctors_and_staff_never_patients(doctor, staff, patient, default_queue):
    entry = join(patient)
    with pytest.raises(services.CliniciansOnly):
        services.queue_entry_set_urgency(entry_id=entry.pk, actor=patient, urgency=1)
    services.queue_entry_set_urgency(entry_id=entry.pk, actor=doctor, urgency=2)
    services.queue_entry_set_urgency(entry_id=entry.pk, actor=staff, urgency=3)
    with pytest.raises(services.BadUrgency):
        services.queue_entry_set_urgency(entry_id=entry.pk, actor=staff, urgency=6)
    entry.refresh_from_db()
    assert entry.urgency == 3
    changes = QueueEntryTransition.objects.filter(entry=entry, note="urgency_changed")
    assert [(t.actor, t.data) for t in changes] == [
        (doctor, {"from": 4, "to": 2}), (staff, {"from": 2, "to": 3}),
    ]


def test_staff_remove_an_entry_and_others_cannot(doctor, staff, patient, default_queue):
    entry = join(patient)
    with pytest.raises(services.StaffOnly):
        services.queue_entry_remove(entry_id=entry.pk, actor=doctor)
    removed = services.queue_entry_remove(entry_id=entry.pk, actor=staff)
    assert removed.status == Status.REMOVED
    assert removed.transitions.last().actor == staff
    with pytest.raises(services.WrongState):
        services.queue_entry_remove(entry_id=entry.pk, actor=staff)


def test_a_patient_leaves_only_their_own_entry(patient, outsider, default_queue):
    entry = join(patient)
    with pytest.raises(selectors.EntryNotFound):
        services.queue_entry_leave(entry_id=entry.pk, patient=outsider)
    assert services.queue_entry_leave(entry_id=entry.pk, patient=patient).status == Status.LEFT


def test_estimates_use_todays_consultations_in_that_queue(doctor, online, settings, default_queue):
    settings.QUEUE_DEFAULT_CONSULTATION_SECONDS = 900
    now = timezone.now()
    seen = PatientFactory()
    entry = join(seen, minutes_ago=30)
    services.queue_entry_claim(entry_id=entry.pk, doctor=doctor, now=now - timedelta(minutes=20))
    services.queue_entry_start(entry_id=entry.pk, doctor=doctor, now=now - timedelta(minutes=20))
    services.queue_entry_complete(entry_id=entry.pk, doctor=doctor, now=now - timedelta(minutes=15))
    assert selectors.average_consultation_seconds(queue_id=default_queue.pk, now=now) == 300
    other = QueueFactory()
    assert selectors.average_consultation_seconds(queue_id=other.pk, now=now) == 900
    first, second, third = PatientFactory(), PatientFactory(), PatientFactory()
    for minutes, person in ((3, first), (2, second), (1, third)):
        join(person, minutes_ago=minutes)
    online(doctor)
    spot = selectors.entry_spot(entry=QueueEntry.objects.get(patient=third), now=now)
    assert (spot.position, spot.estimated_wait_seconds) == (3, 600)


def test_next_lets_a_long_wait_pass_newer_more_urgent_patients(doctor, online, default_queue):
    patient_long, patient_new = PatientFactory(), PatientFactory()
    online(patient_long, patient_new)
    long_wait = join(patient_long, minutes_ago=40)  # level 4 aged 40 min: at the level-2 floor
    newer = join(patient_new)
    services.queue_entry_set_urgency(entry_id=newer.pk, actor=doctor, urgency=3)
    assert services.queue_entry_next(doctor=doctor).pk == long_wait.pk
