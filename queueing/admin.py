"""The waiting room in the admin: staff see every queue and act through the services."""
from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.admin import ClinicStaffAccessMixin
from telepresence.errors import DomainError

from . import selectors, services
from .models import Queue, QueueEntry, QueueEntryTransition


@admin.register(Queue)
class QueueAdmin(ClinicStaffAccessMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "specialty", "is_default", "served_by", "waiting_now"]
    search_fields = ["name", "slug", "specialty"]
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ["doctors"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Queue]:
        return super().get_queryset(request).prefetch_related("doctors")

    @admin.display(description="Served by")
    def served_by(self, obj: Queue) -> str:
        names = [doctor.display_name for doctor in obj.doctors.all()]
        return ", ".join(names) if names else "every doctor"

    @admin.display(description="Waiting")
    def waiting_now(self, obj: Queue) -> int:
        return obj.entries.filter(status__in=QueueEntry.QUEUED_STATUSES).count()

    def has_delete_permission(self, request: HttpRequest, obj: Queue | None = None) -> bool:
        # A queue that was ever used keeps its history (entries protect it anyway).
        if obj is not None and obj.entries.exists():
            return False
        return super().has_delete_permission(request, obj)


class TransitionInline(admin.TabularInline):
    model = QueueEntryTransition
    fields = ["at", "from_status", "to_status", "actor", "note", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return True


def _apply(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[QueueEntry],
    change: Callable[[QueueEntry], object],
    done: str,
) -> None:
    changed, refused = 0, 0
    for entry in queryset:
        try:
            change(entry)
            changed += 1
        except DomainError:
            refused += 1
    if changed:
        modeladmin.message_user(request, f"{changed} {done}.", messages.SUCCESS)
    if refused:
        modeladmin.message_user(
            request, f"{refused} skipped: no longer active or changed meanwhile.", messages.WARNING
        )


@admin.action(description="Remove from the waiting room")
def remove_entries(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _apply(
        modeladmin, request, queryset,
        lambda entry: services.queue_entry_remove(entry_id=entry.pk, actor=request.user),
        "removed",
    )


def _urgency_action(level: int) -> Callable:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        _apply(
            modeladmin, request, queryset,
            lambda entry: services.queue_entry_set_urgency(
                entry_id=entry.pk, actor=request.user, urgency=level
            ),
            f"set to urgency {level}",
        )

    action.__name__ = f"set_urgency_{level}"
    return admin.action(description=f"Set urgency to {level}")(action)


@admin.register(QueueEntry)
class QueueEntryAdmin(ClinicStaffAccessMixin, admin.ModelAdmin):
    list_display = [
        "short_id", "patient", "queue", "status", "urgency", "has_appointment", "doctor",
        "claimed_by", "joined_at", "current_wait",
    ]
    list_filter = ["status", "queue", "urgency"]
    list_select_related = ["patient", "queue", "doctor", "claimed_by"]
    search_fields = ["patient__username", "patient__first_name", "patient__last_name"]
    date_hierarchy = "joined_at"
    ordering = ["-joined_at"]
    inlines = [TransitionInline]
    actions = [remove_entries, *[_urgency_action(level) for level in range(1, 6)]]
    # Every change goes through the services (audited, announced): nothing is edited in place.
    readonly_fields = [
        "id", "queue", "patient", "doctor", "appointment_id", "appointment_start", "reason",
        "urgency", "status", "claimed_by", "joined_at", "virtual_start", "claimed_at",
        "started_at", "completed_at", "ended_at", "away_since", "claimer_offline_since",
        "current_wait",
    ]

    @admin.display(description="Entry")
    def short_id(self, obj: QueueEntry) -> str:
        return str(obj.pk)[:8]

    @admin.display(boolean=True, description="Appointment")
    def has_appointment(self, obj: QueueEntry) -> bool:
        return obj.appointment_id is not None

    @admin.display(description="Current wait")
    def current_wait(self, obj: QueueEntry) -> str:
        if obj.status not in QueueEntry.QUEUED_STATUSES:
            return "—"
        seconds = selectors.seconds_since(obj.joined_at, timezone.now()) or 0
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the audit trail stays; "remove" is the action

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Needed for actions; every field is read-only, so nothing is edited in place.
        return super().has_change_permission(request, obj)
