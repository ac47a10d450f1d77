"""The demo people seed_demo creates; idempotent, so it can run on every start."""
from __future__ import annotations

from .models import User
from .services import user_create

DEMO_PASSWORD = "demo-password"

_DOCTORS = [
    ("doctor1", "Amira", "Haddad", "Family medicine", "America/Toronto"),
    ("doctor2", "Luc", "Tremblay", "Pediatrics", "America/Vancouver"),
    ("doctor3", "Grace", "MacLeod", "Dermatology", "America/Halifax"),
]


def _ensure(username: str, role: str, **fields: object) -> tuple[User, bool]:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, False
    return user_create(username=username, password=DEMO_PASSWORD, role=role, **fields), True


def seed_demo_people() -> list[tuple[User, bool]]:
    people = []
    admin, created = _ensure("admin", User.Role.STAFF, first_name="Clinic", last_name="Admin")
    if not admin.is_superuser:
        User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True)
    people.append((admin, created))
    for username, first, last, specialty, zone in _DOCTORS:
        doctor, created = _ensure(
            username,
            User.Role.DOCTOR,
            first_name=first,
            last_name=last,
            profile={"specialty": specialty, "time_zone": zone},
        )
        people.append((doctor, created))
    for number in range(1, 11):
        patient, created = _ensure(
            f"patient{number}", User.Role.PATIENT, first_name="Patient", last_name=str(number)
        )
        people.append((patient, created))
    return people
