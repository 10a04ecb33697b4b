"""Every page of the portal, in every language it is translated into, shows no English UI text (SPEC §12).

Each page of the table below is rendered with the test client as the persona who uses it, in one language (the
person's saved language and the browser's Accept-Language both ask for it) and once more in English. What a
person sees or hears of it is extracted (text outside <script>/<style>, and the attributes that are shown or
read out), the data the test itself put in is cut out, and three checks run on what is left:

A. Catalogue: no English msgid (or msgid_plural) of an entry the language translates differently appears; the
   msgids are cut at their placeholders and tags, and only fragments of two words or eight letters count. This
   catches a string that is in the catalogue but reaches the page untranslated (untranslated or fuzzy entries,
   text stored or evaluated in another language, a template that renders its own copy of the English).
B. Script, for Japanese and Korean: the page has no Latin word (two letters or more) outside a short allow-list.
   This catches English the catalogue does not know (a string never marked for translation).
C. Baseline: the page differs from the same page in English, and its <html lang> is the language.

An entry a language deliberately keeps in English (the Japanese source document keeps the English status labels,
the Indonesian one "Tolerable" and "Question") is not a leak. Test data (names, emails, organisations,
subjects, messages, file names) is non-English and is collected as it is made, so it can be cut out exactly.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import polib
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts import actions as access
from accounts.models import User
from portal.tests.factories import (
    OrganisationAccessFactory,
    OrganisationFactory,
    StaffFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Reply, Ticket
from workflow import actions, chat
from workflow.models import InboundEmail, OutboundEmail, Priority, Status

BASE_DIR = Path(settings.BASE_DIR)
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
NON_LATIN = {"ja", "ko"}  # where check B applies: any Latin word on the page stands out

# Check B's allow-list: Latin words that belong on a Japanese or Korean page. Keep it short; each says why.
LATIN_ALLOWED = {
    "CC",  # carbon copy: the Japanese source document's own term ("CC 通知"); Korean mail software writes it too
    "ID",  # an identifier, as both source documents write it ("一意の ID", "ID")
    "Markdown",  # the name of the format replies are written in
    "KB",  # units of file sizes, which Django's own Japanese and Korean catalogues keep (filesizeformat)
    "MB",
    "GB",
    "Django",  # Django's own admin header and title: "Django 管理サイト" / "Django 사이트 관리"
}
# Languages are offered under their own names (settings.LANGUAGES), so nobody needs to read English to find theirs.
LATIN_ALLOWED |= {word for _code, name in settings.LANGUAGES for word in re.findall(r"[^\W\d_]{2,}", name)}

# Django's admin writes a few English texts of its own that no catalogue translates. Cut only from admin pages,
# and only as whole texts, so the same words elsewhere still count.
ADMIN_UNTRANSLATED = {
    "True",  # django/contrib/admin/templatetags/admin_list.py, _boolean_icon(): alt="True" on the yes icon
    "False",  # ... alt="False" on the no icon
    "None",  # ... alt="None" on the unknown icon
    "Search",  # django/contrib/admin/templates/admin/search_form.html: <img alt="Search"> (not marked)
}
# ... and Django's own Japanese and Korean admin keep the names of keys: django/contrib/admin/options.py's
# "Hold down “Control”, or “Command” on a Mac, to select more than one." ("Control キー", "Mac は Command キー").
ADMIN_LATIN_ALLOWED = {"Control", "Command", "Mac"}

LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{.*?\}\}|\{%.*?%\}|<[^>]*>")
VISIBLE_ATTRIBUTES = {
    "title",
    "placeholder",
    "aria-label",
    "alt",
    "data-label",  # the column name shown before each cell on narrow screens (tickets.css, ::before)
    "data-not-sent",  # the chat's error texts, shown by chat.js
    "data-offline",
}


# --- Reading a page as a person sees it ------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The texts of a page that a person sees or hears, one per text node or attribute, whitespace collapsed;
    and the page's <html lang>. Scripts, styles and elements hidden outright (the `hidden` attribute, or the
    admin's `hidden` class: `display: none`) are left out."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.lang: str | None = None
        self._hidden_by: str | None = None  # the tag of the outermost hidden element we are in
        self._depth = 0  # how many of that tag are open inside it, itself included
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if self._hidden_by is not None:
            self._depth += tag == self._hidden_by
            return
        if tag in self.VOID and "hidden" not in (attrs.get("class") or "").split() and "hidden" not in attrs:
            self._attributes(tag, attrs)
            return
        if tag in {"script", "style"} or "hidden" in attrs or "hidden" in (attrs.get("class") or "").split():
            if tag not in self.VOID:
                self._hidden_by, self._depth = tag, 1
            return
        self._attributes(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        if self._hidden_by is None and tag in self.VOID:
            self._attributes(tag, dict(attrs))

    def handle_endtag(self, tag):
        if tag == self._hidden_by:
            self._depth -= 1
            if not self._depth:
                self._hidden_by = None

    def handle_data(self, data):
        if self._hidden_by is None:
            self._add(data)

    def _attributes(self, tag: str, attrs: dict) -> None:
        for name in sorted(VISIBLE_ATTRIBUTES & attrs.keys()):
            self._add(attrs[name])
        if tag == "input" and attrs.get("type") in {"submit", "button", "reset"}:
            self._add(attrs.get("value"))

    def _add(self, text: str | None) -> None:
        text = " ".join((text or "").split())
        if text:
            self.texts.append(text)


def _cut(texts: list[str], data: list[str], whole: set[str]) -> list[str]:
    """The texts without the test's data (longest first, so a subject goes before its prefix) and without
    texts that are `whole` exactly."""
    kept = []
    for text in texts:
        if text in whole:
            continue
        for value in data:
            if value in text:
                text = text.replace(value, " ")
        text = " ".join(text.split())
        if text:
            kept.append(text)
    return kept


# --- What the languages say ------------------------------------------------------------------------------


def _catalogue_fragments(language: str) -> tuple[list[tuple[str, str, str]], str]:
    """(fragment, msgid, state) for every entry the language translates differently from its English, and what
    is wrong with the catalogue files if anything. A fragment the language's source document uses verbatim is
    left out."""
    path = BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
    compiled = path.with_suffix(".mo")
    if not path.exists():
        return [], f"{path.relative_to(BASE_DIR)} is missing: the {language} catalogue is not written yet"
    stale = ""
    if not compiled.exists() or compiled.stat().st_mtime < path.stat().st_mtime:
        stale = (
            f"{compiled.relative_to(BASE_DIR)} is missing or older than its .po: run `manage.py compile_catalogues` "
            "(make test does) before this test"
        )
    return _entries(str(path), path.stat().st_mtime), stale


@cache
def _entries(path: str, modified: float) -> list[tuple[str, str, str]]:
    """Read once per version of the file (`modified` is part of the cache key: translators may be at work)."""
    found = []
    entries = [entry for entry in polib.pofile(str(path)) if not entry.obsolete]
    # Deliberately the same as the English (e.g. the Japanese status labels): such a text may appear anywhere,
    # even where it is also a fragment of a longer entry ("[#%(id)s] Awaiting your reply: %(subject)s").
    kept = {entry.msgid for entry in entries if not entry.msgid_plural and entry.msgstr == entry.msgid}
    for entry in entries:
        translations = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        if entry.msgid in kept or all(text in {entry.msgid, entry.msgid_plural} for text in translations):
            continue
        state = "fuzzy" if entry.fuzzy else "translated" if entry.translated() else "untranslated"
        for english in filter(None, [entry.msgid, entry.msgid_plural]):
            for fragment in _fragments(english):
                if fragment not in kept:
                    found.append((fragment, entry.msgid, state))
    return found


def _fragments(msgid: str) -> list[str]:
    """The stretches of English text between placeholders and tags that are long enough to be telling."""
    found = []
    for piece in PLACEHOLDER.split(msgid):
        piece = " ".join(piece.split()).strip(" .,:;!?()[]#–—-\"'“”‘’*_`/→")
        words = re.findall(r"[A-Za-z]+", piece)
        if len(words) >= 2 or sum(len(word) for word in words) >= 8:
            found.append(piece)
    return found


@cache
def _fragment_pattern(fragment: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(fragment)}(?![\w-])")


# Check B for Japanese: the Japanese source document keeps the original English status labels ("Open",
# "Awaiting your reply", "On hold", "Solved" in its ステータス ラベル section), and so does the Japanese portal.
SOURCE_KEEPS_ENGLISH = {"ja": frozenset({"Open", "Awaiting", "your", "reply", "On", "hold", "Solved"})}


def _seed_words(language: str) -> frozenset[str]:
    return SOURCE_KEEPS_ENGLISH.get(language, frozenset())


# --- The world the pages show ----------------------------------------------------------------------------


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"0x1F 0x2A", content_type="text/plain")


@pytest.fixture(scope="module", params=LANGUAGES)
def world(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """The world of one language, built once for all its pages and rolled back after them (each test runs in
    a savepoint of its own inside it)."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        with transaction.atomic():
            yield _build_world(request.param)
            transaction.set_rollback(True)


