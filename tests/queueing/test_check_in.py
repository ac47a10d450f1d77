"""Appointment check-in puts the patient in the doctor's queue, reserved, with priority."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from appointments.signals import appointment_checked_in
from queueing import services
from queueing.models import QueueEntry

from ..factories import DoctorFactory, PatientFactory
from .factories import QueueFactory

pytestmark = pytest.mark.django_db


def check_in(patient, doctor, *, appointment_id=None, start=None, reason="annual review"):
    appointment_id = appointment_id or uuid.uuid4()
    with transaction.atomic():
        appointment_checked_in.send(
            sender=None,
            appointment_id=appointment_id,
            patient_id=patient.pk,
            doctor_id=doctor.pk,
            start=start or timezone.now(),
            reason=reason,
        )
    return appointment_id


def test_check_in_creates_an_entry_reserved_for_that_doctor(doctor, patient, default_queue):
    appointment_id = check_in(patient, doctor)
    entry = QueueEntry.objects.get(patient=patient)
    assert (entry.status, entry.doctor, entry.appointment_id) == ("waiting", doctor, appointment_id)
    assert entry.queue == default_queue
    assert entry.transitions.get().note == "appointment_checked_in"


def test_check_in_goes_to_the_doctors_own_queue(patient, default_queue):
    derm_doctor = DoctorFactory()
    derm = QueueFactory(slug="derm")
    derm.doctors.add(derm_doctor)
    check_in(patient, derm_doctor)
    assert QueueEntry.objects.get(patient=patient).queue == derm


def test_only_that_doctor_may_take_the_reserved_entry(doctor, patient, online, default_queue):
    online(patient)
    check_in(patient, doctor)
    other = DoctorFactory()
    entry = QueueEntry.objects.get(patient=patient)
    assert services.queue_entry_next(doctor=other) is None
    with pytest.raises(services.selectors.EntryNotFound):
        services.queue_entry_claim(entry_id=entry.pk, doctor=other)
    assert services.queue_entry_next(doctor=doctor).pk == entry.pk


def test_a_due_appointment_goes_ahead_of_walk_ins_of_the_same_urgency(doctor, patient, online, default_queue):
    walk_in = PatientFactory()
    online(patient, walk_in)
    services.queue_entry_join(patient=walk_in, reason="x", now=timezone.now() - timedelta(minutes=2))
    check_in(patient, doctor)
    assert services.queue_entry_next(doctor=doctor).patient == patient


def test_a_waiting_walk_in_gains_the_appointment_and_keeps_their_place(doctor, patient, default_queue):
    entry = services.queue_entry_join(patient=patient, reason="x", now=timezone.now() - timedelta(minutes=9))
    appointment_id = check_in(patient, doctor)
    attached = QueueEntry.objects.get(patient=patient)
    assert attached.pk == entry.pk
    assert (attached.appointment_id, attached.doctor) == (appointment_id, doctor)
    assert attached.virtual_start == entry.virtual_start
    assert attached.transitions.last().note == "appointment_attached"


def test_the_same_check_in_twice_changes_nothing(doctor, patient, default_queue):
    appointment_id = check_in(patient, doctor)
    check_in(patient, doctor, appointment_id=appointment_id)
    assert QueueEntry.objects.filter(patient=patient).count() == 1
    assert QueueEntry.objects.get(patient=patient).transitions.count() == 1


def test_a_rolled_back_check_in_leaves_no_entry(doctor, patient, default_queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        appointment_checked_in.send(
            sender=None, appointment_id=uuid.uuid4(), patient_id=patient.pk,
            doctor_id=doctor.pk, start=timezone.now(), reason="",
        )
        raise RuntimeError("the appointment failed to save")
    assert not QueueEntry.objects.exists()


def test_check_in_works_even_if_the_default_queue_was_deleted(doctor, patient, db):
    from queueing.models import Queue

    Queue.objects.all().delete()
    check_in(patient, doctor)
    assert QueueEntry.objects.get(patient=patient).queue.is_default


def test_checking_in_through_the_appointments_app_queues_the_patient(doctor, patient, default_queue):
    from appointments import services as appointments
    from tests.appointments.conftest import NINE_AM, NOW
    from tests.appointments.factories import book, give_hours

    appointment = book(patient, give_hours(doctor), NINE_AM, NOW, reason="follow-up")
    appointments.appointment_check_in(
        actor=patient, appointment_id=appointment.pk, now=NINE_AM - timedelta(minutes=5)
    )
    entry = QueueEntry.objects.get(patient=patient)
    assert (entry.status, entry.doctor, entry.appointment_id) == ("waiting", doctor, appointment.pk)
    assert entry.appointment_start == NINE_AM


def test_completing_a_checked_in_patient_fulfils_their_appointment(doctor, patient, online, default_queue):
    from appointments import services as appointments
    from appointments.models import Appointment
    from tests.appointments.conftest import NINE_AM, NOW
    from tests.appointments.factories import book, give_hours

    online(patient)
    appointment = book(patient, give_hours(doctor), NINE_AM, NOW, reason="follow-up")
    appointments.appointment_check_in(
        actor=patient, appointment_id=appointment.pk, now=NINE_AM - timedelta(minutes=5)
    )
    entry = services.queue_entry_next(doctor=doctor, now=NINE_AM)
    services.queue_entry_start(entry_id=entry.pk, doctor=doctor, now=NINE_AM)
    services.queue_entry_complete(entry_id=entry.pk, doctor=doctor, now=NINE_AM + timedelta(minutes=12))
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.FULFILLED
