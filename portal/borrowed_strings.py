"""Strings of Django and allauth that their own catalogues do not translate yet in some of our languages.

Listing them here puts them in the portal's catalogues, which take precedence (LOCALE_PATHS), so no English
slips into a translated page. When a dependency's catalogue catches up, the entry may go.
"""

from django.utils.translation import gettext_noop

BORROWED = [
    gettext_noop("- Select an option -"),  # Django 6.1's empty choice in model forms
]
