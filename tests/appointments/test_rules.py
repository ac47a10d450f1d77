"""Slot generation without a database: DST days, zones, overrides, buffers, notice, caps."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from appointments import rules
from appointments.rules import Override, Period, ScheduleRules

TORONTO = ZoneInfo("America/Toronto")
VANCOUVER = ZoneInfo("America/Vancouver")
HALIFAX = ZoneInfo("America/Halifax")

SPRING_FORWARD = date(2026, 3, 8)  # a Sunday: 02:00 EST -> 03:00 EDT
FALL_BACK = date(2026, 11, 1)  # a Sunday: 02:00 EDT -> 01:00 EST
LONG_AGO = datetime(2026, 2, 20, tzinfo=UTC)  # within every horizon used below


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def every_day(start: time, end: time) -> list[Period]:
    return [Period(weekday=d, start=start, end=end) for d in range(7)]


def slots(periods, *, start_date, end_date=None, tz=TORONTO, rules_=None, overrides=(),
          booked=(), day_counts=None, now=LONG_AGO):
    return rules.free_slots(
        rules=rules_ or ScheduleRules(slot_minutes=60, minimum_notice_minutes=0, horizon_days=3650),
        periods=periods, overrides=list(overrides), booked=list(booked),
        day_counts=day_counts or {}, start_date=start_date, end_date=end_date or start_date,
        now=now, tz=tz,
    )


def starts(found):
    return [s.start for s in found]


# --- DST in Toronto ---------------------------------------------------------------------------


def test_nine_to_five_stays_nine_to_five_local_across_spring_forward():
    periods = every_day(time(9), time(17))
    before = slots(periods, start_date=date(2026, 3, 7))
    on = slots(periods, start_date=SPRING_FORWARD)
    after = slots(periods, start_date=date(2026, 3, 9))
    assert before[0].start == utc(2026, 3, 7, 14)  # 09:00 EST = UTC-5
    assert on[0].start == utc(2026, 3, 8, 13)  # 09:00 EDT = UTC-4, the same day
    assert after[0].start == utc(2026, 3, 9, 13)
    for day in (before, on, after):
        assert len(day) == 8
        assert day[0].start.astimezone(TORONTO).time() == time(9)
        assert day[-1].end.astimezone(TORONTO).time() == time(17)


def test_a_period_across_the_skipped_hour_offers_only_real_times():
    found = slots([Period(weekday=6, start=time(1), end=time(4))], start_date=SPRING_FORWARD)
    # 01:00 EST, then the clock jumps to 03:00 EDT: two real hours, two one-hour slots.
    assert starts(found) == [utc(2026, 3, 8, 6), utc(2026, 3, 8, 7)]
    assert [s.start.astimezone(TORONTO).strftime("%H:%M%z") for s in found] == [
        "01:00-0500", "03:00-0400",
    ]
    assert all(s.end - s.start == timedelta(hours=1) for s in found)


def test_a_period_starting_in_the_skipped_hour_starts_when_the_clocks_jumped():
    found = slots([Period(weekday=6, start=time(2), end=time(4))], start_date=SPRING_FORWARD)
    assert starts(found) == [utc(2026, 3, 8, 7)]  # 03:00 EDT


def test_a_period_entirely_in_the_skipped_hour_offers_nothing():
    found = slots(
        [Period(weekday=6, start=time(2, 15), end=time(2, 45))],
        start_date=SPRING_FORWARD,
        rules_=ScheduleRules(slot_minutes=15, minimum_notice_minutes=0),
    )
    assert found == []


def test_the_repeated_hour_of_fall_back_gives_two_distinct_slots_with_their_offsets():
    found = slots([Period(weekday=6, start=time(0), end=time(3))], start_date=FALL_BACK)
    assert starts(found) == [
        utc(2026, 11, 1, 4), utc(2026, 11, 1, 5), utc(2026, 11, 1, 6), utc(2026, 11, 1, 7),
    ]
    assert [s.start.astimezone(TORONTO).isoformat() for s in found] == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
    ]


def test_nine_to_five_stays_nine_to_five_local_across_fall_back():
    periods = every_day(time(9), time(17))
    assert slots(periods, start_date=date(2026, 10, 31))[0].start == utc(2026, 10, 31, 13)
    assert slots(periods, start_date=FALL_BACK)[0].start == utc(2026, 11, 1, 14)


def test_an_ambiguous_local_time_means_its_first_occurrence():
    assert rules.local_to_utc(FALL_BACK, time(1, 30), TORONTO) == utc(2026, 11, 1, 5, 30)


def test_a_nonexistent_local_time_means_the_instant_the_clocks_jumped():
    assert rules.local_to_utc(SPRING_FORWARD, time(2, 30), TORONTO) == utc(2026, 3, 8, 7)


def test_a_week_across_spring_forward_shifts_in_utc_but_not_in_local_time():
    periods = [Period(weekday=d, start=time(9), end=time(10)) for d in range(5)]
    found = slots(periods, start_date=date(2026, 3, 2), end_date=date(2026, 3, 13))
    assert {s.start.astimezone(TORONTO).time() for s in found} == {time(9)}
    assert {s.start.hour for s in found if s.start.date() < SPRING_FORWARD} == {14}
    assert {s.start.hour for s in found if s.start.date() > SPRING_FORWARD} == {13}


# --- a doctor in Vancouver, a patient in Halifax ----------------------------------------------


def test_a_vancouver_doctors_nine_oclock_is_one_pm_in_halifax_in_winter_and_summer():
    periods = [Period(weekday=0, start=time(9), end=time(10))]
    winter = slots(periods, start_date=date(2026, 3, 2), tz=VANCOUVER)[0]
    summer = slots(periods, start_date=date(2026, 3, 9), tz=VANCOUVER)[0]
    assert winter.start == utc(2026, 3, 2, 17)  # PST, UTC-8
    assert summer.start == utc(2026, 3, 9, 16)  # PDT, UTC-7
    assert winter.start.astimezone(HALIFAX).isoformat() == "2026-03-02T13:00:00-04:00"
    assert summer.start.astimezone(HALIFAX).isoformat() == "2026-03-09T13:00:00-03:00"
    assert winter.start.astimezone(VANCOUVER).isoformat() == "2026-03-02T09:00:00-08:00"


def test_local_dates_are_the_doctors_dates_not_utc_dates():
    # 16:00-18:00 in Vancouver in winter is 00:00-02:00 UTC the next day: still Monday's slots.
    found = slots([Period(weekday=0, start=time(16), end=time(18))],
                  start_date=date(2026, 3, 2), tz=VANCOUVER)
    assert starts(found) == [utc(2026, 3, 3, 0), utc(2026, 3, 3, 1)]


# --- everything else the rules do -------------------------------------------------------------


def test_several_periods_a_day_and_overlapping_periods_merge():
    periods = [
        Period(weekday=0, start=time(9), end=time(11)),
        Period(weekday=0, start=time(10), end=time(12)),
        Period(weekday=0, start=time(14), end=time(15)),
    ]
    found = slots(periods, start_date=date(2026, 3, 2))
    assert [s.start.astimezone(TORONTO).hour for s in found] == [9, 10, 11, 14]


def test_buffers_space_slots_and_block_around_bookings():
    r = ScheduleRules(slot_minutes=30, buffer_before_minutes=5, buffer_after_minutes=10,
                      minimum_notice_minutes=0)
    found = slots([Period(weekday=0, start=time(9), end=time(11))],
                  start_date=date(2026, 3, 2), rules_=r)
    local = [s.start.astimezone(TORONTO).strftime("%H:%M") for s in found]
    assert local == ["09:00", "09:45", "10:30"]
    assert found[0].blocked_start == found[0].start - timedelta(minutes=5)
    assert found[0].blocked_end == found[0].end + timedelta(minutes=10)
    # A booking from elsewhere whose blocked time touches 09:45's buffer removes that slot.
    booked = [(utc(2026, 3, 2, 14, 40), utc(2026, 3, 2, 14, 42))]
    remaining = slots([Period(weekday=0, start=time(9), end=time(11))],
                      start_date=date(2026, 3, 2), rules_=r, booked=booked)
    assert [s.start.astimezone(TORONTO).strftime("%H:%M") for s in remaining] == ["09:00", "10:30"]


def test_booked_slots_are_not_free_and_touching_ones_are():
    periods = [Period(weekday=0, start=time(9), end=time(12))]
    booked = [(utc(2026, 3, 2, 15), utc(2026, 3, 2, 16))]  # 10:00-11:00 EST
    found = slots(periods, start_date=date(2026, 3, 2), booked=booked)
    assert [s.start.astimezone(TORONTO).hour for s in found] == [9, 11]


def test_minimum_notice_and_horizon():
    periods = every_day(time(9), time(12))
    r = ScheduleRules(slot_minutes=60, minimum_notice_minutes=120, horizon_days=2)
    now = utc(2026, 3, 2, 14, 30)  # 09:30 EST Monday
    found = slots(periods, start_date=date(2026, 3, 2), end_date=date(2026, 3, 10),
                  rules_=r, now=now)
    assert found[0].start == utc(2026, 3, 2, 16, 30) or found[0].start == utc(2026, 3, 3, 14)
    assert all(s.start >= now + timedelta(hours=2) for s in found)
    assert all(s.start <= now + timedelta(days=2) for s in found)
    assert max(s.start for s in found) == utc(2026, 3, 4, 14)


def test_daily_cap_closes_a_full_day():
    periods = every_day(time(9), time(12))
    r = ScheduleRules(slot_minutes=60, minimum_notice_minutes=0, max_per_day=2)
    found = slots(periods, start_date=date(2026, 3, 2), end_date=date(2026, 3, 3), rules_=r,
                  day_counts={date(2026, 3, 2): 2})
    assert {s.start.astimezone(TORONTO).date() for s in found} == {date(2026, 3, 3)}


def test_time_off_whole_day_partial_and_extra_hours():
    periods = every_day(time(9), time(12))
    overrides = [
        Override(date=date(2026, 3, 2), kind=rules.OFF),
        Override(date=date(2026, 3, 3), kind=rules.OFF, start=time(10), end=time(11)),
        Override(date=date(2026, 3, 4), kind=rules.EXTRA, start=time(18), end=time(19)),
    ]
    found = slots(periods, start_date=date(2026, 3, 2), end_date=date(2026, 3, 4),
                  overrides=overrides)
    by_day: dict[date, list[int]] = {}
    for s in found:
        local = s.start.astimezone(TORONTO)
        by_day.setdefault(local.date(), []).append(local.hour)
    assert date(2026, 3, 2) not in by_day
    assert by_day[date(2026, 3, 3)] == [9, 11]
    assert by_day[date(2026, 3, 4)] == [9, 10, 11, 18]


def test_time_off_splits_a_period_and_slots_restart_after_it():
    r = ScheduleRules(slot_minutes=45, minimum_notice_minutes=0)
    overrides = [Override(date=date(2026, 3, 2), kind=rules.OFF, start=time(10), end=time(10, 30))]
    found = slots([Period(weekday=0, start=time(9), end=time(12))], start_date=date(2026, 3, 2),
                  rules_=r, overrides=overrides)
    assert [s.start.astimezone(TORONTO).strftime("%H:%M") for s in found] == [
        "09:00", "10:30", "11:15",
    ]


def test_claim_cells_cover_an_interval_on_the_five_minute_grid():
    assert rules.cells(utc(2026, 3, 2, 14), utc(2026, 3, 2, 14, 15)) == [
        utc(2026, 3, 2, 14), utc(2026, 3, 2, 14, 5), utc(2026, 3, 2, 14, 10),
    ]
    # Off-grid edges still claim every cell they touch.
    assert rules.cells(utc(2026, 3, 2, 14, 3), utc(2026, 3, 2, 14, 6)) == [
        utc(2026, 3, 2, 14), utc(2026, 3, 2, 14, 5),
    ]


def test_overlapping_appointments_always_share_a_claim_cell():
    # The guarantee the unique constraint relies on: overlap <=> a common cell (on the grid).
    base = utc(2026, 3, 2, 14)
    for offset in range(0, 60, 5):
        a = (base, base + timedelta(minutes=30))
        b = (base + timedelta(minutes=offset), base + timedelta(minutes=offset + 30))
        shared = set(rules.cells(*a)) & set(rules.cells(*b))
        assert bool(shared) == rules.overlaps(a, b)


# --- the rest of Canada's six zones -----------------------------------------------------------


def test_newfoundlands_half_hour_offset_lands_on_the_claim_grid():
    st_johns = ZoneInfo("America/St_Johns")
    found = slots([Period(weekday=0, start=time(9), end=time(10))], start_date=date(2026, 3, 2),
                  tz=st_johns)
    assert starts(found) == [utc(2026, 3, 2, 12, 30)]  # NST, UTC-3:30
    assert rules.cells(found[0].start, found[0].end)[0] == found[0].start
    # And its own spring-forward night skips 02:00-03:00 local like everyone else's.
    assert rules.local_to_utc(SPRING_FORWARD, time(2, 30), st_johns) == utc(2026, 3, 8, 5, 30)


def test_saskatchewan_keeps_standard_time_all_year():
    regina = ZoneInfo("America/Regina")
    periods = every_day(time(9), time(10))
    assert slots(periods, start_date=date(2026, 3, 6), tz=regina)[0].start == utc(2026, 3, 6, 15)
    assert slots(periods, start_date=date(2026, 3, 9), tz=regina)[0].start == utc(2026, 3, 9, 15)


def test_the_asking_patients_own_appointments_remove_clashing_slots():
    periods = [Period(weekday=0, start=time(9), end=time(11))]
    own = [(utc(2026, 3, 2, 14, 15), utc(2026, 3, 2, 14, 45))]  # 09:15-09:45 EST elsewhere
    found = rules.free_slots(
        rules=ScheduleRules(slot_minutes=30, minimum_notice_minutes=0), periods=periods,
        overrides=[], booked=[], day_counts={}, start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 2), now=LONG_AGO, tz=TORONTO, patient_booked=own,
    )
    assert [s.start.astimezone(TORONTO).strftime("%H:%M") for s in found] == ["10:00", "10:30"]
