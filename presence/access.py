"""Who may watch whose presence: one function, that other apps extend with their own grants.

The rule: everyone signed in may watch doctors (and themselves); staff may watch everyone; a
patient never watches another patient; a doctor watches a patient only when some app grants it
(the queue: the patient waits in a queue the doctor serves; appointments: the patient has an
active appointment with the doctor). Apps add grants with `register_patient_grant` in their
AppConfig.ready, so presence imports none of them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from accounts.models import User

# (doctor, candidate patient ids) -> the subset that doctor may watch
PatientGrant = Callable[[User, set[str]], set[str]]

_patient_grants: list[PatientGrant] = []


def register_patient_grant(grant: PatientGrant) -> None:
    if grant not in _patient_grants:
        _patient_grants.append(grant)


def watchable_user_ids(*, viewer: User, user_ids: Iterable[str]) -> set[str]:
    """The ids among user_ids whose presence viewer may see; unknown ids are never watchable."""
    wanted = {str(user_id) for user_id in user_ids}
    if not wanted:
        return set()
    roles = dict(
        User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", "role")
    )
    existing = {str(pk): role for pk, role in roles.items()}
    if viewer.is_clinic_staff:
        return set(existing)
    allowed = {
        user_id
        for user_id, role in existing.items()
        if role == User.Role.DOCTOR or user_id == str(viewer.pk)
    }
    patients = {user_id for user_id, role in existing.items() if role == User.Role.PATIENT}
    if viewer.is_doctor and (patients - allowed):
        remaining = patients - allowed
        for grant in _patient_grants:
            allowed |= grant(viewer, set(remaining)) & remaining
            remaining -= allowed
            if not remaining:
                break
    return allowed
