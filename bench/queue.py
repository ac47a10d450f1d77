"""Benchmark: `next` calls per second with 10,000 waiting entries and 50 doctors pressing at once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/queue_dev REDIS_URL=redis://127.0.0.1:6379/0 \
        python bench/queue.py [--entries 10000] [--doctors 50] [--seconds 20] [--warmup 5] \
        [--offline 0.1] [--http N] [--without-push]

Creates its own queue, doctors, patients and entries (and migrates the database first), marks the
patients online in Redis under a private key prefix (a share of them offline, so `next` has to
skip some), then runs one worker thread per doctor: call `next`, then start the consultation (so the next
call takes a new patient), until the time is up. Prints throughput and latency, checks that
no entry went to two doctors, and removes everything it created. Bounded: setup plus --seconds.

Each doctor thread holds its own database connection (51 in all with the default 50 doctors):
PostgreSQL's max_connections must leave room for them. With --http, BENCH_DAPHNE_LOG=<file>
keeps the daphne processes' logs.
"""
from __future__ import annotations

import sys
from pathlib import Path

# WARNING: this file is named queue.py, so with its folder first on sys.path it would shadow the
# standard library's `queue` (which Django's imports need). Drop that folder before importing.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import asyncio
import logging
import os
import random
import socket
import statistics
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

