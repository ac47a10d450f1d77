"""Factories for the people tests talk about."""
from __future__ import annotations

import factory

from accounts.models import User
from accounts.services import user_create

PASSWORD = "correct-horse-battery"


class UserFactory(factory.Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.PATIENT
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @classmethod
    def _create(cls, model_class: type[User], *args: object, **kwargs: object) -> User:
        return user_create(password=PASSWORD, **kwargs)  # type: ignore[arg-type]


class DoctorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"doctor-{n}")
    role = User.Role.DOCTOR


class PatientFactory(UserFactory):
    username = factory.Sequence(lambda n: f"patient-{n}")
    role = User.Role.PATIENT


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff-{n}")
    role = User.Role.STAFF
