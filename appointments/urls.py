from django.urls import path

from . import views

urlpatterns = [
    path("doctors/", views.DoctorListView.as_view(), name="doctor-list"),
    path("doctors/<str:doctor_id>/slots/", views.DoctorSlotsView.as_view(), name="doctor-slots"),
    path(
        "doctors/<str:doctor_id>/calendar.ics",
        views.CalendarFeedView.as_view(),
        name="doctor-calendar",
    ),
    path("doctors/<str:doctor_id>/waitlist/", views.WaitlistView.as_view(), name="doctor-waitlist"),
    path("waitlist/", views.MyWaitlistView.as_view(), name="my-waitlist"),
    path("appointments/", views.AppointmentListView.as_view(), name="appointment-list"),
    path(
        "appointments/<str:appointment_id>/",
        views.AppointmentDetailView.as_view(),
        name="appointment-detail",
    ),
    path(
        "appointments/<str:appointment_id>/cancel/",
        views.AppointmentCancelView.as_view(),
        name="appointment-cancel",
    ),
    path(
        "appointments/<str:appointment_id>/reschedule/",
        views.AppointmentRescheduleView.as_view(),
        name="appointment-reschedule",
    ),
    path(
        "appointments/<str:appointment_id>/check-in/",
        views.AppointmentCheckInView.as_view(),
        name="appointment-check-in",
    ),
    path(
        "appointments/<str:appointment_id>/no-show/",
        views.AppointmentNoShowView.as_view(),
        name="appointment-no-show",
    ),
    path(
        "appointments/<str:appointment_id>/complete/",
        views.AppointmentCompleteView.as_view(),
        name="appointment-complete",
    ),
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    path(
        "availability/overrides/",
        views.AvailabilityOverrideView.as_view(),
        name="availability-overrides",
    ),
    path(
        "availability/overrides/<str:override_id>/",
        views.AvailabilityOverrideDetailView.as_view(),
        name="availability-override-detail",
    ),
]
