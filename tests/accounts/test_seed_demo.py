from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_demo_people_and_can_run_twice():
    first = io.StringIO()
    call_command("seed_demo", stdout=first)
    second = io.StringIO()
    call_command("seed_demo", stdout=second)

    assert User.objects.filter(role="doctor").count() == 3
    assert User.objects.filter(role="patient").count() == 10
    assert User.objects.get(username="admin").is_superuser
    assert authenticate(username="doctor1", password="demo-password") is not None
    assert User.objects.get(username="doctor2").doctor_profile.time_zone == "America/Vancouver"
    assert User.objects.get(username="patient7").patient_profile is not None
    assert "for demos and tests only" in first.getvalue()
    assert "demo-password" in first.getvalue()
    assert "created" in first.getvalue()
    assert "created" not in second.getvalue()