sys.path.insert(0, str(_HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telepresence.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Private Redis keys: the benchmark never touches a running service's presence or streams.
os.environ["REDIS_KEY_PREFIX"] = f"tpbench-queue-{os.getpid()}"

import django  # noqa: E402
import httpx  # noqa: E402
from asgiref.sync import sync_to_async  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import token_issue  # noqa: E402
from presence import keys  # noqa: E402
from queueing import services  # noqa: E402
from queueing.models import Queue, QueueEntry, QueueEntryTransition  # noqa: E402
from telepresence.redis import get_redis  # noqa: E402


class Daphne:
    """A daphne process serving this checkout on a free loopback port, with this environment
    (same database, same Redis prefix)."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             "telepresence.asgi:application"],
            cwd=_HERE.parent, env=os.environ.copy(),
            stdout=subprocess.DEVNULL, stderr=open(os.environ.get("BENCH_DAPHNE_LOG", os.devnull), "ab"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("daphne did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class CountingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.messages: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        message = record.getMessage()
        self.messages[message] = self.messages.get(message, 0) + 1


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--doctors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured time first")
    parser.add_argument("--offline", type=float, default=0.1, help="share of patients offline")
    parser.add_argument(
        "--without-push", action="store_true",
        help="diagnostic: skip the channel-layer notification of open sockets (events are "
        "still appended to every recipient's stream), to separate its cost from the queue's",
    )
    parser.add_argument(
        "--http", type=int, default=0, metavar="N",
        help="go through HTTP instead: start N daphne processes and call POST /api/queue/next/ "
        "(and /start/) with each doctor's token, the way the apps do",
    )
    args = parser.parse_args()
    if args.without_push:
        from telepresence import streams

        streams.push = lambda deliveries: None

    call_command("migrate", verbosity=0)
    tag = uuid.uuid4().hex[:8]
    redis = get_redis()
    password = make_password(None)
    print(f"setup: {args.entries} entries, {args.doctors} doctors, "
          f"{'no live push, ' if args.without_push else ''}database "
          f"{connection.settings_dict['ENGINE'].rsplit('.', 1)[-1]}:{connection.settings_dict['NAME']}")
    started = time.perf_counter()
    doctors = User.objects.bulk_create(
        User(username=f"bench-{tag}-dr{i}", role=User.Role.DOCTOR, password=password)
        for i in range(args.doctors)
    )
    patients = User.objects.bulk_create(
        (User(username=f"bench-{tag}-pt{i}", role=User.Role.PATIENT, password=password)
         for i in range(args.entries)),
        batch_size=2_000,
    )
    queue = Queue.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    queue.doctors.add(*doctors)
    now = timezone.now()
    rng = random.Random(4)
    QueueEntry.objects.bulk_create(
        (
            QueueEntry(
                queue=queue,
                patient=patient,
                reason="benchmark",
                urgency=rng.choices([1, 2, 3, 4, 5], weights=[1, 5, 20, 50, 24])[0],
                status=QueueEntry.Status.WAITING,
                joined_at=now - timedelta(seconds=rng.uniform(0, 7_200)),
                virtual_start=now,
            )
            for patient in patients
        ),
        batch_size=2_000,
    )
    QueueEntry.objects.filter(queue=queue).update(virtual_start=F("joined_at"))
    pipe = redis.pipeline(transaction=False)
    millis = int(time.time() * 1000)
    for user in [*patients, *doctors]:
        status = "offline" if user.role == User.Role.PATIENT and rng.random() < args.offline else "online"
        pipe.hset(keys.user_state(user.pk), mapping={"status": status, "since": millis, "last_seen": millis})
    pipe.execute()
    print(f"setup took {time.perf_counter() - started:.1f} s")

    latencies: list[float] = []
    claimed: list[str] = []
    empty: list[int] = []
    errors: list[str] = []

    servers = [Daphne() for _ in range(args.http)]
    clients: dict[str, httpx.Client] = {}
    if servers:
        for index, doctor in enumerate(doctors):
            clients[str(doctor.pk)] = httpx.Client(
                base_url=servers[index % len(servers)].url,
                headers={"Authorization": f"Token {token_issue(user=doctor).key}"},
                timeout=60,
            )
        print(f"through HTTP: {len(servers)} daphne process(es)")

    def one_call(doctor: User) -> tuple[float, str | None]:
        if clients:
            client = clients[str(doctor.pk)]
            t0 = time.perf_counter()
            response = client.post("/api/queue/next/")
            elapsed = time.perf_counter() - t0
            if response.status_code == 204:
                return elapsed, None
            response.raise_for_status()
            entry_id = response.json()["id"]
            client.post(f"/api/queue/entries/{entry_id}/start/").raise_for_status()
            return elapsed, entry_id
        t0 = time.perf_counter()
        entry = services.queue_entry_next(doctor=doctor)
        elapsed = time.perf_counter() - t0
        if entry is None:
            return elapsed, None
        services.queue_entry_start(entry_id=entry.pk, doctor=doctor)
        return elapsed, str(entry.pk)

    async def doctor_loop(doctor: User, measure_from: float, deadline: float) -> None:
        # As under daphne: the sync service runs in a worker thread, and its after-commit push
        # (async_to_sync) hops back to this event loop, whose Redis connections it reuses.
        step = sync_to_async(one_call, thread_sensitive=False)
        try:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                elapsed, entry_id = await step(doctor)
                if began < measure_from:
                    continue  # warm-up: connections being opened, caches filled
                latencies.append(elapsed)
                if entry_id is None:
                    empty.append(1)
                else:
                    claimed.append(entry_id)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(f"{type(error).__name__}: {error}")

    async def run_all() -> float:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=len(doctors)))
        measure_from = time.perf_counter() + args.warmup
        deadline = measure_from + args.seconds
        await asyncio.gather(*(doctor_loop(d, measure_from, deadline) for d in doctors))
        return time.perf_counter() - measure_from

    skipped_pushes = CountingHandler()
    logging.getLogger("queueing.services").addHandler(skipped_pushes)
    logging.getLogger("queueing.services").propagate = False
    wall = asyncio.run(run_all())
    nones = len(empty)

    calls = len(latencies)
    distinct = len(set(claimed))
    double_claims = (
        QueueEntryTransition.objects.filter(entry__queue=queue, to_status="claimed").count()
        - QueueEntry.objects.filter(queue=queue, claimed_at__isnull=False).count()
    )
    print(f"{len(doctors)} doctors in {len(doctors)} threads for {wall:.1f} s "
          f"{'over HTTP ' if servers else ''}"
          f"(each loop: next, then start; after {args.warmup:.0f} s warm-up)")
    print(f"next calls: {calls}  ->  {calls / wall:.1f} calls/s; claims {len(claimed)} "
          f"({len(claimed) / wall:.1f}/s), empty answers {nones}")
    if latencies:
        print(f"next latency ms: p50 {percentile(latencies, .5) * 1000:.1f}  "
              f"p95 {percentile(latencies, .95) * 1000:.1f}  p99 {percentile(latencies, .99) * 1000:.1f}  "
              f"mean {statistics.mean(latencies) * 1000:.1f}")
    print(f"correctness: {distinct} distinct entries for {len(claimed)} claims; "
          f"extra claim transitions: {double_claims}; errors: {len(errors)}")
    print(f"after-commit events skipped (Redis refused, e.g. connection pool exhausted): "
          f"{skipped_pushes.count if not servers else 'see the daphne logs (not captured)'}")
    for message, count in sorted(skipped_pushes.messages.items(), key=lambda item: -item[1]):
        print(f"  {count} x {message}")
    for error in errors[:5]:
        print("  error:", error)

    # Clean up everything this run created.
    for client in clients.values():
        client.close()
    for server in servers:
        server.stop()
    QueueEntry.objects.filter(queue=queue).delete()
    queue.delete()
    User.objects.filter(username__startswith=f"bench-{tag}-").delete()
    stale = list(redis.scan_iter(f"{os.environ['REDIS_KEY_PREFIX']}:*", count=5_000))
    for start in range(0, len(stale), 5_000):
        redis.delete(*stale[start:start + 5_000])
    if errors or distinct != len(claimed) or double_claims:
        sys.exit(1)


if __name__ == "__main__":
    main()
