"""Demo people for trying Telepresence out: FOR DEMOS AND TESTS ONLY, never in production."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_PASSWORD, seed_demo_people
from appointments.demo import seed_demo_schedules


class Command(BaseCommand):
    help = (
        "Create demo logins (admin, doctor1..3, patient1..10) with a shared, public password. "
        "For demos and tests only: never run it against a production database."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            people = seed_demo_people()
            schedules = seed_demo_schedules(
                doctors=[user for user, _ in people if user.role == "doctor"]
            )
        self.stdout.write(self.style.WARNING("Demo data, for demos and tests only."))
        self.stdout.write(f"Every demo login has the password: {DEMO_PASSWORD}")
        for user, created in people:
            state = "created" if created else "exists "
            self.stdout.write(f"  {state}  {user.role:<8} {user.username}")
        for doctor, created in schedules:
            zone = doctor.doctor_profile.time_zone
            state = "hours set" if created else "hours kept"
            self.stdout.write(
                f"  {state}  {doctor.username}: Mon-Fri 09:00-12:00, 13:00-17:00 {zone}"
            )
