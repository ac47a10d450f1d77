"""Loaded by pytest before Django (`-p tests.environment` in pytest.ini).

Each run gets its own Redis key prefix, so tests never touch a running service's keys nor another
run's, and timings shrink to about a second. Daphne processes that tests start inherit all of it.
"""
from __future__ import annotations

import os
import secrets

TEST_ENVIRONMENT = {
    "DEBUG": "true",
    "REDIS_KEY_PREFIX": f"tptest-{os.getpid()}-{secrets.token_hex(3)}",
    "WS_TICKET_TTL_SECONDS": "60",
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "LOG_LEVEL": "WARNING",
    # Connections held open by worker threads would stop pytest from dropping the test database.
    "DATABASE_CONN_MAX_AGE": "0",
    # Presence in seconds, not tens of seconds (daphne processes started by tests inherit them).
    "PRESENCE_HEARTBEAT_SECONDS": "1",
    "PRESENCE_TIMEOUT_SECONDS": "2",
    "PRESENCE_GRACE_SECONDS": "1",
    "PRESENCE_SWEEP_SECONDS": "0.5",
    # The waiting room's timers likewise: away for 3 s is gone, checked every half second.
    "QUEUE_AWAY_GRACE_SECONDS": "3",
    "QUEUE_EXPIRE_INTERVAL_SECONDS": "0.5",
    "QUEUE_POSITIONS_DEBOUNCE_MS": "100",
    # Hashing on purpose-slow PBKDF2 would cost half a second per test user.
    "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
}

for name, value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(name, value)
