"""Presence over HTTP (the fallback transport) and the events long-poll, in process."""
from __future__ import annotations

import threading
import time

import pytest

from presence import services
from presence.selectors import presence_of

from .conftest import presence_events

pytestmark = pytest.mark.django_db


def status_of(user) -> str:
    return presence_of(user_ids=[user.pk])[str(user.pk)]["status"]


def test_heartbeat_brings_an_http_client_online(client_for, patient):
    response = client_for(patient).post(
        "/api/presence/heartbeat/", {"connection": "tab-1"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"connection": "tab-1", "heartbeat_seconds": 1.0, "timeout_seconds": 2.0}
    assert status_of(patient) == "online"


def test_heartbeat_rejects_a_malformed_connection_id_and_changes_nothing(client_for, patient):
    response = client_for(patient).post(
        "/api/presence/heartbeat/", {"connection": "no spaces/or slashes"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert status_of(patient) == "offline"


def test_status_can_be_set_to_busy_but_never_to_offline(client_for, doctor):
    client = client_for(doctor)
    assert client.put("/api/presence/status/", {"status": "busy"}, format="json").status_code == 409
    client.post("/api/presence/heartbeat/", {}, format="json")
    assert client.put("/api/presence/status/", {"status": "busy"}, format="json").json() == {
        "status": "busy"
    }
    refused = client.put("/api/presence/status/", {"status": "offline"}, format="json")
    assert refused.status_code == 400
    assert status_of(doctor) == "busy"


def test_subscription_answers_with_a_snapshot(client_for, patient, doctor):
    client = client_for(patient)
    client.post("/api/presence/heartbeat/", {}, format="json")
    services.presence_heartbeat(user_id=doctor.pk, connection_id="d")
    response = client.post("/api/presence/subscriptions/", {"users": [str(doctor.pk)]}, format="json")
    assert response.status_code == 200
    [entry] = response.json()["users"]
    assert entry["user"] == str(doctor.pk)
    assert entry["status"] == "online"
    assert entry["last_seen"].endswith("Z")


def test_a_patient_subscribing_to_another_patient_is_refused_and_subscribes_nothing(
    client_for, patient, outsider, doctor
):
    client = client_for(patient)
    client.post("/api/presence/heartbeat/", {}, format="json")
    response = client.post(
        "/api/presence/subscriptions/", {"users": [str(doctor.pk), str(outsider.pk)]}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    services.presence_heartbeat(user_id=doctor.pk, connection_id="d")
    assert presence_events(patient, about=doctor) == []  # not even the allowed one


def test_a_patient_cannot_read_another_patients_presence(client_for, patient, outsider):
    response = client_for(patient).get(f"/api/presence/?users={outsider.pk}")
    assert response.status_code == 403
    assert "status" not in response.content.decode()


@pytest.mark.parametrize(
    "body",
    [{}, {"users": "not-a-list"}, {"users": ["not-a-uuid"]}, {"users": []}],
)
def test_malformed_subscriptions_are_400(client_for, patient, body):
    response = client_for(patient).post("/api/presence/subscriptions/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_too_many_users_in_one_subscription_is_400(client_for, patient, settings):
    settings.PRESENCE_MAX_SUBSCRIPTIONS = 2
    users = ["00000000-0000-4000-8000-00000000000%d" % n for n in range(3)]
    response = client_for(patient).post("/api/presence/subscriptions/", {"users": users}, format="json")
    assert response.status_code == 400


def test_presence_endpoints_need_authentication(api_client):
    assert api_client.post("/api/presence/heartbeat/", {}, format="json").status_code == 401
    assert api_client.get("/api/events/").status_code == 401


# --- the long-poll ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_events_long_poll_returns_what_the_websocket_would_push(client, patient, doctor):
    from accounts.services import token_issue

    auth = {"HTTP_AUTHORIZATION": f"Token {token_issue(user=patient).key}"}
    services.presence_heartbeat(user_id=patient.pk, connection_id="http-p")
    first = client.get("/api/events/", **auth).json()
    assert first["events"] == []  # no cursor: start from now

    services.presence_subscribe(viewer=patient, user_ids=[str(doctor.pk)])
    services.presence_heartbeat(user_id=doctor.pk, connection_id="d")
    page = client.get(f"/api/events/?after={first['cursor']}", **auth).json()
    assert [(e["type"], e["user"], e["status"]) for e in page["events"]] == [
        ("presence.changed", str(doctor.pk), "online")
    ]
    assert page["cursor"] == page["events"][-1]["id"]
    assert page["truncated"] is False
    # The same cursor again gives nothing new: no event twice.
    assert client.get(f"/api/events/?after={page['cursor']}", **auth).json()["events"] == []


@pytest.mark.django_db(transaction=True)
def test_events_long_poll_waits_for_the_next_event(client, patient, doctor):
    from accounts.services import token_issue

    auth = {"HTTP_AUTHORIZATION": f"Token {token_issue(user=patient).key}"}
    services.presence_heartbeat(user_id=patient.pk, connection_id="http-p")
    services.presence_subscribe(viewer=patient, user_ids=[str(doctor.pk)])
    cursor = client.get("/api/events/", **auth).json()["cursor"]

    def doctor_arrives() -> None:
        time.sleep(0.3)
        services.presence_heartbeat(user_id=doctor.pk, connection_id="d")

    threading.Thread(target=doctor_arrives).start()
    started = time.monotonic()
    page = client.get(f"/api/events/?after={cursor}&wait=5", **auth).json()
    assert 0.2 < time.monotonic() - started < 4
    assert [e["status"] for e in page["events"]] == ["online"]


@pytest.mark.parametrize(
    ("query", "code"),
    [("after=yesterday", "bad_cursor"), ("wait=forever", "invalid"), ("wait=31", "invalid"), ("wait=-1", "invalid")],
)
def test_events_long_poll_rejects_bad_parameters(client_for, patient, query, code):
    response = client_for(patient).get(f"/api/events/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_events_reports_a_cursor_older_than_what_was_kept(client_for, patient, settings):
    settings.EVENT_STREAM_MAX_EVENTS = 5
    from telepresence.redis import get_redis
    from telepresence.streams import stream_key

    # Exact trimming (not "~") so the test does not depend on Redis' node sizes.
    for n in range(20):
        get_redis().xadd(
            stream_key(patient.pk), {"e": "{\"type\": \"test.event\"}"}, maxlen=5, approximate=False
        )
    response = client_for(patient).get("/api/events/?after=1-0")
    assert response.json()["truncated"] is True
    assert len(response.json()["events"]) == 5


def test_while_redis_is_unreachable_presence_calls_get_a_clear_503(client_for, patient, settings):
    client = client_for(patient)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.post("/api/presence/heartbeat/", {}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    events = client.get("/api/events/")
    assert events.status_code == 503
    assert client.get("/healthz").status_code == 503


def test_presence_recovers_as_soon_as_redis_is_back(client_for, patient, settings):
    reachable = settings.REDIS_URL
    client = client_for(patient)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert client.post("/api/presence/heartbeat/", {}, format="json").status_code == 503
    settings.REDIS_URL = reachable
    assert client.post("/api/presence/heartbeat/", {}, format="json").status_code == 200
    assert status_of(patient) == "online"


def test_a_cursor_beyond_what_redis_can_hold_is_a_400_not_a_503(client_for, patient):
    response = client_for(patient).get("/api/events/?after=99999999999999999999-0")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_cursor"
