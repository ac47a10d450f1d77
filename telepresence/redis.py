"""Redis clients and key names shared by every app.

One synchronous client per process (views, Celery tasks) and one asynchronous client per event
loop (consumers, long-polls): redis-py's asyncio connections belong to the loop that made them.
"""
from __future__ import annotations

import asyncio
import weakref
from functools import lru_cache

import redis
import redis.asyncio as aioredis
from django.conf import settings


def key(*parts: object) -> str:
    """A key under this deployment's prefix: key("presence", "user", uid) -> "tp:presence:user:<uid>"."""
    return ":".join([settings.REDIS_KEY_PREFIX, *map(str, parts)])


def _client_options() -> dict:
    return {
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT_SECONDS,
        "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        "max_connections": settings.REDIS_MAX_CONNECTIONS,
        "health_check_interval": 30,
        "decode_responses": True,
    }


def get_redis() -> redis.Redis:
    return _sync_client(settings.REDIS_URL)


@lru_cache(maxsize=4)
def _sync_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, **_client_options())


_async_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, aioredis.Redis]
] = weakref.WeakKeyDictionary()


def get_async_redis() -> aioredis.Redis:
    clients = _async_clients.setdefault(asyncio.get_running_loop(), {})
    url = settings.REDIS_URL
    if url not in clients:
        clients[url] = aioredis.Redis.from_url(url, **_client_options())
    return clients[url]


def ping(timeout_seconds: float = 1.0) -> bool:
    """True when Redis answers within the timeout; used by /healthz."""
    probe = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
    )
    try:
        return bool(probe.ping())
    except redis.RedisError:
        return False
    finally:
        probe.close()
