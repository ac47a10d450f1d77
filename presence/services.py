"""Every change of presence: connections, heartbeats, statuses, subscriptions and the sweep.

The transitions themselves happen atomically in Redis (store.py). What follows a transition is
here, once, for whichever process won it: push the events to open sockets, write the history
row, send `presence_changed` for the apps that react (the queue). Sync functions serve views and
Celery; the `a`-prefixed twins serve the WebSocket consumer without blocking its event loop.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime

import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError, transaction

from accounts.models import User
from telepresence.errors import Conflict, Forbidden
from telepresence.redis import get_redis
from telepresence.streams import apush, push

from . import keys, store
from .access import watchable_user_ids
from .models import PresenceChange
from .selectors import UserPresence, presence_of
from .signals import presence_changed
from .store import Transition

logger = logging.getLogger(__name__)


class NotConnected(Conflict):
    code = "not_connected"
    default_detail = "Connect (or send a heartbeat) before changing status or subscribing."


class SubscriptionForbidden(Forbidden):
    default_detail = "You may not watch the presence of some of these users."


def _clock(now: float | None) -> float:
    return time.time() if now is None else now


# --- after a transition ----------------------------------------------------------------------


def transitions_record(transitions: list[Transition]) -> None:
    """History rows and the `presence_changed` signal, in the database's world (sync)."""
    moments = [datetime.fromtimestamp(t.at_millis / 1000, tz=UTC) for t in transitions]
    try:
        # One INSERT for a whole sweep: a mass disconnect must not cost a round trip per user.
        PresenceChange.objects.bulk_create(
            PresenceChange(user_id=t.user_id, status=t.status, previous=t.previous, at=at)
            for t, at in zip(transitions, moments)
        )
    except DatabaseError:
        # Live presence and its events are already right in Redis; a database hiccup costs
        # history rows, not the transitions.
        logger.error("presence history not written", exc_info=True)
    for transition, at in zip(transitions, moments):
        results = presence_changed.send_robust(
            sender=PresenceChange,
            user_id=transition.user_id,
            status=transition.status,
            previous=transition.previous,
            at=at,
        )
        for receiver, outcome in results:
            if isinstance(outcome, Exception):
                # The transition stands; one failing receiver must not hide it from the others.
                logger.error(
                    "presence_changed receiver %s failed: %s",
                    getattr(receiver, "__qualname__", receiver),
                    type(outcome).__name__,
                    exc_info=outcome,
                )


def _deliveries(transitions: list[Transition]) -> list[tuple[str, dict]]:
    return [delivery for transition in transitions for delivery in transition.deliveries]


def transitions_publish(transitions: list[Transition]) -> None:
    if transitions:
        push(_deliveries(transitions))
        transitions_record(transitions)


async def atransitions_publish(transitions: list[Transition]) -> None:
    """Push at once; record (history rows, signals) in the background, batched.

    Recording needs the database, which async code reaches through one shared thread: done
    inline, every connect would wait for a commit. Batched, a connect storm costs a few bulk
    INSERTs. The events are already safe in the streams; what a crash in between could lose is
    history rows and signals of the last few milliseconds.
    """
    if transitions:
        await apush(_deliveries(transitions))
        _recorder().add(transitions)


class _BackgroundRecorder:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: list[Transition] = []
        self.flushing: asyncio.Task | None = None

    def add(self, transitions: list[Transition]) -> None:
        self.pending.extend(transitions)
        if self.flushing is None or self.flushing.done():
            self.flushing = self.loop.create_task(self.flush())

    async def flush(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                await database_sync_to_async(transitions_record)(batch)
            except Exception:  # noqa: BLE001 - a bad batch must not stop later ones
                logger.exception("presence transitions not recorded")


_recorders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _BackgroundRecorder] = (
    weakref.WeakKeyDictionary()
)


def _recorder() -> _BackgroundRecorder:
    loop = asyncio.get_running_loop()
    if loop not in _recorders:
        _recorders[loop] = _BackgroundRecorder(loop)
    return _recorders[loop]


# --- connections ------------------------------------------------------------------------------


def presence_heartbeat(
    *, user_id: str, connection_id: str = "http", now: float | None = None
) -> list[Transition]:
    """A sign of life on one connection; a user's first connection brings them online."""
    call = store.touch(user_id=str(user_id), connection_id=connection_id, now=_clock(now))
    transitions = store.run(call)
    transitions_publish(transitions)
    return transitions


async def apresence_heartbeat(
    *, user_id: str, connection_id: str, now: float | None = None
) -> list[Transition]:
    call = store.touch(user_id=str(user_id), connection_id=connection_id, now=_clock(now))
    transitions = await store.arun(call)
    await atransitions_publish(transitions)
    return transitions


def presence_disconnect(*, user_id: str, connection_id: str, now: float | None = None) -> None:
    """A clean close: the user goes offline after the grace period unless they come back."""
    store.run(store.close(user_id=str(user_id), connection_id=connection_id, now=_clock(now)))


async def apresence_disconnect(
    *, user_id: str, connection_id: str, now: float | None = None
) -> None:
    await store.arun(store.close(user_id=str(user_id), connection_id=connection_id, now=_clock(now)))
    schedule_local_sweep(delay_seconds=settings.PRESENCE_GRACE_SECONDS)