def _build_world(language: str) -> SimpleNamespace:
    """One organisation's people and requests, built through the actions the portal uses, in `language`
    (people act in their own language: texts the actions store are stored in it). Every value the test writes
    is collected in `data`."""
    data: set[str] = set()

    def keep(*values: str) -> str:
        data.update(values)
        return values[0]

    def person(factory=UserFactory, **fields):
        made = factory(email=keep(fields.pop("email")), full_name=keep(fields.pop("full_name")), **fields)
        keep(made.get_short_name())  # the admin greets people by their first name
        return made

    w = SimpleNamespace(language=language, data=data)
    with translation.override(language):
        now = timezone.now()
        w.org = OrganisationFactory(name=keep("Wijaya Niaga"))
        w.other_org = OrganisationFactory(name=keep("Hanbit Sangsa"))
        w.requester = person(email="rina@wijaya-niaga.example", full_name="Rina Wijaya", organisation=w.org)
        w.colleague = person(email="kenta@wijaya-niaga.example", full_name="Kenta Mori", organisation=w.org)
        w.bystander = person(email="bagus@wijaya-niaga.example", full_name="Bagus Santoso", organisation=w.org)
        w.contact = person(
            email="tomoko@wijaya-niaga.example",
            full_name="Tomoko Hayashi",
            organisation=w.org,
            is_technical_contact=True,
        )
        OrganisationAccessFactory(user=w.contact, organisation=w.org)
        w.org_admin = person(
            email="sari@wijaya-niaga.example", full_name="Sari Lestari", organisation=w.org, is_org_admin=True
        )
        w.org_admin_asked = person(
            email="budi@wijaya-niaga.example", full_name="Budi Hartono", organisation=w.org, is_org_admin=True
        )
        w.contact_asked = person(
            email="dewi@wijaya-niaga.example",
            full_name="Dewi Anggraini",
            organisation=w.org,
            is_technical_contact=True,
        )
        w.outsider = person(email="minho@hanbit.example", full_name="Minho Lee", organisation=w.other_org)
        w.agent = person(StaffFactory, email="yuna@support.example", full_name="Yuna Kang")
        w.agent.groups.add(Group.objects.get(name="Agents"))
        w.admin = person(StaffFactory, email="joon@support.example", full_name="Joon Park", is_superuser=True)
        EmailAddress.objects.create(user=w.requester, email=w.requester.email, verified=True, primary=True)

        # An older request, so that lists say "N days ago" as well as "today".
        TicketFactory(
            requester=w.requester,
            subject=keep("ZX-4409"),
            status=Status.ON_HOLD,
            priority=Priority.S2,
            created_at=now - timedelta(days=3),
            last_activity_at=now - timedelta(days=1),
        )
        # The request the customer's page shows: a description with a file, an agent's public reply, CCs, a chat
        # with its transcript, and then merged into another request of the same people.
        w.ticket = actions.open_request(
            requester=w.requester,
            subject=keep("ZX-4411"),
            body=keep("ZX-4411-R1"),
            priority=Priority.S3,
            ccs=[w.colleague],
            attachments=[_upload(keep("zx-4411.txt"))],
        )
        actions.reply(ticket=w.ticket, author=w.agent, body=keep("ZX-4411-R2"))
        talk = chat.start_chat(customer=w.requester, first_message=keep("ZX-4411-C1"), ticket=w.ticket)
        chat.take_chat(chat=talk, agent=w.agent)
        chat.post(chat=talk, author=w.agent, body=keep("ZX-4411-C2"))
        chat.end_chat(chat=talk, by=w.agent)
        w.target = actions.open_request(
            requester=w.requester,
            subject=keep("ZX-4412"),
            body=keep("ZX-4412-R1"),
            priority=Priority.S4,
            ccs=[w.colleague],
        )
        actions.merge(sources=[w.ticket], target=w.target, actor=w.agent)
        actions.reclassify(ticket=w.target, to=Priority.S2, actor=w.agent, reason=keep("ZX-4412-W1"))
        actions.assign(ticket=w.target, assignee=w.agent, actor=w.agent)
        Reply.objects.create(ticket=w.target, author=w.agent, body=keep("ZX-4412-N1"), is_public=False)
        # Chats: one waiting about the merge target, one a colleague started (a new request) that the agent answers.
        chat.start_chat(customer=w.requester, first_message=keep("ZX-4412-C1"), ticket=w.target)
        w.chat = chat.start_chat(customer=w.colleague, first_message=keep("ZX-4413"))
        chat.take_chat(chat=w.chat, agent=w.agent)
        chat.post(chat=w.chat, author=w.agent, body=keep("ZX-4413-C2"))
        chat.post(chat=w.chat, author=w.colleague, body=keep("ZX-4413-C3"))
        TicketFactory(requester=w.outsider, subject=keep("ZX-5501"))

        # Organisation-level access: an administrator's ask waiting for the technical contact's approval, and a
        # technical contact's own ask waiting for a site admin.
        access.ask_for_access(person=w.org_admin_asked, approver=w.contact)
        w.ask = access.ask_for_access(person=w.contact_asked)
        InboundEmail.objects.create(
            message_id=keep("<zx-4414@hanbit.example>"),
            sender=keep(w.outsider.email),
            subject=keep("ZX-4414"),
            outcome=InboundEmail.Outcome.OPENED,
            ticket=Ticket.objects.get(subject="ZX-5501"),
        )
    # Identifiers the product makes up itself (Message-IDs of the outbox) are tokens, not text to translate.
    keep(*OutboundEmail.objects.values_list("message_id", flat=True))
    # The time zones offered are IANA names, shown as such ("America/New York").
    keep(*(name.replace("_", " ") for name in zoneinfo.available_timezones()))
    # Words the tests send in and the pages show back.
    keep("qqzx", "zz9", "Mars/Olympus")
    w.data = sorted(data, key=len, reverse=True)
    return w


