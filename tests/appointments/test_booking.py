"""Booking: a free slot gives 201; anything else a clear 4xx that changes nothing."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, transaction

from appointments.models import (
    Appointment,
    AppointmentStatusChange,
    DailyBookingCount,
    PatientSlotClaim,
    SlotClaim,
)
from appointments.errors import DayFull, PatientBusy
from tests.factories import PatientFactory

from .conftest import NINE_AM, NOW, TUESDAY_NINE_AM
from .factories import book, events_of, give_hours

pytestmark = pytest.mark.django_db


def nothing_written() -> tuple[int, ...]:
    return (
        Appointment.objects.count(), SlotClaim.objects.count(), PatientSlotClaim.objects.count(),
        AppointmentStatusChange.objects.count(),
    )


def post_booking(client, doctor, start, reason="Sore throat", **extra):
    body = {"doctor": str(doctor.pk), "start": start, "reason": reason, **extra}
    return client.post("/api/appointments/", body, format="json")


def test_patient_books_a_free_slot_and_gets_it_back_in_the_doctors_zone(
    clock, client_for, working_doctor, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_booking(client_for(patient), working_doctor, "2026-03-02T09:00:00-05:00")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["start"] == "2026-03-02T09:00:00-05:00"
    assert body["end"] == "2026-03-02T09:30:00-05:00"
    assert body["time_zone"] == "America/Toronto"
    assert body["status"] == "booked"
    assert body["patient"]["id"] == str(patient.pk)
    appointment = Appointment.objects.get()
    assert appointment.start == NINE_AM  # stored in UTC
    assert SlotClaim.objects.filter(appointment=appointment).count() == 6  # 30 min of 5-min cells
    assert AppointmentStatusChange.objects.get().to_status == "booked"
    for person in (working_doctor, patient):
        [event] = events_of(person)
        assert event["type"] == "appointment.changed"
        assert event["appointment"]["id"] == body["id"]
        assert "reason" not in event["appointment"]


def test_the_same_instant_written_with_another_offset_books_the_same_slot(
    clock, client_for, working_doctor, patient
):
    response = post_booking(client_for(patient), working_doctor, "2026-03-02T10:00:00-04:00")
    assert response.status_code == 201
    assert Appointment.objects.get().start == NINE_AM


def test_a_time_that_is_not_a_slot_is_refused_with_why(clock, client_for, working_doctor, patient):
    client = client_for(patient)
    cases = {
        "2026-03-02T09:10:00-05:00": "not_a_slot",  # off the grid
        "2026-03-02T18:00:00-05:00": "not_a_slot",  # after hours
        "2026-03-07T10:00:00-05:00": "not_a_slot",  # a Saturday
        "2026-03-02T07:30:00-05:00": "not_a_slot",  # before hours
        "2026-05-29T10:00:00-04:00": "beyond_horizon",  # more than 60 days ahead
    }
    for start, code in cases.items():
        response = post_booking(client, working_doctor, start)
        assert response.status_code == 400, start
        assert response.json()["code"] == code, start
    assert nothing_written() == (0, 0, 0, 0)


def test_a_slot_inside_the_minimum_notice_is_too_soon(clock, client_for, working_doctor, patient):
    give_hours(working_doctor, minimum_notice_minutes=180)
    response = post_booking(client_for(patient), working_doctor, "2026-03-02T09:00:00-05:00")
    assert response.status_code == 400
    assert response.json()["code"] == "too_soon"
    assert nothing_written() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"start": "2026-03-02T09:00:00"}, 400),  # no offset: ambiguous
        ({"start": "tomorrow at nine"}, 400),
        ({"start": "2026-02-30T09:00:00-05:00"}, 400),
        ({"start": ""}, 400),
        ({"start": None}, 400),
        ({"start": "2026-03-02T09:00:00-05:00", "doctor": "not-a-uuid"}, 400),
        ({"start": "2026-03-02T09:00:00-05:00", "reason": "x" * 501}, 400),
    ],
)
def test_malformed_bookings_get_a_clear_400_and_change_nothing(
    clock, client_for, working_doctor, patient, body, status
):
    full = {"doctor": str(working_doctor.pk), "reason": "", **body}
    response = client_for(patient).post("/api/appointments/", full, format="json")
    assert response.status_code == status
    assert response.json()["code"] == "invalid"
    assert "detail" in response.json()
    assert nothing_written() == (0, 0, 0, 0)


def test_an_unknown_doctor_is_404_and_changes_nothing(clock, client_for, patient, outsider):
    response = client_for(patient).post(
        "/api/appointments/",
        {"doctor": "7d2c4b0e-1111-4c2e-9e51-2f5f0c7b9a10", "start": "2026-03-02T09:00:00-05:00"},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "doctor_not_found"
    # A patient's id is not a doctor either.
    response = post_booking(client_for(patient), outsider, "2026-03-02T09:00:00-05:00")
    assert response.status_code == 404
    assert nothing_written() == (0, 0, 0, 0)


def test_a_taken_slot_is_409_and_the_first_booking_stays(
    clock, client_for, working_doctor, patient, outsider
):
    first = post_booking(client_for(patient), working_doctor, "2026-03-02T09:00:00-05:00")
    assert first.status_code == 201
    before = nothing_written()
    response = post_booking(client_for(outsider), working_doctor, "2026-03-02T09:00:00-05:00")
    assert response.status_code == 409
    assert response.json()["code"] == "slot_taken"
    assert nothing_written() == before
    assert Appointment.objects.get().patient == patient


def test_a_patient_cannot_hold_two_appointments_at_the_same_time(
    clock, client_for, working_doctor, other_doctor, patient
):
    first = post_booking(client_for(patient), working_doctor, "2026-03-02T09:00:00-05:00")
    assert first.status_code == 201
    response = post_booking(client_for(patient), other_doctor, "2026-03-02T09:00:00-05:00")
    assert response.status_code == 409
    assert response.json()["code"] == "patient_busy"
    assert Appointment.objects.count() == 1
    # The next slot with the other doctor is fine.
    later = post_booking(client_for(patient), other_doctor, "2026-03-02T09:30:00-05:00")
    assert later.status_code == 201


def test_overlapping_appointments_with_different_slot_lengths_are_refused_for_the_patient(
    working_doctor, other_doctor, patient
):
    give_hours(other_doctor, slot_minutes=45,
               periods=[{"weekday": 0, "start": time(9, 15), "end": time(12)}])
    book(patient, working_doctor, NINE_AM + timedelta(minutes=30), NOW)  # 09:30-10:00
    with pytest.raises(PatientBusy):
        book(patient, other_doctor, NINE_AM + timedelta(minutes=15), NOW)  # 09:15-10:00


def test_the_daily_cap_refuses_the_day_but_not_the_next(working_doctor, patient):
    give_hours(working_doctor, max_per_day=2)
    others = [PatientFactory() for _ in range(3)]
    book(others[0], working_doctor, NINE_AM, NOW)
    book(others[1], working_doctor, NINE_AM + timedelta(hours=1), NOW)
    with pytest.raises(DayFull):
        book(others[2], working_doctor, NINE_AM + timedelta(hours=2), NOW)
    assert DailyBookingCount.objects.get(date=NINE_AM.date()).count == 2
    book(others[2], working_doctor, TUESDAY_NINE_AM, NOW)


def test_cancelling_gives_the_day_its_place_back(working_doctor, patient):
    from appointments import services

    give_hours(working_doctor, max_per_day=1)
    first = book(patient, working_doctor, NINE_AM, NOW)
    services.appointment_cancel(actor=working_doctor, appointment_id=first.pk, now=NOW)
    again = book(PatientFactory(), working_doctor, NINE_AM + timedelta(hours=1), NOW)
    assert again.status == "booked"


def test_booked_slots_disappear_from_the_free_slots(clock, client_for, working_doctor, patient):
    book(patient, working_doctor, NINE_AM, NOW)
    response = client_for(patient).get(
        f"/api/doctors/{working_doctor.pk}/slots/", {"start": "2026-03-02", "end": "2026-03-02"}
    )
    starts = [s["start"] for s in response.json()["slots"]]
    assert "2026-03-02T09:00:00-05:00" not in starts
    assert starts[0] == "2026-03-02T09:30:00-05:00"
    assert len(starts) == 15


def test_doctors_cannot_book_and_staff_book_for_a_named_patient(
    clock, client_for, working_doctor, patient, staff
):
    response = post_booking(client_for(working_doctor), working_doctor, "2026-03-02T09:00:00-05:00")
    assert response.status_code == 403
    response = post_booking(client_for(staff), working_doctor, "2026-03-02T09:00:00-05:00")
    assert response.status_code == 404
    assert response.json()["code"] == "patient_not_found"
    response = post_booking(
        client_for(staff), working_doctor, "2026-03-02T09:00:00-05:00", patient=str(patient.pk)
    )
    assert response.status_code == 201
    assert Appointment.objects.get().patient == patient


def test_booking_takes_the_patient_off_that_doctors_waitlist(working_doctor, patient):
    from appointments import services

    entry, _ = services.waitlist_join(patient=patient, doctor_id=working_doctor.pk, now=NOW)
    book(patient, working_doctor, NINE_AM, NOW)
    entry.refresh_from_db()
    assert entry.status == "booked"


def test_buffers_are_claimed_so_no_booking_lands_in_them(working_doctor, patient, outsider):
    give_hours(working_doctor, buffer_after_minutes=10)
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    assert appointment.blocked_end == NINE_AM + timedelta(minutes=40)
    assert SlotClaim.objects.filter(appointment=appointment).count() == 8
    # The next slot starts after the buffer.
    nxt = book(outsider, working_doctor, NINE_AM + timedelta(minutes=40), NOW)
    assert nxt.start == NINE_AM + timedelta(minutes=40)


def test_the_database_itself_refuses_a_second_claim_on_a_doctors_cell(working_doctor, patient):
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotClaim.objects.create(
            doctor=working_doctor, cell_start=NINE_AM + timedelta(minutes=5),
            appointment=appointment,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientSlotClaim.objects.create(
            patient=patient, cell_start=NINE_AM, appointment=appointment
        )


def test_a_doctor_closed_to_new_patients_still_books_the_ones_they_have_seen(
    working_doctor, patient, outsider
):
    from accounts.models import DoctorProfile
    from appointments.errors import NotAcceptingNewPatients

    book(patient, working_doctor, NINE_AM, NOW)
    DoctorProfile.objects.filter(user=working_doctor).update(accepting_new_patients=False)
    working_doctor.refresh_from_db()
    with pytest.raises(NotAcceptingNewPatients):
        book(outsider, working_doctor, NINE_AM + timedelta(hours=1), NOW)
    assert book(patient, working_doctor, TUESDAY_NINE_AM, NOW).status == "booked"


def test_a_reschedule_to_another_day_moves_the_daily_count(working_doctor, patient):
    from appointments import services

    appointment = book(patient, working_doctor, NINE_AM + timedelta(days=3), NOW)
    services.appointment_reschedule(actor=working_doctor, appointment_id=appointment.pk,
                                    start=TUESDAY_NINE_AM, now=NOW)
    counts = dict(DailyBookingCount.objects.values_list("date", "count"))
    assert counts == {TUESDAY_NINE_AM.date(): 1, (NINE_AM + timedelta(days=3)).date(): 0}


def test_malformed_reschedules_and_cancels_are_400_and_change_nothing(
    clock, client_for, working_doctor, patient
):
    appointment = book(patient, working_doctor, NINE_AM + timedelta(days=3), NOW)
    client = client_for(patient)
    before = nothing_written()
    for body in ({"start": "2026-03-05T10:00:00"}, {"start": "soon"}, {}, {"start": 12}):
        response = client.post(f"/api/appointments/{appointment.pk}/reschedule/", body,
                               format="json")
        assert response.status_code == 400, body
        assert response.json()["code"] == "invalid"
    response = client.post(f"/api/appointments/{appointment.pk}/cancel/", {"reason": "x" * 501},
                           format="json")
    assert response.status_code == 400
    response = client.post(f"/api/appointments/{appointment.pk}/reschedule/",
                           {"start": "2026-03-05T10:10:00-05:00"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "not_a_slot")
    assert nothing_written() == before
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_cancel_notice_over_http_per_role(clock, client_for, working_doctor, patient, staff):
    soon = book(patient, working_doctor, NINE_AM, NOW)
    response = client_for(patient).post(f"/api/appointments/{soon.pk}/cancel/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "notice_too_short")
    response = client_for(staff).post(f"/api/appointments/{soon.pk}/cancel/",
                                      {"reason": "Clinic closed"}, format="json")
    assert response.status_code == 200
    assert response.json()["cancelled_by"] == "staff"
    assert response.json()["cancellation_reason"] == "Clinic closed"


def test_both_one_oclocks_of_the_fall_back_night_are_booked_by_their_offset(
    clock, client_for, doctor, patient, outsider
):
    give_hours(doctor, horizon_days=365, slot_minutes=60,
               periods=[{"weekday": 6, "start": time(0), "end": time(3)}])
    first = post_booking(client_for(patient), doctor, "2026-11-01T01:00:00-04:00")
    second = post_booking(client_for(outsider), doctor, "2026-11-01T01:00:00-05:00")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["start"] == "2026-11-01T01:00:00-04:00"
    assert second.json()["start"] == "2026-11-01T01:00:00-05:00"
    starts = sorted(Appointment.objects.values_list("start", flat=True))
    assert starts[1] - starts[0] == timedelta(hours=1)


def test_the_skipped_hour_of_spring_forward_cannot_be_booked(
    clock, client_for, doctor, patient, outsider
):
    give_hours(doctor, slot_minutes=60,
               periods=[{"weekday": 6, "start": time(1), "end": time(4)}])
    # 02:00 EST does not exist on 8 March; written as 02:00-05:00 it is 03:00 EDT, a real slot.
    response = post_booking(client_for(patient), doctor, "2026-03-08T03:00:00-04:00")
    assert response.status_code == 201
    response = post_booking(client_for(outsider), doctor, "2026-03-08T02:00:00-05:00")
    assert (response.status_code, response.json()["code"]) == (409, "slot_taken")  # same instant


def test_a_retried_booking_is_told_it_already_holds_the_slot(
    clock, client_for, working_doctor, patient
):
    client = client_for(patient)
    assert post_booking(client, working_doctor, "2026-03-02T09:00:00-05:00").status_code == 201
    retry = post_booking(client, working_doctor, "2026-03-02T09:00:00-05:00")
    assert (retry.status_code, retry.json()["code"]) == (409, "already_booked")
    assert Appointment.objects.count() == 1
