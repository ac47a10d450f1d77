"""Pages in a real browser against real daphne: the connection indicator, the HTTP fallback when
WebSockets are blocked, a network drop and resume, doctors' live availability.

Timings are the test settings: heartbeat 1 s, timeout 2 s, grace 1 s, sweep 0.5 s.
"""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from presence.selectors import presence_of

from ..live_clients import HttpClient
from .conftest import refuse_websockets, screenshot

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

LIVE = "Live"
FALLBACK = "Live (fallback: HTTP)"
TIMEOUT = 2.0


def indicator(page):
    return page.locator("#connection")


def availability(page, doctor):
    return page.locator(f'#doctor-list li[data-doctor-id="{doctor.pk}"] .availability')


def test_every_page_shows_the_connection_state_in_words(
    web_server, new_context, open_page, patient, doctor, staff
):
    for user, name in ((patient, "patient"), (doctor, "doctor"), (staff, "staff")):
        page = open_page(new_context(), web_server, user)
        assert page.url.endswith(f"/{name}/")
        expect(indicator(page)).to_have_attribute("data-transport", "websocket")
        expect(indicator(page)).to_have_text(LIVE)
        expect(indicator(page)).to_have_attribute("role", "status")
        screenshot(page, f"{name}-page")


def test_a_patient_sees_doctors_availability_change_live(
    web_server, new_context, open_page, patient, doctor, celery_worker
):
    patient_page = open_page(new_context(), web_server, patient)
    expect(availability(patient_page, doctor)).to_have_text("Offline")

    doctor_context = new_context()
    doctor_page = open_page(doctor_context, web_server, doctor)
    expect(availability(patient_page, doctor)).to_have_text("Online")

    doctor_page.get_by_label("Busy").check()
    expect(doctor_page.locator("#my-status")).to_have_text("Busy")
    expect(availability(patient_page, doctor)).to_have_text("Busy")
    screenshot(patient_page, "patient-doctor-list")

    doctor_context.close()  # a clean close: offline after the grace period
    expect(availability(patient_page, doctor)).to_have_text("Offline", timeout=6_000)


def test_with_websockets_blocked_the_page_works_through_http_and_says_so(
    web_server, new_context, open_page, patient, doctor, celery_worker
):
    blocked = new_context()
    refuse_websockets(blocked)
    patient_page = open_page(blocked, web_server, patient)
    expect(indicator(patient_page)).to_have_attribute("data-transport", "http")
    expect(indicator(patient_page)).to_have_text(FALLBACK)

    doctor_page = open_page(new_context(), web_server, doctor)
    expect(indicator(doctor_page)).to_have_text(LIVE)
    expect(availability(patient_page, doctor)).to_have_text("Online")
    doctor_page.get_by_label("Away").check()
    expect(availability(patient_page, doctor)).to_have_text("Away")
    doctor_page.get_by_label("Busy").check()
    expect(availability(patient_page, doctor)).to_have_text("Busy")
    screenshot(patient_page, "patient-page-http-fallback")

    # The patient is online through HTTP heartbeats alone, and stays so.
    time.sleep(TIMEOUT + 0.5)
    assert presence_of(user_ids=[patient.pk])[str(patient.pk)]["status"] == "online"
    expect(indicator(patient_page)).to_have_text(FALLBACK)
    # Each change once in the page's log, even with a long-poll in flight around each one.
    ids = patient_page.locator("#activity li").evaluate_all("items => items.map(i => i.dataset.eventId)")
    assert len(ids) == len(set(ids)) >= 2


def test_the_doctors_page_reconnects_after_a_network_drop_and_shows_each_missed_event_once(
    web_server, new_context, open_page, doctor, celery_worker
):
    context = new_context()
    page = open_page(context, web_server, doctor)
    expect(indicator(page)).to_have_text(LIVE)
    # The doctor's phone stays connected and changes the doctor's status while the laptop is cut off.
    phone = HttpClient(web_server, doctor, connection="phone")
    phone.start_heartbeats(interval=0.5)

    context.set_offline(True)
    expect(indicator(page)).to_have_text("Reconnecting…")
    screenshot(page, "doctor-page-reconnecting")
    after = phone.http.get("/api/events/").json()["cursor"]
    for status in ("busy", "away", "busy"):
        assert phone.http.put("/api/presence/status/", json={"status": status}).status_code == 200
    missed = phone.http.get(f"/api/events/?after={after}").json()["events"]
    assert [e["status"] for e in missed] == ["busy", "away", "busy"]

    context.set_offline(False)
    expect(indicator(page)).to_have_text(LIVE, timeout=15_000)
    expect(page.locator("#my-status")).to_have_text("Busy")
    log = page.locator("#activity li")
    for event in missed:
        expect(page.locator(f'#activity li[data-event-id="{event["id"]}"]')).to_have_count(1)
    ids = log.evaluate_all("items => items.map(i => i.dataset.eventId)")
    assert len(ids) == len(set(ids))
    # In order: the page lists the newest first.
    positions = [ids.index(event["id"]) for event in missed]
    assert positions == sorted(positions, reverse=True)
    phone.close()


def test_sign_in_refuses_a_wrong_password_plainly(web_server, new_context, patient):
    page = new_context().new_page()
    page.goto(f"{web_server.http_url}/")
    expect(page).to_have_url(re.compile(r"/signin/$"))
    page.get_by_label("Username").fill(patient.username)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("Wrong username or password"))
    screenshot(page, "signin-page")
