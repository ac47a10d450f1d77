"""The appointments HTTP API: thin adapters from requests to services and selectors."""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from telepresence.errors import Invalid

from . import selectors, services
from .errors import NotAllowed
from .serializers import (
    AppointmentListQuery,
    AppointmentSerializer,
    AvailabilityInput,
    BookInput,
    CancelInput,
    DateRangeQuery,
    OverrideSerializer,
    PeriodSerializer,
    RescheduleInput,
    ScheduleSerializer,
    WaitlistEntrySerializer,
)

logger = logging.getLogger(__name__)


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        # Field names only: values may hold free text (reasons) or personal data.
        logger.info("appointments: rejected input, fields %s", sorted(serializer.errors))
        serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _out(appointment: Any) -> dict[str, Any]:
    return AppointmentSerializer(appointment).data


# --- doctors and their slots ------------------------------------------------------------------


class DoctorListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("specialty", str, required=False)],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        """Doctors with specialty, time zone and live presence status."""
        specialty = request.query_params.get("specialty") or None
        return Response({"doctors": selectors.doctors_with_presence(specialty=specialty)})


class DoctorSlotsView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, required=True, description="First local date"),
            OpenApiParameter("end", str, required=True, description="Last local date"),
            OpenApiParameter("tz", str, required=False, description="Zone to render times in"),
        ],
        responses={200: dict},
    )
    def get(self, request: Request, doctor_id: str) -> Response:
        """Free slots from `start` to `end` (inclusive, the doctor's local dates)."""
        query = _valid(DateRangeQuery, request.query_params)
        if query["end"] < query["start"]:
            raise Invalid("`end` must not be before `start`.", code="bad_range")
        if (query["end"] - query["start"]).days + 1 > settings.APPOINTMENT_SLOTS_MAX_DAYS:
            raise Invalid(
                f"At most {settings.APPOINTMENT_SLOTS_MAX_DAYS} days per request.",
                code="range_too_long",
            )
        doctor = selectors.doctor_get(doctor_id=doctor_id)
        doctor_tz = selectors.doctor_time_zone(doctor=doctor)
        tz = ZoneInfo(query["tz"]) if query.get("tz") else doctor_tz
        slots = selectors.free_slots_for(
            doctor=doctor, start_date=query["start"], end_date=query["end"], now=timezone.now(),
            patient=request.user if request.user.is_patient else None,
        )
        return Response(
            {
                "doctor": str(doctor.pk),
                "time_zone": str(doctor_tz),
                "slots": [
                    {
                        "start": s.start.astimezone(tz).isoformat(),
                        "end": s.end.astimezone(tz).isoformat(),
                    }
                    for s in slots
                ],
            }
        )


# --- appointments -----------------------------------------------------------------------------


