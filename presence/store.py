"""Live presence in Redis: every transition is one Lua script, so it is atomic.

Layout (see keys.py): a sorted set of every live connection scored by its deadline, a set of
connections per user, a hash of status and times per user, and the watcher sets. A script that
changes a user's status also appends the `presence.changed` event to the streams of the user and
of everyone watching them, in the same atomic step: whichever process runs it, with however many
sweeps and heartbeats racing, a transition happens once and is announced once.

WARNING: the scripts build key names from the prefix (they touch the watchers' streams, which
cannot be declared up front), so they need a single Redis, not Redis Cluster.

Each operation is a `Call` (script, arguments, how to read the reply) run by `run` from sync code
or `arun` from async code, so the two paths cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from telepresence.redis import get_async_redis, get_redis

from .selectors import millis_to_iso

ONLINE, AWAY, BUSY, OFFLINE = "online", "away", "busy", "offline"
CLIENT_STATUSES = (ONLINE, AWAY, BUSY)

# Shared by the scripts below. emit() appends one presence.changed event to each watcher's
# stream and (unless the user went offline) to the user's own, and returns
# {recipient, event id, ...}.
_PRELUDE = """
local P = ARGV[1]
local MAXLEN = ARGV[2]
local TTL = tonumber(ARGV[3])
local function k(...) return table.concat({P, 'presence', ...}, ':') end
local function emit(user, status, at_iso, out)
  -- Nobody is in their own watchers set (subscribe leaves them out): no duplicate here. The
  -- user's own stream tells their other devices; going offline, they have none left.
  local recipients = redis.call('SMEMBERS', k('watchers', user))
  if status ~= 'offline' then table.insert(recipients, user) end
  if #recipients == 0 then return out end
  local payload = cjson.encode({type = 'presence.changed', user = user, status = status, at = at_iso})
  for _, recipient in ipairs(recipients) do
    local stream = P .. ':stream:' .. recipient
    local id = redis.call('XADD', stream, 'MAXLEN', '~', MAXLEN, '*', 'e', payload)
    redis.call('EXPIRE', stream, TTL)
    table.insert(out, recipient)
    table.insert(out, id)
  end
  return out
end
"""

# ARGV[4..]: user, connection, now_ms, deadline_ms, at_iso.
# Registers or refreshes a connection; the first one of an offline user brings them online.
_TOUCH = _PRELUDE + """
local user, conn, now, deadline, at_iso = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
redis.call('ZADD', k('deadlines'), deadline, user .. '|' .. conn)
redis.call('SADD', k('conns', user), conn)
local state = k('user', user)
local previous = redis.call('HGET', state, 'status') or 'offline'
redis.call('HSET', state, 'last_seen', now)
if previous ~= 'offline' then return {} end
redis.call('HSET', state, 'status', 'online', 'since', now)
return {emit(user, 'online', at_iso, {user, previous, 'online'})}
"""

# ARGV[4..]: user, status, now_ms, at_iso. A client may only change the status of a user who
# is connected; 'not_connected' otherwise.
_SET_STATUS = _PRELUDE + """
local user, status, now, at_iso = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local state = k('user', user)
local previous = redis.call('HGET', state, 'status') or 'offline'
if previous == 'offline' or redis.call('SCARD', k('conns', user)) == 0 then
  return 'not_connected'
end
if previous == status then return {} end
redis.call('HSET', state, 'status', status, 'since', now)
return {emit(user, status, at_iso, {user, previous, status})}
"""

# ARGV[4..]: user, connection, grace_deadline_ms. A clean close. While the user has other
# connections this one just goes; the last one is kept until the grace deadline so that a
# reload or a network switch that reconnects in time produces no offline/online pair.
_CLOSE = _PRELUDE + """
local user, conn, grace_deadline = ARGV[4], ARGV[5], tonumber(ARGV[6])
local member = user .. '|' .. conn
local current = redis.call('ZSCORE', k('deadlines'), member)
if not current then return 0 end
if redis.call('SCARD', k('conns', user)) > 1 then
  redis.call('ZREM', k('deadlines'), member)
  redis.call('SREM', k('conns', user), conn)
  return 1
end
if tonumber(current) > grace_deadline then
  redis.call('ZADD', k('deadlines'), grace_deadline, member)
