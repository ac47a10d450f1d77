"""Names of the Redis keys that hold live presence; the Lua scripts build the same names."""
from __future__ import annotations

from telepresence.redis import key


def deadlines() -> str:
    """Sorted set of every live connection, `<user>|<connection>`, scored by its deadline (ms)."""
    return key("presence", "deadlines")


def connections(user_id: object) -> str:
    return key("presence", "conns", user_id)


def user_state(user_id: object) -> str:
    """Hash: status, since (ms), last_seen (ms, last activity on any connection)."""
    return key("presence", "user", user_id)


def watchers(user_id: object) -> str:
    """Set of the users subscribed to this user's changes."""
    return key("presence", "watchers", user_id)


def watching(user_id: object) -> str:
    """Set of the users this user is subscribed to (to undo it when they go offline)."""
    return key("presence", "watching", user_id)
