"""Staff manage every queue in the admin; actions go through the services and are audited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from queueing import services
from queueing.models import QueueEntry

from ..factories import PASSWORD, PatientFactory
from .factories import QueueFactory

pytestmark = pytest.mark.django_db

URL = "/admin/queueing/queueentry/"


@pytest.fixture
def staff_client(client, staff):
    assert client.login(username=staff.username, password=PASSWORD)
    return client


def join(patient, minutes_ago=0, **kwargs):
    return services.queue_entry_join(
        patient=patient, reason="private reason", now=timezone.now() - timedelta(minutes=minutes_ago), **kwargs
    )


def test_staff_list_entries_with_their_current_wait(staff_client, patient, default_queue):
    join(patient, minutes_ago=12)
    page = staff_client.get(URL)
    assert page.status_code == 200
    assert patient.username.encode() in page.content
    assert b"12:0" in page.content  # twelve minutes and a few seconds


def test_staff_filter_by_status_and_queue(staff_client, patient, outsider, default_queue):
    derm = QueueFactory(slug="derm")
    join(patient)
    gone = join(outsider, queue_ref="derm")
    services.queue_entry_leave(entry_id=gone.pk, patient=outsider)
    waiting = staff_client.get(URL, {"status__exact": "waiting"}).content
    assert patient.username.encode() in waiting and outsider.username.encode() not in waiting
    in_derm = staff_client.get(URL, {"queue__id__exact": str(derm.pk)}).content
    assert outsider.username.encode() in in_derm and patient.username.encode() not in in_derm


def test_remove_action_goes_through_the_service_as_the_staff_member(staff_client, staff, patient, default_queue):
    entry = join(patient)
    response = staff_client.post(URL, {"action": "remove_entries", "_selected_action": [str(entry.pk)]})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == QueueEntry.Status.REMOVED
    last = entry.transitions.last()
    assert (last.actor, last.note) == (staff, "removed_by_staff")


def test_set_urgency_action(staff_client, staff, default_queue):
    entries = [join(PatientFactory()) for _ in range(2)]
    staff_client.post(
        URL, {"action": "set_urgency_2", "_selected_action": [str(e.pk) for e in entries]}
    )
    assert set(QueueEntry.objects.values_list("urgency", flat=True)) == {2}
    assert entries[0].transitions.filter(note="urgency_changed", actor=staff).exists()


def test_entry_page_shows_the_audit_trail_read_only(staff_client, patient, default_queue):
    entry = join(patient)
    page = staff_client.get(f"{URL}{entry.pk}/change/")
    assert page.status_code == 200
    assert b"joined" in page.content
    assert b'name="urgency"' not in page.content  # no editing in place


def test_a_doctor_cannot_use_the_admin(client, doctor, default_queue):
    client.force_login(doctor)
    assert client.get(URL).status_code == 302


def test_staff_see_the_queues_with_who_serves_them(staff_client, doctor, default_queue):
    derm = QueueFactory(name="Dermatology", slug="derm")
    derm.doctors.add(doctor)
    page = staff_client.get("/admin/queueing/queue/")
    assert page.status_code == 200
    assert b"every doctor" in page.content and b"Dermatology" in page.content
