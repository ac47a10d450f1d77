"""Pure scheduling rules: local working hours to UTC slots, across DST, without I/O or a clock.

Every function here takes what it needs (rules, bookings, `now`, the doctor's zone) and returns
plain values, so the tricky part of scheduling is tested without a database.

Time zone rules, stated once:

* Working hours are wall-clock times in the doctor's zone: a 09:00-17:00 period is 09:00-17:00
  local on every date, whatever the UTC offset that day (so it moves in UTC when clocks change).
* A local time that does not exist (the hour skipped when clocks spring forward) maps to the
  instant the clocks jumped: 02:30 on a spring-forward night in Toronto becomes 03:00 EDT. A
  period 02:00-04:00 that night is 03:00-04:00; nobody is offered a time that never happens.
* A local time that happens twice (the hour repeated when clocks fall back) maps to its first
  occurrence. A period 00:00-03:00 on that night lasts four real hours, and its slots are stepped
  in real time, so 01:00 EDT and 01:00 EST are two distinct slots, each with its own offset.
* Slots are stepped in real (UTC) time from the start of each working piece, so a slot always
  lasts exactly `slot_minutes`, even across a transition.
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Claims (see models.SlotClaim) are taken on this fixed UTC grid; every slot boundary lies on it
# because period times, slot lengths and buffers are validated as multiples of it.
CELL_MINUTES = 5
CELL = timedelta(minutes=CELL_MINUTES)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

OFF = "time_off"
EXTRA = "extra_hours"


@dataclass(frozen=True)
class Period:
    """Weekly working hours: weekday 0 = Monday, local wall-clock start < end."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Override:
    """A dated exception: time off (whole day when start/end are None) or extra hours."""

    date: date
    kind: str
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True)
class ScheduleRules:
    slot_minutes: int = 30
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    minimum_notice_minutes: int = 120
    horizon_days: int = 60
    max_per_day: int | None = None

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    @property
    def before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)


@dataclass(frozen=True, order=True)
class Slot:
    """A bookable time, in UTC; `blocked_*` adds the buffers the doctor keeps around it."""

    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime


Interval = tuple[datetime, datetime]


# --- local time to UTC ------------------------------------------------------------------------


