"""Each user's event stream: what that user may receive, in order, with ids, on both transports.

Every event for a user is appended to their Redis Stream (trimmed to EVENT_STREAM_MAX_EVENTS,
expired after EVENT_STREAM_TTL_SECONDS of silence) and the stream id becomes the event's `id`.
Open WebSockets get it pushed through the user's channel-layer group; HTTP clients long-poll
`GET /api/events/?after=<id>`. Both see the same ids, so a client that reconnects or switches
transport resumes from its last id and loses nothing. The stream is the truth; the push is only
a notification, which is why channels-redis dropping a message under load costs no event.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from .errors import Invalid
from .redis import get_async_redis, get_redis, key

logger = logging.getLogger(__name__)

EVENT_FIELD = "e"
_CURSOR = re.compile(r"^(0|\d{1,20}-\d{1,20})$")

Event = dict[str, Any]


def stream_key(user_id: object) -> str:
    return key("stream", user_id)


def user_group(user_id: object) -> str:
    """The channel-layer group of one user's open sockets: small groups, cheap fan-out."""
    return f"{settings.REDIS_KEY_PREFIX}.user.{user_id}"


@dataclass(frozen=True)
class Page:
    events: list[Event]
    cursor: str
    # True when events after the client's cursor were already trimmed away: the client must
    # take a fresh snapshot instead of trusting the gap-free promise.
    truncated: bool = False


def validate_cursor(after: str | None) -> str | None:
    if after in (None, ""):
        return None
    if not _CURSOR.match(after) or max(event_id_key(after)) >= 2**64:
        raise Invalid("`after` must be an event id such as 1733241600000-0.", code="bad_cursor")
    return after


# --- publishing -------------------------------------------------------------------------------


def publish(*, user_ids: Iterable[object], event: Event) -> list[tuple[str, Event]]:
    """Append one event to each user's stream and push it live; returns (user, event) pairs.

    Call it after commit (see publish_on_commit): a rolled-back change must not be announced.
    """
    recipients = dict.fromkeys(str(user_id) for user_id in user_ids)
    return publish_many([(user_id, event) for user_id in recipients])


def publish_many(deliveries: list[tuple[object, Event]]) -> list[tuple[str, Event]]:
    """Different events to different users: one Redis round trip, then the live pushes."""
    if not deliveries:
        return []
    pipe = get_redis().pipeline(transaction=False)
    for user_id, event in deliveries:
        _append(pipe, str(user_id), json.dumps(event, separators=(",", ":"), default=str))
    ids = pipe.execute()[::2]
    delivered = [
        (str(user_id), {**event, "id": event_id})
        for (user_id, event), event_id in zip(deliveries, ids)
    ]
    push(delivered)
    return delivered


def publish_on_commit(*, user_ids: Iterable[object], event: Event) -> None:
    recipients = list(user_ids)
    transaction.on_commit(lambda: publish(user_ids=recipients, event=event))


def _append(pipe: redis.client.Pipeline, user_id: str, payload: str) -> None:
    stream = stream_key(user_id)
    pipe.xadd(
        stream, {EVENT_FIELD: payload}, maxlen=settings.EVENT_STREAM_MAX_EVENTS, approximate=True
    )
    pipe.expire(stream, settings.EVENT_STREAM_TTL_SECONDS)


def push(deliveries: list[tuple[str, Event]]) -> None:
    """Notify the recipients' open sockets; from sync code (views, tasks)."""
    if deliveries:
        async_to_sync(apush)(deliveries)


async def apush(deliveries: list[tuple[str, Event]]) -> None:
    """Notify open sockets, a bounded number of sends at a time.

    A burst (a sweep turning hundreds offline, a busy queue) must not borrow a Redis connection
    per recipient at once. A failed push loses nothing: the event is already in the stream, and
    clients catch up on their next resume or poll.
    """
    layer = get_channel_layer()
    step = settings.EVENT_PUSH_CONCURRENCY
    failed = 0
    for start in range(0, len(deliveries), step):
        results = await asyncio.gather(
            *(
                layer.group_send(user_group(user_id), {"type": "stream.event", "event": event})
                for user_id, event in deliveries[start : start + step]
            ),
            return_exceptions=True,
        )
        failed += sum(isinstance(result, Exception) for result in results)
    if failed:
        logger.warning("%d live pushes failed; the events wait in the streams", failed)


# --- reading ----------------------------------------------------------------------------------


def _decode(entries: list[tuple[str, dict[str, str]]]) -> list[Event]:
    return [{**json.loads(fields[EVENT_FIELD]), "id": event_id} for event_id, fields in entries]


def event_id_key(event_id: str) -> tuple[int, int]:
    """Stream ids compare as (milliseconds, sequence), not as strings."""
    millis, _, sequence = event_id.partition("-")
    return int(millis), int(sequence or 0)


async def aread(
    *,
    user_id: object,
    after: str | None,
    wait_seconds: float = 0,
    count: int = 100,
    check_truncation: bool = True,
) -> Page:
    """Events after the cursor, waiting up to wait_seconds for the first one (long-poll).

    Without a cursor the client starts from now: it gets the current end as its cursor.
    """
    client = get_async_redis()
    stream = stream_key(user_id)
    start = after or await alatest_id(user_id=user_id)
    block = int(wait_seconds * 1000) if wait_seconds > 0 else None
    reply = await client.xread({stream: start}, count=count, block=block)
    events = _decode(reply[0][1]) if reply else []
    cursor = events[-1]["id"] if events else start
    truncated = (
        check_truncation and bool(after) and after != "0"
        and await _trimmed_past(client, stream, after)
    )
    return Page(events=events, cursor=cursor, truncated=truncated)


async def alatest_id(*, user_id: object) -> str:
    """The id of the user's newest event ("0" when there is none): a cursor meaning "from now"."""
    last = await get_async_redis().xrevrange(stream_key(user_id), count=1)
    return last[0][0] if last else "0"


async def _trimmed_past(client: Any, stream: str, after: str) -> bool:
    """Were events newer than `after` possibly trimmed away?

    True when the stream has lost entries to its length cap and `after` is older than the
    oldest entry kept: the client cannot know what it missed and must take a fresh snapshot.
    """
    try:
        info = await client.xinfo_stream(stream)
    except redis.ResponseError:  # no stream: nothing was ever kept, so nothing was lost
        return False
    first = info.get("recorded-first-entry-id") or (info.get("first-entry") or [None])[0]
    if not first:
        return False
    if "entries-added" in info:  # Redis 7 counts what it ever added
        trimmed = int(info["entries-added"]) > int(info["length"])
    else:
        trimmed = int(info["length"]) >= settings.EVENT_STREAM_MAX_EVENTS
    return trimmed and event_id_key(after) < event_id_key(first)
