"""The pages' server side: sign-in, where each role lands, and what a page is handed."""
from __future__ import annotations

import json
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def boot_of(response) -> dict:
    match = re.search(rb'<script id="boot" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "the page carries no start-up data"
    return json.loads(match.group(1))


def test_home_sends_a_stranger_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/signin/"


@pytest.mark.parametrize(("persona", "page"), [("patient", "/patient/"), ("doctor", "/doctor/"), ("staff", "/staff/")])
def test_home_sends_each_role_to_its_page(request, persona, page):
    user = request.getfixturevalue(persona)
    assert signed_in(user).get("/").url == page


def test_sign_in_with_the_form_lands_on_the_role_page(client, doctor):
    doctor.set_password("pw-123456")
    doctor.save()
    response = client.post("/signin/", {"username": doctor.username, "password": "pw-123456"})
    assert response.status_code == 302 and response.url == "/doctor/"


def test_a_wrong_password_is_refused_plainly(client, doctor):
    response = client.post("/signin/", {"username": doctor.username, "password": "nope"})
    assert response.status_code == 200
    assert b"Wrong username or password" in response.content


@pytest.mark.parametrize("page", ["/patient/", "/doctor/", "/staff/"])
def test_pages_need_sign_in(client, page):
    response = client.get(page)
    assert response.status_code == 302 and response.url.startswith("/signin/")


def test_a_patient_cannot_open_the_doctor_or_staff_page(patient):
    client = signed_in(patient)
    assert client.get("/doctor/").url == "/patient/"
    assert client.get("/staff/").url == "/patient/"


def test_the_patient_page_carries_doctors_but_nothing_about_other_patients(patient, outsider, doctor):
    response = signed_in(patient).get("/patient/")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    boot = boot_of(response)
    assert boot["me"]["id"] == str(patient.pk) and boot["token"]
    assert [d["id"] for d in boot["doctors"]] == [str(doctor.pk)]
    assert "patients" not in boot
    assert outsider.username.encode() not in response.content
    assert str(outsider.pk).encode() not in response.content


def test_the_staff_overview_lists_everyone(staff, patient, outsider, doctor):
    boot = boot_of(signed_in(staff).get("/staff/"))
    assert {p["id"] for p in boot["patients"]} == {str(patient.pk), str(outsider.pk)}
    assert [d["id"] for d in boot["doctors"]] == [str(doctor.pk)]


def test_the_admin_index_links_to_the_live_overview(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert b'href="/staff/"' in response.content


def test_sign_out_ends_the_session(patient):
    client = signed_in(patient)
    assert client.post("/signout/").url == "/signin/"
    assert client.get("/patient/").status_code == 302


def test_the_client_module_is_served(client):
    response = client.get("/static/telepresence/presence-client.js")
    assert response.status_code == 200
    assert b"export class TelepresenceClient" in b"".join(response.streaming_content)
