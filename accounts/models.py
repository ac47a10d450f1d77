"""People: one user model with a role, and a profile per clinical role."""
from __future__ import annotations

import uuid
import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name.")


class User(AbstractUser):
    class Role(models.TextChoices):
        DOCTOR = "doctor", "Doctor"
        PATIENT = "patient", "Patient"
        STAFF = "staff", "Staff"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)

    objects = UserManager()

    class Meta:
        ordering = ["username"]

    @property
    def is_doctor(self) -> bool:
        return self.role == self.Role.DOCTOR

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def is_clinic_staff(self) -> bool:
        """Staff by role, or a superuser: both oversee every queue and appointment."""
        return self.role == self.Role.STAFF or self.is_superuser

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class DoctorManager(UserManager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(role=User.Role.DOCTOR)


class PatientManager(UserManager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(role=User.Role.PATIENT)


class Doctor(User):
    """The doctors, as their own page in the admin."""

    objects = DoctorManager()

    class Meta:
        proxy = True


class Patient(User):
    """The patients, as their own page in the admin."""

    objects = PatientManager()

    class Meta:
        proxy = True


class DoctorProfile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="doctor_profile")
    specialty = models.CharField(max_length=100, default="Family medicine")
    time_zone = models.CharField(
        max_length=64, default="America/Toronto", validators=[validate_time_zone]
    )
    accepting_new_patients = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.user.display_name} ({self.specialty})"


class PatientProfile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="patient_profile")
    time_zone = models.CharField(
        max_length=64, default="America/Toronto", validators=[validate_time_zone]
    )
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return self.user.display_name
