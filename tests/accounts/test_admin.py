from __future__ import annotations

import pytest

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_admin_login_page_renders(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b"username" in response.content


def test_staff_user_signs_in_and_sees_the_doctors_list(client, staff, doctor, patient):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.username, "password": PASSWORD},
    )
    assert response.status_code == 302
    doctors = client.get("/admin/accounts/doctor/")
    assert doctors.status_code == 200
    assert b"dr-alice" in doctors.content
    assert b">bob<" not in doctors.content  # patients are not on the doctors' page


def test_a_patient_cannot_enter_the_admin(client, patient):
    client.force_login(patient)
    response = client.get("/admin/accounts/doctor/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
