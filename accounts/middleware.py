"""A signed-in person's own language and time zone, from their profile, for everything the request renders."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


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
