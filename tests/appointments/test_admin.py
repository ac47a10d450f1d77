"""Staff manage appointments in the admin: filter by doctor, day and status; act via services."""
from __future__ import annotations

from datetime import timedelta

import pytest

from appointments.models import Appointment, AppointmentStatusChange

from .conftest import NINE_AM, NOW
from .factories import book

pytestmark = pytest.mark.django_db


def test_staff_list_appointments_by_doctor_day_and_status(
    client, staff, working_doctor, other_doctor, patient, outsider
):
    mine = book(patient, working_doctor, NINE_AM + timedelta(days=1), NOW)
    book(outsider, other_doctor, NINE_AM + timedelta(days=2), NOW)
    client.force_login(staff)
    url = "/admin/appointments/appointment/"
    assert client.get(url).status_code == 200
    by_doctor = client.get(url, {"doctor__id__exact": str(working_doctor.pk)})
    assert by_doctor.status_code == 200
    assert str(mine.pk) in by_doctor.content.decode()
    assert by_doctor.context["cl"].result_count == 1
    by_day = client.get(url, {"start__year": "2026", "start__month": "3", "start__day": "4"})
    assert by_day.context["cl"].result_count == 1
    by_status = client.get(url, {"status__exact": "cancelled"})
    assert by_status.context["cl"].result_count == 0
    assert client.get(f"{url}{mine.pk}/change/").status_code == 200


def test_the_cancel_action_goes_through_the_service(client, staff, working_doctor, patient):
    appointment = book(patient, working_doctor, NINE_AM + timedelta(days=1), NOW)
    client.force_login(staff)
    response = client.post("/admin/appointments/appointment/", {
        "action": "cancel_selected", "_selected_action": [str(appointment.pk)]})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancelled_by == staff
    assert appointment.slot_claims.count() == 0  # the service released the claims
    assert AppointmentStatusChange.objects.filter(
        appointment=appointment, to_status="cancelled", actor=staff).exists()


def test_the_no_show_action_refuses_what_has_not_started(
    clock, client, staff, working_doctor, patient
):
    appointment = book(patient, working_doctor, NINE_AM + timedelta(days=1), NOW)
    client.force_login(staff)
    client.post("/admin/appointments/appointment/", {
        "action": "mark_no_show_selected", "_selected_action": [str(appointment.pk)]})
    assert Appointment.objects.get().status == "booked"


def test_availability_pages_open_for_staff_and_a_patient_is_kept_out(
    client, staff, patient, working_doctor
):
    client.force_login(staff)
    for page in ("schedule", "weeklyavailability", "availabilityoverride", "waitlistentry"):
        assert client.get(f"/admin/appointments/{page}/").status_code == 200, page
    client.force_login(patient)
    assert client.get("/admin/appointments/appointment/").status_code == 302


def test_the_no_show_action_marks_what_has_started(clock, client, staff, working_doctor, patient):
    appointment = book(patient, working_doctor, NINE_AM, NOW)
    clock.move_to(NINE_AM + timedelta(minutes=20))
    client.force_login(staff)
    client.post("/admin/appointments/appointment/", {
        "action": "mark_no_show_selected", "_selected_action": [str(appointment.pk)]})
    assert Appointment.objects.get().status == "noshow"
