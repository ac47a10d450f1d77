"""The one ASGI application: HTTP through Django, WebSockets on /ws/ through Channels."""
from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telepresence.settings")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: these modules touch models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from accounts.middleware import TicketOrSessionAuthMiddleware  # noqa: E402
from presence.consumers import GatewayConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TicketOrSessionAuthMiddleware(
            URLRouter([path("ws/", GatewayConsumer.as_asgi())])
        ),
    }
)
