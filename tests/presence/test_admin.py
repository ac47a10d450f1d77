from __future__ import annotations

import pytest

from presence import services
from presence.models import PresenceChange

pytestmark = pytest.mark.django_db


def test_the_doctors_page_shows_live_status_and_last_seen(client, staff, doctor):
    services.presence_heartbeat(user_id=doctor.pk, connection_id="d")
    client.force_login(staff)
    page = client.get("/admin/accounts/doctor/").content.decode()
    assert "Live status" in page
    assert ">online<" in page


def test_the_patients_page_shows_offline_and_never_for_unseen_patients(client, staff, patient):
    client.force_login(staff)
    page = client.get("/admin/accounts/patient/").content.decode()
    assert ">offline<" in page
    assert ">never<" in page


def test_staff_see_the_presence_history_read_only(client, staff, patient):
    services.presence_heartbeat(user_id=patient.pk, connection_id="p")
    client.force_login(staff)
    assert client.get("/admin/presence/presencechange/").status_code == 200
    change = PresenceChange.objects.get(user=patient)
    assert client.get(f"/admin/presence/presencechange/{change.pk}/change/").status_code == 200
    assert client.post(f"/admin/presence/presencechange/{change.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PresenceChange.objects.filter(pk=change.pk).exists()
