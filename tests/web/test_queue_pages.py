"""The waiting room through the pages, in two browsers: a patient joins, the doctor sees them
arrive live and takes them, the patient sees it live; with the patient's WebSocket allowed and
blocked; and a patient whose tab closes goes away, then is gone, at the configured times.

Needs the `queueing` app (docs/waiting-room.md).
"""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from .conftest import QUEUE_AWAY_GRACE_SECONDS, refuse_websockets, screenshot

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

GRACE, TIMEOUT, SWEEP = 1.0, 2.0, 0.5


def join(page, reason="Sore throat"):
    page.get_by_label("What brings you in today?").fill(reason)
    page.get_by_role("button", name="Join the waiting room").click()


def row_of(page, patient):
    return page.locator(f'#queue-body tr[data-patient-id="{patient.pk}"]')


@pytest.mark.parametrize("websocket", ["allowed", "blocked"])
def test_the_patient_joins_the_doctor_sees_them_live_takes_them_and_the_patient_sees_it(
    web_server, new_context, open_page, patient, doctor, celery_worker, websocket
):
    doctor_page = open_page(new_context(), web_server, doctor)
    expect(doctor_page.locator("#connection")).to_have_text("Live")
    expect(doctor_page.locator("#queue-empty")).to_be_visible()

    patient_context = new_context()
    if websocket == "blocked":
        refuse_websockets(patient_context)
    patient_page = open_page(patient_context, web_server, patient)
    expected = "Live" if websocket == "allowed" else "Live (fallback: HTTP)"
    expect(patient_page.locator("#connection")).to_have_text(expected)

    join(patient_page)
    expect(patient_page.locator("#queue-status")).to_have_text("You are in the waiting room.")
    expect(patient_page.locator("#queue-position")).to_have_text("1")

    row = row_of(doctor_page, patient)
    expect(row).to_be_visible()  # live: the doctor's page was not reloaded
    expect(row.locator(".presence")).to_have_text("Online")
    expect(row.locator(".status")).to_have_text("Waiting")
    screenshot(doctor_page, f"doctor-queue-{websocket}")
    screenshot(patient_page, f"patient-waiting-{websocket}")

    row.get_by_role("button", name=f"Take {patient.display_name}").click()
    expect(doctor_page.locator("#current")).to_contain_text(patient.display_name)
    expect(row).to_have_count(0)
    expect(patient_page.locator("#queue-status")).to_contain_text("A doctor is ready for you")
    expect(patient_page.locator("#queue-status")).to_contain_text(doctor.display_name)
    expect(patient_page.locator("#connection")).to_have_text(expected)  # and still says how

    doctor_page.get_by_role("button", name="Start the consultation").click()
    expect(patient_page.locator("#queue-status")).to_contain_text("In consultation", timeout=10_000)
    doctor_page.get_by_role("button", name="Complete").click()
    expect(doctor_page.locator("#current")).to_contain_text("Nobody yet.")
    expect(patient_page.locator("#queue-join-form")).to_be_visible(timeout=10_000)
    screenshot(patient_page, f"patient-completed-{websocket}")


def test_take_next_on_an_empty_waiting_room_says_so(web_server, new_context, open_page, doctor):
    page = open_page(new_context(), web_server, doctor)
    page.get_by_role("button", name="Take the next patient").click()
    expect(page.locator("#queue-message")).to_have_text("Nobody can be seen right now.")


def test_a_patient_whose_tab_closes_is_away_then_gone_at_the_configured_times(
    web_server, new_context, open_page, patient, doctor, celery_worker
):
    doctor_page = open_page(new_context(), web_server, doctor)
    patient_context = new_context()
    patient_page = open_page(patient_context, web_server, patient)
    join(patient_page)
    row = row_of(doctor_page, patient)
    expect(row.locator(".presence")).to_have_text("Online")

    patient_context.close()
    closed = time.monotonic()
    expect(row.locator(".status")).to_have_text("Away (offline)", timeout=(GRACE + SWEEP + 3) * 1000)
    away_after = time.monotonic() - closed
    expect(row.locator(".presence")).to_have_text("Offline")
    screenshot(doctor_page, "doctor-queue-patient-away")
    assert away_after >= GRACE - 0.3, "offline before the presence grace period ran out"
    expect(row).to_have_count(0, timeout=(QUEUE_AWAY_GRACE_SECONDS + 4) * 1000)
    gone_after = time.monotonic() - closed
    assert gone_after >= away_after + QUEUE_AWAY_GRACE_SECONDS - 1.0, "left before the away grace"
    for line in doctor_page.locator("#activity li").all_inner_texts():
        assert "Sore throat" not in line  # the reason stays in the doctor's queue view only


def test_the_doctors_page_shows_queue_events_missed_while_offline_once(
    web_server, new_context, open_page, patient, doctor, celery_worker
):
    context = new_context()
    doctor_page = open_page(context, web_server, doctor)
    expect(doctor_page.locator("#connection")).to_have_text("Live")
    patient_page = open_page(new_context(), web_server, patient)

    context.set_offline(True)
    expect(doctor_page.locator("#connection")).to_have_text("Reconnecting…")
    join(patient_page)
    expect(patient_page.locator("#queue-position")).to_have_text("1")
    context.set_offline(False)

    expect(doctor_page.locator("#connection")).to_have_text("Live", timeout=15_000)
    expect(row_of(doctor_page, patient)).to_be_visible()
    ids = doctor_page.locator("#activity li").evaluate_all("items => items.map(i => i.dataset.eventId)")
    queue_lines = doctor_page.locator('#activity li[data-event-type="queue.changed"]')
    expect(queue_lines.first).to_be_visible()
    assert len(ids) == len(set(ids))


def test_a_patient_page_never_shows_another_waiting_patient(
    web_server, new_context, open_page, patient, outsider, doctor, celery_worker
):
    first = open_page(new_context(), web_server, outsider)
    join(first, reason="Private matter")
    second = open_page(new_context(), web_server, patient)
    join(second)
    expect(second.locator("#queue-position")).to_have_text("2")
    expect(first.locator("#queue-position")).to_have_text("1")
    content = second.content()
    for secret in (outsider.username, outsider.display_name, "Private matter", str(outsider.pk)):
        assert secret not in content
