from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .health import healthz

api_patterns = [
    path("", include("accounts.urls")),
    path("", include("presence.urls")),
    path("", include("queueing.urls")),
    path("", include("appointments.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("healthz", healthz, name="healthz"),
    path("", include("web.urls")),
]

handler404 = "telepresence.api.handler404"
handler500 = "telepresence.api.handler500"
