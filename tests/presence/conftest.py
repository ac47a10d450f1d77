"""Fixtures for presence: a fixed clock and helpers to read users' event streams."""
from __future__ import annotations

import json

import pytest

from telepresence.redis import get_redis
from telepresence.streams import stream_key

T0 = 1_800_000_000.0  # a fixed "now" for tests that pass the clock in


def stream_events(user) -> list[dict]:
    """Every event in the user's stream, as stored."""
    entries = get_redis().xrange(stream_key(user.pk))
    return [{**json.loads(fields["e"]), "id": event_id} for event_id, fields in entries]


def presence_events(user, *, about=None) -> list[tuple[str, str]]:
    """(user, status) of the presence.changed events in a user's stream."""
    return [
        (event["user"], event["status"])
        for event in stream_events(user)
        if event["type"] == "presence.changed" and (about is None or event["user"] == str(about.pk))
    ]


@pytest.fixture
def signals_received():
    from presence.signals import presence_changed

    received: list[dict] = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    presence_changed.connect(receiver, weak=False)
    yield received
    presence_changed.disconnect(receiver)
