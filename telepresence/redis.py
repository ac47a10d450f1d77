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


@lru_cache(maxsize=1)
def get_redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, **_client_options())


_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


def get_async_redis() -> aioredis.Redis:
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = aioredis.Redis.from_url(settings.REDIS_URL, **_client_options())
        _async_clients[loop] = client
    return client


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
