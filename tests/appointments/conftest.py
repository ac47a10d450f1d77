"""Appointment fixtures: a fixed clock and a doctor in Toronto working weekdays 09:00-17:00."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import User

from .factories import give_hours

# Monday 2 March 2026, 07:00 in Toronto (EST): the first slot, 09:00 EST, is two hours away.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
NINE_AM = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 EST
TUESDAY_NINE_AM = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Freeze the wall clock at NOW for code that reads it (views, tasks)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def working_doctor(doctor: User) -> User:
    return give_hours(doctor)


@pytest.fixture
def other_doctor(db: None) -> User:
    from tests.factories import DoctorFactory

    return give_hours(DoctorFactory(username="dr-dana"))
