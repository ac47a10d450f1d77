"""Telepresence: who is online, who is waiting, who is booked."""
from .celery import app as celery_app

__all__ = ("celery_app",)
