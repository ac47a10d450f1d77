"""Races against the real database with real threads: the claims pick exactly one winner."""
from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from appointments import services
from appointments.models import Appointment, PatientSlotClaim, SlotClaim
from tests.factories import PatientFactory

from .conftest import NINE_AM, NOW
from .factories import book

pytestmark = pytest.mark.django_db(transaction=True)


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at once on real threads; each thread closes its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - reported through results
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def claims_are_consistent() -> None:
    """Every claim belongs to a non-cancelled appointment and covers exactly its time."""
    for appointment in Appointment.objects.all():
        doctor_cells = SlotClaim.objects.filter(appointment=appointment).count()
        patient_cells = PatientSlotClaim.objects.filter(appointment=appointment).count()
        if appointment.status == Appointment.Status.CANCELLED:
            assert (doctor_cells, patient_cells) == (0, 0)
        else:
            minutes = (appointment.blocked_end - appointment.blocked_start).total_seconds() / 60
            assert doctor_cells == minutes / 5
            assert patient_cells == (appointment.end - appointment.start).total_seconds() / 300


def test_twenty_patients_booking_the_same_slot_get_one_201_and_nineteen_409s(
    clock, client_for, working_doctor
):
    patients = [PatientFactory() for _ in range(20)]
    clients = [client_for(p) for p in patients]
    body = {"doctor": str(working_doctor.pk), "start": "2026-03-02T09:00:00-05:00", "reason": ""}

    def booking(client: Any) -> Callable[[], Any]:
        return lambda: client.post("/api/appointments/", body, format="json")

    responses = race([booking(c) for c in clients])
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 19}, [getattr(r, "content", r) for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_taken"}
    winner = Appointment.objects.get()
    assert str(winner.patient_id) == next(
        r.json()["patient"]["id"] for r in responses if r.status_code == 201
    )
    claims_are_consistent()


def test_two_patients_rescheduling_into_the_same_slot_one_wins_and_the_other_keeps_theirs(
    client_for, working_doctor
):
    rounds = 4
    for round_number in range(rounds):
        a, b = PatientFactory(), PatientFactory()
        base = NINE_AM + timedelta(days=2, hours=2 * round_number)  # beyond the 24 h notice
        first = book(a, working_doctor, base, NOW)
        second = book(b, working_doctor, base + timedelta(minutes=30), NOW)
        target = base + timedelta(minutes=60)

        results = race([
            lambda: services.appointment_reschedule(
                actor=a, appointment_id=first.pk, start=target, now=NOW
            ),
            lambda: services.appointment_reschedule(
                actor=b, appointment_id=second.pk, start=target, now=NOW
            ),
        ])
        winners = [r for r in results if isinstance(r, Appointment)]
        losers = [r for r in results if not isinstance(r, Appointment)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert getattr(losers[0], "code", None) == "slot_taken"
        moved = winners[0]
        assert moved.start == target
        stayed = second if moved.rescheduled_from_id == first.pk else first
        stayed.refresh_from_db()
        assert stayed.status == "booked"  # the loser's old slot was never released
        assert Appointment.objects.filter(start=target).exclude(status="cancelled").count() == 1
    claims_are_consistent()


def test_a_reschedule_racing_bookings_for_the_same_slot_leaves_one_owner(working_doctor):
    mover = PatientFactory()
    original = book(mover, working_doctor, NINE_AM + timedelta(days=2), NOW)
    target = NINE_AM + timedelta(days=2, hours=2)
    bookers = [PatientFactory() for _ in range(6)]
    calls = [
        lambda: services.appointment_reschedule(
            actor=mover, appointment_id=original.pk, start=target, now=NOW
        )
    ] + [
        (lambda p=p: book(p, working_doctor, target, NOW)) for p in bookers
    ]
    results = race(calls)
    assert sum(isinstance(r, Appointment) for r in results) == 1, results
    assert {getattr(r, "code", None) for r in results if not isinstance(r, Appointment)} == {
        "slot_taken"
    }
    assert Appointment.objects.filter(start=target).exclude(status="cancelled").count() == 1
    original.refresh_from_db()
    moved = isinstance(results[0], Appointment)
    assert original.status == ("cancelled" if moved else "booked")
    claims_are_consistent()


def test_cancel_and_reschedule_of_one_appointment_at_once_do_not_both_happen(working_doctor):
    patient = PatientFactory()
    appointment = book(patient, working_doctor, NINE_AM + timedelta(days=3), NOW)
    results = race([
        lambda: services.appointment_cancel(
            actor=working_doctor, appointment_id=appointment.pk, reason="", now=NOW
        ),
        lambda: services.appointment_reschedule(
            actor=working_doctor, appointment_id=appointment.pk,
            start=NINE_AM + timedelta(days=3, hours=1), now=NOW,
        ),
    ])
    assert sum(isinstance(r, Appointment) for r in results) == 1, results
    assert [getattr(r, "code", None) for r in results if not isinstance(r, Appointment)] == [
        "not_booked"
    ]
    live = Appointment.objects.exclude(status="cancelled")
    assert live.count() == (1 if isinstance(results[1], Appointment) else 0)
    claims_are_consistent()


def test_without_any_read_check_the_database_alone_still_lets_only_one_booking_in(
    working_doctor, monkeypatch
):
    """The early read in `_resolve_slot` is only for clear errors: skip it, and the unique
    claims still allow exactly one of twenty simultaneous bookings."""
    resolved = services._resolve_slot(doctor=working_doctor, start=NINE_AM, now=NOW)
    monkeypatch.setattr(services, "_resolve_slot", lambda **kwargs: resolved)
    patients = [PatientFactory() for _ in range(20)]
    results = race([(lambda p=p: book(p, working_doctor, NINE_AM, NOW)) for p in patients])
    assert sum(isinstance(r, Appointment) for r in results) == 1, results
    assert {getattr(r, "code", None) for r in results if not isinstance(r, Appointment)} == {
        "slot_taken"
    }
    assert Appointment.objects.count() == 1
    claims_are_consistent()


@pytest.mark.live
def test_twenty_patients_over_real_http_against_a_real_daphne(daphne_server, doctor):
    """The same race through a real server process: requests run in daphne's own threads."""
    import httpx

    from accounts.services import token_issue

    from .factories import give_hours

    give_hours(doctor, minimum_notice_minutes=0, periods=[
        {"weekday": d, "start": time(8), "end": time(20)} for d in range(7)
    ])
    tz = ZoneInfo("America/Toronto")
    tomorrow = (datetime.now(tz) + timedelta(days=1)).date()
    start = datetime.combine(tomorrow, time(10), tzinfo=tz).isoformat()
    tokens = [token_issue(user=PatientFactory()).key for _ in range(20)]

    def booking(token: str) -> Callable[[], Any]:
        return lambda: httpx.post(
            f"{daphne_server.http_url}/api/appointments/",
            json={"doctor": str(doctor.pk), "start": start},
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )

    responses = race([booking(t) for t in tokens])
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 19}, responses
    assert Appointment.objects.count() == 1
    claims_are_consistent()
