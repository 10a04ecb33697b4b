"""Compile the portal's translation catalogues (locale/*/LC_MESSAGES/django.po) into the .mo files gettext reads.

Django's own compilemessages needs GNU gettext's msgfmt; this needs nothing beyond requirements.txt, so
`make run` works on a machine with only Python and make. Fuzzy and untranslated entries are left out of the
.mo (gettext's rule), and the test suite refuses catalogues that have any.
"""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile locale/<language>/LC_MESSAGES/django.po into django.mo (only when the .po is newer)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Compile even when the .mo is up to date.")

    def handle(self, *args, force: bool = False, **options) -> None:
        sources = [path for root in settings.LOCALE_PATHS for path in sorted(Path(root).glob("*/LC_MESSAGES/*.po"))]
        if not sources:
            raise CommandError(f"No catalogues found under {', '.join(map(str, settings.LOCALE_PATHS))}.")
        compiled = 0
        for source in sources:
            target = source.with_suffix(".mo")
            if not force and target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
                continue
            try:
                catalogue = polib.pofile(str(source))
            except (OSError, ValueError) as error:
                raise CommandError(f"{source}: {error}") from error
            catalogue.save_as_mofile(str(target))
            compiled += 1
        self.stdout.write(f"{compiled} of {len(sources)} catalogues compiled.")
