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
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from django.conf import settings


def key(*parts: object) -> str:
    """A key under this deployment's prefix: key("presence", "user", uid) -> "tp:presence:user:<uid>"."""
    return ":".join([settings.REDIS_KEY_PREFIX, *map(str, parts)])


def _client_options() -> dict:
    return {
        # A connect that times out under a burst (a busy event loop, thousands of handshakes)
        # is retried instead of failing the client's request.
        "retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
        "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT_SECONDS,
        "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        "max_connections": settings.REDIS_MAX_CONNECTIONS,
        "health_check_interval": 30,
        "decode_responses": True,
        # No CLIENT SETINFO round trips on every new connection.
        "driver_info": None,
    }


def connect_gate() -> asyncio.Semaphore:
    """Bounds the WebSocket connects a process sets up at once (per event loop).

    A reconnect storm after a deploy would otherwise borrow a Redis connection per client at
    the same moment; through the gate, thousands of clients are absorbed in turn.
    """
    loop = asyncio.get_running_loop()
    if loop not in _gates:
        _gates[loop] = asyncio.Semaphore(settings.WS_CONNECT_CONCURRENCY)
    return _gates[loop]


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


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
        # A small blocking pool: a thousand sockets heartbeating at once share a few dozen
        # connections (opening one per caller cost more than the commands themselves), and in
        # a storm callers wait for a free connection instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS,
            **{**_client_options(), "max_connections": settings.REDIS_ASYNC_POOL_SIZE},
        )
        clients[url] = aioredis.Redis(connection_pool=pool)
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
