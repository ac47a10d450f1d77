"""The waiting room's HTTP API: thin adapters from requests to services and selectors."""
from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from presence.selectors import presence_of
from telepresence.errors import DomainError, Forbidden, Invalid

from . import events, selectors, services
from .models import QueueEntry
from .serializers import (
    QueueEntryForDoctorSerializer,
    QueueEntryForPatientSerializer,
    QueueJoinSerializer,
    QueueSerializer,
    QueueTransferSerializer,
    QueueUrgencySerializer,
)

logger = logging.getLogger(__name__)


class QueueAPIView(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        # Refusals are logged by code only: never the reason or anything a patient typed.
        if isinstance(exc, DomainError):
            logger.info("queue %s refused: %s", type(self).__name__, exc.code)
        elif getattr(exc, "status_code", 500) < 500:
            logger.info("queue %s refused: %s", type(self).__name__, type(exc).__name__)
        return super().handle_exception(exc)


def _for_viewer(user: User, entry: QueueEntry, spot: selectors.LineSpot | None, now: Any) -> dict:
    """The entry in the shape this viewer may see."""
    if user.is_doctor or user.is_clinic_staff:
        presence = presence_of(user_ids=[entry.patient_id]).get(str(entry.patient_id))
        return events.entry_for_doctor(entry, presence=presence, spot=spot, now=now)
    return events.entry_for_patient(entry, spot=spot)


LIST_LIMIT_DEFAULT = 500
LIST_LIMIT_MAX = 2_000


def _limit(raw: str | None) -> int:
    if raw in (None, ""):
        return LIST_LIMIT_DEFAULT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise Invalid(f"`limit` is a whole number from 1 to {LIST_LIMIT_MAX}.", code="bad_limit")
    return limit


class QueuesView(QueueAPIView):
    @extend_schema(responses={200: QueueSerializer(many=True)})
    def get(self, request: Request) -> Response:
        queues = selectors.queues_list()
        return Response(
            [
                {
                    "id": str(q.pk), "name": q.name, "slug": q.slug,
                    "specialty": q.specialty, "is_default": q.is_default,
                }
                for q in queues
            ]
        )


class EntriesView(QueueAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("queue", str, description="Doctors and staff: one queue (id or slug)."),
            OpenApiParameter(
                "limit", int, description=f"Doctors and staff: at most this many, best first "
                f"(default {LIST_LIMIT_DEFAULT}, at most {LIST_LIMIT_MAX})."
            ),
        ],
        responses={200: QueueEntryForDoctorSerializer(many=True)},
        description="Doctors: the active entries they may take, in order, each with the patient's "
        "presence. Staff: every queue. Patients: a list holding only their own active entry.",
    )
    def get(self, request: Request) -> Response:
        user = request.user
        now = timezone.now()
        if not (user.is_doctor or user.is_clinic_staff):
            entry = selectors.entry_active_for_patient(patient_id=user.pk)
            if entry is None:
                return Response([])
            return Response([events.entry_for_patient(entry, spot=selectors.entry_spot(entry=entry, now=now))])
        ref = request.query_params.get("queue")
        queue = selectors.queue_resolve(ref=ref) if ref else None
        limit = _limit(request.query_params.get("limit"))
        rows = selectors.entries_in_order(user=user, now=now, queue=queue)[:limit]
        presence = presence_of(user_ids=[entry.patient_id for entry, _ in rows])
        return Response(
            [
                events.entry_for_doctor(
                    entry, presence=presence.get(str(entry.patient_id)), spot=spot, now=now
                )
                for entry, spot in rows
            ]
        )

    @extend_schema(request=QueueJoinSerializer, responses={201: QueueEntryForPatientSerializer})
    def post(self, request: Request) -> Response:
        data = QueueJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.queue_entry_join(
            patient=request.user,
            reason=data.validated_data["reason"],
            queue_ref=data.validated_data.get("queue") or None,
        )
        entry = selectors.entry_get_for(user=request.user, entry_id=entry.pk)
        spot = selectors.entry_spot(entry=entry, now=timezone.now())
        return Response(events.entry_for_patient(entry, spot=spot), status=status.HTTP_201_CREATED)


class EntryView(QueueAPIView):
    @extend_schema(responses={200: QueueEntryForDoctorSerializer})
    def get(self, request: Request, entry_id: str) -> Response:
        now = timezone.now()
        entry = selectors.entry_get_for(user=request.user, entry_id=entry_id)
        return Response(_for_viewer(request.user, entry, selectors.entry_spot(entry=entry, now=now), now))

    @extend_schema(request=QueueUrgencySerializer, responses={200: QueueEntryForDoctorSerializer})
    def patch(self, request: Request, entry_id: str) -> Response:
        user = request.user
        if not (user.is_doctor or user.is_clinic_staff):
            selectors.entry_get_for(user=user, entry_id=entry_id)  # 404 for others' entries
            raise services.CliniciansOnly()
        data = QueueUrgencySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.queue_entry_set_urgency(
            entry_id=entry_id, actor=user, urgency=data.validated_data["urgency"]
        )
        now = timezone.now()
        return Response(_for_viewer(user, entry, selectors.entry_spot(entry=entry, now=now), now))


class EntryActionView(QueueAPIView):
    """POST /api/queue/entries/<id>/<action>/: one service per action."""

    action: str = ""
    actions = {
        "claim": lambda user, entry_id: services.queue_entry_claim(entry_id=entry_id, doctor=user),
        "start": lambda user, entry_id: services.queue_entry_start(entry_id=entry_id, doctor=user),
        "complete": lambda user, entry_id: services.queue_entry_complete(
            entry_id=entry_id, doctor=user
        ),
        "release": lambda user, entry_id: services.queue_entry_release(
            entry_id=entry_id, doctor=user
        ),
        "leave": lambda user, entry_id: services.queue_entry_leave(entry_id=entry_id, patient=user),
        "remove": lambda user, entry_id: services.queue_entry_remove(entry_id=entry_id, actor=user),
    }

    @extend_schema(request=None, responses={200: QueueEntryForDoctorSerializer})
    def post(self, request: Request, entry_id: str) -> Response:
        entry = self.actions[self.action](request.user, entry_id)
        now = timezone.now()
        return Response(_for_viewer(request.user, entry, selectors.entry_spot(entry=entry, now=now), now))


class TransferView(QueueAPIView):
    @extend_schema(request=QueueTransferSerializer, responses={200: QueueEntryForDoctorSerializer})
    def post(self, request: Request, entry_id: str) -> Response:
        data = QueueTransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.queue_entry_transfer(
            entry_id=entry_id, actor=request.user, queue_ref=data.validated_data["queue"]
        )
        now = timezone.now()
        return Response(_for_viewer(request.user, entry, selectors.entry_spot(entry=entry, now=now), now))


class NextView(QueueAPIView):
    @extend_schema(request=None, responses={200: QueueEntryForDoctorSerializer, 204: None})
    def post(self, request: Request) -> Response:
        entry = services.queue_entry_next(doctor=request.user)
        if entry is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_for_viewer(request.user, entry, None, timezone.now()))


class StatsView(QueueAPIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        user = request.user
        if not (user.is_doctor or user.is_clinic_staff):
            raise Forbidden("Queue statistics are for doctors and staff.", code="clinicians_only")
        return Response(selectors.queue_stats(viewer=user, now=timezone.now()))
