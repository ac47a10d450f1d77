"""Who may watch whom: one rule, extended by other apps' grants."""
from __future__ import annotations

import pytest

from presence import access

from ..factories import DoctorFactory

pytestmark = pytest.mark.django_db


def ids(*users) -> set[str]:
    return {str(user.pk) for user in users}


def test_everyone_may_watch_doctors(patient, doctor, outsider):
    other_doctor = DoctorFactory()
    assert access.watchable_user_ids(viewer=patient, user_ids=ids(doctor, other_doctor)) == ids(
        doctor, other_doctor
    )
    assert access.watchable_user_ids(viewer=doctor, user_ids=ids(other_doctor)) == ids(other_doctor)


def test_a_patient_never_watches_another_patient(patient, outsider):
    assert access.watchable_user_ids(viewer=patient, user_ids=ids(outsider)) == set()
    assert access.watchable_user_ids(viewer=patient, user_ids=ids(patient)) == ids(patient)


def test_a_doctor_watches_a_patient_only_with_a_grant(doctor, patient, outsider):
    assert access.watchable_user_ids(viewer=doctor, user_ids=ids(patient)) == set()

    def grant(viewer, patient_ids):
        return {str(patient.pk)} & patient_ids if viewer == doctor else set()

    access.register_patient_grant(grant)
    try:
        assert access.watchable_user_ids(viewer=doctor, user_ids=ids(patient, outsider)) == ids(
            patient
        )
    finally:
        access._patient_grants.remove(grant)


def test_staff_may_watch_everyone(staff, doctor, patient, outsider):
    assert access.watchable_user_ids(viewer=staff, user_ids=ids(doctor, patient, outsider)) == ids(
        doctor, patient, outsider
    )


def test_unknown_users_are_never_watchable(staff):
    unknown = "00000000-0000-4000-8000-000000000000"
    assert access.watchable_user_ids(viewer=staff, user_ids={unknown}) == set()
