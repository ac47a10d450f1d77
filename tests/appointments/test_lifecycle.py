"""Cancel, reschedule, check-in, no-show and fulfilment: who may, when, and what it leaves."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import override_settings

from appointments import services
from appointments.errors import (
    CheckInClosed,
    CheckInNotOpen,
    NotAllowed,
    NotBooked,
    NoticeTooShort,
    SlotTaken,
    TooEarly,
)
from appointments.models import Appointment, AppointmentStatusChange, PatientSlotClaim, SlotClaim
from appointments.signals import appointment_checked_in

from .conftest import NINE_AM, NOW
from .factories import book, events_of, give_hours

pytestmark = pytest.mark.django_db

IN_THREE_DAYS = NINE_AM + timedelta(days=3)  # Thursday 09:00 EST, far outside the notice


# --- cancel notice per role -------------------------------------------------------------------


@override_settings(APPOINTMENT_CANCEL_NOTICE_SECONDS=24 * 3600)
def test_a_patient_cannot_cancel_inside_the_notice_but_can_before_it(working_doctor, patient):
    appointment = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    just_inside = IN_THREE_DAYS - timedelta(hours=23, minutes=59)
    with pytest.raises(NoticeTooShort):
        services.appointment_cancel(actor=patient, appointment_id=appointment.pk, now=just_inside)
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    just_outside = IN_THREE_DAYS - timedelta(hours=24)
    cancelled = services.appointment_cancel(
        actor=patient, appointment_id=appointment.pk, reason="Feeling better", now=just_outside
    )
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_by == patient
    assert cancelled.cancellation_reason == "Feeling better"


@pytest.mark.parametrize("role", ["doctor", "staff"])
def test_the_doctor_and_staff_may_cancel_inside_the_notice(
    role, working_doctor, patient, staff
):
    actor = {"doctor": working_doctor, "staff": staff}[role]
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    cancelled = services.appointment_cancel(
        actor=actor, appointment_id=appointment.pk, reason="Doctor ill",
        now=NINE_AM - timedelta(minutes=5),
    )
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_by == actor
    change = AppointmentStatusChange.objects.get(appointment=appointment, to_status="cancelled")
    assert (change.from_status, change.actor, change.note) == ("booked", actor, f"by_{role}")


def test_a_doctors_own_cancellation_notice_overrides_the_clinic_default(working_doctor, patient):
    give_hours(working_doctor, cancellation_notice_minutes=60)
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    services.appointment_cancel(actor=patient, appointment_id=appointment.pk,
                                now=NINE_AM - timedelta(minutes=61))
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"


def test_patients_reschedule_under_the_same_notice_rule(working_doctor, patient):
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    with pytest.raises(NoticeTooShort):
        services.appointment_reschedule(
            actor=patient, appointment_id=appointment.pk, start=IN_THREE_DAYS, now=NOW
        )
    moved = services.appointment_reschedule(
        actor=working_doctor, appointment_id=appointment.pk, start=IN_THREE_DAYS, now=NOW
    )
    assert moved.start == IN_THREE_DAYS


def test_cancelling_frees_the_slot_for_someone_else(working_doctor, patient, outsider):
    appointment = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    services.appointment_cancel(actor=patient, appointment_id=appointment.pk, now=NOW)
    assert not SlotClaim.objects.filter(appointment=appointment).exists()
    assert not PatientSlotClaim.objects.filter(appointment=appointment).exists()
    assert book(outsider, working_doctor, IN_THREE_DAYS, NOW).status == "booked"


def test_a_cancelled_appointment_cannot_be_cancelled_again(working_doctor, patient):
    appointment = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    services.appointment_cancel(actor=patient, appointment_id=appointment.pk, now=NOW)
    with pytest.raises(NotBooked):
        services.appointment_cancel(actor=patient, appointment_id=appointment.pk, now=NOW)


# --- reschedule -------------------------------------------------------------------------------


def test_reschedule_moves_atomically_and_links_the_old_appointment(
    working_doctor, patient, outsider, django_capture_on_commit_callbacks
):
    old = book(patient, working_doctor, IN_THREE_DAYS, NOW, reason="Rash")
    target = IN_THREE_DAYS + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        new = services.appointment_reschedule(
            actor=patient, appointment_id=old.pk, start=target, now=NOW
        )
    old.refresh_from_db()
    assert (old.status, old.cancellation_reason) == ("cancelled", "rescheduled")
    assert new.rescheduled_from == old
    assert (new.start, new.status, new.reason) == (target, "booked", "Rash")
    assert not SlotClaim.objects.filter(appointment=old).exists()
    assert SlotClaim.objects.filter(appointment=new).count() == 6
    # The old slot is free again, the new one is not.
    assert book(outsider, working_doctor, IN_THREE_DAYS, NOW).status == "booked"
    changed = [e["appointment"]["id"] for e in events_of(patient)]
    assert changed == [str(old.pk), str(new.pk)]


def test_a_failed_reschedule_changes_nothing(working_doctor, patient, outsider):
    mine = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    theirs = book(outsider, working_doctor, IN_THREE_DAYS + timedelta(hours=1), NOW)
    with pytest.raises(SlotTaken):
        services.appointment_reschedule(
            actor=patient, appointment_id=mine.pk, start=theirs.start, now=NOW
        )
    mine.refresh_from_db()
    assert mine.status == "booked"
    assert SlotClaim.objects.filter(appointment=mine).count() == 6
    assert Appointment.objects.count() == 2


def test_reschedule_into_a_slot_overlapping_its_own_time_hands_the_cells_over(
    working_doctor, patient
):
    old = book(patient, working_doctor, IN_THREE_DAYS, NOW)  # 09:00-09:30
    # The doctor changes the grid: hour-long slots from 09:15.
    give_hours(working_doctor, slot_minutes=60,
               periods=[{"weekday": d, "start": time(9, 15), "end": time(17)} for d in range(5)])
    target = IN_THREE_DAYS + timedelta(minutes=15)  # 09:15-10:15 overlaps 09:00-09:30
    new = services.appointment_reschedule(
        actor=patient, appointment_id=old.pk, start=target, now=NOW
    )
    assert SlotClaim.objects.filter(appointment=new).count() == 12
    assert not SlotClaim.objects.filter(appointment=old).exists()
    assert PatientSlotClaim.objects.filter(appointment=new).count() == 12


def test_reschedule_to_the_same_time_or_a_non_slot_is_refused(working_doctor, patient):
    old = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    for start, code in ((IN_THREE_DAYS, "same_time"),
                        (IN_THREE_DAYS + timedelta(minutes=10), "not_a_slot")):
        with pytest.raises(Exception) as raised:
            services.appointment_reschedule(actor=patient, appointment_id=old.pk,
                                            start=start, now=NOW)
        assert raised.value.code == code
    assert Appointment.objects.get().status == "booked"


# --- check-in ---------------------------------------------------------------------------------


@pytest.fixture
def received() -> list[dict]:
    calls: list[dict] = []

    def receiver(sender, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)

    appointment_checked_in.connect(receiver, weak=False, dispatch_uid="test-receiver")
    yield calls
    appointment_checked_in.disconnect(dispatch_uid="test-receiver")


@override_settings(APPOINTMENT_CHECK_IN_OPENS_SECONDS=900, APPOINTMENT_NO_SHOW_AFTER_SECONDS=600)
def test_check_in_opens_fifteen_minutes_before_and_closes_at_the_no_show_cutoff(
    working_doctor, patient, received
):
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    with pytest.raises(CheckInNotOpen):
        services.appointment_check_in(actor=patient, appointment_id=appointment.pk,
                                      now=NINE_AM - timedelta(minutes=15, seconds=1))
    with pytest.raises(CheckInClosed):
        services.appointment_check_in(actor=patient, appointment_id=appointment.pk,
                                      now=NINE_AM + timedelta(minutes=10))
    assert received == []
    arrived = services.appointment_check_in(
        actor=patient, appointment_id=appointment.pk, now=NINE_AM - timedelta(minutes=15)
    )
    assert arrived.status == "arrived"
    assert arrived.checked_in_at == NINE_AM - timedelta(minutes=15)
    assert received == [{
        "signal": appointment_checked_in,
        "appointment_id": str(appointment.pk),
        "patient_id": str(patient.pk),
        "doctor_id": str(working_doctor.pk),
        "start": NINE_AM,
        "reason": appointment.reason,
    }]
    with pytest.raises(NotBooked):  # twice is refused, and the queue is not told twice
        services.appointment_check_in(actor=patient, appointment_id=appointment.pk, now=NINE_AM)
    assert len(received) == 1


def test_check_in_signal_is_sent_inside_the_transaction_so_a_failing_receiver_undoes_it(
    working_doctor, patient
):
    appointment = book(patient, working_doctor, NINE_AM, NOW)

    def broken_queue(sender, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("queue down")

    appointment_checked_in.connect(broken_queue, weak=False, dispatch_uid="broken")
    try:
        with pytest.raises(RuntimeError):
            services.appointment_check_in(actor=patient, appointment_id=appointment.pk,
                                          now=NINE_AM - timedelta(minutes=5))
    finally:
        appointment_checked_in.disconnect(dispatch_uid="broken")
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert not AppointmentStatusChange.objects.filter(to_status="arrived").exists()


def test_staff_may_check_a_patient_in_but_the_doctor_may_not(
    working_doctor, patient, staff, received
):
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    with pytest.raises(NotAllowed):
        services.appointment_check_in(actor=working_doctor, appointment_id=appointment.pk,
                                      now=NINE_AM)
    services.appointment_check_in(actor=staff, appointment_id=appointment.pk, now=NINE_AM)
    assert len(received) == 1


def test_check_in_over_http(clock, client_for, working_doctor, patient, received):
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    client = client_for(patient)
    response = client.post(f"/api/appointments/{appointment.pk}/check-in/")
    assert response.status_code == 409
    assert response.json()["code"] == "check_in_not_open"
    clock.move_to(NINE_AM - timedelta(minutes=10))
    response = client.post(f"/api/appointments/{appointment.pk}/check-in/")
    assert response.status_code == 200
    assert response.json()["status"] == "arrived"
    assert len(received) == 1


# --- no-show and fulfilment -------------------------------------------------------------------


def test_doctor_marks_a_no_show_only_once_it_started(clock, client_for, working_doctor, patient):
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    url = f"/api/appointments/{appointment.pk}/no-show/"
    response = client_for(working_doctor).post(url)
    assert (response.status_code, response.json()["code"]) == (409, "too_early")
    clock.move_to(NINE_AM + timedelta(minutes=1))
    assert client_for(patient).post(url).status_code == 403
    response = client_for(working_doctor).post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "noshow"


def test_the_doctor_completes_an_arrived_appointment(working_doctor, patient):
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    services.appointment_check_in(actor=patient, appointment_id=appointment.pk, now=NINE_AM)
    with pytest.raises(NotAllowed):
        services.appointment_complete(actor=patient, appointment_id=appointment.pk, now=NINE_AM)
    done = services.appointment_complete(
        actor=working_doctor, appointment_id=appointment.pk, now=NINE_AM + timedelta(minutes=20)
    )
    assert done.status == "fulfilled"
    trail = list(AppointmentStatusChange.objects.filter(appointment=appointment)
                 .values_list("from_status", "to_status"))
    assert trail == [("", "booked"), ("booked", "arrived"), ("arrived", "fulfilled")]


def test_completing_before_the_check_in_window_is_too_early(working_doctor, patient):
    appointment = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    with pytest.raises(TooEarly):
        services.appointment_complete(actor=working_doctor, appointment_id=appointment.pk,
                                      now=NOW)
