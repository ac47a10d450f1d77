"""Presence end to end: real daphne processes, a real Celery worker running the sweep on its
beat schedule, real WebSocket and HTTP clients. Timings are the test settings: heartbeat 1 s,
timeout 2 s, grace 1 s, sweep every 0.5 s."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from accounts.services import ws_ticket_issue

from ..live_clients import HttpClient, WsClient

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

TIMEOUT, SWEEP, GRACE = 2.0, 0.5, 1.0


def changes(frames: list[dict], user) -> list[str]:
    return [f["status"] for f in frames if f["type"] == "presence.changed" and f["user"] == str(user.pk)]


def wait_for_status(client: WsClient, user, status: str, within: float) -> float:
    """Seconds until `client` is told that `user` has `status`; fails after `within`."""
    started = time.monotonic()
    while True:
        left = within - (time.monotonic() - started)
        assert left > 0, f"{user} did not become {status} within {within} s"
        frame = client.next(timeout=left)
        if frame["type"] == "presence.changed" and frame["user"] == str(user.pk):
            assert frame["status"] == status, frame
            return time.monotonic() - started


@pytest.fixture
def watcher(daphne_server, patient, doctor, celery_worker):
    """The patient, connected and watching the doctor."""
    client = WsClient(daphne_server, patient)
    assert client.subscribe(doctor)["type"] == "presence.snapshot"
    yield client
    client.close()


def test_online_on_the_first_device_and_nothing_on_the_second(daphne_server, watcher, doctor):
    phone = WsClient(daphne_server, doctor)
    wait_for_status(watcher, doctor, "online", within=3)
    laptop = WsClient(daphne_server, doctor)
    assert changes(watcher.quiet_for(1.0), doctor) == []

    phone.close()  # one device left: still online, however long we wait
    assert changes(watcher.quiet_for(GRACE + TIMEOUT), doctor) == []
    laptop.close()
    elapsed = wait_for_status(watcher, doctor, "offline", within=GRACE + SWEEP + 1.5)
    assert elapsed >= GRACE - 0.2


def test_a_reload_inside_the_grace_period_produces_no_events(daphne_server, watcher, doctor):
    tab = WsClient(daphne_server, doctor)
    wait_for_status(watcher, doctor, "online", within=3)
    tab.close()
    time.sleep(0.3)
    reloaded = WsClient(daphne_server, doctor)
    assert changes(watcher.quiet_for(GRACE + TIMEOUT), doctor) == []
    reloaded.close()


def test_an_abrupt_disconnect_is_offline_within_timeout_plus_sweep(
    daphne_server, watcher, doctor
):
    # A separate process that holds a socket and heartbeats, then dies without a close frame.
    script = (
        "import sys, time, json\n"
        "from websockets.sync.client import connect\n"
        "ws = connect(sys.argv[1])\n"
        "print('connected', flush=True)\n"
        "while True:\n"
        "    ws.send(json.dumps({'type': 'heartbeat'})); time.sleep(0.5)\n"
    )
    url = f"{daphne_server.ws_url}?ticket={ws_ticket_issue(user=doctor)}"
    client = subprocess.Popen([sys.executable, "-c", script, url], stdout=subprocess.PIPE)
    assert client.stdout.readline().strip() == b"connected"
    wait_for_status(watcher, doctor, "online", within=3)
    assert changes(watcher.quiet_for(TIMEOUT + SWEEP), doctor) == []  # heartbeats hold it

    client.kill()
    client.wait()
    elapsed = wait_for_status(watcher, doctor, "offline", within=TIMEOUT + SWEEP + 1.5)
    assert elapsed >= TIMEOUT - 1.0  # the last heartbeat was at most 0.5 s before the kill


def test_an_http_only_client_stays_online_on_heartbeats_and_goes_offline_when_they_stop(
    daphne_server, watcher, doctor
):
    fallback = HttpClient(daphne_server, doctor)
    fallback.start_heartbeats(interval=0.5)
    wait_for_status(watcher, doctor, "online", within=3)
    assert changes(watcher.quiet_for(TIMEOUT * 2), doctor) == []
    fallback.stop_heartbeats()
    wait_for_status(watcher, doctor, "offline", within=TIMEOUT + SWEEP + 1.5)
    fallback.close()


def test_two_web_processes_sharing_redis_see_each_others_users(
    daphne_server, start_daphne, watcher, doctor
):
    other = start_daphne()
    remote = WsClient(other, doctor)
    wait_for_status(watcher, doctor, "online", within=3)
    remote.send({"type": "presence.set", "status": "busy"})
    wait_for_status(watcher, doctor, "busy", within=3)
    remote.close()


def test_resume_after_a_reconnect_delivers_every_missed_event_once(
    daphne_server, patient, doctor, celery_worker
):
    doctor_http = HttpClient(daphne_server, doctor)
    doctor_http.start_heartbeats()
    first = WsClient(daphne_server, patient)
    snapshot = first.subscribe(doctor)
    assert snapshot["users"][0]["status"] == "online"
    first.send({"type": "presence.set", "status": "away"})  # gives the patient a recent event
    first.expect("presence.status")
    last_seen_id = first.expect("presence.changed")["id"]
    first.close()

    for status in ("busy", "away", "online", "busy"):  # the patient's network is down
        assert doctor_http.http.put("/api/presence/status/", json={"status": status}).status_code == 200

    second = WsClient(daphne_server, patient, after=last_seen_id)
    replayed = [second.next() for _ in range(4)]
    assert [(f["user"], f["status"]) for f in replayed] == [(str(doctor.pk), s) for s in ("busy", "away", "online", "busy")]
    assert len({f["id"] for f in replayed}) == 4
    doctor_http.http.put("/api/presence/status/", json={"status": "online"})
    live = second.next()
    assert live["status"] == "online" and live["id"] > replayed[-1]["id"]
    assert second.quiet_for(0.5) == []  # nothing twice

    # The HTTP transport sees the very same events with the very same ids.
    poll = HttpClient(daphne_server, patient)
    page = poll.http.get(f"/api/events/?after={last_seen_id}").json()
    assert [e["id"] for e in page["events"]] == [f["id"] for f in replayed] + [live["id"]]
    for client in (second, poll, doctor_http):
        client.close()


def test_a_deploy_restart_with_clients_moving_to_another_process_makes_no_events(
    daphne_server, start_daphne, watcher, doctor
):
    old = start_daphne()
    tab = WsClient(old, doctor)
    wait_for_status(watcher, doctor, "online", within=3)
    old.stop(kill=True)  # the process dies; its sockets never say goodbye
    moved = WsClient(daphne_server, doctor)  # the client reconnects elsewhere at once
    assert changes(watcher.quiet_for(TIMEOUT + SWEEP + 1), doctor) == []
    moved.close()
    tab.close()


def test_a_patient_cannot_subscribe_to_another_patient_on_either_transport(
    daphne_server, patient, outsider
):
    socket = WsClient(daphne_server, patient)
    refused = socket.subscribe(outsider)
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    socket.close()
    http = HttpClient(daphne_server, patient)
    http.heartbeat()
    response = http.http.post("/api/presence/subscriptions/", json={"users": [str(outsider.pk)]})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert http.http.get(f"/api/presence/?users={outsider.pk}").status_code == 403
    http.close()


def test_malformed_and_oversized_frames_are_answered_and_change_no_state(
    daphne_server, patient
):
    socket = WsClient(daphne_server, patient)
    for frame in ("{", json.dumps({"type": "presence.set", "status": "offline"}), "x" * 70_000):
        socket.socket.send(frame)
        assert socket.expect("error")["code"] in {"bad_json", "invalid", "too_large"}
    http = HttpClient(daphne_server, patient)
    assert http.http.get(f"/api/presence/?users={patient.pk}").json()["users"][0]["status"] == "online"
    socket.close()
    http.close()
