"""The published seam between presence and the apps that react to it (the queue).

`presence_changed` is sent once per transition of a user's status, after the transition is
final in Redis and recorded in the database, from whichever process won it (a web process, a
Celery worker). Receivers get keyword arguments:

    user_id: str          the user whose status changed
    status: str           the new status: "online", "away", "busy" or "offline"
    previous: str         the status before
    at: datetime          when the server decided it (UTC)

Receivers register in their AppConfig.ready and must be idempotent: presence itself imports no
other app.
"""
from django.dispatch import Signal

presence_changed = Signal()
