"""Appointment figures: slot generation, serial booking, and twenty-way contention.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/appt_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/appointments.py

Creates a throw-away test database (test_<name>) and drops it afterwards; prints the figures.
"""
from __future__ import annotations

import os
import secrets
import statistics
import sys
import threading
import time
from datetime import UTC, date, datetime, time as clock, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telepresence.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("REDIS_KEY_PREFIX", f"tpbench-{secrets.token_hex(3)}")
os.environ.setdefault("PASSWORD_HASHERS", "django.contrib.auth.hashers.MD5PasswordHasher")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from appointments import rules  # noqa: E402

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def bench_rules() -> None:
    morning = (clock(9), clock(12))
    afternoon = (clock(13), clock(17))
    periods = [
        rules.Period(weekday=d, start=t0, end=t1)
        for d in range(5)
        for t0, t1 in (morning, afternoon)
    ]
    booked = [
        (NOW + timedelta(days=d, hours=2 + h), NOW + timedelta(days=d, hours=2 + h, minutes=30))
        for d in range(31)
        for h in range(0, 7, 2)
    ]
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        found = rules.free_slots(
            rules=rules.ScheduleRules(slot_minutes=15, minimum_notice_minutes=0),
            periods=periods, overrides=[], booked=booked, day_counts={},
            start_date=date(2026, 3, 2), end_date=date(2026, 4, 1), now=NOW,
            tz=ZoneInfo("America/Toronto"),
        )
    elapsed = (time.perf_counter() - started) / runs
    print(f"free_slots, 31 days of 15-min slots ({len(found)} free, {len(booked)} booked): "
          f"{elapsed * 1000:.2f} ms per call")


def bench_database() -> None:
    from accounts.services import user_create
    from appointments import services
    from appointments.models import Appointment

    doctor = user_create(username="bench-doctor", password="x" * 12, role="doctor")
    services.availability_update(
        actor=doctor, doctor=doctor,
        settings_values={"slot_minutes": 15, "minimum_notice_minutes": 0, "horizon_days": 90},
        periods=[{"weekday": d, "start": clock(8),
                  "end": clock(18)} for d in range(7)],
    )
    patients = [user_create(username=f"bench-p{i}", password="x" * 12, role="patient")
                for i in range(220)]
    tz = ZoneInfo("America/Toronto")
    first = rules.local_to_utc(date(2026, 3, 3), clock(8), tz)

    # Serial: 200 bookings on distinct slots.
    latencies = []
    for index in range(200):
        start = first + timedelta(days=index // 40, minutes=15 * (index % 40))
        began = time.perf_counter()
        services.appointment_book(actor=patients[index], doctor_id=doctor.pk, start=start, now=NOW)
        latencies.append(time.perf_counter() - began)
    print(
        "appointment_book, serial, 200 distinct slots: "
        f"median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {sorted(latencies)[189] * 1000:.1f} ms, "
        f"{len(latencies) / sum(latencies):.0f} bookings/s"
    )

    # Contention: 20 threads on one slot, 5 rounds.
    rounds = []
    for round_number in range(5):
        start = first + timedelta(days=10 + round_number)
        contenders = patients[200:220]
        barrier = threading.Barrier(len(contenders))
        outcome: list[str] = []

        def run(person) -> None:  # type: ignore[no-untyped-def]
            try:
                barrier.wait()
                services.appointment_book(actor=person, doctor_id=doctor.pk, start=start, now=NOW)
                outcome.append("won")
            except Exception as error:  # noqa: BLE001
                outcome.append(getattr(error, "code", type(error).__name__))
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(p,)) for p in contenders]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rounds.append(time.perf_counter() - began)
        assert outcome.count("won") == 1, outcome
    print(
        f"20 simultaneous bookings of one slot: exactly 1 winner in each of {len(rounds)} "
        f"rounds, all 20 answered in median {statistics.median(rounds) * 1000:.0f} ms"
    )
    assert Appointment.objects.count() == 205


def main() -> None:
    bench_rules()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        bench_database()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
