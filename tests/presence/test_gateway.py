"""The WebSocket gateway on /ws/: authentication and frame handling.

First through Channels' communicator (in process), then against a real daphne with a real client.
"""
from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from accounts.services import ws_ticket_issue
from telepresence.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def _ticket(user) -> str:
    return await database_sync_to_async(ws_ticket_issue)(user=user)


async def _connected(user) -> WebsocketCommunicator:
    """A communicator past its welcome frame."""
    communicator = WebsocketCommunicator(application, f"/ws/?ticket={await _ticket(user)}")
    connected, _ = await communicator.connect()
    assert connected
    welcome = await communicator.receive_json_from()
    assert welcome["type"] == "welcome"
    assert welcome["user"] == str(user.pk)
    return communicator


async def test_communicator_with_a_ticket_is_accepted(patient):
    communicator = await _connected(patient)
    await communicator.send_json_to({"type": "heartbeat"})
    assert (await communicator.receive_json_from())["type"] == "heartbeat.ack"
    await communicator.disconnect()


async def test_communicator_without_a_ticket_is_closed_with_4401():
    communicator = WebsocketCommunicator(application, "/ws/")
    await communicator.connect()
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_communicator_with_a_used_ticket_is_closed_with_4401(patient):
    ticket = await _ticket(patient)
    first = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    assert (await first.connect())[0]
    assert (await first.receive_json_from())["type"] == "welcome"
    second = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    await second.connect()
    assert await second.receive_output() == {"type": "websocket.close", "code": 4401}
    await first.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        ('{"no": "type"}', "bad_frame"),
        ('{"type": 7}', "bad_frame"),
        ('{"type": "no.such.thing"}', "unknown_type"),
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_stays_open(patient, frame, code):
    communicator = await _connected(patient)
    await communicator.send_to(text_data=frame)
    error = await communicator.receive_json_from()
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["detail"]
    await communicator.send_json_to({"type": "heartbeat"})
    assert (await communicator.receive_json_from())["type"] == "heartbeat.ack"
    await communicator.disconnect()


async def test_binary_and_oversized_frames_get_errors(patient, settings):
    settings.WS_MAX_FRAME_BYTES = 1000
    communicator = await _connected(patient)
    await communicator.send_to(bytes_data=b"\x00\x01")
    assert (await communicator.receive_json_from())["code"] == "bad_frame"
    await communicator.send_json_to({"type": "heartbeat", "pad": "x" * 2000})
    assert (await communicator.receive_json_from())["code"] == "too_large"
    await communicator.disconnect()


async def test_a_session_from_another_origin_is_not_enough(patient, async_client):
    await database_sync_to_async(async_client.force_login)(patient)
    cookie = async_client.cookies["sessionid"].value
    headers = [(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"https://evil.example")]
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    await communicator.connect()
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_a_same_origin_browser_session_is_accepted(patient, async_client):
    await database_sync_to_async(async_client.force_login)(patient)
    cookie = async_client.cookies["sessionid"].value
    headers = [(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"http://localhost")]
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["type"] == "welcome"
    await communicator.send_json_to({"type": "heartbeat"})
    assert (await communicator.receive_json_from())["type"] == "heartbeat.ack"
    await communicator.disconnect()


# --- a real daphne process and a real WebSocket client ---------------------------------------


@pytest.mark.live
def test_real_daphne_accepts_a_ticket_and_answers_frames(daphne_server, patient):
    with connect(f"{daphne_server.ws_url}?ticket={ws_ticket_issue(user=patient)}") as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "welcome"
        ws.send(json.dumps({"type": "heartbeat"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "heartbeat.ack"
        ws.send("garbage")
        assert json.loads(ws.recv(timeout=5))["code"] == "bad_json"
        ws.send(json.dumps({"type": "heartbeat"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "heartbeat.ack"


@pytest.mark.live
@pytest.mark.parametrize("query", ["", "?ticket=never-issued"])
def test_real_daphne_closes_with_4401_without_a_valid_ticket(daphne_server, query):
    with connect(f"{daphne_server.ws_url}{query}") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4401


@pytest.mark.live
def test_real_daphne_serves_the_token_api(daphne_server, patient):
    import httpx

    from ..factories import PASSWORD

    response = httpx.post(
        f"{daphne_server.http_url}/api/auth/token/",
        json={"username": "bob", "password": PASSWORD},
    )
    assert response.status_code == 200
    token = response.json()["token"]
    ticket = httpx.post(
        f"{daphne_server.http_url}/api/auth/ws-ticket/",
        headers={"Authorization": f"Token {token}"},
    ).json()["ticket"]
    with connect(f"{daphne_server.ws_url}?ticket={ticket}") as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "welcome"
        ws.send(json.dumps({"type": "heartbeat"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "heartbeat.ack"
