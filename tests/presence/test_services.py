"""Presence transitions against real Redis and the real database, with the clock passed in."""
from __future__ import annotations

import threading

import pytest

from presence import services
from presence.models import PresenceChange
from presence.selectors import presence_of
from telepresence.errors import Forbidden

from .conftest import T0, presence_events

pytestmark = pytest.mark.django_db

TIMEOUT = 2.0  # PRESENCE_TIMEOUT_SECONDS in tests/environment.py
GRACE = 1.0


def status_of(user) -> str:
    return presence_of(user_ids=[user.pk])[str(user.pk)]["status"]


def test_first_connection_brings_a_user_online_and_a_second_device_changes_nothing(
    doctor, signals_received
):
    first = services.presence_heartbeat(user_id=doctor.pk, connection_id="phone", now=T0)
    second = services.presence_heartbeat(user_id=doctor.pk, connection_id="laptop", now=T0 + 0.1)

    assert [(t.previous, t.status) for t in first] == [("offline", "online")]
    assert second == []
    assert status_of(doctor) == "online"
    assert [s["status"] for s in signals_received] == ["online"]
    assert PresenceChange.objects.filter(user=doctor).count() == 1


def test_offline_only_after_the_last_device_goes_silent(doctor):
    services.presence_heartbeat(user_id=doctor.pk, connection_id="phone", now=T0)
    services.presence_heartbeat(user_id=doctor.pk, connection_id="laptop", now=T0 + 1.5)

    assert services.presence_sweep(now=T0 + TIMEOUT + 0.1) == []  # the phone expired
    assert status_of(doctor) == "online"
    swept = services.presence_sweep(now=T0 + 1.5 + TIMEOUT + 0.1)  # now the laptop too
    assert [(t.user_id, t.status) for t in swept] == [(str(doctor.pk), "offline")]
    assert status_of(doctor) == "offline"


def test_heartbeats_keep_a_connection_alive(patient):
    for second in range(10):
        services.presence_heartbeat(user_id=patient.pk, connection_id="tab", now=T0 + second)
        assert services.presence_sweep(now=T0 + second + 1) == []
    assert status_of(patient) == "online"


def test_a_clean_close_waits_for_the_grace_period(patient):
    services.presence_heartbeat(user_id=patient.pk, connection_id="tab", now=T0)
    services.presence_disconnect(user_id=patient.pk, connection_id="tab", now=T0 + 0.5)

    assert services.presence_sweep(now=T0 + 0.5 + GRACE - 0.1) == []
    assert [t.status for t in services.presence_sweep(now=T0 + 0.5 + GRACE + 0.1)] == ["offline"]


def test_a_reload_inside_the_grace_period_makes_no_events(patient, signals_received):
    services.presence_heartbeat(user_id=patient.pk, connection_id="old-tab", now=T0)
    signals_received.clear()

    services.presence_disconnect(user_id=patient.pk, connection_id="old-tab", now=T0 + 1)
    services.presence_heartbeat(user_id=patient.pk, connection_id="new-tab", now=T0 + 1.3)
    services.presence_sweep(now=T0 + 1 + GRACE + 0.1)
    services.presence_heartbeat(user_id=patient.pk, connection_id="new-tab", now=T0 + 2.5)
    services.presence_sweep(now=T0 + 3)

    assert signals_received == []
    assert status_of(patient) == "online"


def test_closing_one_of_several_connections_changes_nothing(patient):
    services.presence_heartbeat(user_id=patient.pk, connection_id="a", now=T0)
    services.presence_heartbeat(user_id=patient.pk, connection_id="b", now=T0)
    services.presence_disconnect(user_id=patient.pk, connection_id="a", now=T0 + 0.1)
    assert services.presence_sweep(now=T0 + 1.5) == []
    assert status_of(patient) == "online"


def test_set_status_is_one_event_per_change_and_needs_a_connection(doctor, signals_received):
    with pytest.raises(services.NotConnected):
        services.presence_status_set(user_id=doctor.pk, status="busy", now=T0)
    services.presence_heartbeat(user_id=doctor.pk, connection_id="c", now=T0)

    changed = services.presence_status_set(user_id=doctor.pk, status="busy", now=T0 + 1)
    unchanged = services.presence_status_set(user_id=doctor.pk, status="busy", now=T0 + 2)

    assert [(t.previous, t.status) for t in changed] == [("online", "busy")]
    assert unchanged == []
    assert [(s["previous"], s["status"]) for s in signals_received] == [
        ("offline", "online"),
        ("online", "busy"),
    ]
    assert status_of(doctor) == "busy"


def test_a_busy_user_who_vanishes_goes_offline_and_comes_back_online(doctor):
    services.presence_heartbeat(user_id=doctor.pk, connection_id="c", now=T0)
    services.presence_status_set(user_id=doctor.pk, status="busy", now=T0)
    assert [t.previous for t in services.presence_sweep(now=T0 + 10)] == ["busy"]
    back = services.presence_heartbeat(user_id=doctor.pk, connection_id="c2", now=T0 + 11)
    assert [t.status for t in back] == ["online"]


def test_watchers_receive_changes_in_their_stream_until_they_unsubscribe(doctor, patient):
    services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0)
    services.presence_subscribe(viewer=patient, user_ids=[str(doctor.pk)])

    services.presence_heartbeat(user_id=doctor.pk, connection_id="d", now=T0 + 0.1)
    services.presence_status_set(user_id=doctor.pk, status="busy", now=T0 + 0.2)
    services.presence_unsubscribe(viewer_id=patient.pk, user_ids=[str(doctor.pk)])
    services.presence_status_set(user_id=doctor.pk, status="online", now=T0 + 0.3)

    assert presence_events(patient, about=doctor) == [
        (str(doctor.pk), "online"),
        (str(doctor.pk), "busy"),
    ]
    # The doctor's own stream has all their changes, for their other devices.
    assert [status for _, status in presence_events(doctor, about=doctor)] == [
        "online", "busy", "online"
    ]


