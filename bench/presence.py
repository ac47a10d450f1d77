"""Presence benchmark: prints what one daphne process and the sweep do on this machine.

    .venv/bin/python bench/presence.py [--connections 10000] [--storm 5000]

It starts its own daphne on a free loopback port, with its own database (a fresh SQLite file
unless DATABASE_URL is set) and its own Redis key prefix, and removes what it made at the end.
Figures: connections held and memory per connection; heartbeats per second; sweep time with
100,000 tracked connections of which 1% expired; status change to watcher latency (median,
p99); a reconnect storm's failed handshakes.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import socket
import subprocess
import sys
import time
import uuid

import _setup

ENV = _setup.configure("presence")

import httpx  # noqa: E402
import psutil  # noqa: E402
import websockets  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import ws_ticket_issue  # noqa: E402
from presence import services, store  # noqa: E402
from telepresence.redis import get_redis  # noqa: E402

RESULTS: list[tuple[str, str]] = []


def report(name: str, value: str) -> None:
    RESULTS.append((name, value))
    print(f"  {name:<58} {value}", flush=True)


def make_users(count: int, role: str = User.Role.PATIENT, prefix: str = "bench") -> list[User]:
    password = make_password(None)
    users = [
        User(username=f"{prefix}-{uuid.uuid4().hex[:12]}", role=role, password=password)
        for _ in range(count)
    ]
    User.objects.bulk_create(users, batch_size=2000)
    return users


def start_daphne() -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The same flags as the Procfile's web process: a deep accept backlog, and handshakes that
    # may wait their turn for 30 s instead of daphne's default 5 during a reconnect storm.
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-e", f"tcp:port={port}:interface=127.0.0.1:backlog=4096",
         "--websocket_connect_timeout", "30", "telepresence.asgi:application"],
        cwd=_setup.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process, port
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("daphne did not start")


# --- the sweep ----------------------------------------------------------------------------------


def bench_sweep(total: int = 100_000, expired_fraction: float = 0.01) -> None:
    expiring = make_users(int(total * expired_fraction), prefix="sweep")
    redis = get_redis()
    now = time.time()
    pipe = redis.pipeline(transaction=False)
    for index in range(total):
        user_id = str(expiring[index].pk) if index < len(expiring) else uuid.uuid4().hex
        seen = now - 60 if index < len(expiring) else now + 3600
        call = store.touch(user_id=user_id, connection_id="c", now=seen)
        pipe.evalsha(_sha(call.source), 0, *call.args)
        if index % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    tracked = redis.zcard(f"{ENV['REDIS_KEY_PREFIX']}:presence:deadlines")
    started = time.perf_counter()
    expired, transitions = store.run(store.sweep(now=now, limit=total))
    script_ms = (time.perf_counter() - started) * 1000
    report(f"sweep script: {tracked:,} tracked, {expired:,} expired", f"{script_ms:.1f} ms")
    # The same again, now with what follows a transition: pushes, history rows, signals.
    for user in expiring:
        store.run(store.touch(user_id=str(user.pk), connection_id="c", now=now - 60))
    started = time.perf_counter()
    swept = services.presence_sweep(now=now)
    full_ms = (time.perf_counter() - started) * 1000
    report(f"full sweep incl. events and history ({len(swept):,} offline)", f"{full_ms:.1f} ms")


_SHAS: dict[str, str] = {}


def _sha(source: str) -> str:
    if source not in _SHAS:
        _SHAS[source] = get_redis().script_load(source)
    return _SHAS[source]


# --- daphne -------------------------------------------------------------------------------------


async def open_sockets(port: int, users: list[User], concurrency: int) -> tuple[list, int, float]:
    gate = asyncio.Semaphore(concurrency)
    sockets: list = []
    failures = 0
    reasons: collections.Counter[str] = collections.Counter()

    async def one(user: User) -> None:
        nonlocal failures
        async with gate:
            # Issued at the last moment, as a client does: a ticket lives 60 seconds.
            ticket = ws_ticket_issue(user=user)
            try:
                ws = await websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/?ticket={ticket}", open_timeout=60,
                    ping_interval=None, max_queue=None,
                )
                welcome = json.loads(await asyncio.wait_for(ws.recv(), 60))
                assert welcome["type"] == "welcome"
                sockets.append(ws)
            except Exception as error:  # noqa: BLE001 - every kind of failure counts as one
                failures += 1
                reasons[repr(error)[:120]] += 1

    started = time.perf_counter()
    await asyncio.gather(*(one(user) for user in users))
    for reason, count in reasons.most_common(3):
        print(f"    {count} failed: {reason}")
    return sockets, failures, time.perf_counter() - started


async def heartbeats_per_second(sockets: list, seconds: float = 10) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def loop(ws) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await ws.send('{"type":"heartbeat"}')
            await ws.recv()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(ws) for ws in sockets[:1000]))
    return done / (time.perf_counter() - started)


async def change_latency(port: int, doctor: User, watcher: User, samples: int = 300) -> list[float]:
    doctor_ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/?ticket={ws_ticket_issue(user=doctor)}")
    watcher_ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/?ticket={ws_ticket_issue(user=watcher)}")
    await doctor_ws.recv(), await watcher_ws.recv()
    await watcher_ws.send(json.dumps({"type": "presence.subscribe", "users": [str(doctor.pk)]}))
    await watcher_ws.recv()
    latencies = []
    for index in range(samples):
        status = "busy" if index % 2 == 0 else "online"
        started = time.perf_counter()
        await doctor_ws.send(json.dumps({"type": "presence.set", "status": status}))
        while True:
            frame = json.loads(await watcher_ws.recv())
            if frame["type"] == "presence.changed" and frame["status"] == status:
                break
        latencies.append((time.perf_counter() - started) * 1000)
        await doctor_ws.recv()  # the doctor's own ack
        await doctor_ws.recv()  # and their own copy of the change
    await doctor_ws.close()
    await watcher_ws.close()
    return latencies


async def bench_daphne(
    port: int, daphne: subprocess.Popen, users: list[User], doctor: User, watcher: User, storm: int
) -> None:
    process = psutil.Process(daphne.pid)
    baseline = process.memory_info().rss
    sockets, failures, elapsed = await open_sockets(port, users, concurrency=100)
    held = process.memory_info().rss
    report("connections held by one daphne process", f"{len(sockets):,} ({failures} failed)")
    report("time to open them (100 at a time)", f"{elapsed:.1f} s ({len(sockets) / elapsed:,.0f}/s)")
    report("daphne memory per connection", f"{(held - baseline) / max(1, len(sockets)) / 1024:.1f} KiB")
    report("daphne resident memory with them", f"{held / 2**20:,.0f} MiB")
    # Let the background recording of the connects' online transitions finish first.
    await asyncio.sleep(10)
    rate = await heartbeats_per_second(sockets)
    report("heartbeats handled per second (1,000 sockets, ack awaited)", f"{rate:,.0f}")
    latencies = await change_latency(port, doctor, watcher)
    report("status change -> watcher, median", f"{_setup.percentile(latencies, 0.5):.1f} ms")
    report("status change -> watcher, p99", f"{_setup.percentile(latencies, 0.99):.1f} ms")
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    sockets, failures, elapsed = await open_sockets(port, users[:storm], concurrency=storm)
    report(f"reconnect storm: {storm:,} clients at once", f"{elapsed:.1f} s, {failures} failed handshakes")
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--storm", type=int, default=5_000)
    parser.add_argument("--sweep-total", type=int, default=100_000)
    args = parser.parse_args()
    print(f"Presence benchmark (database: {os.environ['DATABASE_URL'].split('://')[0]})")
    try:
        bench_sweep(total=args.sweep_total)
        _setup.forget_redis_keys()
        users = make_users(args.connections)
        doctor = make_users(1, User.Role.DOCTOR, "lat-doc")[0]
        watcher = make_users(1, prefix="lat-pat")[0]
        daphne, port = start_daphne()
        try:
            asyncio.run(bench_daphne(port, daphne, users, doctor, watcher, args.storm))
        finally:
            daphne.terminate()
            daphne.wait()
    finally:
        _setup.forget_redis_keys()
        User.objects.filter(username__regex=r"^(bench|sweep|lat-doc|lat-pat)-").delete()


if __name__ == "__main__":
    main()