end
return 2
"""

# ARGV[4..]: now_ms, limit, at_iso. Removes up to `limit` connections whose deadline passed and
# turns users left with none offline. Reads only the expired end of the sorted set, so its cost
# follows the number of expired connections, not of all of them. A user going offline also
# loses their own subscriptions: clients subscribe again when they come back.
_SWEEP = _PRELUDE + """
local now, limit, at_iso = ARGV[4], tonumber(ARGV[5]), ARGV[6]
local expired = redis.call('ZRANGEBYSCORE', k('deadlines'), '-inf', now, 'LIMIT', 0, limit)
for first = 1, #expired, 500 do
  redis.call('ZREM', k('deadlines'), unpack(expired, first, math.min(first + 499, #expired)))
end
local transitions = {}
for _, member in ipairs(expired) do
  local bar = string.find(member, '|', 1, true)
  local user, conn = string.sub(member, 1, bar - 1), string.sub(member, bar + 1)
  redis.call('SREM', k('conns', user), conn)
  if redis.call('SCARD', k('conns', user)) == 0 then
    local state = k('user', user)
    local previous = redis.call('HGET', state, 'status') or 'offline'
    if previous ~= 'offline' then
      redis.call('HSET', state, 'status', 'offline', 'since', now)
      table.insert(transitions, emit(user, 'offline', at_iso, {user, previous, 'offline'}))
      local watching = redis.call('SMEMBERS', k('watching', user))
      if #watching > 0 then
        for _, target in ipairs(watching) do
          redis.call('SREM', k('watchers', target), user)
        end
        redis.call('DEL', k('watching', user))
      end
    end
  end
end
return {#expired, transitions}
"""


@dataclass(frozen=True)
class Transition:
    user_id: str
    previous: str
    status: str
    at_millis: int
    # (recipient user id, the event as it sits in their stream, with its id)
    deliveries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    source: str
    args: list[Any]
    parse: Callable[[Any], Any]


# register_script only hashes the source; the script object runs EVALSHA and loads the script
# into Redis when Redis does not know it (first use, or after a Redis restart).


def run(call: Call) -> Any:
    return call.parse(get_redis().register_script(call.source)(keys=[], args=call.args))


async def arun(call: Call) -> Any:
    script = get_async_redis().register_script(call.source)
    return call.parse(await script(keys=[], args=call.args))


def _common_args() -> list[Any]:
    return [settings.REDIS_KEY_PREFIX, settings.EVENT_STREAM_MAX_EVENTS, settings.EVENT_STREAM_TTL_SECONDS]


def _millis(now: float) -> int:
    return int(now * 1000)


def _transitions(at_millis: int) -> Callable[[Any], list[Transition]]:
    def parse(reply: list[list[str]]) -> list[Transition]:
        transitions = []
        for user_id, previous, status, *deliveries in reply:
            event = {
                "type": "presence.changed",
                "user": user_id,
                "status": status,
                "at": millis_to_iso(at_millis),
            }
            pairs = [
                (recipient, {**event, "id": event_id})
                for recipient, event_id in zip(deliveries[::2], deliveries[1::2])
            ]
            transitions.append(Transition(user_id, previous, status, at_millis, pairs))
        return transitions

    return parse


def touch(*, user_id: str, connection_id: str, now: float) -> Call:
    millis = _millis(now)
    deadline = millis + int(settings.PRESENCE_TIMEOUT_SECONDS * 1000)
    return Call(
        _TOUCH,
        [*_common_args(), user_id, connection_id, millis, deadline, millis_to_iso(millis)],
        _transitions(millis),
    )


def set_status(*, user_id: str, status: str, now: float) -> Call:
    millis = _millis(now)
    parse = _transitions(millis)
    return Call(
        _SET_STATUS,
        [*_common_args(), user_id, status, millis, millis_to_iso(millis)],
        lambda reply: None if reply == "not_connected" else parse(reply),
    )


def close(*, user_id: str, connection_id: str, now: float) -> Call:
    grace_deadline = _millis(now) + int(settings.PRESENCE_GRACE_SECONDS * 1000)
    return Call(_CLOSE, [*_common_args(), user_id, connection_id, grace_deadline], int)


# ARGV[4..]: viewer, target... Subscribes a connected viewer; 0 when the viewer is offline (a
# subscription of an offline user would never be cleaned up).
_SUBSCRIBE = _PRELUDE + """
local viewer = ARGV[4]
if (redis.call('HGET', k('user', viewer), 'status') or 'offline') == 'offline' then return 0 end
for i = 5, #ARGV do
  redis.call('SADD', k('watchers', ARGV[i]), viewer)
  redis.call('SADD', k('watching', viewer), ARGV[i])
end
return 1
"""


def subscribe(*, viewer_id: str, user_ids: list[str]) -> Call:
    return Call(_SUBSCRIBE, [*_common_args(), viewer_id, *user_ids], bool)


def sweep(*, now: float, limit: int) -> Call:
    millis = _millis(now)
    parse = _transitions(millis)
    return Call(
        _SWEEP,
        [*_common_args(), millis, limit, millis_to_iso(millis)],
        lambda reply: (int(reply[0]), parse(reply[1])),
    )
