"""Presence frames on the WebSocket gateway, through Channels' communicator (one process)."""
from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.services import ws_ticket_issue
from presence import services
from presence.selectors import presence_of
from telepresence.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user, query: str = "") -> tuple[WebsocketCommunicator, dict]:
    ticket = await database_sync_to_async(ws_ticket_issue)(user=user)
    communicator = WebsocketCommunicator(application, f"/ws/?ticket={ticket}{query}")
    connected, _ = await communicator.connect()
    assert connected
    welcome = await communicator.receive_json_from()
    assert welcome["type"] == "welcome"
    return communicator, welcome


async def status_of(user) -> str:
    return (await database_sync_to_async(presence_of)(user_ids=[user.pk]))[str(user.pk)]["status"]


async def test_connecting_brings_the_user_online_and_the_welcome_says_the_timings(patient):
    communicator, welcome = await connect(patient)
    assert await status_of(patient) == "online"
    assert welcome["heartbeat_seconds"] == 1.0
    assert welcome["timeout_seconds"] == 2.0
    assert welcome["connection"]
    await communicator.disconnect()


async def test_subscribe_answers_with_a_snapshot_then_pushes_changes(patient, doctor):
    watcher, _ = await connect(patient)
    await watcher.send_json_to({"type": "presence.subscribe", "users": [str(doctor.pk)]})
    snapshot = await watcher.receive_json_from()
    assert snapshot == {
        "type": "presence.snapshot",
        "users": [{"user": str(doctor.pk), "status": "offline", "last_seen": None}],
    }

    doctor_socket, _ = await connect(doctor)
    online = await watcher.receive_json_from(timeout=3)
    assert (online["type"], online["user"], online["status"]) == (
        "presence.changed", str(doctor.pk), "online"
    )
    assert online["id"] and online["at"].endswith("Z")

    await doctor_socket.send_json_to({"type": "presence.set", "status": "busy"})
    assert (await doctor_socket.receive_json_from()) == {"type": "presence.status", "status": "busy"}
    busy = await watcher.receive_json_from(timeout=3)
    assert busy["status"] == "busy"
    assert busy["id"] > online["id"]
    await watcher.disconnect()
    await doctor_socket.disconnect()


async def test_a_patient_subscribing_to_another_patient_gets_forbidden(patient, outsider):
    communicator, _ = await connect(patient)
    await communicator.send_json_to({"type": "presence.subscribe", "users": [str(outsider.pk)]})
    error = await communicator.receive_json_from()
    assert error["type"] == "error"
    assert error["code"] == "forbidden"
    assert str(outsider.pk) not in str(error)
    await communicator.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "presence.subscribe"},
        {"type": "presence.subscribe", "users": "everyone"},
        {"type": "presence.subscribe", "users": ["not-a-uuid"]},
        {"type": "presence.set", "status": "offline"},
        {"type": "presence.set", "status": 3},
        {"type": "events.resume", "after": "yesterday"},
        {"type": "events.resume"},
    ],
)
async def test_malformed_presence_frames_get_errors_and_change_nothing(doctor, frame):
    communicator, _ = await connect(doctor)
    await communicator.send_json_to(frame)
    error = await communicator.receive_json_from()
    assert error["type"] == "error"
    assert error["code"] in {"invalid", "bad_cursor"}
    assert await status_of(doctor) == "online"
    await communicator.send_json_to({"type": "heartbeat"})
    assert (await communicator.receive_json_from())["type"] == "heartbeat.ack"
    await communicator.disconnect()


