"""Shared fixtures: personas, API clients, clean Redis, and real daphne processes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import token_issue
from telepresence.redis import get_redis

from .factories import DoctorFactory, PatientFactory, StaffFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_redis() -> Iterator[None]:
    """Each test starts with none of this run's keys (the prefix is unique to the run)."""
    redis = get_redis()

    def wipe() -> None:
        keys = list(redis.scan_iter(f"{settings.REDIS_KEY_PREFIX}:*", count=1000))
        if keys:
            redis.delete(*keys)

    wipe()
    yield
    wipe()


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    """A channel layer per test: its locks belong to the event loop that first used them, and
    each async test runs on a loop of its own."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


# --- personas: a doctor, a patient, and an outsider who should have no access ------------------


@pytest.fixture
def doctor(db: None) -> User:
    return DoctorFactory(username="dr-alice")


@pytest.fixture
def patient(db: None) -> User:
    return PatientFactory(username="bob")


@pytest.fixture
def outsider(db: None) -> User:
    """Another patient: must never learn anything about `patient`."""
    return PatientFactory(username="charlie")


@pytest.fixture
def staff(db: None) -> User:
    return StaffFactory(username="sam-staff")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user).key}")
        return client

    return make


# --- real daphne processes --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url_of_test_database() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"


class ServiceProcess:
    """A real process of the service (daphne, Celery) sharing the test database and Redis."""

    def __init__(self, command: list[str], name: str, extra_env: dict[str, str] | None = None):
        env = {**os.environ, "DATABASE_URL": _database_url_of_test_database(), **(extra_env or {})}
        self.log = open(ROOT / f".{name}.log", "w+b")  # noqa: SIM115
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self, *, kill: bool = False) -> None:
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.log.closed:
            self.log.close()
            Path(self.log.name).unlink(missing_ok=True)


class DaphneProcess(ServiceProcess):
    """A real daphne serving telepresence.asgi on a loopback port."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        super().__init__(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             "telepresence.asgi:application"],
            f"daphne-{self.port}",
            extra_env,
        )
        self._wait_until_up()

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def _wait_until_up(self, timeout_seconds: float = 20) -> None:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited early:\n{self.output()}")
            try:
                httpx.get(f"{self.http_url}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"daphne did not start:\n{self.output()}")



@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, django_db_blocker: object) -> Iterator[ServiceProcess]:
    """A real Celery worker with an embedded beat: the sweep runs on its real schedule."""
    schedule = ROOT / ".run" / f"beat-{os.getpid()}"
    schedule.parent.mkdir(exist_ok=True)
    worker = ServiceProcess(
        [sys.executable, "-m", "celery", "-A", "telepresence", "worker", "--beat",
         "--pool=solo", "--loglevel=INFO", f"--schedule={schedule}"],
        f"celery-{os.getpid()}",
    )
    deadline = time.monotonic() + 30
    while "ready." not in worker.output():
        if worker.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start:\n{worker.output()}")
        time.sleep(0.2)
    yield worker
    worker.stop()
    for leftover in schedule.parent.glob(f"{schedule.name}*"):
        leftover.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def daphne_server(django_db_setup: None, django_db_blocker: object) -> Iterator[DaphneProcess]:
    """One daphne for the session; tests that need more start their own with `start_daphne`."""
    server = DaphneProcess()
    yield server
    server.stop()


@pytest.fixture
def start_daphne(django_db_setup: None) -> Iterator[Callable[..., DaphneProcess]]:
    started: list[DaphneProcess] = []

    def start(**extra_env: str) -> DaphneProcess:
        server = DaphneProcess(extra_env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