# --- The pages -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    persona: str | None  # an attribute of the world; None is a visitor who is not signed in
    url: Callable[[SimpleNamespace], str]
    status: int = 200
    post: Callable[[SimpleNamespace], dict] | None = None
    follow: bool = False
    settings: dict = field(default_factory=dict)
    admin: bool = False


def _to(name: str, *args: Callable[[SimpleNamespace], object], query: str = "") -> Callable:
    return lambda w: reverse(name, args=[arg(w) for arg in args]) + query


def _pk(*path: str) -> Callable[[SimpleNamespace], int]:
    def get(w):
        value = w
        for name in path:
            value = getattr(value, name)
        return value.pk

    return get


def _first(model) -> Callable[[SimpleNamespace], int]:
    """The change page shows the richest row: the cast's own where it has one, else the first."""

    def get(w):
        chosen = {
            "accounts.User": w.requester,
            "accounts.Organisation": w.org,
            "accounts.AccessRequest": w.ask,
            "tickets.Ticket": w.ticket,
            "auth.Group": Group.objects.get(name="Agents"),
        }.get(model._meta.label)
        return (chosen or model._default_manager.order_by("pk").first()).pk

    return get


PAGES: dict[str, Page] = {
    "my requests (home)": Page("contact", _to("home"), follow=True),
    "my requests, page 2": Page(
        "requester", _to("tickets:my_requests", query="?page=2"), settings={"REQUESTS_PER_PAGE": 1}
    ),
    "my requests, no match": Page("requester", _to("tickets:my_requests", query="?q=qqzx")),
    "my requests, none yet": Page("bystander", _to("tickets:my_requests")),
    "my requests, bad filter": Page("requester", _to("tickets:my_requests", query="?status=zz9"), status=400),
    "request (merged, customer)": Page("requester", _to("tickets:detail", _pk("ticket"))),
    "request (merge target, customer)": Page("requester", _to("tickets:detail", _pk("target"))),
    "request (agent)": Page("agent", _to("tickets:detail", _pk("ticket"))),
    "request (merge target, agent)": Page("agent", _to("tickets:detail", _pk("target"))),
    "new request": Page("requester", _to("tickets:new")),
    "new request, errors": Page("requester", _to("tickets:new"), status=400, post=lambda w: {"subject": ""}),
    "chat": Page("colleague", _to("tickets:chat", _pk("chat"))),
    "agent queue": Page("agent", _to("workflow:queue")),
    "agent chats": Page("agent", _to("tickets:agent_chats")),
    "organisation access, granted": Page("contact", _to("accounts:organisation_access")),
    "organisation access, ask form": Page("org_admin", _to("accounts:organisation_access")),
    "organisation access, waiting for approval": Page("org_admin_asked", _to("accounts:organisation_access")),
    "organisation access, waiting for admin": Page("contact_asked", _to("accounts:organisation_access")),
    "preferences": Page("requester", _to("preferences")),
    "preferences, errors": Page(
        "requester", _to("preferences"), status=400, post=lambda w: {"language": "", "time_zone": "Mars/Olympus"}
    ),
    "sign in": Page(None, _to("account_login")),
    "sign in, wrong password": Page(
        None, _to("account_login"), post=lambda w: {"login": w.requester.email, "password": "wrong-password-7"}
    ),
    "password reset": Page(None, _to("account_reset_password")),
    "password reset sent": Page(None, _to("account_reset_password_done")),
    "password change": Page("requester", _to("account_change_password")),
    "sign out": Page("requester", _to("account_logout")),
    "not found": Page("requester", _to("tickets:detail", lambda w: 987654), status=404),
    "admin index": Page("admin", _to("admin:index"), admin=True),
}
for _model in sorted(admin.site._registry, key=lambda model: model._meta.label):
    _name = f"admin:{_model._meta.app_label}_{_model._meta.model_name}"
    PAGES[f"admin {_model._meta.label} list"] = Page("admin", _to(f"{_name}_changelist"), admin=True)
    PAGES[f"admin {_model._meta.label} change"] = Page("admin", _to(f"{_name}_change", _first(_model)), admin=True)


