"""Many doctors at once: each entry goes to exactly one doctor, losers get the next one or none.

Real threads against the real database (PostgreSQL in CI); each thread closes its connection.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from queueing import services
from queueing.models import QueueEntry
from telepresence.errors import DomainError

from ..factories import DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call in its own thread at the same instant; results (or errors) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_doctors_calling_next_on_ten_entries_get_ten_distinct_claims_and_ten_nones(
    online, default_queue
):
    doctors = [DoctorFactory() for _ in range(20)]
    patients = [PatientFactory() for _ in range(10)]
    online(*patients)
    now = timezone.now()
    for minutes, patient in enumerate(patients):
        services.queue_entry_join(patient=patient, reason="cough", now=now - timedelta(minutes=minutes))

    results = run_at_once([lambda d=d: services.queue_entry_next(doctor=d) for d in doctors])

    assert not [r for r in results if isinstance(r, Exception)], results
    claims = [r for r in results if r is not None]
    assert len(claims) == 10
    assert len({entry.pk for entry in claims}) == 10
    assert results.count(None) == 10
    stored = QueueEntry.objects.filter(status=QueueEntry.Status.CLAIMED)
    assert stored.count() == 10
    assert len(set(stored.values_list("claimed_by", flat=True))) == 10
    # The audit trail agrees: one claim transition per entry, never two.
    for entry in stored:
        assert entry.transitions.filter(to_status="claimed").count() == 1


def test_ten_doctors_claiming_one_entry_one_wins_nine_get_not_claimable(patient, default_queue):
    entry = services.queue_entry_join(patient=patient, reason="rash")
    doctors = [DoctorFactory() for _ in range(10)]

    results = run_at_once(
        [lambda d=d: services.queue_entry_claim(entry_id=entry.pk, doctor=d) for d in doctors]
    )

    won = [r for r in results if isinstance(r, QueueEntry)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1 and len(lost) == 9
    assert {error.code for error in lost} == {"not_claimable"}


def test_one_patient_joining_from_five_tabs_at_once_gets_one_entry(patient, default_queue):
    results = run_at_once(
        [lambda: services.queue_entry_join(patient=patient, reason="fever") for _ in range(5)]
    )
    assert sum(isinstance(r, QueueEntry) for r in results) == 1
    assert {r.code for r in results if isinstance(r, DomainError)} == {"already_queued"}
    assert QueueEntry.objects.filter(patient=patient).count() == 1


def test_over_http_twenty_doctors_get_ten_200s_and_ten_204s(client_for, online, default_queue):
    doctors = [DoctorFactory() for _ in range(20)]
    clients = [client_for(d) for d in doctors]
    patients = [PatientFactory() for _ in range(10)]
    online(*patients)
    for patient in patients:
        services.queue_entry_join(patient=patient, reason="cough")

    responses = run_at_once([lambda c=c: c.post("/api/queue/next/") for c in clients])

    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 10 + [204] * 10
    taken = [r.json()["id"] for r in responses if r.status_code == 200]
    assert len(set(taken)) == 10
