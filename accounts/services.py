"""Every change to people and their credentials goes through here."""
from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from rest_framework.authtoken.models import Token

from telepresence.redis import get_async_redis, get_redis, key

from .models import DoctorProfile, PatientProfile, User


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    profile: dict[str, Any] | None = None,
) -> User:
    """Create a user of a role with the profile that role needs; staff get admin access."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        is_staff=role == User.Role.STAFF,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    profile_ensure(user=user, **(profile or {}))
    return user


def profile_ensure(*, user: User, **fields: Any) -> None:
    """Give a doctor or patient their profile (once); other roles have none."""
    if user.role == User.Role.DOCTOR:
        DoctorProfile.objects.update_or_create(user=user, defaults=fields)
    elif user.role == User.Role.PATIENT:
        PatientProfile.objects.update_or_create(user=user, defaults=fields)


def token_issue(*, user: User) -> Token:
    token, _ = Token.objects.get_or_create(user=user)
    return token


def token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()


def _ticket_key(ticket: str) -> str:
    return key("ws-ticket", ticket)


def ws_ticket_issue(*, user: User) -> str:
    """A random single-use ticket that stands for the user on one WebSocket connect.

    It lives in Redis with a TTL, so expiry needs no clean-up job; no long-lived token ever has
    to travel in a WebSocket URL (where proxies and browser history would keep it).
    """
    ticket = secrets.token_urlsafe(32)
    get_redis().set(_ticket_key(ticket), str(user.pk), ex=settings.WS_TICKET_TTL_SECONDS)
    return ticket


async def ws_ticket_redeem(*, ticket: str) -> str | None:
    """The user id the ticket stands for, or None; the ticket is gone afterwards either way.

    GET and DELETE run in one MULTI so that two connects racing with one ticket cannot both win.
    """
    if not ticket or len(ticket) > 128:
        return None
    async with get_async_redis().pipeline(transaction=True) as pipe:
        pipe.get(_ticket_key(ticket))
        pipe.delete(_ticket_key(ticket))
        user_id, _ = await pipe.execute()
    return user_id
