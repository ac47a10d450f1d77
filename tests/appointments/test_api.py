"""The rest of the HTTP API: doctors, slots, availability, overrides, waitlist, iCalendar."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from django.test import override_settings

from accounts.models import DoctorProfile
from appointments import services
from appointments.models import AvailabilityOverride, WaitlistEntry, WeeklyAvailability
from presence import keys
from telepresence.redis import get_redis
from tests.factories import PatientFactory

from .conftest import NINE_AM, NOW
from .factories import book, events_of, give_hours

pytestmark = pytest.mark.django_db

IN_THREE_DAYS = NINE_AM + timedelta(days=3)


# --- doctors ----------------------------------------------------------------------------------


def test_doctors_are_listed_with_specialty_time_zone_and_live_presence(
    client_for, working_doctor, other_doctor, patient
):
    DoctorProfile.objects.filter(user=working_doctor).update(specialty="Dermatology")
    get_redis().hset(keys.user_state(working_doctor.pk),
                     mapping={"status": "online", "last_seen": "1772452800000"})
    response = client_for(patient).get("/api/doctors/")
    assert response.status_code == 200
    doctors = {d["username"]: d for d in response.json()["doctors"]}
    assert set(doctors) == {"dr-alice", "dr-dana"}  # no patients in the list
    alice = doctors["dr-alice"]
    assert alice["specialty"] == "Dermatology"
    assert alice["time_zone"] == "America/Toronto"
    assert alice["presence"]["status"] == "online"
    assert doctors["dr-dana"]["presence"] == {"status": "offline", "last_seen": None}
    filtered = client_for(patient).get("/api/doctors/", {"specialty": "dermatology"})
    assert [d["username"] for d in filtered.json()["doctors"]] == ["dr-alice"]


def test_the_api_needs_a_signed_in_user(api_client, working_doctor):
    assert api_client.get("/api/doctors/").status_code == 401
    assert api_client.get(f"/api/doctors/{working_doctor.pk}/slots/").status_code == 401
    assert api_client.post("/api/appointments/", {}, format="json").status_code == 401


# --- slots ------------------------------------------------------------------------------------


def test_slots_for_a_vancouver_doctor_seen_from_halifax(clock, client_for, doctor, patient):
    give_hours(doctor, tz="America/Vancouver", minimum_notice_minutes=0)
    client = client_for(patient)
    url = f"/api/doctors/{doctor.pk}/slots/"
    local = client.get(url, {"start": "2026-03-02", "end": "2026-03-02"}).json()
    assert local["time_zone"] == "America/Vancouver"
    assert local["slots"][0] == {
        "start": "2026-03-02T09:00:00-08:00", "end": "2026-03-02T09:30:00-08:00",
    }
    halifax = client.get(url, {"start": "2026-03-02", "end": "2026-03-02",
                               "tz": "America/Halifax"}).json()
    assert halifax["slots"][0] == {
        "start": "2026-03-02T13:00:00-04:00", "end": "2026-03-02T13:30:00-04:00",
    }
    # After both zones sprang forward, 09:00 in Vancouver is still 13:00 in Halifax.
    week_later = client.get(url, {"start": "2026-03-09", "end": "2026-03-09",
                                  "tz": "America/Halifax"}).json()
    assert week_later["slots"][0]["start"] == "2026-03-09T13:00:00-03:00"
    # The Halifax patient books with their own offset; stored in UTC.
    response = client.post("/api/appointments/", {
        "doctor": str(doctor.pk), "start": "2026-03-09T13:00:00-03:00"}, format="json")
    assert response.status_code == 201
    assert response.json()["start"] == "2026-03-09T09:00:00-07:00"


def test_slots_across_the_toronto_spring_forward_week(clock, client_for, working_doctor, patient):
    response = client_for(patient).get(
        f"/api/doctors/{working_doctor.pk}/slots/", {"start": "2026-03-06", "end": "2026-03-09"}
    )
    starts = [s["start"] for s in response.json()["slots"]]
    assert starts[0] == "2026-03-06T09:00:00-05:00"
    assert "2026-03-09T09:00:00-04:00" in starts
    assert not any(s.startswith(("2026-03-07", "2026-03-08")) for s in starts)  # weekend


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start": "2026-03-02", "end": "2026-04-02"}, "range_too_long"),  # 32 days
        ({"start": "2026-03-10", "end": "2026-03-02"}, "bad_range"),
        ({"start": "2026-02-30", "end": "2026-03-02"}, "invalid"),
        ({"start": "yesterday", "end": "2026-03-02"}, "invalid"),
        ({"end": "2026-03-02"}, "invalid"),
        ({"start": "2026-03-02", "end": "2026-03-02", "tz": "Mars/Olympus"}, "invalid"),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "invalid"),  # would overflow
        ({"start": "0001-01-01", "end": "0001-01-01"}, "invalid"),
    ],
)
def test_bad_slot_queries_are_400(clock, client_for, working_doctor, patient, params, code):
    response = client_for(patient).get(f"/api/doctors/{working_doctor.pk}/slots/", params)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_thirty_one_days_is_allowed(clock, client_for, working_doctor, patient):
    response = client_for(patient).get(
        f"/api/doctors/{working_doctor.pk}/slots/", {"start": "2026-03-02", "end": "2026-04-01"}
    )
    assert response.status_code == 200
    assert len(response.json()["slots"]) == 23 * 16  # 23 weekdays of 16 half-hours


@pytest.mark.parametrize("doctor_id", ["7d2c4b0e-1111-4c2e-9e51-2f5f0c7b9a10", "nope"])
def test_slots_of_an_unknown_doctor_are_404(clock, client_for, patient, doctor_id):
    response = client_for(patient).get(
        f"/api/doctors/{doctor_id}/slots/", {"start": "2026-03-02", "end": "2026-03-02"}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "doctor_not_found"


def test_a_doctor_without_hours_has_no_slots(clock, client_for, doctor, patient):
    response = client_for(patient).get(
        f"/api/doctors/{doctor.pk}/slots/", {"start": "2026-03-02", "end": "2026-03-08"}
    )
    assert response.json()["slots"] == []


# --- availability -----------------------------------------------------------------------------


def test_a_doctor_reads_and_replaces_their_weekly_hours_and_settings(clock, client_for, doctor):
    client = client_for(doctor)
    response = client.put("/api/availability/", {
        "slot_minutes": 20, "buffer_after_minutes": 5, "max_per_day": 8,
        "periods": [
            {"weekday": 0, "start": "08:00", "end": "12:00"},
            {"weekday": 0, "start": "13:00", "end": "16:00"},
            {"weekday": 2, "start": "10:00", "end": "14:00"},
        ],
    }, format="json")
    assert response.status_code == 200, response.json()
    body = client.get("/api/availability/").json()
    assert body["slot_minutes"] == 20
    assert body["buffer_after_minutes"] == 5
    assert body["max_per_day"] == 8
    assert body["time_zone"] == "America/Toronto"
    assert body["periods"] == [
        {"weekday": 0, "start": "08:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "16:00"},
        {"weekday": 2, "start": "10:00", "end": "14:00"},
    ]
    # Settings alone leave the periods as they are.
    client.put("/api/availability/", {"minimum_notice_minutes": 30}, format="json")
    assert WeeklyAvailability.objects.filter(doctor=doctor).count() == 3


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"periods": [{"weekday": 0, "start": "09:00", "end": "12:00"},
                      {"weekday": 0, "start": "11:00", "end": "13:00"}]}, "overlapping_periods"),
        ({"periods": [{"weekday": 0, "start": "12:00", "end": "09:00"}]}, "invalid"),
        ({"periods": [{"weekday": 7, "start": "09:00", "end": "12:00"}]}, "invalid"),
        ({"periods": [{"weekday": 0, "start": "09:07", "end": "12:00"}]}, "invalid"),
        ({"slot_minutes": 7}, "invalid"),
        ({"slot_minutes": 0}, "invalid"),
        ({"horizon_days": -1}, "invalid"),
    ],
)
def test_bad_availability_is_400_and_changes_nothing(clock, client_for, working_doctor, body, code):
    before = list(WeeklyAvailability.objects.values_list("weekday", "start_time", "end_time"))
    response = client_for(working_doctor).put("/api/availability/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    after = list(WeeklyAvailability.objects.values_list("weekday", "start_time", "end_time"))
    assert after == before
    assert working_doctor.schedule.slot_minutes == 30


def test_patients_have_no_availability_and_staff_manage_any_doctors(
    clock, client_for, patient, staff, working_doctor
):
    assert client_for(patient).get("/api/availability/").status_code == 403
    assert client_for(patient).put("/api/availability/", {}, format="json").status_code == 403
    response = client_for(staff).put(
        f"/api/availability/?doctor={working_doctor.pk}", {"slot_minutes": 15}, format="json"
    )
    assert response.status_code == 200
    working_doctor.schedule.refresh_from_db()
    assert working_doctor.schedule.slot_minutes == 15


def test_overrides_time_off_and_extra_hours(clock, client_for, working_doctor, patient):
    booked = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    client = client_for(working_doctor)
    response = client.post("/api/availability/overrides/",
                           {"date": "2026-03-05", "kind": "time_off"}, format="json")
    assert response.status_code == 201
    # The booking is kept, and named, so the doctor decides whom to move.
    assert response.json()["affected_appointments"] == [str(booked.pk)]
    response = client.post("/api/availability/overrides/", {
        "date": "2026-03-07", "kind": "extra_hours", "start": "10:00", "end": "11:00"},
        format="json")
    assert response.status_code == 201
    slots = client_for(patient).get(
        f"/api/doctors/{working_doctor.pk}/slots/", {"start": "2026-03-05", "end": "2026-03-07"}
    ).json()["slots"]
    assert [s["start"][:10] for s in slots] == ["2026-03-06"] * 16 + ["2026-03-07"] * 2
    override_id = AvailabilityOverride.objects.get(kind="time_off").pk
    assert client.delete(f"/api/availability/overrides/{override_id}/").status_code == 204
    assert client.delete(f"/api/availability/overrides/{override_id}/").status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"date": "2026-03-05", "kind": "holiday"},
        {"date": "2026-03-05", "kind": "extra_hours"},
        {"date": "2026-03-05", "kind": "time_off", "start": "10:00"},
        {"date": "2026-03-05", "kind": "time_off", "start": "11:00", "end": "10:00"},
        {"date": "someday", "kind": "time_off"},
    ],
)
def test_bad_overrides_are_400(clock, client_for, working_doctor, body):
    response = client_for(working_doctor).post("/api/availability/overrides/", body, format="json")
    assert response.status_code == 400
    assert AvailabilityOverride.objects.count() == 0


# --- waitlist ---------------------------------------------------------------------------------


@override_settings(APPOINTMENT_WAITLIST_NOTIFY_COUNT=2)
def test_the_first_waitlisted_patients_are_told_and_the_first_to_book_wins(
    clock, client_for, working_doctor, patient, mailoutbox, django_capture_on_commit_callbacks
):
    booked = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    waiting = [PatientFactory(email=f"w{i}@example.org") for i in range(3)]
    for index, person in enumerate(waiting):
        response = client_for(person).post(f"/api/doctors/{working_doctor.pk}/waitlist/")
        assert response.status_code == 201
    again = client_for(waiting[0]).post(f"/api/doctors/{working_doctor.pk}/waitlist/")
    assert again.status_code == 200  # joining twice keeps the place
    with django_capture_on_commit_callbacks(execute=True):
        client_for(patient).post(f"/api/appointments/{booked.pk}/cancel/", {}, format="json")
    told = [p for p in waiting if events_of(p)]
    assert told == waiting[:2]
    assert events_of(waiting[0])[0]["slot"]["start"] == "2026-03-05T09:00:00-05:00"
    assert sorted(m.to[0] for m in mailoutbox) == ["w0@example.org", "w1@example.org"]
    # The second one is quicker: they get it, the first gets a 409.
    second = client_for(waiting[1]).post("/api/appointments/", {
        "doctor": str(working_doctor.pk), "start": "2026-03-05T09:00:00-05:00"}, format="json")
    first = client_for(waiting[0]).post("/api/appointments/", {
        "doctor": str(working_doctor.pk), "start": "2026-03-05T09:00:00-05:00"}, format="json")
    assert (second.status_code, first.status_code) == (201, 409)
    assert WaitlistEntry.objects.get(patient=waiting[1]).status == "booked"
    assert WaitlistEntry.objects.get(patient=waiting[0]).status == "waiting"


def test_waitlist_join_leave_and_list(clock, client_for, working_doctor, patient):
    client = client_for(patient)
    client.post(f"/api/doctors/{working_doctor.pk}/waitlist/")
    assert len(client.get("/api/waitlist/").json()["waitlist"]) == 1
    assert client.delete(f"/api/doctors/{working_doctor.pk}/waitlist/").status_code == 204
    assert client.get("/api/waitlist/").json()["waitlist"] == []
    assert client.post("/api/doctors/nope/waitlist/").status_code == 404
    assert client_for(working_doctor).post(
        f"/api/doctors/{working_doctor.pk}/waitlist/").status_code == 403


def test_a_reschedule_offers_the_freed_slot_to_the_waitlist(
    working_doctor, patient, outsider, django_capture_on_commit_callbacks
):
    old = book(patient, working_doctor, IN_THREE_DAYS, NOW)
    services.waitlist_join(patient=outsider, doctor_id=working_doctor.pk, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(actor=patient, appointment_id=old.pk,
                                        start=IN_THREE_DAYS + timedelta(hours=3), now=NOW)
    [offer] = events_of(outsider)
    assert offer["slot"]["start"] == "2026-03-05T09:00:00-05:00"


# --- iCalendar --------------------------------------------------------------------------------


def test_the_doctor_exports_their_appointments_as_icalendar(
    clock, client_for, api_client, working_doctor, patient
):
    booked = book(patient, working_doctor, IN_THREE_DAYS, NOW, reason="Chest pain")
    url = f"/api/doctors/{working_doctor.pk}/calendar.ics"
    response = client_for(working_doctor).get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"{booked.pk}@telepresence"
    assert event.decoded("dtstart") == IN_THREE_DAYS
    assert b"Chest pain" not in response.content
    assert patient.username.encode() not in response.content
    # Calendar apps that cannot send headers pass the token in the query string.
    from accounts.services import token_issue

    token = token_issue(user=working_doctor).key
    by_query = api_client.get(url, {"token": token}, HTTP_ACCEPT="text/calendar")
    assert by_query.status_code == 200
    assert by_query.content == response.content


def test_only_that_doctor_reads_the_feed(clock, client_for, api_client, working_doctor,
                                         other_doctor, patient, staff):
    url = f"/api/doctors/{working_doctor.pk}/calendar.ics"
    assert client_for(other_doctor).get(url).status_code == 403
    assert client_for(patient).get(url).status_code == 403
    assert api_client.get(url).status_code == 401
    assert api_client.get(url, {"token": "wrong"}).status_code == 401
    assert client_for(working_doctor).get(
        "/api/doctors/7d2c4b0e-1111-4c2e-9e51-2f5f0c7b9a10/calendar.ics").status_code == 404


def test_a_patient_is_not_offered_slots_that_clash_with_their_own_appointments(
    clock, client_for, working_doctor, other_doctor, patient, outsider
):
    book(patient, other_doctor, NINE_AM, NOW)
    url = f"/api/doctors/{working_doctor.pk}/slots/"
    query = {"start": "2026-03-02", "end": "2026-03-02"}
    mine = [s["start"] for s in client_for(patient).get(url, query).json()["slots"]]
    theirs = [s["start"] for s in client_for(outsider).get(url, query).json()["slots"]]
    assert "2026-03-02T09:00:00-05:00" not in mine
    assert "2026-03-02T09:00:00-05:00" in theirs
    assert len(theirs) == len(mine) + 1


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:30:00-05:00"])
def test_booking_a_time_in_a_far_off_year_is_400_and_books_nothing(
    clock, client_for, working_doctor, patient, start
):
    from appointments.models import Appointment

    response = client_for(patient).post(
        "/api/appointments/", {"doctor": str(working_doctor.pk), "start": start}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Appointment.objects.exists()