class AppointmentListView(APIView):
    @extend_schema(
        parameters=[AppointmentListQuery], responses={200: AppointmentSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        """Your appointments: a doctor's own, a patient's own, or all of them for staff."""
        query = _valid(AppointmentListQuery, request.query_params)
        appointments = selectors.appointments_list(
            user=request.user,
            status=query.get("status"),
            start=query.get("start"),
            end=query.get("end"),
            doctor_id=query.get("doctor"),
        )
        return Response({"appointments": AppointmentSerializer(appointments, many=True).data})

    @extend_schema(request=BookInput, responses={201: AppointmentSerializer})
    def post(self, request: Request) -> Response:
        """Book a slot (patients; staff name the patient)."""
        data = _valid(BookInput, request.data)
        appointment = services.appointment_book(
            actor=request.user,
            doctor_id=data["doctor"],
            start=data["start"],
            reason=data.get("reason", ""),
            patient_id=data.get("patient"),
        )
        return Response(_out(appointment), status=status.HTTP_201_CREATED)


class AppointmentDetailView(APIView):
    @extend_schema(responses={200: AppointmentSerializer})
    def get(self, request: Request, appointment_id: str) -> Response:
        return Response(
            _out(selectors.appointment_visible_to(user=request.user, appointment_id=appointment_id))
        )


class AppointmentCancelView(APIView):
    @extend_schema(request=CancelInput, responses={200: AppointmentSerializer})
    def post(self, request: Request, appointment_id: str) -> Response:
        data = _valid(CancelInput, request.data)
        appointment = services.appointment_cancel(
            actor=request.user, appointment_id=appointment_id, reason=data.get("reason", "")
        )
        return Response(_out(appointment))


class AppointmentRescheduleView(APIView):
    @extend_schema(request=RescheduleInput, responses={200: AppointmentSerializer})
    def post(self, request: Request, appointment_id: str) -> Response:
        """Move to another slot; answers the new appointment (`rescheduled_from` the old)."""
        data = _valid(RescheduleInput, request.data)
        appointment = services.appointment_reschedule(
            actor=request.user, appointment_id=appointment_id, start=data["start"]
        )
        return Response(_out(appointment))


class AppointmentCheckInView(APIView):
    @extend_schema(request=None, responses={200: AppointmentSerializer})
    def post(self, request: Request, appointment_id: str) -> Response:
        appointment = services.appointment_check_in(
            actor=request.user, appointment_id=appointment_id
        )
        return Response(_out(appointment))


class AppointmentNoShowView(APIView):
    @extend_schema(request=None, responses={200: AppointmentSerializer})
    def post(self, request: Request, appointment_id: str) -> Response:
        appointment = services.appointment_mark_no_show(
            actor=request.user, appointment_id=appointment_id
        )
        return Response(_out(appointment))


class AppointmentCompleteView(APIView):
    @extend_schema(request=None, responses={200: AppointmentSerializer})
    def post(self, request: Request, appointment_id: str) -> Response:
        appointment = services.appointment_complete(
            actor=request.user, appointment_id=appointment_id
        )
        return Response(_out(appointment))


# --- availability -----------------------------------------------------------------------------


def _schedule_owner(request: Request) -> User:
    """The doctor whose schedule this is: yourself, or `?doctor=` for staff."""
    user = request.user
    wanted = request.query_params.get("doctor")
    if user.is_clinic_staff and wanted:
        return selectors.doctor_get(doctor_id=wanted)
    if user.is_doctor:
        return user
    raise NotAllowed("Only doctors (or staff with ?doctor=) have a schedule.")


def _availability(doctor: User) -> dict[str, Any]:
    schedule = selectors.schedule_of(doctor=doctor)
    today = timezone.now().astimezone(selectors.doctor_time_zone(doctor=doctor)).date()
    return {
        "doctor": str(doctor.pk),
        "time_zone": str(selectors.doctor_time_zone(doctor=doctor)),
        **ScheduleSerializer(schedule).data,
        "periods": PeriodSerializer(
            [{"weekday": p.weekday, "start": p.start, "end": p.end}
             for p in selectors.periods_of(doctor=doctor)],
            many=True,
        ).data,
        "overrides": OverrideSerializer(
            doctor.availability_overrides.filter(date__gte=today)[:500], many=True
        ).data,
    }


class AvailabilityView(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        """The doctor's weekly periods, settings and upcoming overrides."""
        return Response(_availability(_schedule_owner(request)))

    @extend_schema(request=AvailabilityInput, responses={200: dict})
    def put(self, request: Request) -> Response:
        """Change settings (any subset) and, if `periods` is given, replace the weekly periods."""
        doctor = _schedule_owner(request)
        data = dict(_valid(AvailabilityInput, request.data))
        periods = data.pop("periods", None)
        services.availability_update(
            actor=request.user, doctor=doctor, settings_values=data, periods=periods
        )
        return Response(_availability(doctor))


class AvailabilityOverrideView(APIView):
    @extend_schema(request=OverrideSerializer, responses={201: dict})
    def post(self, request: Request) -> Response:
        """Add time off (whole day without times) or extra hours on a date."""
        doctor = _schedule_owner(request)
        data = _valid(OverrideSerializer, request.data)
        override, affected = services.availability_override_add(
            actor=request.user, doctor=doctor, day=data["date"], kind=data["kind"],
            start_time=data.get("start_time"), end_time=data.get("end_time"),
        )
        return Response(
            {**OverrideSerializer(override).data, "affected_appointments": affected},
            status=status.HTTP_201_CREATED,
        )


class AvailabilityOverrideDetailView(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, override_id: str) -> Response:
        services.availability_override_remove(
            actor=request.user, doctor=_schedule_owner(request), override_id=override_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- waitlist ---------------------------------------------------------------------------------


class WaitlistView(APIView):
    @extend_schema(request=None, responses={201: WaitlistEntrySerializer})
    def post(self, request: Request, doctor_id: str) -> Response:
        """Join the doctor's waitlist (patients); joining twice changes nothing."""
        entry, created = services.waitlist_join(patient=request.user, doctor_id=doctor_id)
        return Response(
            WaitlistEntrySerializer(entry).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, doctor_id: str) -> Response:
        services.waitlist_leave(patient=request.user, doctor_id=doctor_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyWaitlistView(APIView):
    @extend_schema(responses={200: WaitlistEntrySerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The waitlists you are on."""
        entries = selectors.waitlist_of_patient(patient=request.user)
        return Response({"waitlist": WaitlistEntrySerializer(entries, many=True).data})


# --- iCalendar feed ---------------------------------------------------------------------------


class QueryOrHeaderTokenAuthentication(TokenAuthentication):
    """The API token from the header, or from `?token=` for calendar apps that send no headers.

    WARNING: a token in a URL can end up in proxy logs and calendar-sync services; it is
    accepted on this one read-only endpoint only.
    """

    def authenticate(self, request: Request) -> Any:
        header = super().authenticate(request)
        if header is not None:
            return header
        token = request.query_params.get("token")
        if token and len(token) <= 64:
            return self.authenticate_credentials(token)
        return None


class QueryOrHeaderTokenScheme(OpenApiAuthenticationExtension):
    target_class = "appointments.views.QueryOrHeaderTokenAuthentication"
    name = "tokenInQuery"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "query", "name": "token"}


class ICalendarRenderer(BaseRenderer):
    """Lets calendar apps that send `Accept: text/calendar` through content negotiation."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes | str):
            return data.encode() if isinstance(data, str) else data
        return json.dumps(data).encode()  # an error body


class CalendarFeedView(APIView):
    authentication_classes = [QueryOrHeaderTokenAuthentication]
    renderer_classes = [JSONRenderer, ICalendarRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("token", str, required=False)],
        responses={(200, "text/calendar"): str},
    )
    def get(self, request: Request, doctor_id: str) -> HttpResponse:
        """The doctor's appointments (last 30 days onward) as an iCalendar feed; theirs only.

        Events carry no patient name or reason: calendar apps copy feeds to third parties.
        """
        doctor = selectors.doctor_get(doctor_id=doctor_id)
        if request.user.pk != doctor.pk:
            raise NotAllowed("Only the doctor reads their calendar feed.")
        now = timezone.now()
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//Telepresence//appointments//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"Appointments of {doctor.display_name}")
        calendar.add("x-wr-timezone", str(selectors.doctor_time_zone(doctor=doctor)))
        for appointment in selectors.doctor_calendar(doctor=doctor, since=now - timedelta(days=30)):
            event = icalendar.Event()
            event.add("uid", f"{appointment.pk}@telepresence")
            event.add("dtstamp", appointment.updated_at)
            event.add("dtstart", appointment.start)
            event.add("dtend", appointment.end)
            event.add("summary", "Appointment" if appointment.is_active
                      else f"Appointment ({appointment.get_status_display().lower()})")
            event.add("status", "CANCELLED" if appointment.status == "cancelled" else "CONFIRMED")
            event.add("description", f"Telepresence appointment {appointment.pk}")
            calendar.add_component(event)
        response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="appointments.ics"'
        response["Cache-Control"] = "private, no-store"
        return response
