"""The domain errors of appointments, each with the stable `code` clients and tests rely on."""
from __future__ import annotations

from telepresence.errors import Conflict, Forbidden, Invalid, NotFound


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"
    default_detail = "No such appointment."


class DoctorNotFound(NotFound):
    code = "doctor_not_found"
    default_detail = "No such doctor."


class PatientNotFound(NotFound):
    code = "patient_not_found"
    default_detail = "No such patient."


class NotASlot(Invalid):
    code = "not_a_slot"
    default_detail = "That time is not one of the doctor's slots."


class TooSoon(Invalid):
    code = "too_soon"
    default_detail = "That slot starts sooner than the doctor's minimum booking notice."


class BeyondHorizon(Invalid):
    code = "beyond_horizon"
    default_detail = "That slot is further ahead than the doctor takes bookings."


class NaiveTime(Invalid):
    code = "naive_time"
    default_detail = "Times must carry a UTC offset, e.g. 2026-03-09T09:00:00-04:00."


class SlotTaken(Conflict):
    code = "slot_taken"
    default_detail = "That slot is no longer free."


class AlreadyBooked(Conflict):
    code = "already_booked"
    default_detail = "You already hold this slot (see GET /api/appointments/)."


class PatientBusy(Conflict):
    code = "patient_busy"
    default_detail = "The patient already has an appointment at that time."


class DayFull(Conflict):
    code = "day_full"
    default_detail = "The doctor takes no more appointments that day."


class NotBooked(Conflict):
    code = "not_booked"
    default_detail = "The appointment is not in a state that allows this."


class NoticeTooShort(Forbidden):
    code = "notice_too_short"
    default_detail = "It is too close to the start to cancel or reschedule; contact the clinic."


class CheckInNotOpen(Conflict):
    code = "check_in_not_open"
    default_detail = "Check-in has not opened yet."


class CheckInClosed(Conflict):
    code = "check_in_closed"
    default_detail = "Check-in has closed for this appointment."


class TooEarly(Conflict):
    code = "too_early"
    default_detail = "The appointment has not started yet."


class NotAllowed(Forbidden):
    code = "forbidden"
    default_detail = "You may not do that."


class BadAvailability(Invalid):
    code = "invalid_availability"
    default_detail = "The availability is not valid."


class AlreadyWaitlisted(Conflict):
    code = "already_waitlisted"
    default_detail = "You are already on this doctor's waitlist."


class NotAcceptingNewPatients(Forbidden):
    code = "not_accepting_new_patients"
    default_detail = "This doctor is not taking new patients."
