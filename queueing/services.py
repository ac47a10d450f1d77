"""Every change to the waiting room goes through here.

Each function validates, writes with one conditional update whose row count says who won (no
locks, so the same code runs on MongoDB), records an audit row, and schedules its events after
the commit. Callers pass `now` in tests; otherwise it is the current time.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import kombu.exceptions
import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from presence.services import presence_watchers_prune
from telepresence import streams
from telepresence.errors import Conflict, DomainError, Forbidden, Invalid
from telepresence.redis import get_redis, key

from . import events, rules, selectors
from .models import (
    REASON_MAX_CHARS,
    URGENCY_DEFAULT,
    URGENCY_MAX,
    URGENCY_MIN,
    Queue,
    QueueEntry,
    QueueEntryTransition,
)

logger = logging.getLogger(__name__)

Status = QueueEntry.Status

# `next` reads candidates in growing batches; past this many rounds it answers "none" rather
# than scan a line made entirely of offline patients.
NEXT_MAX_ROUNDS = 4
# Candidates whose presence `next` reads in one Redis round trip.
PRESENCE_CHUNK = 10


# --- errors (constant messages: never personal or health data) --------------------------------


class PatientsOnly(Forbidden):
    code = "patients_only"
    default_detail = "Only patients join the waiting room."


class DoctorsOnly(Forbidden):
    code = "doctors_only"
    default_detail = "Only doctors take patients from the waiting room."


class CliniciansOnly(Forbidden):
    code = "clinicians_only"
    default_detail = "Only doctors and clinic staff may change the urgency."


class StaffOnly(Forbidden):
    code = "staff_only"
    default_detail = "Only clinic staff may remove an entry."


class NotClaimer(Forbidden):
    code = "not_claimer"
    default_detail = "Only the doctor who took this patient may do that."


class NotOwnEntry(Forbidden):
    code = "not_own_entry"
    default_detail = "Only the patient may leave the waiting room."


class ReasonTooLong(Invalid):
    code = "reason_too_long"
    default_detail = f"The reason is limited to {REASON_MAX_CHARS} characters."


class BadUrgency(Invalid):
    code = "bad_urgency"
    default_detail = f"Urgency is a whole number from {URGENCY_MIN} to {URGENCY_MAX}."


class AlreadyQueued(Conflict):
    code = "already_queued"
    default_detail = "You are already in the waiting room."


class NotClaimable(Conflict):
    code = "not_claimable"
    default_detail = "This patient is no longer waiting to be taken."


class WrongState(Conflict):
    code = "wrong_state"
    default_detail = "The entry is not in a state that allows this."


# --- plumbing ---------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _record(
    *,
    entry_id: object,
    from_status: str,
    to_status: str,
    actor: User | None,
    at: datetime,
    note: str,
    data: dict[str, Any] | None = None,
) -> None:
    QueueEntryTransition.objects.create(
        entry_id=entry_id,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        at=at,
        note=note,
        data=data or {},
    )


def _after_commit_safely(name: str, action: Callable[[], None]) -> None:
    """Run after the commit; a Redis outage must not turn a committed change into an error
    (the periodic refresh and the clients' snapshots catch up)."""

    def run() -> None:
        try:
            action()
        except (redis.RedisError, kombu.exceptions.OperationalError) as error:
            logger.warning("queue %s skipped: redis unreachable (%s)", name, type(error).__name__)

    transaction.on_commit(run)


def _announce(*, entry_id: object, queue_id: object, line_changed: bool = True) -> None:
    """After the commit: the entry to its doctors; positions and statuses to the patients.

    `line_changed` is False for changes of an entry already out of the line (claimed, in
    consultation): only the doctor holding it is told, since telling every doctor of the queue
    about every start and completion would cost doctors² pushes. Positions are refreshed after
    every change: the patient's own status changed, and a completion moves the estimates.
    """
    _after_commit_safely(
        "changed",
        lambda: events.publish_entry_changed(entry_id=entry_id, holder_only=not line_changed),
    )
    _after_commit_safely("positions", lambda: _refresh_positions_soon(queue_id=queue_id))


def _refresh_positions_soon(*, queue_id: object) -> None:
    if not settings.QUEUE_POSITIONS_REFRESH_ASYNC:
        queue_positions_refresh(queue_id=queue_id)
        return
    # Debounced: one refresh per queue per window, however many changes; the refresh runs after
    # the window, so it sees every change committed inside it.
    debounce_ms = settings.QUEUE_POSITIONS_DEBOUNCE_MS
    if debounce_ms and not get_redis().set(
        key("queue", "refresh", queue_id), "1", nx=True, px=debounce_ms
    ):
        return
    from .tasks import refresh_positions

    refresh_positions.apply_async(kwargs={"queue_id": str(queue_id)}, countdown=debounce_ms / 1000)


def _move(
    *,
    entry: QueueEntry,
    to_status: str,
    actor: User | None,
    note: str,
    now: datetime,
    updates: dict[str, Any] | None = None,
    also: Q | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Move the entry from the status it was read in; False when someone changed it first."""
    with transaction.atomic():
        # WARNING: the audit row is written before the conditional update on purpose. The update
        # locks the row until the commit, and every competing update waits on that lock; with
        # the update last, the lock lives for one round trip instead of the whole transaction
        # (with fifty doctors pressing `next` at once, that was the difference between a convoy
        # and a queue). A lost race rolls the audit row back with everything else.
        _record(
            entry_id=entry.pk,
            from_status=entry.status,
            to_status=to_status,
            actor=actor,
            at=now,
            note=note,
            data=data,
        )
        rows = QueueEntry.objects.filter(pk=entry.pk, status=entry.status)
        if also is not None:
            rows = rows.filter(also)
        won = rows.update(status=to_status, **(updates or {}))
        if won != 1:
            transaction.set_rollback(True)
            return False
        queued = QueueEntry.QUEUED_STATUSES
        _announce(
            entry_id=entry.pk,
            queue_id=entry.queue_id,
            line_changed=entry.status in queued or to_status in queued,
        )
        if to_status not in QueueEntry.ACTIVE_STATUSES:
            # The entry was what let its doctors watch this patient's presence.
            _after_commit_safely(
                "watchers", lambda: presence_watchers_prune(user_id=str(entry.patient_id))
            )
    return True


def _fresh(entry_id: object) -> QueueEntry:
    return QueueEntry.objects.select_related("queue", "patient", "claimed_by").get(pk=entry_id)


def _require_doctor(user: User) -> None:
    if not user.is_doctor:
        raise DoctorsOnly()


def _front_of_urgency(entry: QueueEntry) -> datetime:
    earliest = (
        QueueEntry.objects.filter(
            queue_id=entry.queue_id, urgency=entry.urgency, status__in=QueueEntry.QUEUED_STATUSES
        )
        .exclude(pk=entry.pk)
        .order_by("virtual_start")
        .values_list("virtual_start", flat=True)
        .first()
    )
    return rules.front_of_urgency_start(
        own_start=entry.virtual_start,
        same_urgency_starts=[earliest] if earliest else [],
        weights=selectors.weights(),
    )


# --- queues -----------------------------------------------------------------------------------


def queue_default_ensure() -> Queue:
    """The default queue, recreated if it was deleted: joining must never fail for want of one."""
    queue = selectors.queue_default()
    if queue is not None:
        return queue
    queue, _ = Queue.objects.get_or_create(
        slug="general", defaults={"name": "General", "is_default": True}
    )
    return queue


# --- patients ---------------------------------------------------------------------------------


def queue_entry_join(
    *, patient: User, reason: str, queue_ref: str | None = None, now: datetime | None = None
) -> QueueEntry:
    """A patient enters a queue (the default one unless named by id or slug)."""
    if not patient.is_patient:
        raise PatientsOnly()
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_CHARS:
        raise ReasonTooLong()
    queue = selectors.queue_resolve(ref=queue_ref) if queue_ref else queue_default_ensure()
    now = _now(now)
    if QueueEntry.objects.filter(patient=patient, status__in=QueueEntry.ACTIVE_STATUSES).exists():
        raise AlreadyQueued()
    try:
        with transaction.atomic():
            entry = QueueEntry.objects.create(
                queue=queue,
                patient=patient,
                reason=reason,
                urgency=URGENCY_DEFAULT,
                status=Status.WAITING,
                joined_at=now,
                virtual_start=now,
            )
            _record(
                entry_id=entry.pk, from_status="", to_status=Status.WAITING,
                actor=patient, at=now, note="joined",
            )
            _announce(entry_id=entry.pk, queue_id=queue.pk)
    except IntegrityError:
        # Two joins raced past the check: the database's partial unique constraint decided.
        raise AlreadyQueued() from None
    return entry


def queue_entry_leave(*, entry_id: object, patient: User, now: datetime | None = None) -> QueueEntry:
    """The patient leaves the waiting room (not once the consultation has begun)."""
    entry = selectors.entry_get_for(user=patient, entry_id=entry_id)
    if entry.patient_id != patient.pk:
        raise NotOwnEntry()
    if entry.status not in (Status.WAITING, Status.AWAY, Status.CLAIMED):
        raise WrongState()
    now = _now(now)
    if not _move(
        entry=entry, to_status=Status.LEFT, actor=patient, note="patient_left", now=now,
        updates={"ended_at": now, "away_since": None, "claimer_offline_since": None},
    ):
        raise WrongState()
    return _fresh(entry.pk)


# --- doctors ----------------------------------------------------------------------------------


def _claim(
    *, entry_id: object, queue_id: object, doctor: User, now: datetime, note: str
) -> QueueEntry | None:
    """The one conditional update that decides who gets an entry; None when someone else did."""
    with transaction.atomic():
        # Audit row first, update last: see the WARNING in _move.
        _record(
            entry_id=entry_id, from_status=Status.WAITING, to_status=Status.CLAIMED,
            actor=doctor, at=now, note=note,
        )
        won = (
            QueueEntry.objects.filter(pk=entry_id, status=Status.WAITING)
            .filter(Q(doctor__isnull=True) | Q(doctor=doctor))
            .update(
                status=Status.CLAIMED,
                claimed_by=doctor,
                claimed_at=now,
                claimer_offline_since=None,
            )
        )
        if won != 1:
            transaction.set_rollback(True)
            return None
        _announce(entry_id=entry_id, queue_id=queue_id)
    return _fresh(entry_id)


def queue_entry_next(*, doctor: User, now: datetime | None = None) -> QueueEntry | None:
    """The best waiting entry whose patient is online, claimed for this doctor; None if nobody.

    Idempotent for a doctor who already holds a patient not yet started (a double click, an app
    restarted): they get that patient again instead of a second one.
    """
    _require_doctor(doctor)
    now = _now(now)
    held = (
        QueueEntry.objects.select_related("queue", "patient", "claimed_by")
        .filter(claimed_by=doctor, status=Status.CLAIMED)
        .order_by("claimed_at")
        .first()
    )
    if held is not None:
        return held
    tried: set[str] = set()
    per_urgency = settings.QUEUE_NEXT_BATCH_SIZE
    for _ in range(NEXT_MAX_ROUNDS):
        candidates, more = selectors.next_candidates(
            doctor=doctor, now=now, per_urgency=per_urgency, exclude=tried
        )
        # Presence is checked again here: an entry is only `waiting` while its patient was
        # online when last heard of, and handing doctors patients who left is what this avoids.
        # Checked a few at a time, best first: most calls succeed within the first few.
        gone: set[str] = set()
        for start in range(0, len(candidates), PRESENCE_CHUNK):
            chunk = candidates[start : start + PRESENCE_CHUNK]
            online = selectors.users_online(user_ids=[patient_id for _, patient_id, _ in chunk])
            for candidate, patient_id, queue_id in chunk:
                tried.add(candidate.id)
                if patient_id not in online or candidate.id in gone:
                    continue
                entry = _claim(
                    entry_id=candidate.id, queue_id=queue_id, doctor=doctor, now=now, note="next"
                )
                if entry is not None:
                    return entry
                # Lost the race: another doctor has it. No error; and rather than lose the race
                # for each of the following ones in turn, drop all those already taken at once.
                gone = selectors.no_longer_waiting(
                    entry_ids=[c.id for c, _, _ in candidates if c.id not in tried]
                )
        if not more:
            return None
        per_urgency *= 4
    return None


def queue_entry_claim(*, entry_id: object, doctor: User, now: datetime | None = None) -> QueueEntry:
    """A doctor takes a chosen patient; 409 `not_claimable` if they are no longer waiting."""
    _require_doctor(doctor)
    entry = selectors.entry_get_for(user=doctor, entry_id=entry_id)
    if entry.status != Status.WAITING or entry.doctor_id not in (None, doctor.pk):
        raise NotClaimable()
    claimed = _claim(
        entry_id=entry.pk, queue_id=entry.queue_id, doctor=doctor, now=_now(now), note="claimed"
    )
    if claimed is None:
        raise NotClaimable()
    return claimed


def _held_by(*, entry_id: object, doctor: User, status: str) -> QueueEntry:
    _require_doctor(doctor)
    entry = QueueEntry.objects.filter(pk=entry_id, claimed_by=doctor).first()
    if entry is None:
        # Not theirs: 403 if they may see it at all, else 404 (which says nothing more).
        selectors.entry_get_for(user=doctor, entry_id=entry_id)
        raise NotClaimer()
    if entry.status != status:
        raise WrongState()
    return entry


def queue_entry_start(*, entry_id: object, doctor: User, now: datetime | None = None) -> QueueEntry:
    """The claiming doctor begins the consultation."""
    entry = _held_by(entry_id=entry_id, doctor=doctor, status=Status.CLAIMED)
    now = _now(now)
    if not _move(
        entry=entry, to_status=Status.IN_CONSULTATION, actor=doctor, note="started", now=now,
        updates={"started_at": now, "claimer_offline_since": None},
        also=Q(claimed_by=doctor),
    ):
        raise WrongState()
    return _fresh(entry.pk)


def queue_entry_complete(
    *, entry_id: object, doctor: User, now: datetime | None = None
) -> QueueEntry:
    """The claiming doctor ends the consultation; its length feeds today's estimates.

    A checked-in patient's appointment is fulfilled with it, in the same transaction.
    """
    entry = _held_by(entry_id=entry_id, doctor=doctor, status=Status.IN_CONSULTATION)
    now = _now(now)
    with transaction.atomic():
        if not _move(
            entry=entry, to_status=Status.COMPLETED, actor=doctor, note="completed", now=now,
            updates={"completed_at": now, "ended_at": now},
            also=Q(claimed_by=doctor),
        ):
            raise WrongState()
        if entry.appointment_id is not None:
            _appointment_fulfil(appointment_id=entry.appointment_id, doctor=doctor, now=now)
    return _fresh(entry.pk)


def _appointment_fulfil(*, appointment_id: object, doctor: User, now: datetime) -> None:
    from appointments.services import appointment_complete

    try:
        with transaction.atomic():
            appointment_complete(actor=doctor, appointment_id=appointment_id, now=now)
    except DomainError as error:
        # Already fulfilled or cancelled, or another doctor's appointment: the consultation
        # still ended; the appointment is left as it is.
        logger.info("appointment not fulfilled with its queue entry: %s", error.code)


def queue_entry_release(*, entry_id: object, doctor: User, now: datetime | None = None) -> QueueEntry:
    """The claiming doctor hands a patient back before starting: to the front of their urgency."""
    entry = _held_by(entry_id=entry_id, doctor=doctor, status=Status.CLAIMED)
    now = _now(now)
    if not _move(
        entry=entry, to_status=Status.WAITING, actor=doctor, note="released", now=now,
        updates=_requeue_fields(entry), also=Q(claimed_by=doctor),
    ):
        raise WrongState()
    return _fresh(entry.pk)


def _requeue_fields(entry: QueueEntry) -> dict[str, Any]:
    return {
        "claimed_by": None,
        "claimed_at": None,
        "claimer_offline_since": None,
        "virtual_start": _front_of_urgency(entry),
    }


# --- doctors and staff ------------------------------------------------------------------------


def queue_entry_set_urgency(
    *, entry_id: object, actor: User, urgency: int, now: datetime | None = None
) -> QueueEntry:
    """Doctors and staff (never patients) set the triage level of an active entry."""
    if not (actor.is_doctor or actor.is_clinic_staff):
        # A patient may see their own entry; a 403 on it says only what they already know.
        selectors.entry_get_for(user=actor, entry_id=entry_id)
        raise CliniciansOnly()
    if isinstance(urgency, bool) or not isinstance(urgency, int) or not (
        URGENCY_MIN <= urgency <= URGENCY_MAX
    ):
        raise BadUrgency()
    entry = selectors.entry_get_for(user=actor, entry_id=entry_id)
    if entry.status not in QueueEntry.ACTIVE_STATUSES:
        raise WrongState()
    if entry.urgency == urgency:
        return entry
    now = _now(now)
    with transaction.atomic():
        won = QueueEntry.objects.filter(
            pk=entry.pk, status=entry.status, urgency=entry.urgency
        ).update(urgency=urgency)
        if won != 1:
            raise WrongState()
        _record(
            entry_id=entry.pk, from_status=entry.status, to_status=entry.status, actor=actor,
            at=now, note="urgency_changed", data={"from": entry.urgency, "to": urgency},
        )
        _announce(entry_id=entry.pk, queue_id=entry.queue_id)
    return _fresh(entry.pk)


def queue_entry_transfer(
    *, entry_id: object, actor: User, queue_ref: str, now: datetime | None = None
) -> QueueEntry:
    """Doctors and staff move a patient still in line to another queue (another specialty).

    The patient keeps the time they have waited (their virtual start); a reservation for one
    doctor ends, since another queue means other doctors.
    """
    if not (actor.is_doctor or actor.is_clinic_staff):
        selectors.entry_get_for(user=actor, entry_id=entry_id)
        raise CliniciansOnly("Only doctors and clinic staff may transfer a patient.")
    entry = selectors.entry_get_for(user=actor, entry_id=entry_id)
    target = selectors.queue_resolve(ref=queue_ref)
    if entry.status not in QueueEntry.QUEUED_STATUSES:
        raise WrongState()
    if target.pk == entry.queue_id:
        return entry
    now = _now(now)
    previous_doctors = events.doctor_recipients(entry)
    with transaction.atomic():
        _record(
            entry_id=entry.pk, from_status=entry.status, to_status=entry.status, actor=actor,
            at=now, note="transferred",
            data={"from_queue": str(entry.queue_id), "to_queue": str(target.pk)},
        )
        won = QueueEntry.objects.filter(
            pk=entry.pk, status=entry.status, queue_id=entry.queue_id
        ).update(queue=target, doctor=None)
        if won != 1:
            transaction.set_rollback(True)
            raise WrongState()
        # The doctors of the old queue learn that it left their line; the new queue's, that it
        # joined theirs.
        _after_commit_safely(
            "changed",
            lambda: events.publish_entry_changed(entry_id=entry.pk, also_to=previous_doctors),
        )
        _after_commit_safely("positions", lambda: _refresh_positions_soon(queue_id=entry.queue_id))
        _after_commit_safely("positions", lambda: _refresh_positions_soon(queue_id=target.pk))
        _after_commit_safely(
            "watchers", lambda: presence_watchers_prune(user_id=str(entry.patient_id))
        )
    return _fresh(entry.pk)


def queue_entry_remove(*, entry_id: object, actor: User, now: datetime | None = None) -> QueueEntry:
    """Clinic staff take an entry out of the waiting room (duplicate, mistake, no longer needed)."""
    if not actor.is_clinic_staff:
        selectors.entry_get_for(user=actor, entry_id=entry_id)
        raise StaffOnly()
    entry = selectors.entry_get_for(user=actor, entry_id=entry_id)
    if entry.status not in QueueEntry.ACTIVE_STATUSES:
        raise WrongState()
    now = _now(now)
    if not _move(
        entry=entry, to_status=Status.REMOVED, actor=actor, note="removed_by_staff", now=now,
        updates={"ended_at": now, "away_since": None, "claimer_offline_since": None},
    ):
        raise WrongState()
    return _fresh(entry.pk)


# --- presence ---------------------------------------------------------------------------------


def queue_presence_changed(*, user_id: object, status: str, at: datetime) -> None:
    """React to one presence transition (idempotent: every write is conditional).

    A patient going offline makes their waiting entry `away` at once (skipped, place kept); back
    online it is `waiting` again where it was. A doctor going offline starts the grace on the
    claims they hold; coming back in time cancels it.
    """
    if status == "offline":
        queue_entry_patient_offline(patient_id=user_id, now=at)
        QueueEntry.objects.filter(
            claimed_by_id=user_id, status=Status.CLAIMED, claimer_offline_since__isnull=True
        ).update(claimer_offline_since=at)
    else:
        queue_entry_patient_back(patient_id=user_id, now=at)
        QueueEntry.objects.filter(
            claimed_by_id=user_id, status=Status.CLAIMED, claimer_offline_since__isnull=False
        ).update(claimer_offline_since=None)


def queue_entry_patient_offline(*, patient_id: object, now: datetime | None = None) -> bool:
    entry = QueueEntry.objects.filter(patient_id=patient_id, status=Status.WAITING).first()
    if entry is None:
        return False
    now = _now(now)
    return _move(
        entry=entry, to_status=Status.AWAY, actor=None, note="patient_offline", now=now,
        updates={"away_since": now},
    )


def queue_entry_patient_back(*, patient_id: object, now: datetime | None = None) -> bool:
    entry = QueueEntry.objects.filter(patient_id=patient_id, status=Status.AWAY).first()
    if entry is None:
        return False
    # virtual_start is untouched: the patient is back in exactly their old place.
    return _move(
        entry=entry, to_status=Status.WAITING, actor=None, note="patient_back", now=_now(now),
        updates={"away_since": None},
    )


def queue_entries_expire(*, now: datetime | None = None) -> dict[str, int]:
    """The grace is over: away patients leave; claims of doctors still offline go back to the
    front of their urgency. Safe to run twice or concurrently (each move is conditional)."""
    now = _now(now)
    cutoff = now - selectors.grace()
    left = 0
    for entry in QueueEntry.objects.filter(status=Status.AWAY, away_since__lte=cutoff):
        left += _move(
            entry=entry, to_status=Status.LEFT, actor=None, note="away_grace_expired", now=now,
            updates={"ended_at": now}, also=Q(away_since__lte=cutoff),
        )
    requeued = 0
    for entry in QueueEntry.objects.filter(
        status=Status.CLAIMED, claimer_offline_since__lte=cutoff
    ):
        requeued += _move(
            entry=entry, to_status=Status.WAITING, actor=None, note="doctor_offline_requeued",
            now=now, updates=_requeue_fields(entry),
            also=Q(claimed_by_id=entry.claimed_by_id, claimer_offline_since__lte=cutoff),
            data={"doctor": str(entry.claimed_by_id)},
        )
    return {"left": left, "requeued": requeued}


def queue_entries_reconcile_presence(*, now: datetime | None = None) -> dict[str, int]:
    """Catch up with presence transitions this app missed (a receiver that failed, a process
    that died mid-way): the stored statuses are made to agree with live presence."""
    now = _now(now)
    counts = {"away": 0, "back": 0, "claims_orphaned": 0}
    queued = list(
        QueueEntry.objects.filter(status__in=QueueEntry.QUEUED_STATUSES).values_list(
            "patient_id", "status"
        )
    )
    for start in range(0, len(queued), 1000):
        chunk = queued[start : start + 1000]
        online = selectors.users_online(user_ids=[patient_id for patient_id, _ in chunk])
        for patient_id, status in chunk:
            if status == Status.WAITING and str(patient_id) not in online:
                counts["away"] += queue_entry_patient_offline(patient_id=patient_id, now=now)
            elif status == Status.AWAY and str(patient_id) in online:
                counts["back"] += queue_entry_patient_back(patient_id=patient_id, now=now)
    holders = set(
        QueueEntry.objects.filter(status=Status.CLAIMED, claimer_offline_since__isnull=True)
        .values_list("claimed_by_id", flat=True)
    )
    online = selectors.users_online(user_ids=holders)
    for doctor_id in holders:
        if doctor_id is not None and str(doctor_id) not in online:
            counts["claims_orphaned"] += QueueEntry.objects.filter(
                claimed_by_id=doctor_id, status=Status.CLAIMED, claimer_offline_since__isnull=True
            ).update(claimer_offline_since=now)
    return counts


# --- appointments -----------------------------------------------------------------------------


def queue_entry_check_in(
    *,
    appointment_id: object,
    patient_id: object,
    doctor_id: object,
    appointment_start: datetime | None,
    reason: str = "",
    now: datetime | None = None,
) -> QueueEntry | None:
    """A checked-in appointment enters the doctor's queue, reserved for that doctor, with
    appointment priority; a patient already waiting as a walk-in keeps their entry and place,
    which gains the appointment. Runs inside the check-in transaction: it commits with it.
    """
    now = _now(now)
    existing = QueueEntry.objects.filter(
        patient_id=patient_id, status__in=QueueEntry.ACTIVE_STATUSES
    ).first()
    if existing is not None:
        if existing.appointment_id is not None and str(existing.appointment_id) == str(
            appointment_id
        ):
            return existing  # the same check-in again
        if existing.status not in QueueEntry.QUEUED_STATUSES or existing.appointment_id:
            # Already with a doctor, or waiting for another appointment: leave it as it is.
            logger.info("check-in not attached: patient's entry is %s", existing.status)
            return existing
        with transaction.atomic():
            won = QueueEntry.objects.filter(
                pk=existing.pk, status=existing.status, appointment_id__isnull=True
            ).update(
                appointment_id=appointment_id, appointment_start=appointment_start, doctor_id=doctor_id
            )
            if won == 1:
                _record(
                    entry_id=existing.pk, from_status=existing.status, to_status=existing.status,
                    actor=None, at=now, note="appointment_attached",
                    data={"appointment": str(appointment_id), "doctor": str(doctor_id)},
                )
                _announce(entry_id=existing.pk, queue_id=existing.queue_id)
        return _fresh(existing.pk)
    queue = selectors.queue_named_for(doctor_id=doctor_id) or queue_default_ensure()
    with transaction.atomic():
        entry = QueueEntry.objects.create(
            queue=queue,
            patient_id=patient_id,
            doctor_id=doctor_id,
            appointment_id=appointment_id,
            appointment_start=appointment_start,
            reason=(reason or "").strip()[:REASON_MAX_CHARS],
            urgency=URGENCY_DEFAULT,
            status=Status.WAITING,
            joined_at=now,
            virtual_start=now,
        )
        _record(
            entry_id=entry.pk, from_status="", to_status=Status.WAITING, actor=None, at=now,
            note="appointment_checked_in", data={"appointment": str(appointment_id)},
        )
        _announce(entry_id=entry.pk, queue_id=queue.pk)
    return entry


# --- positions --------------------------------------------------------------------------------


def _sent_key(queue_id: object) -> str:
    return key("queue", "sent", queue_id)


def queue_positions_refresh(*, queue_id: object, now: datetime | None = None) -> int:
    """Recompute the queue's line and push `queue.position` to each patient whose status,
    position or estimate changed since the last push (kept in Redis); returns how many."""
    now = _now(now)
    spots = selectors.queue_line(queue_id=queue_id, now=now)
    client = get_redis()
    sent_key = _sent_key(queue_id)
    sent = client.hgetall(sent_key)
    deliveries = []
    changed: dict[str, str] = {}
    for spot in spots.values():
        state = f"{spot.status}|{spot.position}|{spot.estimated_wait_seconds}"
        if sent.get(spot.entry_id) != state:
            changed[spot.entry_id] = state
            deliveries.append((spot.patient_id, events.position_event(spot)))
    gone = [entry_id for entry_id in sent if entry_id not in spots]
    if gone:
        # Finished since the last push: one last event with the final status. An entry still
        # active left for another queue (a transfer): that queue's refresh tells the patient.
        for row in QueueEntry.objects.filter(pk__in=gone).exclude(
            status__in=QueueEntry.ACTIVE_STATUSES
        ).values("id", "patient_id", "status"):
            final = selectors.LineSpot(str(row["id"]), str(row["patient_id"]), row["status"], None, None)
            deliveries.append((final.patient_id, events.position_event(final)))
    pipe = client.pipeline(transaction=False)
    if changed:
        pipe.hset(sent_key, mapping=changed)
    if gone:
        pipe.hdel(sent_key, *gone)
    pipe.expire(sent_key, 86_400)
    pipe.execute()
    streams.publish_many(deliveries)
    return len(deliveries)


def queue_positions_refresh_all(*, now: datetime | None = None) -> int:
    """Refresh every queue with someone in it (ageing reorders lines with nobody acting)."""
    queue_ids = set(
        QueueEntry.objects.filter(status__in=QueueEntry.ACTIVE_STATUSES).values_list(
            "queue_id", flat=True
        )
    )
    return sum(queue_positions_refresh(queue_id=queue_id, now=now) for queue_id in queue_ids)
