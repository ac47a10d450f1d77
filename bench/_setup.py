"""Shared set-up for the benchmark scripts: Django configured on a private Redis prefix and a
database of their own, so that a benchmark never touches a running service's data."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/queue.py would shadow the standard library's `queue` for every script in this folder:
# once this module is imported, the folder leaves sys.path and the project root takes its place.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))


def configure(name: str) -> dict[str, str]:
    """Point this process (and the daphne it may start) at a fresh database and Redis prefix."""
    env = {
        "DJANGO_SETTINGS_MODULE": "telepresence.settings",
        # Production settings: DEBUG would record every SQL query in memory.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "REDIS_KEY_PREFIX": f"tpbench-{name}-{secrets.token_hex(3)}",
        "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
    }
    if not os.environ.get("DATABASE_URL"):
        database = Path(tempfile.mkdtemp(prefix="tp-bench-")) / "bench.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.update(env)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True
    )
    import django

    django.setup()
    return env


def forget_redis_keys() -> None:
    from django.conf import settings

    from telepresence.redis import get_redis

    redis = get_redis()
    for batch in _chunks(redis.scan_iter(f"{settings.REDIS_KEY_PREFIX}:*", count=5000), 5000):
        redis.delete(*batch)


def _chunks(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
