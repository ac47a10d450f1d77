"""The beat sweeps: no-shows after the cut-off, reminders exactly once, both safe to rerun."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from accounts.models import PatientProfile, User
from appointments import services, tasks
from appointments.models import Appointment, AppointmentStatusChange

from .conftest import NINE_AM, NOW
from .factories import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def reachable_patient(patient: User) -> User:
    User.objects.filter(pk=patient.pk).update(email="bob@example.org")
    PatientProfile.objects.filter(user=patient).update(time_zone="America/Halifax")
    patient.refresh_from_db()
    return patient


@override_settings(APPOINTMENT_NO_SHOW_AFTER_SECONDS=600)
def test_a_patient_who_never_checked_in_becomes_noshow_after_the_cutoff(
    clock, working_doctor, patient, outsider, django_capture_on_commit_callbacks
):
    absent = book(patient, working_doctor, NINE_AM, NOW)
    present = book(outsider, working_doctor, NINE_AM + timedelta(minutes=30), NOW)
    services.appointment_check_in(actor=outsider, appointment_id=present.pk,
                                  now=NINE_AM + timedelta(minutes=25))

    clock.move_to(NINE_AM + timedelta(minutes=9, seconds=59))
    assert tasks.mark_no_shows() == 0
    clock.move_to(NINE_AM + timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.mark_no_shows() == 1
    assert tasks.mark_no_shows() == 0  # safe to run twice

    absent.refresh_from_db()
    present.refresh_from_db()
    assert (absent.status, present.status) == ("noshow", "arrived")
    change = AppointmentStatusChange.objects.get(appointment=absent, to_status="noshow")
    assert change.actor is None and change.note == "automatic"


@override_settings(APPOINTMENT_NO_SHOW_AFTER_SECONDS=600)
def test_the_no_show_service_loses_gracefully_to_a_late_check_in(working_doctor, patient):
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    services.appointment_check_in(actor=patient, appointment_id=appointment.pk,
                                  now=NINE_AM + timedelta(minutes=9))
    assert services.appointment_mark_no_show(
        actor=None, appointment_id=appointment.pk, now=NINE_AM + timedelta(hours=1)
    ) is None
    assert Appointment.objects.get().status == "arrived"


@override_settings(APPOINTMENT_REMINDER_BEFORE_SECONDS=3 * 3600)
def test_the_reminder_is_sent_once_in_the_patients_own_time_zone(
    clock, working_doctor, reachable_patient, mailoutbox, django_capture_on_commit_callbacks
):
    book(reachable_patient, working_doctor, NINE_AM + timedelta(days=1), NOW, reason="Private")
    clock.move_to(NINE_AM + timedelta(days=1) - timedelta(hours=3, seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_reminders() == 0  # not yet due
    clock.move_to(NINE_AM + timedelta(days=1) - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_reminders() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_reminders() == 0
    assert len(mailoutbox) == 1
    [mail] = mailoutbox
    assert mail.to == ["bob@example.org"]
    # 09:00 in Toronto is 10:00 in Halifax, said with its offset.
    assert "10:00 (AST, UTC-0400)" in mail.body
    assert "Private" not in mail.body  # the reason is health data: never in an email
    assert Appointment.objects.get().reminder_sent_at is not None


def test_two_workers_sending_the_same_reminder_send_it_once(
    working_doctor, reachable_patient, mailoutbox, django_capture_on_commit_callbacks
):
    appointment = book(reachable_patient, working_doctor, NINE_AM, NOW)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.appointment_send_reminder(appointment_id=appointment.pk, now=NOW)
        second = services.appointment_send_reminder(appointment_id=appointment.pk, now=NOW)
    assert (first, second) == (True, False)
    assert len(mailoutbox) == 1


@override_settings(APPOINTMENT_REMINDER_BEFORE_SECONDS=24 * 3600)
def test_no_reminder_for_a_cancelled_appointment(
    clock, working_doctor, reachable_patient, mailoutbox, django_capture_on_commit_callbacks
):
    appointment = book(reachable_patient, working_doctor, NINE_AM, NOW)
    services.appointment_cancel(actor=working_doctor, appointment_id=appointment.pk, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_reminders() == 0
        assert services.appointment_send_reminder(appointment_id=appointment.pk, now=NOW) is False
    assert mailoutbox == []


def test_the_beat_schedule_runs_both_sweeps(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"appointments.tasks.mark_no_shows", "appointments.tasks.send_reminders"} <= (
        tasks_scheduled
    )
