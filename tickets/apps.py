from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Support requests")

    def ready(self) -> None:
        from tickets import thread  # noqa: F401 - connects what changes a conversation to its kept copy
