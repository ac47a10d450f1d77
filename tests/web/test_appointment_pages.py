"""Appointments through the pages: book a slot, a slot taken meanwhile by someone else,
reschedule, cancel, check in (into the waiting room), and the doctor's day updating live.

Needs the `appointments` app (docs/appointments.md) and, for check-in, the `queueing` app.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from accounts.models import DoctorProfile

from ..live_clients import HttpClient
from .conftest import screenshot

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

TAKEN = "Sorry, that time was just taken by someone else. Please choose another time."


def api(server, user) -> httpx.Client:
    """The API over real HTTP: an in-process call could not publish its events while
    Playwright's event loop runs in this thread."""
    return HttpClient(server, user).http


def open_all_week(server, doctor, *, slot_minutes=30) -> None:
    periods = [{"weekday": day, "start": "00:00", "end": "23:55"} for day in range(7)]
    answer = api(server, doctor).put(
        "/api/availability/",
        json={"periods": periods, "slot_minutes": slot_minutes, "minimum_notice_minutes": 0},
    )
    assert answer.status_code == 200, answer.content


def slot_buttons(page):
    return page.locator("#slot-list button.slot")


def show_day(page, day: str) -> None:
    page.get_by_label("Day", exact=True).fill(day)
    page.get_by_role("button", name="Show free times").click()
    expect(page.locator(f'#slot-list[data-day="{day}"] button.slot').first).to_be_visible()


def test_booking_a_slot_and_a_slot_taken_meanwhile_gets_a_clear_message(
    web_server, new_context, open_page, patient, outsider, doctor
):
    open_all_week(web_server, doctor)
    page = open_page(new_context(), web_server, patient)
    zone = ZoneInfo(doctor.doctor_profile.time_zone)
    day = (datetime.now(zone) + timedelta(days=3)).date().isoformat()  # past the cancel notice
    show_day(page, day)
    page.get_by_label("Reason for the visit").fill("Check-up")

    first = slot_buttons(page).nth(0)
    first.click()
    expect(page.locator("#booking-message")).to_contain_text("Booked:")
    mine = page.locator("#my-appointments li[data-appointment-id]")
    expect(mine).to_have_count(1)
    expect(mine.first).to_contain_text("Booked")
    screenshot(page, "patient-booked")

    # Someone else books the time this page still offers, then the patient clicks it.
    contested = slot_buttons(page).nth(1)
    start = contested.get_attribute("data-start")
    other = api(web_server, outsider).post(
        "/api/appointments/", json={"doctor": str(doctor.pk), "start": start, "reason": "x"}
    )
    assert other.status_code == 201, other.content
    contested.click()
    expect(page.locator("#booking-message")).to_have_text(TAKEN)
    expect(page.locator("#booking-message")).to_have_attribute("role", "alert")
    expect(page.locator(f'#slot-list button[data-start="{start}"]')).to_have_count(0)  # offered no more
    expect(mine).to_have_count(1)
    screenshot(page, "patient-slot-taken")
    assert outsider.display_name not in page.content()

    # Reschedule to another free time, then cancel.
    mine.first.get_by_role("button", name="Reschedule").click()
    expect(page.locator("#reschedule-banner")).to_be_visible()
    target = slot_buttons(page).nth(2)
    new_start = target.get_attribute("data-start")
    target.click()
    expect(page.locator("#booking-message")).to_contain_text("Moved to")
    expect(mine).to_have_count(1)
    booked = api(web_server, patient).get("/api/appointments/?status=booked").json()["appointments"]
    assert len(booked) == 1 and datetime.fromisoformat(booked[0]["start"]) == datetime.fromisoformat(new_start)

    mine.first.get_by_role("button", name="Cancel").click()
    expect(page.locator("#booking-message")).to_have_text("Appointment cancelled.")
    expect(page.locator("#my-appointments")).to_contain_text("No upcoming appointments.")


def _zone_at_midday() -> str:
    """A zone where it is now between 02:00 and 21:00, so that today still has slots."""
    for name in ("America/Toronto", "Asia/Tokyo", "Europe/London", "America/Vancouver", "Asia/Kolkata"):
        if 2 <= datetime.now(ZoneInfo(name)).hour < 21:
            return name
    return "UTC"


def test_checking_in_puts_the_patient_in_the_waiting_room_and_the_doctor_sees_it_live(
    web_server, new_context, open_page, patient, doctor, celery_worker
):
    zone = _zone_at_midday()
    DoctorProfile.objects.filter(user=doctor).update(time_zone=zone)
    open_all_week(web_server, doctor, slot_minutes=5)  # the next slot starts within 5 minutes
    doctor_page = open_page(new_context(), web_server, doctor)
    expect(doctor_page.locator("#connection")).to_have_text("Live")

    page = open_page(new_context(), web_server, patient)
    show_day(page, datetime.now(ZoneInfo(zone)).date().isoformat())
    # The second slot (5 to 10 minutes away, inside the 15-minute check-in window): the first
    # may start while the test is clicking, and a slot in the past is no longer bookable.
    slot_buttons(page).nth(1).click()
    expect(page.locator("#booking-message")).to_contain_text("Booked:")
    today = doctor_page.locator("#today-appointments li[data-appointment-id]")
    expect(today).to_have_count(1)  # live, on the doctor's page
    expect(today.first).to_contain_text(patient.display_name)

    page.locator("#my-appointments").get_by_role("button", name="Check in").click()
    expect(page.locator("#booking-message")).to_have_text("Checked in: you are in the waiting room.")
    expect(page.locator("#queue-entry")).to_be_visible()
    expect(today.first).to_contain_text("Checked in")
    expect(doctor_page.locator(f'#queue-body tr[data-patient-id="{patient.pk}"]')).to_be_visible()
    screenshot(page, "patient-checked-in")
    screenshot(doctor_page, "doctor-today")
