"""seed_demo gives each demo doctor weekday hours in their Canadian zone, idempotently."""
from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from appointments import selectors
from appointments.models import Schedule, WeeklyAvailability

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_the_demo_doctors_bookable_weekday_hours_once():
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "hours kept" in out.getvalue()
    zones = {}
    for username in ("doctor1", "doctor2", "doctor3"):
        doctor = User.objects.get(username=username)
        assert Schedule.objects.filter(doctor=doctor).count() == 1
        periods = WeeklyAvailability.objects.filter(doctor=doctor)
        assert periods.count() == 10  # Monday to Friday, morning and afternoon, not doubled
        assert {p.weekday for p in periods} == {0, 1, 2, 3, 4}
        zones[username] = str(selectors.doctor_time_zone(doctor=doctor))
        today = timezone.now().date()
        slots = selectors.free_slots_for(
            doctor=doctor, start_date=today, end_date=date.fromordinal(today.toordinal() + 7),
            now=timezone.now(),
        )
        assert slots, f"{username} has nothing to book in the next week"
    assert zones == {
        "doctor1": "America/Toronto", "doctor2": "America/Vancouver", "doctor3": "America/Halifax",
    }


def test_seed_demo_leaves_a_doctors_own_hours_alone():
    call_command("seed_demo", stdout=io.StringIO())
    doctor = User.objects.get(username="doctor1")
    WeeklyAvailability.objects.filter(doctor=doctor, weekday=4).delete()
    call_command("seed_demo", stdout=io.StringIO())
    assert not WeeklyAvailability.objects.filter(doctor=doctor, weekday=4).exists()
