from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings

from accounts.services import ws_ticket_issue, ws_ticket_redeem

pytestmark = pytest.mark.django_db


def test_ws_ticket_needs_authentication(api_client):
    response = api_client.post("/api/auth/ws-ticket/")
    assert response.status_code == 401


def test_ws_ticket_is_issued_to_a_signed_in_user(client_for, patient):
    response = client_for(patient).post("/api/auth/ws-ticket/")
    assert response.status_code == 200
    assert response.json()["expires_in"] == 60
    assert async_to_sync(ws_ticket_redeem)(ticket=response.json()["ticket"]) == str(patient.pk)


def test_ws_ticket_can_be_redeemed_once(patient):
    ticket = ws_ticket_issue(user=patient)
    assert async_to_sync(ws_ticket_redeem)(ticket=ticket) == str(patient.pk)
    assert async_to_sync(ws_ticket_redeem)(ticket=ticket) is None


@override_settings(WS_TICKET_TTL_SECONDS=1)
def test_ws_ticket_expires(patient):
    ticket = ws_ticket_issue(user=patient)
    time.sleep(1.2)
    assert async_to_sync(ws_ticket_redeem)(ticket=ticket) is None


def test_unknown_and_oversized_tickets_are_refused():
    assert async_to_sync(ws_ticket_redeem)(ticket="made-up") is None
    assert async_to_sync(ws_ticket_redeem)(ticket="x" * 500) is None
