"""The HTTP API: shapes, permissions, privacy, and bad input that changes nothing."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from queueing import services
from queueing.models import QueueEntry, QueueEntryTransition

from ..factories import DoctorFactory, PatientFactory
from .factories import QueueFactory

pytestmark = pytest.mark.django_db

Status = QueueEntry.Status


def join(patient, minutes_ago: float = 0, reason: str = "headache") -> QueueEntry:
    return services.queue_entry_join(
        patient=patient, reason=reason, now=timezone.now() - timedelta(minutes=minutes_ago)
    )


def nothing_changed() -> tuple[int, int]:
    return QueueEntry.objects.count(), QueueEntryTransition.objects.count()


# --- joining ----------------------------------------------------------------------------------


def test_patient_joins_and_gets_status_position_and_estimate(client_for, patient, default_queue):
    response = client_for(patient).post("/api/queue/entries/", {"reason": "cough"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "waiting"
    assert body["position"] == 1
    assert body["estimated_wait_seconds"] == 0
    assert body["queue"]["slug"] == "general"
    assert QueueEntry.objects.get(pk=body["id"]).patient == patient


def test_second_active_entry_is_409(client_for, patient, default_queue):
    client = client_for(patient)
    client.post("/api/queue/entries/", {"reason": "cough"}, format="json")
    response = client.post("/api/queue/entries/", {"reason": "again"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_queued"
    assert QueueEntry.objects.count() == 1


def test_unknown_queue_is_a_400_with_a_code_and_changes_nothing(client_for, patient, default_queue):
    before = nothing_changed()
    response = client_for(patient).post(
        "/api/queue/entries/", {"reason": "cough", "queue": "cardiology"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_queue"
    assert nothing_changed() == before


def test_too_long_reason_is_a_400_naming_the_field_and_is_not_logged(
    client_for, patient, default_queue, caplog
):
    before = nothing_changed()
    secret = "chest pain " * 60  # 660 characters
    with caplog.at_level(logging.INFO):
        response = client_for(patient).post("/api/queue/entries/", {"reason": secret}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "reason" in response.json()["errors"]
    assert nothing_changed() == before
    assert "chest pain" not in caplog.text
    assert "refused" in caplog.text


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": 7, "queue": ["x"]}])
def test_malformed_join_is_a_400(client_for, patient, default_queue, body):
    response = client_for(patient).post("/api/queue/entries/", body, format="json")
    assert response.status_code == 400
    assert QueueEntry.objects.count() == 0


def test_a_doctor_cannot_join(client_for, doctor, default_queue):
    response = client_for(doctor).post("/api/queue/entries/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "patients_only"


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/queue/entries/").status_code == 401


# --- what each role sees ----------------------------------------------------------------------


def test_patient_sees_only_their_own_entry_and_position(client_for, patient, outsider, default_queue):
    join(outsider, minutes_ago=5, reason="outsider's private reason")
    join(patient)
    body = client_for(patient).get("/api/queue/entries/").json()
    assert len(body) == 1
    (mine,) = body
    assert mine["position"] == 2
    assert mine["reason"] == "headache"
    assert "outsider" not in str(body) and str(outsider.pk) not in str(body)
    assert "patient" not in mine  # no presence or identity of anyone


def test_patient_without_entry_gets_an_empty_list(client_for, patient, default_queue):
    assert client_for(patient).get("/api/queue/entries/").json() == []


def test_patient_cannot_read_or_leave_another_patients_entry(client_for, patient, outsider, default_queue):
    theirs = join(outsider)
    client = client_for(patient)
    assert client.get(f"/api/queue/entries/{theirs.pk}/").status_code == 404
    response = client.post(f"/api/queue/entries/{theirs.pk}/leave/")
    assert response.status_code == 404
    assert response.json()["code"] == "entry_not_found"
    theirs.refresh_from_db()
    assert theirs.status == Status.WAITING


def test_doctor_gets_entries_in_order_with_presence(client_for, doctor, online, default_queue):
    first, second, third = PatientFactory(), PatientFactory(), PatientFactory()
    online(second)
    join(first, minutes_ago=5)
    join(second, minutes_ago=3)
    urgent = join(third)
    services.queue_entry_set_urgency(entry_id=urgent.pk, actor=doctor, urgency=2)
    body = client_for(doctor).get("/api/queue/entries/").json()
    assert [e["patient"]["id"] for e in body] == [str(third.pk), str(first.pk), str(second.pk)]
    assert [e["position"] for e in body] == [1, 2, 3]
    assert [e["patient"]["presence"]["status"] for e in body] == ["offline", "offline", "online"]
    assert body[0]["reason"] == "headache"


def test_doctor_does_not_see_queues_they_do_not_serve(client_for, patient, default_queue):
    derm_doctor, other_doctor = DoctorFactory(), DoctorFactory()
    derm = QueueFactory(slug="derm")
    derm.doctors.add(derm_doctor)
    services.queue_entry_join(patient=patient, reason="mole", queue_ref="derm")
    assert client_for(other_doctor).get("/api/queue/entries/").json() == []
    assert len(client_for(derm_doctor).get("/api/queue/entries/").json()) == 1


def test_staff_see_every_queue(client_for, staff, patient, outsider, default_queue):
    derm = QueueFactory(slug="derm")
    derm.doctors.add(DoctorFactory())
    join(patient)
    services.queue_entry_join(patient=outsider, reason="mole", queue_ref="derm")
    body = client_for(staff).get("/api/queue/entries/").json()
    assert {e["patient"]["id"] for e in body} == {str(patient.pk), str(outsider.pk)}
    only_derm = client_for(staff).get("/api/queue/entries/?queue=derm").json()
    assert [e["patient"]["id"] for e in only_derm] == [str(outsider.pk)]


def test_queues_are_listed(client_for, patient, default_queue):
    QueueFactory(slug="derm", name="Dermatology")
    body = client_for(patient).get("/api/queue/queues/").json()
    assert [q["slug"] for q in body] == ["general", "derm"]


# --- doctors' actions -------------------------------------------------------------------------


def test_next_gives_200_with_the_entry_then_204(client_for, doctor, patient, online, default_queue):
    online(patient)
    entry = join(patient)
    client = client_for(doctor)
    response = client.post("/api/queue/next/")
    assert response.status_code == 200
    assert response.json()["id"] == str(entry.pk)
    assert response.json()["status"] == "claimed"
    assert response.json()["claimed_by"]["id"] == str(doctor.pk)
    client.post(f"/api/queue/entries/{entry.pk}/start/")
    assert client.post("/api/queue/next/").status_code == 204


def test_a_patient_calling_next_gets_403_and_nothing_changes(client_for, patient, outsider, online, default_queue):
    online(outsider)
    join(outsider)
    before = nothing_changed()
    response = client_for(patient).post("/api/queue/next/")
    assert response.status_code == 403
    assert response.json()["code"] == "doctors_only"
    assert nothing_changed() == before
    assert QueueEntry.objects.get().status == Status.WAITING


def test_claim_start_complete_flow_and_their_errors(client_for, doctor, patient, default_queue):
    entry = join(patient)
    other = client_for(DoctorFactory())
    mine = client_for(doctor)
    assert mine.post(f"/api/queue/entries/{entry.pk}/complete/").status_code == 403
    assert mine.post(f"/api/queue/entries/{entry.pk}/claim/").status_code == 200
    lost = other.post(f"/api/queue/entries/{entry.pk}/claim/")
    assert (lost.status_code, lost.json()["code"]) == (409, "not_claimable")
    denied = other.post(f"/api/queue/entries/{entry.pk}/start/")
    assert (denied.status_code, denied.json()["code"]) == (403, "not_claimer")
    early = mine.post(f"/api/queue/entries/{entry.pk}/complete/")
    assert (early.status_code, early.json()["code"]) == (409, "wrong_state")
    assert mine.post(f"/api/queue/entries/{entry.pk}/start/").json()["status"] == "in_consultation"
    assert mine.post(f"/api/queue/entries/{entry.pk}/complete/").json()["status"] == "completed"


def test_unknown_entry_is_404(client_for, doctor, default_queue):
    response = client_for(doctor).post("/api/queue/entries/00000000-0000-0000-0000-000000000000/claim/")
    assert response.status_code == 404


def test_patient_leaves(client_for, patient, default_queue):
    entry = join(patient)
    response = client_for(patient).post(f"/api/queue/entries/{entry.pk}/leave/")
    assert response.status_code == 200
    assert response.json()["status"] == "left"


# --- urgency ----------------------------------------------------------------------------------


def test_doctor_and_staff_change_urgency(client_for, doctor, staff, patient, default_queue):
    entry = join(patient)
    response = client_for(doctor).patch(f"/api/queue/entries/{entry.pk}/", {"urgency": 2}, format="json")
    assert (response.status_code, response.json()["urgency"]) == (200, 2)
    response = client_for(staff).patch(f"/api/queue/entries/{entry.pk}/", {"urgency": 1}, format="json")
    assert (response.status_code, response.json()["urgency"]) == (200, 1)


def test_patient_cannot_change_their_urgency(client_for, patient, default_queue):
    entry = join(patient)
    response = client_for(patient).patch(f"/api/queue/entries/{entry.pk}/", {"urgency": 1}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "clinicians_only")
    entry.refresh_from_db()
    assert entry.urgency == 4


@pytest.mark.parametrize("value", [0, 6, "2", True, None, 2.5])
def test_bad_urgency_is_a_400_and_changes_nothing(client_for, doctor, patient, default_queue, value):
    entry = join(patient)
    before = nothing_changed()
    response = client_for(doctor).patch(f"/api/queue/entries/{entry.pk}/", {"urgency": value}, format="json")
    assert response.status_code == 400
    assert nothing_changed() == before
    entry.refresh_from_db()
    assert entry.urgency == 4


# --- stats ------------------------------------------------------------------------------------


def test_stats_for_staff_count_statuses_urgencies_waits_and_doctors(
    client_for, staff, online, default_queue
):
    busy_doctor, free_doctor, offline_doctor = DoctorFactory(), DoctorFactory(), DoctorFactory()
    online(busy_doctor, free_doctor)
    a, b, c = PatientFactory(), PatientFactory(), PatientFactory()
    join(a, minutes_ago=10)
    join(b, minutes_ago=4)
    taken = join(c, minutes_ago=1)
    services.queue_entry_claim(entry_id=taken.pk, doctor=busy_doctor)
    body = client_for(staff).get("/api/queue/stats/").json()
    overall = body["overall"]
    assert overall["counts_by_status"]["waiting"] == 2
    assert overall["counts_by_status"]["claimed"] == 1
    assert overall["waiting_by_urgency"] == {"1": 0, "2": 0, "3": 0, "4": 2, "5": 0}
    assert 599 <= overall["longest_wait_seconds"] <= 605
    assert 419 <= overall["average_wait_seconds"] <= 425
    assert overall["doctors_online"] == 2
    assert overall["doctors_available"] == 1
    assert overall["estimated_consultation_seconds"] == 600  # nobody finished today: the default
    (general,) = body["queues"]
    assert general["slug"] == "general"
    assert general["estimated_consultation_seconds"] == 600


def test_stats_are_forbidden_to_patients(client_for, patient, default_queue):
    response = client_for(patient).get("/api/queue/stats/")
    assert (response.status_code, response.json()["code"]) == (403, "clinicians_only")


def test_doctor_stats_cover_the_queues_they_serve(client_for, doctor, default_queue):
    derm = QueueFactory(slug="derm")
    derm.doctors.add(DoctorFactory())
    body = client_for(doctor).get("/api/queue/stats/").json()
    assert [q["slug"] for q in body["queues"]] == ["general"]


def test_doctor_list_takes_a_limit_best_first(client_for, doctor, default_queue):
    early, late = PatientFactory(), PatientFactory()
    join(early, minutes_ago=5)
    join(late)
    body = client_for(doctor).get("/api/queue/entries/?limit=1").json()
    assert [e["patient"]["id"] for e in body] == [str(early.pk)]
    response = client_for(doctor).get("/api/queue/entries/?limit=0")
    assert (response.status_code, response.json()["code"]) == (400, "bad_limit")


def test_unknown_queue_filter_is_a_400(client_for, doctor, default_queue):
    response = client_for(doctor).get("/api/queue/entries/?queue=nope")
    assert (response.status_code, response.json()["code"]) == (400, "unknown_queue")


def test_doctor_transfers_a_waiting_patient_keeping_their_wait(
    client_for, doctor, patient, default_queue, django_capture_on_commit_callbacks
):
    from .conftest import events_of

    derm_doctor = DoctorFactory()
    derm = QueueFactory(slug="derm")
    derm.doctors.add(derm_doctor)
    entry = join(patient, minutes_ago=20)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(doctor).post(
            f"/api/queue/entries/{entry.pk}/transfer/", {"queue": "derm"}, format="json"
        )
    assert response.status_code == 200
    assert response.json()["queue"]["slug"] == "derm"
    moved = QueueEntry.objects.get(pk=entry.pk)
    assert (moved.queue, moved.virtual_start) == (derm, entry.virtual_start)
    assert moved.transitions.last().note == "transferred"
    assert events_of(doctor, "queue.changed")[-1]["entry"]["queue"]["slug"] == "derm"  # it left
    assert events_of(derm_doctor, "queue.changed")[-1]["entry"]["id"] == str(entry.pk)
    assert [e["id"] for e in client_for(derm_doctor).get("/api/queue/entries/").json()] == [str(entry.pk)]
    # The doctor of the old queue no longer sees it.
    assert client_for(doctor).get("/api/queue/entries/").json() == []


def test_transfer_refusals(client_for, doctor, patient, default_queue):
    entry = join(patient)
    refused = client_for(patient).post(f"/api/queue/entries/{entry.pk}/transfer/", {"queue": "general"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "clinicians_only")
    unknown = client_for(doctor).post(f"/api/queue/entries/{entry.pk}/transfer/", {"queue": "nope"}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_queue")
    services.queue_entry_claim(entry_id=entry.pk, doctor=doctor)
    QueueFactory(slug="derm")
    taken = client_for(doctor).post(f"/api/queue/entries/{entry.pk}/transfer/", {"queue": "derm"}, format="json")
    assert (taken.status_code, taken.json()["code"]) == (409, "wrong_state")