def test_subscriptions_end_when_the_watcher_goes_offline(doctor, patient):
    services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0)
    services.presence_heartbeat(user_id=doctor.pk, connection_id="d", now=T0 + 5)
    services.presence_subscribe(viewer=patient, user_ids=[str(doctor.pk)])
    services.presence_sweep(now=T0 + 3)  # the patient's connection expired
    services.presence_status_set(user_id=doctor.pk, status="busy", now=T0 + 4)
    assert presence_events(patient, about=doctor) == []


def test_subscribing_needs_a_connection(doctor, patient):
    with pytest.raises(services.NotConnected):
        services.presence_subscribe(viewer=patient, user_ids=[str(doctor.pk)])


def test_a_patient_may_not_watch_another_patient(patient, outsider):
    services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0)
    with pytest.raises(Forbidden):
        services.presence_subscribe(viewer=patient, user_ids=[str(outsider.pk)])
    with pytest.raises(Forbidden):
        services.presence_snapshot(viewer=patient, user_ids=[str(outsider.pk)])


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_turn_a_user_offline_once(patient, doctor, signals_received):
    services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0 + 100)
    services.presence_heartbeat(user_id=doctor.pk, connection_id="d", now=T0)
    services.presence_subscribe(viewer=patient, user_ids=[str(doctor.pk)])
    signals_received.clear()
    barrier = threading.Barrier(8)
    results: list[list] = []

    def sweep() -> None:
        from django.db import connection

        barrier.wait()
        results.append(services.presence_sweep(now=T0 + 10))
        connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(len(swept) for swept in results) == 1
    assert [s["status"] for s in signals_received] == ["offline"]
    assert presence_events(patient, about=doctor) == [(str(doctor.pk), "offline")]


@pytest.mark.django_db(transaction=True)
def test_a_sweep_racing_heartbeats_never_loses_a_live_connection(patient):
    """Heartbeats and sweeps in parallel threads: the state always ends consistent."""
    stop = threading.Event()
    transitions: list = []

    def heartbeats() -> None:
        from django.db import connection

        step = 0
        while not stop.is_set():
            transitions.extend(
                services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0 + step * 0.01)
            )
            step += 1
        connection.close()

    def sweeps() -> None:
        from django.db import connection

        for step in range(200):
            transitions.extend(services.presence_sweep(now=T0 + step * 0.01))
        connection.close()

    beating = threading.Thread(target=heartbeats)
    beating.start()
    sweeping = threading.Thread(target=sweeps)
    sweeping.start()
    sweeping.join()
    stop.set()
    beating.join()

    # The connection's deadline is always ahead of the sweep clock: one online, never offline.
    assert [t.status for t in transitions] == ["online"]
    assert status_of(patient) == "online"


def test_sweep_works_through_more_expired_connections_than_one_batch(db):
    from ..factories import PatientFactory

    patients = PatientFactory.create_batch(5)
    for patient in patients:
        services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0)
    swept = services.presence_sweep(now=T0 + 10, batch=2)
    assert {t.user_id for t in swept} == {str(p.pk) for p in patients}


def test_history_is_written_on_transitions_not_heartbeats(patient):
    for second in range(5):
        services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0 + second)
    services.presence_sweep(now=T0 + 30)
    assert list(
        PresenceChange.objects.filter(user=patient).order_by("at").values_list("previous", "status")
    ) == [("offline", "online"), ("online", "offline")]


def test_presence_rebuilds_itself_after_redis_loses_its_state(patient):
    from telepresence.redis import get_redis

    services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0)
    for key in get_redis().scan_iter("*presence*"):
        if key.startswith(services.settings.REDIS_KEY_PREFIX):
            get_redis().delete(key)
    assert status_of(patient) == "offline"
    services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0 + 1)
    assert status_of(patient) == "online"
    assert [t.status for t in services.presence_sweep(now=T0 + 10)] == ["offline"]


def test_a_failing_receiver_does_not_undo_the_transition(patient):
    from presence.signals import presence_changed

    def broken(**kwargs):
        raise RuntimeError("receiver bug")

    presence_changed.connect(broken, weak=False)
    try:
        transitions = services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0)
    finally:
        presence_changed.disconnect(broken)
    assert [t.status for t in transitions] == ["online"]
    assert status_of(patient) == "online"


def test_pruning_ends_a_watch_whose_grant_has_ended(doctor, patient):
    from presence import access
    from telepresence.redis import get_redis
    from presence import keys

    granted = {str(patient.pk)}

    def grant(viewer, patient_ids):
        return granted & patient_ids

    access.register_patient_grant(grant)
    try:
        services.presence_heartbeat(user_id=doctor.pk, connection_id="d", now=T0 + 100)
        services.presence_subscribe(viewer=doctor, user_ids=[str(patient.pk)])
        assert services.presence_watchers_prune(user_id=str(patient.pk)) == set()
        granted.clear()  # the patient left the doctor's queue
        assert services.presence_watchers_prune(user_id=str(patient.pk)) == {str(doctor.pk)}
    finally:
        access._patient_grants.remove(grant)
    services.presence_heartbeat(user_id=patient.pk, connection_id="p", now=T0 + 100)
    assert presence_events(doctor, about=patient) == []
    assert not get_redis().sismember(keys.watching(doctor.pk), str(patient.pk))
