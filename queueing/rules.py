"""Pure rules of the waiting room: priority, order, positions and wait estimates.

No I/O and no clock: callers pass `now` and the weights (read from settings by `Weights.from_settings`).

The priority of an entry is its *effective level*, on the urgency scale (1 most urgent, 5 least):

    level = max(urgency - waited / QUEUE_AGING_SECONDS_PER_LEVEL,
                min(urgency, QUEUE_AGING_MAX_PROMOTION_LEVEL))
            - QUEUE_APPOINTMENT_BONUS_LEVELS   (only for a checked-in appointment that is due)

Lower goes first; ties go to the earlier virtual start, then the id (a stable total order).
Ageing means nobody waits forever behind newer urgent patients, and its floor means waiting
alone never puts anyone ahead of a level-1 (resuscitation) patient.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Weights:
    aging_seconds_per_level: float = 600.0
    aging_max_promotion_level: int = 2
    appointment_bonus_levels: float = 0.5
    appointment_due_lead_seconds: float = 600.0

    @classmethod
    def from_settings(cls, settings: Any) -> Weights:
        return cls(
            aging_seconds_per_level=float(settings.QUEUE_AGING_SECONDS_PER_LEVEL),
            aging_max_promotion_level=int(settings.QUEUE_AGING_MAX_PROMOTION_LEVEL),
            appointment_bonus_levels=float(settings.QUEUE_APPOINTMENT_BONUS_LEVELS),
            appointment_due_lead_seconds=float(settings.QUEUE_APPOINTMENT_DUE_LEAD_SECONDS),
        )


@dataclass(frozen=True)
class Candidate:
    """What the score needs to know about an entry."""

    id: str
    urgency: int
    virtual_start: datetime
    appointment_start: datetime | None = None
    has_appointment: bool = False


def appointment_is_due(
    *, has_appointment: bool, appointment_start: datetime | None, now: datetime, weights: Weights
) -> bool:
    """A checked-in appointment is due from a little before its start; one without a known
    start (attached by hand) counts as due."""
    if not has_appointment:
        return False
    if appointment_start is None:
        return True
    return now >= appointment_start - timedelta(seconds=weights.appointment_due_lead_seconds)


def effective_level(
    *, urgency: int, waited_seconds: float, appointment_due: bool, weights: Weights
) -> float:
    aged = urgency - max(waited_seconds, 0.0) / weights.aging_seconds_per_level
    floor = min(urgency, weights.aging_max_promotion_level)
    level = max(aged, float(floor))
    if appointment_due:
        level -= weights.appointment_bonus_levels
    return level


def priority_key(candidate: Candidate, *, now: datetime, weights: Weights) -> tuple:
    """Sort key: smaller goes first."""
    due = appointment_is_due(
        has_appointment=candidate.has_appointment,
        appointment_start=candidate.appointment_start,
        now=now,
        weights=weights,
    )
    level = effective_level(
        urgency=candidate.urgency,
        waited_seconds=(now - candidate.virtual_start).total_seconds(),
        appointment_due=due,
        weights=weights,
    )
    # Rounded so that float noise never breaks a tie the virtual start should settle.
    return (round(level, 9), candidate.virtual_start, str(candidate.id))


def order(
    candidates: Iterable[Candidate], *, now: datetime, weights: Weights
) -> list[Candidate]:
    return sorted(candidates, key=lambda c: priority_key(c, now=now, weights=weights))


def front_of_urgency_start(
    *, own_start: datetime, same_urgency_starts: Iterable[datetime], weights: Weights
) -> datetime:
    """The virtual start that puts a handed-back entry at the front of its urgency.

    Earlier than every other entry of that urgency by more than the appointment bonus is worth,
    so it also goes ahead of due appointments of its urgency (except where ageing has brought
    everyone to the promotion floor: there the bonus still counts); never later than its own
    start.
    """
    starts = list(same_urgency_starts)
    if not starts:
        return own_start
    head_start = timedelta(
        seconds=weights.appointment_bonus_levels * weights.aging_seconds_per_level + 1
    )
    return min(own_start, min(starts) - head_start)


def positions(ordered_ids: Sequence[str], *, skipped: Iterable[str] = ()) -> dict[str, int]:
    """1-based position of each entry in an ordered line.

    Entries in `skipped` (away: offline patients) keep a position, the one they will have when
    back, but are not counted as ahead of anyone, since nobody waits for them.
    """
    skip = set(skipped)
    result: dict[str, int] = {}
    ahead = 0
    for entry_id in ordered_ids:
        result[entry_id] = ahead + 1
        if entry_id not in skip:
            ahead += 1
    return result


def estimated_wait_seconds(
    *,
    position: int,
    average_consultation_seconds: float,
    doctors: int,
    rounding_seconds: int = 60,
) -> int:
    """The people ahead divided among the doctors serving the queue, times a consultation.

    Position 1 is "next": an estimate of 0. Rounded up to `rounding_seconds` so that it does not
    change (and get pushed) with every second.
    """
    ahead = max(position - 1, 0)
    raw = ahead * average_consultation_seconds / max(doctors, 1)
    if raw <= 0:
        return 0
    return int(math.ceil(raw / rounding_seconds) * rounding_seconds)


def average_seconds(durations: Iterable[float], *, default: float) -> float:
    values = [d for d in durations if d >= 0]
    return sum(values) / len(values) if values else float(default)