async def test_resume_replays_missed_events_in_order_and_once(patient, doctor):
    import time

    # The patient's phone stays connected throughout (its deadline is an hour away), so a slow
    # machine cannot turn the patient offline between the two tabs and end the subscription.
    await database_sync_to_async(services.presence_heartbeat)(
        user_id=patient.pk, connection_id="phone", now=time.time() + 3600
    )
    first, _ = await connect(patient)
    await first.send_json_to({"type": "presence.subscribe", "users": [str(doctor.pk)]})
    await first.receive_json_from()
    await database_sync_to_async(services.presence_heartbeat)(
        user_id=doctor.pk, connection_id="d", now=time.time() + 3600
    )
    seen = await first.receive_json_from(timeout=3)
    await first.disconnect()  # the patient's tab reloads; the grace period keeps them online

    for status in ("busy", "away", "online"):  # missed while away
        await database_sync_to_async(services.presence_status_set)(user_id=doctor.pk, status=status)

    second, _ = await connect(patient, f"&after={seen['id']}")
    replayed = [await second.receive_json_from(timeout=3) for _ in range(3)]
    assert [event["status"] for event in replayed] == ["busy", "away", "online"]
    assert await second.receive_nothing(timeout=0.3)

    # Asking again with the same cursor sends nothing this socket already sent.
    await second.send_json_to({"type": "events.resume", "after": seen["id"]})
    assert await second.receive_nothing(timeout=0.3)
    await second.disconnect()


async def test_a_clean_close_goes_offline_after_the_grace_period(patient):
    import asyncio

    communicator, _ = await connect(patient)
    await communicator.disconnect()
    closed_at = asyncio.get_running_loop().time()
    await asyncio.sleep(0.7)
    assert await status_of(patient) == "online"  # grace (1 s): a reload would come back
    while await status_of(patient) != "offline":
        assert asyncio.get_running_loop().time() - closed_at < 3, "still online after the grace"
        await asyncio.sleep(0.05)


async def test_a_user_deactivated_after_getting_a_ticket_is_closed_at_first_need(patient, doctor):
    from accounts.models import User

    communicator, _ = await connect(patient)
    await database_sync_to_async(User.objects.filter(pk=patient.pk).update)(is_active=False)
    await communicator.send_json_to({"type": "presence.subscribe", "users": [str(doctor.pk)]})
    assert (await communicator.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4401}


async def test_connect_while_redis_is_unreachable_is_closed_with_try_again_later(patient, settings):
    ticket = await database_sync_to_async(ws_ticket_issue)(user=patient)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    communicator = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    await communicator.connect()
    assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4503}


async def test_pushes_arriving_out_of_order_are_forwarded_in_order_and_none_is_lost(patient):
    """Two processes publish; the newer push reaches the socket first."""
    from channels.layers import get_channel_layer

    from telepresence.redis import get_async_redis
    from telepresence.streams import stream_key, user_group

    communicator, _ = await connect(patient)
    client = get_async_redis()
    older = await client.xadd(stream_key(patient.pk), {"e": '{"type": "test.event", "n": 1}'})
    newer = await client.xadd(stream_key(patient.pk), {"e": '{"type": "test.event", "n": 2}'})
    layer = get_channel_layer()
    for event_id, n in ((newer, 2), (older, 1)):
        await layer.group_send(
            user_group(patient.pk),
            {"type": "stream.event", "event": {"type": "test.event", "n": n, "id": event_id}},
        )
    received = [await communicator.receive_json_from(timeout=3) for _ in range(2)]
    assert [(event["id"], event["n"]) for event in received] == [(older, 1), (newer, 2)]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_an_unexpected_error_in_a_handler_is_answered_and_the_socket_stays_open(
    patient, doctor, monkeypatch
):
    from django.db import DatabaseError

    def broken(**kwargs):
        raise DatabaseError("database went away")

    communicator, _ = await connect(patient)
    monkeypatch.setattr(services, "presence_subscribe", broken)
    await communicator.send_json_to({"type": "presence.subscribe", "users": [str(doctor.pk)]})
    assert (await communicator.receive_json_from())["code"] == "server_error"
    await communicator.send_json_to({"type": "heartbeat"})
    assert (await communicator.receive_json_from())["type"] == "heartbeat.ack"
    await communicator.disconnect()
