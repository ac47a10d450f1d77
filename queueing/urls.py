"""URLs of the waiting room, served under /api/ (so `queue/entries/` is /api/queue/entries/)."""
from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("queue/queues/", views.QueuesView.as_view(), name="queue-queues"),
    path("queue/entries/", views.EntriesView.as_view(), name="queue-entries"),
    path("queue/entries/<uuid:entry_id>/", views.EntryView.as_view(), name="queue-entry"),
    *[
        path(
            f"queue/entries/<uuid:entry_id>/{action}/",
            views.EntryActionView.as_view(action=action),
            name=f"queue-entry-{action}",
        )
        for action in views.EntryActionView.actions
    ],
    path(
        "queue/entries/<uuid:entry_id>/transfer/",
        views.TransferView.as_view(),
        name="queue-entry-transfer",
    ),
    path("queue/next/", views.NextView.as_view(), name="queue-next"),
    path("queue/stats/", views.StatsView.as_view(), name="queue-stats"),
]
