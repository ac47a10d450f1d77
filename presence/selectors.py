"""Reads of live presence (Redis) and of its history (database)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TypedDict

from telepresence.redis import get_redis

from . import keys

OFFLINE = "offline"


class UserPresence(TypedDict):
    user: str
    status: str
    last_seen: str | None


def millis_to_iso(millis: str | int | float | None) -> str | None:
    if millis in (None, ""):
        return None
    moment = datetime.fromtimestamp(int(float(millis)) / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def presence_of(*, user_ids: Iterable[object]) -> dict[str, UserPresence]:
    """Live status and last activity of each user; users never seen are offline with no time.

    One round trip whatever the number of users.
    """
    ids = list(dict.fromkeys(str(user_id) for user_id in user_ids))
    pipe = get_redis().pipeline(transaction=False)
    for user_id in ids:
        pipe.hmget(keys.user_state(user_id), "status", "last_seen")
    return {
        user_id: {
            "user": user_id,
            "status": status or OFFLINE,
            "last_seen": millis_to_iso(last_seen),
        }
        for user_id, (status, last_seen) in zip(ids, pipe.execute())
    }
