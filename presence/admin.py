"""Presence in the admin: live status and last seen on the doctors' and patients' pages, and
the history of transitions."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import ClinicStaffAccessMixin, DoctorAdmin, PatientAdmin
from accounts.models import Doctor, Patient, User

from .models import PresenceChange
from .selectors import presence_of


class LivePresenceColumns:
    """Adds `live status` and `last seen` columns, read from Redis in one round trip per page."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)  # type: ignore[misc]
        self._presence = presence_of(user_ids=[user.pk for user in changelist.result_list])
        return changelist

    def _presence_of(self, obj: User) -> dict:
        cached = getattr(self, "_presence", {})
        return cached.get(str(obj.pk)) or presence_of(user_ids=[obj.pk])[str(obj.pk)]

    @admin.display(description="live status")
    def live_status(self, obj: User) -> str:
        return self._presence_of(obj)["status"]

    @admin.display(description="last seen")
    def last_seen(self, obj: User) -> str:
        return self._presence_of(obj)["last_seen"] or "never"


admin.site.unregister(Doctor)
admin.site.unregister(Patient)


@admin.register(Doctor)
class DoctorPresenceAdmin(LivePresenceColumns, DoctorAdmin):
    list_display = [*DoctorAdmin.list_display, "live_status", "last_seen"]


@admin.register(Patient)
class PatientPresenceAdmin(LivePresenceColumns, PatientAdmin):
    list_display = [*PatientAdmin.list_display, "live_status", "last_seen"]


@admin.register(PresenceChange)
class PresenceChangeAdmin(ClinicStaffAccessMixin, admin.ModelAdmin):
    list_display = ["at", "user", "previous", "status"]
    list_filter = ["status", "user__role"]
    search_fields = ["user__username"]
    date_hierarchy = "at"
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
