"""Reads of the waiting room: who may see which entries, the line in order, estimates, stats."""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from presence.selectors import OFFLINE, presence_of
from telepresence.errors import Invalid, NotFound

from . import rules
from .models import URGENCY_MAX, URGENCY_MIN, Queue, QueueEntry, QueueEntryTransition

Status = QueueEntry.Status

PICK_FIELDS = (
    "id", "queue_id", "patient_id", "urgency", "virtual_start", "appointment_id",
    "appointment_start",
)


class UnknownQueue(Invalid):
    code = "unknown_queue"
    default_detail = "There is no such queue."


class EntryNotFound(NotFound):
    code = "entry_not_found"
    default_detail = "There is no such queue entry."


def weights() -> rules.Weights:
    return rules.Weights.from_settings(settings)


# --- queues and who serves them ---------------------------------------------------------------


def queues_list() -> QuerySet[Queue]:
    return Queue.objects.order_by("-is_default", "name")


def queue_default() -> Queue | None:
    """The queue for patients who name none (None only if every queue was deleted)."""
    return (
        Queue.objects.filter(is_default=True).first() or Queue.objects.order_by("name").first()
    )


def queue_resolve(*, ref: str) -> Queue:
    """A queue by id or slug."""
    ref = str(ref)
    try:
        return Queue.objects.get(pk=uuid.UUID(ref))
    except (ValueError, Queue.DoesNotExist):
        pass
    queue = Queue.objects.filter(slug=ref).first()
    if queue is None:
        raise UnknownQueue()
    return queue


def queues_served_by(*, doctor: User) -> QuerySet[Queue]:
    """Queues naming the doctor, and queues naming nobody (served by every doctor)."""
    return Queue.objects.filter(Q(doctors=doctor) | Q(doctors__isnull=True)).distinct()


def queue_ids_served_by(*, doctor: User) -> list[uuid.UUID]:
    # Read once as a short list: a subquery inside the entries' filters makes PostgreSQL scan
    # the whole line instead of using the (queue, status, urgency, virtual_start) index.
    return list(queues_served_by(doctor=doctor).values_list("pk", flat=True))


def queue_named_for(*, doctor_id: object) -> Queue | None:
    """The first queue that names this doctor, if any."""
    return Queue.objects.filter(doctors__pk=doctor_id).order_by("name").first()


def doctor_ids_serving(*, queue_id: object) -> list[str]:
    # The role is checked here too: someone named on a queue whose role later changed (in the
    # admin) must stop receiving its patients.
    named = list(
        User.objects.filter(
            served_queues__pk=queue_id, role=User.Role.DOCTOR, is_active=True
        ).values_list("pk", flat=True)
    )
    if named:
        return [str(pk) for pk in named]
    return [
        str(pk)
        for pk in User.objects.filter(role=User.Role.DOCTOR, is_active=True).values_list(
            "pk", flat=True
        )
    ]


# --- presence ---------------------------------------------------------------------------------


def users_online(*, user_ids: Iterable[object]) -> set[str]:
    """The users connected right now (any status but offline): the one "is online" rule of the
    queue, one Redis round trip."""
    ids = [str(user_id) for user_id in user_ids]
    if not ids:
        return set()
    return {uid for uid, p in presence_of(user_ids=ids).items() if p["status"] != OFFLINE}


# --- visibility -------------------------------------------------------------------------------


def _doctor_visible_q(doctor: User) -> Q:
    """Entries a doctor may see: reserved for them, claimed by them, or unreserved in a queue
    they serve. An entry reserved for another doctor is that doctor's business."""
    served = queue_ids_served_by(doctor=doctor)
    return (
        Q(doctor=doctor)
        | Q(claimed_by=doctor)
        | Q(doctor__isnull=True, queue__in=served)
    )


def entries_visible_to(*, user: User) -> QuerySet[QueueEntry]:
    entries = QueueEntry.objects.all()
    if user.is_clinic_staff:
        return entries
    if user.is_doctor:
        return entries.filter(_doctor_visible_q(user))
    return entries.filter(patient=user)