def presence_status_set(*, user_id: str, status: str, now: float | None = None) -> list[Transition]:
    transitions = store.run(store.set_status(user_id=str(user_id), status=status, now=_clock(now)))
    if transitions is None:
        raise NotConnected()
    transitions_publish(transitions)
    return transitions


async def apresence_status_set(
    *, user_id: str, status: str, now: float | None = None
) -> list[Transition]:
    call = store.set_status(user_id=str(user_id), status=status, now=_clock(now))
    transitions = await store.arun(call)
    if transitions is None:
        raise NotConnected()
    await atransitions_publish(transitions)
    return transitions


# --- the sweep --------------------------------------------------------------------------------


def presence_sweep(*, now: float | None = None, batch: int | None = None) -> list[Transition]:
    """Expire dead connections and turn users left without any offline, in batches."""
    batch = batch or settings.PRESENCE_SWEEP_BATCH
    moment = _clock(now)
    swept: list[Transition] = []
    while True:
        expired, transitions = store.run(store.sweep(now=moment, limit=batch))
        transitions_publish(transitions)
        swept.extend(transitions)
        if expired < batch:
            return swept


# Per event loop: a sweep scheduled on a loop that has since closed must not block new ones.
_scheduled_sweeps: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[int]] = (
    weakref.WeakKeyDictionary()
)


def schedule_local_sweep(*, delay_seconds: float) -> None:
    """Sweep in this process when a grace period ends, so a clean close goes offline on time.

    The Celery sweep stays the guarantee (this process may die first); this only makes the
    common case precise. Sweeps due in the same half second are coalesced into one.
    """
    loop = asyncio.get_running_loop()
    scheduled = _scheduled_sweeps.setdefault(loop, set())
    slot = math.ceil((loop.time() + delay_seconds + 0.05) * 2)
    if slot in scheduled:
        return
    scheduled.add(slot)

    async def sweep_now() -> None:
        scheduled.discard(slot)
        try:
            # The same sync sweep Celery runs, on the database thread: it records as it goes.
            await database_sync_to_async(presence_sweep)()
        except redis.RedisError:
            logger.warning("local sweep skipped: Redis unreachable")

    loop.call_at(slot / 2, lambda: loop.create_task(sweep_now()))


# --- subscriptions ----------------------------------------------------------------------------


def presence_subscribe(*, viewer: User, user_ids: Iterable[str]) -> list[UserPresence]:
    """Watch these users' changes; answers with their current presence (the snapshot).

    All or nothing: if any of them may not be watched by this viewer, nothing is subscribed.
    Unknown ids are refused like forbidden ones, so that the answer never tells which exist.
    """
    wanted = list(dict.fromkeys(str(user_id) for user_id in user_ids))
    refused = set(wanted) - watchable_user_ids(viewer=viewer, user_ids=wanted)
    if refused:
        raise SubscriptionForbidden()
    viewer_id = str(viewer.pk)
    others = [user_id for user_id in wanted if user_id != viewer_id]
    if others and not store.run(store.subscribe(viewer_id=viewer_id, user_ids=others)):
        raise NotConnected()
    snapshot = presence_of(user_ids=wanted)
    return [snapshot[user_id] for user_id in wanted]


def presence_unsubscribe(*, viewer_id: str, user_ids: Iterable[str]) -> None:
    viewer_id = str(viewer_id)
    targets = [str(user_id) for user_id in user_ids]
    if not targets:
        return
    pipe = get_redis().pipeline(transaction=True)
    for user_id in targets:
        pipe.srem(keys.watchers(user_id), viewer_id)
    pipe.srem(keys.watching(viewer_id), *targets)
    pipe.execute()


def presence_watchers_prune(*, user_id: str) -> set[str]:
    """End the subscriptions to this user of those who may no longer watch them.

    Access is checked when someone subscribes; when a grant ends (the patient left the doctor's
    queue, the appointment was cancelled) the app that ended it calls this, so the doctor stops
    receiving that patient's changes at once. Returns the watchers removed.
    """
    user_id = str(user_id)
    watcher_ids = get_redis().smembers(keys.watchers(user_id))
    if not watcher_ids:
        return set()
    viewers = User.objects.filter(pk__in=watcher_ids)
    allowed = {
        str(viewer.pk)
        for viewer in viewers
        if user_id in watchable_user_ids(viewer=viewer, user_ids=[user_id])
    }
    refused = set(watcher_ids) - allowed
    if refused:
        pipe = get_redis().pipeline(transaction=True)
        pipe.srem(keys.watchers(user_id), *refused)
        for viewer_id in refused:
            pipe.srem(keys.watching(viewer_id), user_id)
        pipe.execute()
    return refused


def presence_watchers_prune_on_commit(*, user_id: object) -> None:
    def prune() -> None:
        try:
            presence_watchers_prune(user_id=str(user_id))
        except redis.RedisError:
            # The change is committed; the stale watch ends anyway when the watcher goes offline.
            logger.warning("watchers not pruned: Redis unreachable")

    transaction.on_commit(prune)


def presence_snapshot(*, viewer: User, user_ids: Iterable[str]) -> list[UserPresence]:
    """Current presence of users the viewer may watch, without subscribing."""
    wanted = list(dict.fromkeys(str(user_id) for user_id in user_ids))
    if set(wanted) - watchable_user_ids(viewer=viewer, user_ids=wanted):
        raise SubscriptionForbidden()
    snapshot = presence_of(user_ids=wanted)
    return [snapshot[user_id] for user_id in wanted]
