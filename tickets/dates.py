"""Django's `date` filter for the portal's named formats, with the format read once per language.

`formats.date_format(value, "DATETIME_FORMAT")` looks the format up and splits it with a regular expression on
every call, and sets up the time zone checks of a full `DateFormat` each time: about 16 µs, and a list of 25
requests shows 50 dates. Here each (language, format) is split once into literal text and specifiers, and a
specifier that does not depend on the time zone is answered by `DateFormat`'s own method, so the text is exactly
the filter's; the text of each wall-clock time is then kept, per language. A format with a time zone specifier
(c, e, I, O, T, Z, r, U) is left to Django whole.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from django.utils import formats, translation
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.dateformat import format as django_format

# Texts kept per format: about the times of a few dozen busy lists.
MEMO_ENTRIES = 4096

# The specifiers whose text depends on the time zone (or that DateFormat resolves through it).
ZONE_SPECIFIERS = frozenset("ceIOTZrU")


def format_datetime(value: datetime, format_name: str = "DATETIME_FORMAT") -> str:
    """`value|date:format_name` for a value already in the viewer's time zone (the filter converts first)."""
    # get_format is a dictionary look-up once Django has cached the language's format.
    return compile_format(str(formats.get_format(format_name)))(value)


@lru_cache(maxsize=128)
def compile_format(format_string: str) -> Callable[[datetime], str]:
    """A function giving `dateformat.format(value, format_string)` for any datetime."""
    pieces: list[tuple[bool, str]] = []  # (is a specifier, the specifier or the literal text)
    for i, piece in enumerate(re_formatchars.split(format_string)):
        if i % 2:
            pieces.append((True, piece))
        elif piece:
            pieces.append((False, re_escaped.sub(r"\1", piece)))
    if any(is_specifier and piece in ZONE_SPECIFIERS for is_specifier, piece in pieces):
        return lambda value: django_format(value, format_string)

    @lru_cache(maxsize=MEMO_ENTRIES)
    def format_wall_time(wall: datetime, language: str | None) -> str:
        # DateFormat without __init__: its time zone checks only serve the specifiers excluded above.
        formatter = DateFormat.__new__(DateFormat)
        formatter.data = wall
        formatter.timezone = None
        return "".join(str(getattr(formatter, piece)()) if is_specifier else piece for is_specifier, piece in pieces)

    def format_value(value: datetime) -> str:
        # Kept by wall-clock time and language: month names and "a.m." are translated on every call otherwise,
        # and a list shows the same times again and again. Not by the aware value, which equals the same instant
        # in every other time zone.
        return format_wall_time(value.replace(tzinfo=None), translation.get_language())

    return format_value
