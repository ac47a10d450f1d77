from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signout/", views.sign_out, name="signout"),
    path("patient/", views.patient_page, name="patient"),
    path("doctor/", views.doctor_page, name="doctor"),
    path("staff/", views.staff_page, name="staff"),
]
