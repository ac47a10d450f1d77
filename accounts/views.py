"""Sign-in, the current user, and WebSocket tickets."""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from . import services
from .serializers import LoginSerializer, TicketSerializer, TokenSerializer, UserSerializer

logger = logging.getLogger(__name__)


class LoginThrottle(AnonRateThrottle):
    rate = "30/min"


class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginThrottle]

    @extend_schema(request=LoginSerializer, responses={200: TokenSerializer})
    def post(self, request: Request) -> Response:
        credentials = LoginSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(request._request, **credentials.validated_data)
        if user is None:
            logger.info("sign-in refused")  # no username: it may be personal data
            return Response(
                {"code": "invalid_credentials", "detail": "Wrong username or password."},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        token = services.token_issue(user=user)
        return Response({"token": token.key, "user": UserSerializer(user).data})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        """Sign out everywhere: the token stops working at once."""
        result = TokenAuthentication().authenticate(request)
        if result is None:
            return Response(
                {"code": "not_authenticated", "detail": "Send the token to revoke."},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        services.token_revoke(user=result[0])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)


class WsTicketView(APIView):
    @extend_schema(request=None, responses={200: TicketSerializer})
    def post(self, request: Request) -> Response:
        ticket = services.ws_ticket_issue(user=request.user)
        return Response(
            {"ticket": ticket, "expires_in": settings.WS_TICKET_TTL_SECONDS}
        )