def _render(world, page: Page, language: str) -> tuple[list[str], str | None]:
    client = Client()
    person = getattr(world, page.persona) if page.persona else None
    if person is not None:
        person.language = language
        person.save(update_fields=["language"])
        client.force_login(person)
    url = page.url(world)
    with override_settings(**page.settings):
        if page.post:
            response = client.post(url, page.post(world), HTTP_ACCEPT_LANGUAGE=language)
        else:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language, follow=page.follow)
    assert response.status_code == page.status, f"{url} in {language}: {response.status_code}"
    page_text = VisibleText(response.content.decode())
    whole = ADMIN_UNTRANSLATED if page.admin else set()
    data = world.data
    if page.admin:
        data = sorted([*data, *_admin_records()], key=len, reverse=True)
    return _cut(page_text.texts, data, whole), page_text.lang


def _admin_records() -> list[str]:
    """What the admin shows of records the test did not write itself, as stored."""
    records = []
    # Permission names are stored by Django's migrate, in English, and shown as stored
    # (django/contrib/auth/management/__init__.py, _get_builtin_permissions: "Can add %s").
    records += Permission.objects.values_list("name", flat=True)
    # Group names are data too; the project's migration makes the "Agents" group.
    records += Group.objects.values_list("name", flat=True)
    # A person's page summarises their password hash: the algorithm's name and masked salt and hash.
    for encoded in User.objects.values_list("password", flat=True):
        records += [str(value) for value in identify_hasher(encoded).safe_summary(encoded).values()]
    return records