def entry_get_for(*, user: User, entry_id: object) -> QueueEntry:
    """The entry if the user may see it; 404 otherwise, so nobody learns that it exists."""
    entry = (
        entries_visible_to(user=user)
        .select_related("queue", "patient", "claimed_by", "doctor")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None:
        raise EntryNotFound()
    return entry


def entry_active_for_patient(*, patient_id: object) -> QueueEntry | None:
    return (
        QueueEntry.objects.select_related("queue", "claimed_by")
        .filter(patient_id=patient_id, status__in=QueueEntry.ACTIVE_STATUSES)
        .first()
    )


def patients_watchable_by(*, doctor: User, patient_ids: set[str]) -> set[str]:
    """The presence watch grant: patients with an active entry this doctor may see."""
    if not patient_ids or not doctor.is_doctor:
        return set()
    rows = (
        QueueEntry.objects.filter(
            patient_id__in=list(patient_ids), status__in=QueueEntry.ACTIVE_STATUSES
        )
        .filter(_doctor_visible_q(doctor))
        .values_list("patient_id", flat=True)
    )
    return {str(pk) for pk in rows}


# --- candidates for `next` --------------------------------------------------------------------


def _candidate(row: dict[str, Any]) -> rules.Candidate:
    return rules.Candidate(
        id=str(row["id"]),
        urgency=row["urgency"],
        virtual_start=row["virtual_start"],
        appointment_start=row["appointment_start"],
        has_appointment=row["appointment_id"] is not None,
    )


def next_candidates(
    *, doctor: User, now: datetime, per_urgency: int, exclude: set[str]
) -> tuple[list[tuple[rules.Candidate, str, str]], bool]:
    """The best waiting entries for this doctor, in order, with their patient and queue ids.

    Within one urgency and without an appointment the order is the virtual start, so the best
    walk-ins are among the first `per_urgency` of each urgency in each queue: small indexed reads
    (one UNION on PostgreSQL) instead of the whole line. Entries reserved for this doctor (appointments, a handful) are all read.
    The flag says whether some urgency had more rows than were read.
    """
    served = queue_ids_served_by(doctor=doctor)
    waiting = QueueEntry.objects.filter(status=Status.WAITING).exclude(pk__in=list(exclude))
    reserved = waiting.filter(doctor=doctor).order_by().values(*PICK_FIELDS)
    # One head per (queue, urgency), not per urgency across queues: each is then a range of the
    # queue_entry_pick index read in order, stopping after `per_urgency` rows.
    heads = [
        waiting.filter(doctor__isnull=True, queue_id=queue_id, urgency=urgency)
        .order_by("virtual_start", "id")
        .values(*PICK_FIELDS)[:per_urgency]
        for queue_id in served
        for urgency in range(URGENCY_MIN, URGENCY_MAX + 1)
    ]
    if connection.features.supports_slicing_ordering_in_compound:
        # One round trip (PostgreSQL); SQLite cannot slice inside a UNION, so it gets five.
        rows = list(reserved.union(*heads, all=True))
    else:
        rows = list(reserved) + [row for head in heads for row in head]
    # Over-counts when reserved entries share a head: at worst one extra round.
    sizes = Counter((row["queue_id"], row["urgency"]) for row in rows)
    truncated = any(n >= per_urgency for n in sizes.values())
    by_id = {str(row["id"]): row for row in rows}
    ordered = rules.order([_candidate(row) for row in rows], now=now, weights=weights())
    return [
        (c, str(by_id[c.id]["patient_id"]), str(by_id[c.id]["queue_id"])) for c in ordered
    ], truncated


def no_longer_waiting(*, entry_ids: list[str]) -> set[str]:
    """Among these entries, those another doctor (or presence) took out of `waiting` meanwhile."""
    if not entry_ids:
        return set()
    still = QueueEntry.objects.filter(pk__in=entry_ids, status=Status.WAITING).values_list(
        "pk", flat=True
    )
    return set(entry_ids) - {str(pk) for pk in still}


# --- the line, positions and estimates --------------------------------------------------------


@dataclass(frozen=True)
class LineSpot:
    entry_id: str
    patient_id: str
    status: str
    position: int | None
    estimated_wait_seconds: int | None


def _start_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def average_consultation_seconds(*, queue_id: object, now: datetime) -> float:
    """Mean length of today's finished consultations in this queue, else the configured default.

    Today's and this queue's only: yesterday's clinic or another specialty says little about the
    wait now (Ottehr's estimate, computed across all days, was wrong for exactly that reason).
    """
    return average_consultation_seconds_in(queue_ids=[queue_id], now=now)


def average_consultation_seconds_in(*, queue_ids: list[Any], now: datetime) -> float:
    finished = QueueEntry.objects.filter(
        queue_id__in=queue_ids,
        status=Status.COMPLETED,
        completed_at__gte=_start_of_today(now),
        completed_at__lte=now,
        started_at__isnull=False,
    ).values_list("started_at", "completed_at")
    return rules.average_seconds(
        ((done - started).total_seconds() for started, done in finished),
        default=settings.QUEUE_DEFAULT_CONSULTATION_SECONDS,
    )


def doctors_online_serving(*, queue_id: object) -> int:
    return len(users_online(user_ids=doctor_ids_serving(queue_id=queue_id)))


def queue_line(*, queue_id: object, now: datetime) -> dict[str, LineSpot]:
    """Every active entry of the queue with its position and estimate (None once it left the
    line: claimed or in consultation)."""
    rows = list(
        QueueEntry.objects.filter(queue_id=queue_id, status__in=QueueEntry.ACTIVE_STATUSES).values(
            *PICK_FIELDS, "status"
        )
    )
    queued = [row for row in rows if row["status"] in QueueEntry.QUEUED_STATUSES]
    ordered = rules.order([_candidate(row) for row in queued], now=now, weights=weights())
    away = {str(row["id"]) for row in queued if row["status"] == Status.AWAY}
    places = rules.positions([c.id for c in ordered], skipped=away)
    average = average_consultation_seconds(queue_id=queue_id, now=now) if queued else 0.0
    doctors = doctors_online_serving(queue_id=queue_id) if queued else 1
    spots: dict[str, LineSpot] = {}
    for row in rows:
        entry_id = str(row["id"])
        position = places.get(entry_id)
        estimate = (
            rules.estimated_wait_seconds(
                position=position,
                average_consultation_seconds=average,
                doctors=doctors,
                rounding_seconds=settings.QUEUE_ESTIMATE_ROUNDING_SECONDS,
            )
            if position is not None
            else None
        )
        spots[entry_id] = LineSpot(
            entry_id=entry_id,
            patient_id=str(row["patient_id"]),
            status=row["status"],
            position=position,
            estimated_wait_seconds=estimate,
        )
    return spots


def entry_spot(*, entry: QueueEntry, now: datetime) -> LineSpot:
    if entry.status in QueueEntry.ACTIVE_STATUSES:
        spot = queue_line(queue_id=entry.queue_id, now=now).get(str(entry.pk))
        if spot is not None:
            return spot
    return LineSpot(str(entry.pk), str(entry.patient_id), entry.status, None, None)


def entries_in_order(*, user: User, now: datetime, queue: Queue | None = None) -> list[
    tuple[QueueEntry, LineSpot]
]:
    """The active entries a doctor or staff member may see: the line first (best first, away
    patients in their place), then those claimed and in consultation."""
    entries = list(
        entries_visible_to(user=user)
        .filter(status__in=QueueEntry.ACTIVE_STATUSES)
        .filter(**({"queue": queue} if queue is not None else {}))
        .select_related("queue", "patient", "claimed_by", "doctor")
    )
    lines: dict[str, dict[str, LineSpot]] = {}
    for queue_id in {str(e.queue_id) for e in entries}:
        lines[queue_id] = queue_line(queue_id=queue_id, now=now)
    w = weights()
    rank = {Status.WAITING: 0, Status.AWAY: 0, Status.CLAIMED: 1, Status.IN_CONSULTATION: 2}

    def key(entry: QueueEntry) -> tuple:
        candidate = rules.Candidate(
            id=str(entry.pk),
            urgency=entry.urgency,
            virtual_start=entry.virtual_start,
            appointment_start=entry.appointment_start,
            has_appointment=entry.appointment_id is not None,
        )
        return (rank[entry.status], rules.priority_key(candidate, now=now, weights=w))

    entries.sort(key=key)
    return [(entry, lines[str(entry.queue_id)][str(entry.pk)]) for entry in entries]


def transitions_of(*, entry_id: object) -> QuerySet[QueueEntryTransition]:
    return QueueEntryTransition.objects.filter(entry_id=entry_id).order_by("at")


# --- stats ------------------------------------------------------------------------------------


def _wait_figures(waits: list[float]) -> dict[str, int | None]:
    return {
        "longest_wait_seconds": int(max(waits)) if waits else None,
        "average_wait_seconds": int(sum(waits) / len(waits)) if waits else None,
    }


def queue_stats(*, viewer: User, now: datetime) -> dict[str, Any]:
    """Counts by status and urgency, waits of those still waiting, doctors online and available.

    Active entries are counted whenever they joined; finished ones (completed, left, removed)
    today. Waits are measured from the join, of those waiting now (away included): the
    people still in the waiting room, not only the ones already seen.
    """
    queues = list(queues_list() if viewer.is_clinic_staff else queues_served_by(doctor=viewer))
    queue_ids = [q.pk for q in queues]
    today = _start_of_today(now)
    rows = list(
        QueueEntry.objects.filter(queue_id__in=queue_ids)
        .filter(Q(status__in=QueueEntry.ACTIVE_STATUSES) | Q(ended_at__gte=today))
        .values("queue_id", "status", "urgency", "joined_at", "claimed_by_id")
    )
    serving = {str(q.pk): doctor_ids_serving(queue_id=q.pk) for q in queues}
    all_doctors = {uid for ids in serving.values() for uid in ids}
    presence = presence_of(user_ids=all_doctors) if all_doctors else {}
    online = {uid for uid, p in presence.items() if p["status"] != OFFLINE}
    # Available: connected and not "busy"/"away" in presence, and holding nobody.
    holding = {
        str(row["claimed_by_id"])
        for row in QueueEntry.objects.filter(
            status__in=(Status.CLAIMED, Status.IN_CONSULTATION), claimed_by__isnull=False
        ).values("claimed_by_id")
    }
    available = {uid for uid in online if presence[uid]["status"] == "online"} - holding

    def summarise(selected: list[dict[str, Any]], doctors: set[str], queue_id: object | None) -> dict:
        by_status = Counter(row["status"] for row in selected)
        queued = [row for row in selected if row["status"] in QueueEntry.QUEUED_STATUSES]
        by_urgency = Counter(row["urgency"] for row in queued)
        waits = [(now - row["joined_at"]).total_seconds() for row in queued]
        summary: dict[str, Any] = {
            "counts_by_status": {status: by_status.get(status, 0) for status in Status.values},
            "waiting_by_urgency": {str(u): by_urgency.get(u, 0) for u in range(1, 6)},
            **_wait_figures(waits),
            "doctors_online": len(doctors & online),
            "doctors_available": len(doctors & available),
        }
        summary["estimated_consultation_seconds"] = int(
            average_consultation_seconds_in(
                queue_ids=queue_ids if queue_id is None else [queue_id], now=now
            )
        )
        return summary

    per_queue = []
    for queue in queues:
        mine = [row for row in rows if row["queue_id"] == queue.pk]
        entry = {"id": str(queue.pk), "name": queue.name, "slug": queue.slug}
        entry.update(summarise(mine, set(serving[str(queue.pk)]), queue.pk))
        per_queue.append(entry)
    overall = summarise(rows, all_doctors, None)
    return {"generated_at": now, "overall": overall, "queues": per_queue}


def seconds_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(int((now - moment).total_seconds()), 0)


def grace() -> timedelta:
    return timedelta(seconds=settings.QUEUE_AWAY_GRACE_SECONDS)
