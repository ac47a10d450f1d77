"""The priority score and the line's numbers, as pure functions: no database, no clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from queueing import rules
from queueing.rules import Candidate, Weights

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
W = Weights(
    aging_seconds_per_level=600,
    aging_max_promotion_level=2,
    appointment_bonus_levels=0.5,
    appointment_due_lead_seconds=600,
)


def walk_in(name: str, urgency: int, waited_minutes: float) -> Candidate:
    return Candidate(id=name, urgency=urgency, virtual_start=NOW - timedelta(minutes=waited_minutes))


def appointment(name: str, urgency: int, waited_minutes: float, starts_in_minutes: float = 0) -> Candidate:
    return Candidate(
        id=name,
        urgency=urgency,
        virtual_start=NOW - timedelta(minutes=waited_minutes),
        appointment_start=NOW + timedelta(minutes=starts_in_minutes),
        has_appointment=True,
    )


def names(candidates: list[Candidate]) -> list[str]:
    return [c.id for c in rules.order(candidates, now=NOW, weights=W)]


def test_more_urgent_goes_first_when_both_just_arrived():
    assert names([walk_in("routine", 4, 0), walk_in("emergent", 2, 0), walk_in("urgent", 3, 0)]) == [
        "emergent", "urgent", "routine",
    ]


def test_same_urgency_goes_by_time_waited():
    assert names([walk_in("later", 4, 1), walk_in("earlier", 4, 5)]) == ["earlier", "later"]


def test_due_appointment_goes_ahead_of_walk_ins_of_the_same_urgency():
    assert names([walk_in("walk-in", 4, 3), appointment("booked", 4, 0)]) == ["booked", "walk-in"]


def test_due_appointment_does_not_pass_a_more_urgent_walk_in():
    assert names([walk_in("urgent", 3, 0), appointment("booked", 4, 0)]) == ["urgent", "booked"]


def test_appointment_checked_in_long_before_its_time_gets_no_bonus_yet():
    early = appointment("early", 4, 0, starts_in_minutes=45)
    assert names([walk_in("walk-in", 4, 1), early]) == ["walk-in", "early"]


def test_ageing_lifts_a_long_wait_above_newer_more_urgent_patients():
    # 25 minutes at 10 minutes per level: a level-4 patient now counts as 1.5 levels better.
    assert names([walk_in("new urgent", 3, 0), walk_in("old routine", 4, 25)]) == [
        "old routine", "new urgent",
    ]


def test_ageing_never_lifts_anyone_above_a_resuscitation_patient():
    assert names([walk_in("resuscitation", 1, 0), walk_in("all day", 5, 600)]) == [
        "resuscitation", "all day",
    ]


def test_ageing_stops_at_the_promotion_floor_then_time_breaks_the_tie():
    level = rules.effective_level(urgency=5, waited_seconds=10_000, appointment_due=False, weights=W)
    assert level == 2.0
    assert names([walk_in("emergent new", 2, 0), walk_in("five old", 5, 200)]) == [
        "five old", "emergent new",
    ]


def test_ties_are_settled_by_id_so_the_order_is_total():
    assert names([walk_in("b", 4, 2), walk_in("a", 4, 2)]) == ["a", "b"]


def test_weights_come_from_settings():
    class Fake:
        QUEUE_AGING_SECONDS_PER_LEVEL = 60
        QUEUE_AGING_MAX_PROMOTION_LEVEL = 3
        QUEUE_APPOINTMENT_BONUS_LEVELS = 0.25
        QUEUE_APPOINTMENT_DUE_LEAD_SECONDS = 0

    assert Weights.from_settings(Fake) == Weights(60, 3, 0.25, 0)


def test_front_of_urgency_start_beats_every_entry_and_due_appointment_of_that_urgency():
    others = [walk_in("a", 4, 8), appointment("b", 4, 6)]
    start = rules.front_of_urgency_start(
        own_start=NOW, same_urgency_starts=[c.virtual_start for c in others], weights=W
    )
    returned = Candidate(id="z-returned", urgency=4, virtual_start=start)
    assert names([*others, returned])[0] == "z-returned"


def test_front_of_urgency_start_never_moves_an_entry_back():
    own = NOW - timedelta(hours=2)
    assert rules.front_of_urgency_start(
        own_start=own, same_urgency_starts=[NOW], weights=W
    ) == own


def test_positions_count_only_people_who_are_actually_waiting_ahead():
    assert rules.positions(["a", "away", "b"], skipped={"away"}) == {"a": 1, "away": 2, "b": 2}


def test_estimated_wait_divides_the_people_ahead_among_the_doctors():
    estimate = rules.estimated_wait_seconds
    assert estimate(position=1, average_consultation_seconds=600, doctors=1) == 0
    assert estimate(position=3, average_consultation_seconds=600, doctors=1) == 1200
    assert estimate(position=3, average_consultation_seconds=600, doctors=2) == 600
    assert estimate(position=2, average_consultation_seconds=100, doctors=3, rounding_seconds=60) == 60
    assert estimate(position=5, average_consultation_seconds=600, doctors=0) == 2400


def test_average_falls_back_to_the_default_without_consultations():
    assert rules.average_seconds([], default=600) == 600
    assert rules.average_seconds([300, 500], default=600) == 400
