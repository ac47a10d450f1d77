"""Staff oversee appointments here: by doctor, day and status; changes go through services."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import ClinicStaffAccessMixin
from telepresence.errors import DomainError

from . import services
from .models import (
    Appointment,
    AppointmentStatusChange,
    AvailabilityOverride,
    Schedule,
    WaitlistEntry,
    WeeklyAvailability,
)


class StatusChangeInline(admin.TabularInline):
    model = AppointmentStatusChange
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # append-only, written by the services


@admin.register(Appointment)
class AppointmentAdmin(ClinicStaffAccessMixin, admin.ModelAdmin):
    list_display = ["start", "end", "doctor", "patient", "status", "checked_in_at"]
    list_filter = ["status", ("doctor", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "start"
    search_fields = ["doctor__username", "doctor__last_name", "patient__username",
                     "patient__last_name"]
    list_select_related = ["doctor", "patient"]
    ordering = ["start"]
    actions = ["cancel_selected", "mark_no_show_selected", "complete_selected"]
    inlines = [StatusChangeInline]
    # Read-only: every change is a transition through the services (claims, audit, events).
    readonly_fields = [
        "id", "doctor", "patient", "start", "end", "blocked_start", "blocked_end", "local_date",
        "status", "reason", "cancellation_reason", "cancelled_by", "cancelled_at",
        "rescheduled_from", "reminder_sent_at", "checked_in_at", "created_at", "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False  # booking takes slot claims: use the API

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the record and its audit stay; cancel instead

    def _apply(self, request: HttpRequest, queryset: QuerySet, action: str, verb: str) -> None:
        done, refused = 0, 0
        for appointment_id in queryset.values_list("pk", flat=True):
            try:
                if action == "cancel":
                    services.appointment_cancel(
                        actor=request.user, appointment_id=appointment_id,
                        reason="Cancelled by the clinic",
                    )
                elif action == "noshow":
                    services.appointment_mark_no_show(
                        actor=request.user, appointment_id=appointment_id
                    )
                else:
                    services.appointment_complete(actor=request.user, appointment_id=appointment_id)
                done += 1
            except DomainError:
                refused += 1
        if done:
            self.message_user(request, f"{done} appointment(s) {verb}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request, f"{refused} appointment(s) could not be {verb} in their current state.",
                messages.WARNING,
            )

    @admin.action(description="Cancel the selected appointments")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, "cancel", "cancelled")

    @admin.action(description="Mark the selected appointments as no-show")
    def mark_no_show_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, "noshow", "marked no-show")

    @admin.action(description="Mark the selected appointments as fulfilled")
    def complete_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, "complete", "marked fulfilled")


@admin.register(Schedule)
class ScheduleAdmin(ClinicStaffAccessMixin, admin.ModelAdmin):
    list_display = ["doctor", "slot_minutes", "buffer_before_minutes", "buffer_after_minutes",
                    "minimum_notice_minutes", "horizon_days", "max_per_day"]
    list_select_related = ["doctor"]
    search_fields = ["doctor__username", "doctor__last_name"]


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(ClinicStaffAccessMixin, admin.ModelAdmin):
    list_display = ["doctor", "weekday", "start_time", "end_time"]
    list_filter = ["weekday", ("doctor", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["doctor"]


@admin.register(AvailabilityOverride)
class AvailabilityOverrideAdmin(ClinicStaffAccessMixin, admin.ModelAdmin):
    list_display = ["doctor", "date", "kind", "start_time", "end_time"]
    list_filter = ["kind", ("doctor", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "date"
    list_select_related = ["doctor"]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ClinicStaffAccessMixin, admin.ModelAdmin):
    list_display = ["doctor", "patient", "status", "created_at", "notified_at", "times_notified"]
    list_filter = ["status", ("doctor", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["doctor", "patient"]
    readonly_fields = ["doctor", "patient", "status", "created_at", "notified_at", "times_notified"]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False
