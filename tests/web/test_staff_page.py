"""The staff overview, reached from the admin: who is online, queue lengths and waits, today's
appointments."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import screenshot, with_password

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_the_admin_links_to_a_live_overview_of_people_queues_and_appointments(
    web_server, new_context, open_page, staff, patient, doctor, celery_worker
):
    staff.is_staff = True  # may use the admin
    staff.save(update_fields=["is_staff"])
    with_password(staff)
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{web_server.http_url}/admin/login/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill("browser-pass-1")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Live overview").click()
    expect(page).to_have_url(f"{web_server.http_url}/staff/")
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.locator("#patients-online")).to_contain_text("Nobody.")

    patient_page = open_page(new_context(), web_server, patient)
    open_page(new_context(), web_server, doctor)
    expect(page.locator(f'#doctors-online li[data-user-id="{doctor.pk}"]')).to_contain_text("Online")
    expect(page.locator(f'#patients-online li[data-user-id="{patient.pk}"]')).to_contain_text("Online")

    patient_page.get_by_label("What brings you in today?").fill("Cough")
    patient_page.get_by_role("button", name="Join the waiting room").click()
    expect(page.locator("#queue-stats tr .waiting").first).to_have_text("1", timeout=15_000)
    screenshot(page, "staff-overview")
