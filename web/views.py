"""The pages: thin views that check the role and hand the page its start-up data.

Everything live happens in the browser through static/telepresence/presence-client.js, with the
user's API token: the same API and event stream as the mobile apps.
"""
from __future__ import annotations

from collections.abc import Callable
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.services import token_issue

from .selectors import page_boot

SIGN_IN = "web:signin"


def page_for(user: User) -> str:
    if user.is_clinic_staff:
        return reverse("web:staff")
    if user.is_doctor:
        return reverse("web:doctor")
    return reverse("web:patient")


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(SIGN_IN)
    return redirect(page_for(request.user))


class SignInView(LoginView):
    template_name = "web/signin.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return page_for(self.request.user)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    # Ends this browser's session only: the user's phone keeps its token.
    logout(request)
    return redirect(SIGN_IN)


def _page(name: str, allowed: Callable[[User], bool]) -> Callable[[HttpRequest], HttpResponse]:
    @never_cache  # the page carries the user's token
    @login_required(login_url=SIGN_IN)
    def view(request: HttpRequest) -> HttpResponse:
        user = request.user
        if not allowed(user):
            return HttpResponseRedirect(page_for(user))
        boot = page_boot(user=user, token=token_issue(user=user).key, page=name)
        return render(request, f"web/{name}.html", {"boot": boot, "page": name})

    view.__name__ = f"{name}_page"
    return view


patient_page = _page("patient", lambda user: user.is_patient and not user.is_clinic_staff)
doctor_page = _page("doctor", lambda user: user.is_doctor)
staff_page = _page("staff", lambda user: user.is_clinic_staff)
