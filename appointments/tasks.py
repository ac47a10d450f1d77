"""Periodic sweeps (beat entries in settings): thin, safe to run twice or in parallel.

Each sweep selects candidate ids and calls one service per id; the service's conditional update
decides, so a second run or a second worker finds nothing left to do.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import selectors, services

logger = logging.getLogger(__name__)


@shared_task(name="appointments.tasks.mark_no_shows")
def mark_no_shows() -> int:
    now = timezone.now()
    ids = selectors.appointments_past_no_show_cutoff(
        now=now, after=timedelta(seconds=settings.APPOINTMENT_NO_SHOW_AFTER_SECONDS)
    )
    marked = sum(
        1
        for appointment_id in ids
        if services.appointment_mark_no_show(actor=None, appointment_id=appointment_id, now=now)
    )
    if marked:
        logger.info("marked %d appointments as no-show", marked)
    return marked


@shared_task(name="appointments.tasks.send_reminders")
def send_reminders() -> int:
    now = timezone.now()
    ids = selectors.appointments_due_for_reminder(
        now=now, before=timedelta(seconds=settings.APPOINTMENT_REMINDER_BEFORE_SECONDS)
    )
    sent = sum(
        1 for appointment_id in ids
        if services.appointment_send_reminder(appointment_id=appointment_id, now=now)
    )
    if sent:
        logger.info("sent %d appointment reminders", sent)
    return sent