# --- The checks ------------------------------------------------------------------------------------------


def _context(texts: list[str], word: str) -> str:
    """The first text the Latin word stands in, as a word of its own (Korean writes "10.0MB")."""
    needle = re.compile(rf"(?<![A-Za-z\u00c0-\u024f]){word}(?![A-Za-z\u00c0-\u024f])")
    return next((text for text in texts if needle.search(text)), "")[:100]


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_no_english(world, db, page):
    language, spec = world.language, PAGES[page]
    texts, lang = _render(world, spec, language)
    english, english_lang = _render(world, spec, "en")
    problems = []

    # C: the page follows the language at all.
    if lang != language:
        problems.append(f'<html lang="{lang}">, expected "{language}"')
    if english_lang != "en":
        problems.append(f'the English page says <html lang="{english_lang}">')
    if texts == english:
        problems.append("the page is identical to the English one")

    # A: English text of entries the catalogue translates.
    joined = "\n".join(texts)
    fragments, catalogue_problem = _catalogue_fragments(language)
    if catalogue_problem:
        problems.append(catalogue_problem)
    leaked = {}
    for fragment, msgid, state in fragments:
        if fragment in joined and _fragment_pattern(fragment).search(joined):
            leaked.setdefault(msgid, (fragment, state))
    for msgid, (fragment, state) in sorted(leaked.items()):
        problems.append(f"catalogue entry shown in English ({state}): {msgid!r} (found {fragment!r})")

    # B: Latin words on a Japanese or Korean page.
    if language in NON_LATIN:
        allowed = LATIN_ALLOWED | _seed_words(language) | (ADMIN_LATIN_ALLOWED if spec.admin else set())
        words = sorted({word for word in LATIN_WORD.findall(joined) if word not in allowed})
        if words:
            contexts = sorted({_context(texts, word) for word in words})
            problems.append(f"Latin words {words} in: " + " | ".join(repr(text) for text in contexts))

    assert not problems, f"[{language}] {page} ({spec.url(world)}):\n  " + "\n  ".join(problems)
