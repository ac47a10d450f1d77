"""Demo working hours for seed_demo: FOR DEMOS AND TESTS ONLY. Idempotent."""
from __future__ import annotations

from datetime import time

from accounts.models import User

from .models import Schedule, WeeklyAvailability

# Monday to Friday, a morning and an afternoon, in each doctor's own (Canadian) time zone.
DEMO_PERIODS = [(time(9, 0), time(12, 0)), (time(13, 0), time(17, 0))]


def seed_demo_schedules(*, doctors: list[User]) -> list[tuple[User, bool]]:
    """Give each doctor without weekly hours the demo hours; leaves edited schedules alone."""
    result = []
    for doctor in doctors:
        Schedule.objects.get_or_create(doctor=doctor)
        if WeeklyAvailability.objects.filter(doctor=doctor).exists():
            result.append((doctor, False))
            continue
        WeeklyAvailability.objects.bulk_create(
            WeeklyAvailability(doctor=doctor, weekday=weekday, start_time=start, end_time=end)
            for weekday in range(5)
            for start, end in DEMO_PERIODS
        )
        result.append((doctor, True))
    return result
