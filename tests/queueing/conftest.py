"""Waiting-room fixtures: the default queue, presence set by hand, and reading event streams."""
from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from accounts.models import User
from presence import keys
from presence.signals import presence_changed
from queueing.models import Queue
from telepresence import streams
from telepresence.redis import get_redis


@pytest.fixture(autouse=True)
def positions_refresh_inline(settings) -> None:
    """Positions are recomputed right after the commit (no Celery worker in tests)."""
    settings.QUEUE_POSITIONS_REFRESH_ASYNC = False


@pytest.fixture
def default_queue(db: None) -> Queue:
    # Transactional tests flush the table the data migration filled: make sure it is there.
    queue, _ = Queue.objects.get_or_create(
        slug="general", defaults={"name": "General", "is_default": True}
    )
    return queue


def set_presence(user: User, status: str) -> None:
    """Write live presence the way the presence core does (its Redis hash), without a signal."""
    get_redis().hset(
        keys.user_state(user.pk),
        mapping={"status": status, "since": int(time.time() * 1000), "last_seen": int(time.time() * 1000)},
    )


def change_presence(user: User, status: str, *, previous: str = "online", at=None) -> None:
    """A presence transition as the presence core announces it: state in Redis, then the signal."""
    from django.utils import timezone

    set_presence(user, status)
    presence_changed.send(
        sender=None, user_id=str(user.pk), status=status, previous=previous, at=at or timezone.now()
    )


@pytest.fixture
def online() -> Callable[..., None]:
    def mark(*users: User) -> None:
        for user in users:
            set_presence(user, "online")

    return mark


def events_of(user: User, event_type: str | None = None) -> list[dict]:
    entries = get_redis().xrange(streams.stream_key(user.pk))
    decoded = [{**json.loads(fields[streams.EVENT_FIELD]), "id": eid} for eid, fields in entries]
    return [e for e in decoded if event_type is None or e["type"] == event_type]
