from django.urls import path

from . import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/ws-ticket/", views.WsTicketView.as_view(), name="auth-ws-ticket"),
    path("me/", views.MeView.as_view(), name="me"),
]
