"""A signed-in person's own language and time zone, from their profile, for everything the request renders."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _


class PersonalPreferencesMiddleware:
    """Runs after authentication. LocaleMiddleware has already chosen from the cookie or Accept-Language; a
    person's saved language replaces that choice, and their time zone applies to every date on the page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        zone = user.time_zone if user.is_authenticated else ""
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def remember_language(sender, request: HttpRequest, user, **kwargs) -> None:
    """At a person's first sign-in, keep the language their browser (or the header switch) chose, so their
    emails are in it too. A saved choice is never overwritten here."""
    if user.language or request is None:
        return
    language = translation.get_language_from_request(request)
    if language in dict(settings.LANGUAGES):
        user.language = language
        user.save(update_fields=["language"])


class StaffTwoFactorMiddleware:
    """With `MFA_REQUIRED_FOR_STAFF`, an agent or site admin without an authenticator app gets only the pages
    that let them add one (and sign out) until they have: every other page, the admin's included, sends them to
    the TOTP set-up. Agents see every organisation's requests, so a stolen password alone must not be enough."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.MFA_REQUIRED_FOR_STAFF and self._must_enrol(request):
            if request.method == "GET":
                messages.warning(request, _("Set up two-factor authentication to continue: support staff need it."))
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return False
        allowed = (reverse("mfa_index"), reverse("account_logout"), reverse("account_reauthenticate"))
        if request.path.startswith(allowed):
            return False
        return not is_mfa_enabled(user, [Authenticator.Type.TOTP])
