"""Who sees what: a patient never sees or changes another patient's appointment (404, not 403)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from appointments.models import Appointment
from presence.access import watchable_user_ids

from .conftest import NINE_AM, NOW
from .factories import book, events_of

pytestmark = pytest.mark.django_db

IN_THREE_DAYS = NINE_AM + timedelta(days=3)


@pytest.fixture
def bobs(working_doctor, patient):
    return book(patient, working_doctor, IN_THREE_DAYS, NOW, reason="Chest pain")


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("post", "cancel/", {"reason": "x"}),
        ("post", "reschedule/", {"start": "2026-03-05T11:00:00-05:00"}),
        ("post", "check-in/", None),
        ("post", "no-show/", None),
        ("post", "complete/", None),
    ],
)
def test_another_patient_gets_404_and_changes_nothing(
    clock, client_for, bobs, outsider, method, suffix, body
):
    client = client_for(outsider)
    response = getattr(client, method)(f"/api/appointments/{bobs.pk}/{suffix}", body, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "appointment_not_found"
    # Exactly what an id that exists nowhere gets: existence does not leak.
    unknown = getattr(client, method)(
        f"/api/appointments/{uuid.uuid4()}/{suffix}", body, format="json"
    )
    assert (unknown.status_code, unknown.json()) == (404, response.json())
    bobs.refresh_from_db()
    assert bobs.status == "booked"
    assert Appointment.objects.count() == 1


def test_another_doctor_gets_404_too(clock, client_for, bobs, other_doctor):
    response = client_for(other_doctor).post(f"/api/appointments/{bobs.pk}/cancel/", {},
                                             format="json")
    assert response.status_code == 404


def test_malformed_appointment_ids_are_404(clock, client_for, patient):
    assert client_for(patient).get("/api/appointments/not-a-uuid/").status_code == 404


def test_each_lists_their_own_and_staff_list_all(
    clock, client_for, working_doctor, other_doctor, patient, outsider, staff
):
    mine = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    theirs = book(outsider, other_doctor, IN_THREE_DAYS, NOW)

    def ids(user):
        response = client_for(user).get("/api/appointments/")
        assert response.status_code == 200
        return {a["id"] for a in response.json()["appointments"]}

    assert ids(patient) == {str(mine.pk)}
    assert ids(outsider) == {str(theirs.pk)}
    assert ids(working_doctor) == {str(mine.pk)}
    assert ids(other_doctor) == {str(theirs.pk)}
    assert ids(staff) == {str(mine.pk), str(theirs.pk)}


def test_list_filters_and_bad_filters(clock, client_for, working_doctor, patient):
    book(patient, working_doctor, IN_THREE_DAYS, NOW)
    client = client_for(patient)
    assert client.get("/api/appointments/", {"status": "cancelled"}).json()["appointments"] == []
    assert len(client.get("/api/appointments/", {"status": "booked"}).json()["appointments"]) == 1
    assert client.get("/api/appointments/", {"status": "whatever"}).status_code == 400
    assert client.get("/api/appointments/", {"start": "2026-03-05T09:00:00"}).status_code == 400
    after = client.get("/api/appointments/", {"start": "2026-03-06T00:00:00-05:00"})
    assert after.json()["appointments"] == []


def test_events_reach_only_the_doctor_and_patient_of_the_appointment(
    working_doctor, other_doctor, patient, outsider, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book(patient, working_doctor, IN_THREE_DAYS, NOW)
    assert len(events_of(patient)) == 1
    assert len(events_of(working_doctor)) == 1
    assert events_of(outsider) == []
    assert events_of(other_doctor) == []
    assert events_of(staff) == []


def test_a_doctor_may_watch_the_presence_of_patients_booked_with_them_only(
    working_doctor, other_doctor, patient, outsider
):
    appointment = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    candidates = [str(patient.pk), str(outsider.pk)]
    assert watchable_user_ids(viewer=working_doctor, user_ids=candidates) == {str(patient.pk)}
    assert watchable_user_ids(viewer=other_doctor, user_ids=candidates) == set()
    from appointments import services

    services.appointment_cancel(actor=working_doctor, appointment_id=appointment.pk, now=NOW)
    assert watchable_user_ids(viewer=working_doctor, user_ids=candidates) == set()


def test_waitlist_offers_reach_only_the_waitlisted(
    working_doctor, patient, outsider, django_capture_on_commit_callbacks
):
    from appointments import services
    from tests.factories import PatientFactory

    bystander = PatientFactory()
    appointment = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    services.waitlist_join(patient=outsider, doctor_id=working_doctor.pk, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(actor=patient, appointment_id=appointment.pk, now=NOW)
    [offer] = events_of(outsider)
    assert offer["type"] == "appointment.slot_available"
    assert set(offer) == {"type", "doctor", "slot"}  # nothing about who cancelled
    assert events_of(bystander) == []
