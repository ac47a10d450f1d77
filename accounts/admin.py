"""People in the admin: every user, plus a page each for doctors and patients."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from .models import Doctor, DoctorProfile, Patient, PatientProfile, User


class ClinicStaffAccessMixin:
    """Users with the staff role oversee everything in the admin, without per-model grants."""

    def _is_clinic_staff(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and getattr(user, "is_clinic_staff", False))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_clinic_staff(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._is_clinic_staff(request) or super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._is_clinic_staff(request) or super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return self._is_clinic_staff(request) or super().has_add_permission(request, *args)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._is_clinic_staff(request) or super().has_delete_permission(request, obj)


class DoctorProfileInline(admin.StackedInline):
    model = DoctorProfile
    can_delete = False
    extra = 0


class PatientProfileInline(admin.StackedInline):
    model = PatientProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(ClinicStaffAccessMixin, DjangoUserAdmin):
    list_display = ["username", "display_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Clinic", {"fields": ("role",)}))
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "role", "password1", "password2")}),
    )

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list:
        if obj is not None and obj.is_doctor:
            return [DoctorProfileInline]
        if obj is not None and obj.is_patient:
            return [PatientProfileInline]
        return []


@admin.register(Doctor)
class DoctorAdmin(UserAdmin):
    list_display = ["username", "display_name", "specialty", "time_zone", "is_active"]
    list_filter = ["is_active", "doctor_profile__specialty"]
    list_select_related = ["doctor_profile"]

    @admin.display(ordering="doctor_profile__specialty")
    def specialty(self, obj: Doctor) -> str:
        return getattr(getattr(obj, "doctor_profile", None), "specialty", "")

    @admin.display()
    def time_zone(self, obj: Doctor) -> str:
        return getattr(getattr(obj, "doctor_profile", None), "time_zone", "")

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list:
        return [DoctorProfileInline]


@admin.register(Patient)
class PatientAdmin(UserAdmin):
    list_display = ["username", "display_name", "is_active", "last_login"]
    list_filter = ["is_active"]

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list:
        return [PatientProfileInline]
