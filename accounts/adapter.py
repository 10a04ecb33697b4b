from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User


class PortalAccountAdapter(DefaultAccountAdapter):
    """Accounts are made by site admins; nobody signs themselves up. allauth's emails (password links) go out
    in the recipient's own language when they have chosen one, whoever asked for the email."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        person = User.objects.filter(email__iexact=email).only("language").first()
        language = (person.language if person else "") or translation.get_language() or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject: str) -> str:
        # Translators: the prefix of the subject of sign-in emails (password links).
        return gettext("[Support] %(subject)s") % {"subject": subject}
