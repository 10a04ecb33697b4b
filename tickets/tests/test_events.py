from __future__ import annotations

import pytest

from tickets.models import EventKind, TicketEvent


def test_events_cannot_be_rewritten(cast):
    event = TicketEvent.objects.create(ticket=cast.ticket, kind=EventKind.STATUS, from_value="open", to_value="solved")
    event.to_value = "on_hold"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        TicketEvent.objects.filter(pk=event.pk).update(to_value="on_hold")
    event.refresh_from_db()
    assert event.to_value == "solved"
