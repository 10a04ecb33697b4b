"""The translation catalogues are complete, consistent with the code, and compile (issue #9 point 1)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

LOCALE = Path(settings.LOCALE_PATHS[0])
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\{\s*[\w.]+\s*\}\}")


def catalogue(language: str) -> polib.POFile:
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"no catalogue for {language}: {path}"
    return polib.pofile(str(path))


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    po = catalogue(language)
    assert len(po) > 300, "the catalogue looks truncated"
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    obsolete = [entry.msgid for entry in po.obsolete_entries()]
    assert not untranslated, f"{language}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{language}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    assert not obsolete, f"{language}: {len(obsolete)} obsolete entries; run make messages"
    assert po.metadata.get("Plural-Forms"), f"{language}: no Plural-Forms header"


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_survive_translation(language):
    wrong = []
    for entry in catalogue(language).translated_entries():
        expected = placeholders(entry.msgid)
        if entry.msgid_plural:
            # A language with one form (ja, ko, id) may drop the count from the singular sentence only.
            for form in entry.msgstr_plural.values():
                if placeholders(form) != placeholders(entry.msgid_plural):
                    wrong.append((entry.msgid_plural, form))
        elif placeholders(entry.msgstr) != expected:
            wrong.append((entry.msgid, entry.msgstr))
    assert not wrong, f"{language}: placeholders differ in {len(wrong)} entries: {wrong[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_html_in_translations_matches_the_source(language):
    tag = re.compile(r"</?[a-z]+[^>]*>")
    wrong = [
        (entry.msgid, entry.msgstr)
        for entry in catalogue(language).translated_entries()
        if not entry.msgid_plural and sorted(tag.findall(entry.msgid)) != sorted(tag.findall(entry.msgstr))
    ]
    assert not wrong, f"{language}: markup differs in {wrong[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_one_in_use(language):
    # compile_catalogues ran before the suite (make test); a stale .mo would make this differ.
    po = catalogue(language)
    entry = next(entry for entry in po.translated_entries() if not entry.msgid_plural and "%" not in entry.msgid)
    with translation.override(language):
        assert gettext(entry.msgid) == entry.msgstr


def test_compile_catalogues_writes_mo_files(tmp_path, settings):
    for language in TRANSLATED:
        folder = tmp_path / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        shutil.copy(LOCALE / language / "LC_MESSAGES" / "django.po", folder)
    settings.LOCALE_PATHS = [tmp_path]
    call_command("compile_catalogues", verbosity=0)
    for language in TRANSLATED:
        mo = polib.mofile(str(tmp_path / language / "LC_MESSAGES" / "django.mo"))
        compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural for entry in mo}
        source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in catalogue(language).translated_entries()}
        assert compiled == source, language
        assert mo.metadata["Plural-Forms"] == catalogue(language).metadata["Plural-Forms"]


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs GNU gettext's xgettext (CI has it)")
def test_the_catalogues_hold_every_string_of_the_code(tmp_path):
    """Extract the strings again in a scratch copy of the project (makemessages writes next to the sources, so
    never in place): nothing new may appear and nothing may vanish."""
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "project"
    copy.mkdir()
    skip = shutil.ignore_patterns(".venv", "node_modules", "var", "__pycache__", "*.mo", ".git", "tests")
    for name in ["manage.py", "portal", "accounts", "tickets", "workflow", "templates", "static", "locale"]:
        source = root / name
        (shutil.copytree if source.is_dir() else shutil.copy)(
            source, copy / name, **({"ignore": skip} if source.is_dir() else {})
        )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "de", "--no-obsolete", "--add-location=file", "-v", "0"],
        cwd=copy,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"},
    )
    fresh = {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(copy / "locale/de/LC_MESSAGES/django.po"))}
    committed = {(entry.msgctxt, entry.msgid) for entry in catalogue("de")}
    assert not fresh - committed, (
        f"strings missing from the catalogues (run make messages): {sorted(fresh - committed)[:10]}"
    )
    assert not committed - fresh, f"strings no longer in the code: {sorted(committed - fresh)[:10]}"
    for language in TRANSLATED:
        assert {(entry.msgctxt, entry.msgid) for entry in catalogue(language)} == committed, language
