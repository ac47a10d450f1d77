"""The Celery application: `celery -A telepresence worker --beat`."""
from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telepresence.settings")

app = Celery("telepresence")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
