from django.urls import path

from . import views

urlpatterns = [
    path("presence/", views.SnapshotView.as_view(), name="presence-snapshot"),
    path("presence/heartbeat/", views.HeartbeatView.as_view(), name="presence-heartbeat"),
    path("presence/status/", views.StatusView.as_view(), name="presence-status"),
    path("presence/subscriptions/", views.SubscriptionsView.as_view(), name="presence-subscriptions"),
    path("events/", views.events_view, name="events"),
]
