"""The published seam between appointments and the waiting room.

`appointment_checked_in` is sent inside the check-in transaction, after the appointment became
`arrived`, so that whatever a receiver writes (the queue entry) commits or rolls back with it.
Keyword arguments:

    appointment_id: str   the appointment
    patient_id: str       who checked in
    doctor_id: str        whose queue they enter
    start: datetime       the appointment's start (UTC)
    reason: str           the reason given when booking

The queueing app receives it and puts the patient in the doctor's queue with appointment
priority; appointments imports nothing from the queue.
"""
from django.dispatch import Signal

appointment_checked_in = Signal()
