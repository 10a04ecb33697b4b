"""`tickets.dates.format_datetime` and the tags built on it give exactly what Django's `date` filter gives."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import formats, timezone, translation
from django.utils.dateformat import format as django_format

from tickets.dates import compile_format, format_datetime

LANGUAGES = [code for code, _name in settings.LANGUAGES]
FORMATS = ["DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "TIME_FORMAT"]
ZONES = ["UTC", "Europe/Berlin", "America/Mexico_City", "Asia/Jakarta", "Asia/Tokyo", "Asia/Seoul"]


def moments() -> list[datetime]:
    """Every month and weekday, midnight, noon, both sides of them, and both sides of a DST change."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    found = [start + timedelta(days=31 * month + day, hours=hour, minutes=minute, microseconds=123456)
             for month in range(12) for day in (0, 3) for hour in (0, 11, 12, 13, 23) for minute in (0, 7)]  # fmt: skip
    return [*found, datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, 1, tzinfo=UTC)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_gives_the_date_filters_text_in_every_language(language):
    with translation.override(language):
        for zone in ZONES:
            with timezone.override(zoneinfo.ZoneInfo(zone)):
                for moment in moments():
                    local = timezone.localtime(moment)
                    for name in FORMATS:
                        assert format_datetime(local, name) == formats.date_format(local, name), (zone, name, moment)


@pytest.mark.parametrize("format_string", ["c", "r", "U", "e", "T", "O", "Z", "I", r"j \d\e F Y, P", "D, l N jS y"])
def test_any_format_string_gives_djangos_text(format_string):
    moment = timezone.localtime(datetime(2026, 7, 4, 12, 0, 5, tzinfo=UTC), zoneinfo.ZoneInfo("Europe/Berlin"))
    with translation.override("de"):
        assert compile_format(format_string)(moment) == django_format(moment, format_string)


@pytest.mark.parametrize("language", LANGUAGES)
def test_exact_time_is_the_two_date_filters_in_a_time_element(language):
    moment = datetime(2026, 11, 30, 23, 45, 1, 5, tzinfo=UTC)
    context = Context({"moment": moment})
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo("Asia/Seoul")):
        ours = Template("{% load portal %}{% exact_time moment %}").render(context)
        django = Template("""<time datetime="{{ moment|date:'c' }}">{{ moment|date:"DATETIME_FORMAT" }}</time>""")
        assert ours == django.render(context)


def test_exact_time_of_nothing_is_an_empty_time_element():
    assert Template("{% load portal %}{% exact_time None %}").render(Context()) == '<time datetime=""></time>'


def test_the_kept_texts_follow_the_time_zone_and_the_language():
    # The same instant is equal in every zone; its text is not. Each call right after the other, so a text kept
    # for one would be given for the next.
    instant = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    texts = set()
    for zone in ("UTC", "Asia/Tokyo", "America/Mexico_City"):
        for language in ("en", "de"):
            local = timezone.localtime(instant, zoneinfo.ZoneInfo(zone))
            with translation.override(language):
                text = format_datetime(local)
                assert text == formats.date_format(local, "DATETIME_FORMAT")
            texts.add(text)
    assert len(texts) == 6


def test_days_ago_follows_the_language():
    moment = timezone.now() - timedelta(days=3)
    with translation.override("en"):
        english = Template("{% load portal %}{{ moment|days_ago }}").render(Context({"moment": moment}))
    with translation.override("de"):
        german = Template("{% load portal %}{{ moment|days_ago }}").render(Context({"moment": moment}))
    assert english == "3 days ago"
    assert german != english and "3" in german
