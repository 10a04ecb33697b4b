"""The portal's own `manage.py check --deploy` checks, beside Django's."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def site_url_uses_https(app_configs, **kwargs) -> list[Warning]:
    # SITE_URL makes the links in emails; with the portal on HTTPS, a plain-HTTP link only gets redirected, and
    # over a network it sends the person's first request, and the request's number, in the clear.
    if getattr(settings, "HTTPS", False) and urlsplit(settings.SITE_URL).scheme != "https":
        return [
            Warning(
                f"SITE_URL ({settings.SITE_URL}) is not an https:// address while HTTPS is on: links in emails "
                "would use plain HTTP.",
                hint="Set SITE_URL to the portal's public https:// address.",
                id="portal.W001",
            )
        ]
    return []