def local_to_utc(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time, with the DST rules in the module docstring."""
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)  # ambiguous (fall back): the first occurrence
    return _jump_instant(second.astimezone(UTC), first.astimezone(UTC), tz)


def _jump_instant(before: datetime, after: datetime, tz: ZoneInfo) -> datetime:
    """The instant the offset changes between `before` and `after` (a gap of at most hours).

    zoneinfo publishes no transition table, so bisect on whole seconds: under 20 steps.
    """
    old = before.astimezone(tz).utcoffset()
    low, high = int(before.timestamp()), int(after.timestamp()) + 1
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == old:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


# --- intervals --------------------------------------------------------------------------------


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(pieces: list[Interval], holes: list[Interval]) -> list[Interval]:
    result = []
    for start, end in pieces:
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def working_pieces(
    *, day: date, periods: Sequence[Period], overrides: Sequence[Override], tz: ZoneInfo
) -> list[Interval]:
    """The UTC intervals the doctor works on one local date, overrides applied."""
    todays = [o for o in overrides if o.date == day]
    if any(o.kind == OFF and (o.start is None or o.end is None) for o in todays):
        return []
    spans = [(p.start, p.end) for p in periods if p.weekday == day.weekday()]
    spans += [(o.start, o.end) for o in todays if o.kind == EXTRA and o.start and o.end]
    pieces = _merge((local_to_utc(day, s, tz), local_to_utc(day, e, tz)) for s, e in spans)
    holes = _merge(
        (local_to_utc(day, o.start, tz), local_to_utc(day, o.end, tz))
        for o in todays
        if o.kind == OFF and o.start and o.end
    )
    return _subtract(pieces, holes)


def slot_grid(
    *,
    rules: ScheduleRules,
    periods: Sequence[Period],
    overrides: Sequence[Override],
    start_date: date,
    end_date: date,
    tz: ZoneInfo,
) -> list[Slot]:
    """Every slot the working hours offer from start_date to end_date (inclusive, local dates),
    before anything is booked and whatever the clock says.

    In each working piece the first slot starts at the piece's start; the next one starts when
    the previous one's buffer after and the next one's buffer before have passed. A slot's
    core (start to end) lies inside working hours; its buffers may spill outside them.
    """
    slots: list[Slot] = []
    step = rules.before + rules.length + rules.after
    if rules.slot_minutes <= 0:
        return slots
    day = start_date
    while day <= end_date:
        for piece_start, piece_end in working_pieces(
            day=day, periods=periods, overrides=overrides, tz=tz
        ):
            start = piece_start
            while start + rules.length <= piece_end:
                slots.append(
                    Slot(
                        start=start,
                        end=start + rules.length,
                        blocked_start=start - rules.before,
                        blocked_end=start + rules.length + rules.after,
                    )
                )
                start += step
        day += timedelta(days=1)
    return sorted(set(slots))


def free_slots(
    *,
    rules: ScheduleRules,
    periods: Sequence[Period],
    overrides: Sequence[Override],
    booked: Sequence[Interval],
    day_counts: Mapping[date, int],
    start_date: date,
    end_date: date,
    now: datetime,
    tz: ZoneInfo,
    patient_booked: Sequence[Interval] = (),
) -> list[Slot]:
    """The slots a patient may book now.

    `booked` are the blocked intervals (buffers included) of the doctor's active appointments;
    `day_counts` the number of appointments per local date, for the daily cap;
    `patient_booked` the asking patient's own appointments (with any doctor), which a slot must
    not overlap either.
    """
    earliest = now + timedelta(minutes=rules.minimum_notice_minutes)
    latest = now + timedelta(days=rules.horizon_days)
    busy = _merge(booked)
    busy_starts = [b[0] for b in busy]
    own = _merge(patient_booked)
    own_starts = [b[0] for b in own]
    result = []
    for slot in slot_grid(
        rules=rules, periods=periods, overrides=overrides,
        start_date=start_date, end_date=end_date, tz=tz,
    ):
        if slot.start < earliest or slot.start > latest:
            continue
        if rules.max_per_day is not None and (
            day_counts.get(local_date(slot.start, tz), 0) >= rules.max_per_day
        ):
            continue
        if _overlaps_any(slot.blocked_start, slot.blocked_end, busy, busy_starts):
            continue
        if own and _overlaps_any(slot.start, slot.end, own, own_starts):
            continue
        result.append(slot)
    return result


def _overlaps_any(
    start: datetime, end: datetime, busy: list[Interval], busy_starts: list[datetime]
) -> bool:
    """Half-open overlap against merged, sorted busy intervals, in O(log n)."""
    index = bisect.bisect_left(busy_starts, end)  # busy intervals starting before `end`
    return index > 0 and busy[index - 1][1] > start


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


# --- claims -----------------------------------------------------------------------------------


def cells(start: datetime, end: datetime) -> list[datetime]:
    """The claim-grid cells an interval touches (conservative: any partial cell counts)."""
    offset = (start - _EPOCH) // CELL
    cell = _EPOCH + offset * CELL
    result = []
    while cell < end:
        result.append(cell)
        cell += CELL
    return result


def is_on_grid(clock: time) -> bool:
    return clock.second == 0 and clock.microsecond == 0 and clock.minute % CELL_MINUTES == 0


# --- windows ----------------------------------------------------------------------------------


def check_in_window(
    *, start: datetime, opens_before: timedelta, closes_after: timedelta
) -> Interval:
    """When a patient may check in: from `opens_before` the start until the no-show cut-off."""
    return start - opens_before, start + closes_after


def notice_respected(*, start: datetime, now: datetime, notice: timedelta) -> bool:
    return start - now >= notice
