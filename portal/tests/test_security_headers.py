"""HTTPS and security headers (issue #11): with production environment values `check --deploy` has nothing to report,
a real response carries the headers and cookies it should, plain HTTP is redirected, and no template holds what the
Content-Security-Policy refuses (inline script, style element or attribute, event handler attribute).

The settings are read once, at import, so the production values come from a fresh interpreter with a controlled
environment (as in test_settings.py) and are then applied to this process's settings for the requests.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from portal.tests.factories import PASSWORD
from portal.tests.test_settings import READ_BY_SETTINGS
from workflow import chat as chats

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(48)[:50],
    "ALLOWED_HOSTS": "support.example.com",
    "SITE_URL": "https://support.example.com",
    "EMAIL_URL": "smtp://mailer:pw@mail.example:587",
    "HTTPS": "1",
}
SECURITY_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_REDIRECT_EXEMPT",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS",
    "SECURE_REFERRER_POLICY",
)
PRINT_SECURITY_SETTINGS = f"""
import json
import django
django.setup()
from django.conf import settings
print(json.dumps({{name: getattr(settings, name) for name in {SECURITY_SETTINGS!r}}}))
"""
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _run(arguments: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in READ_BY_SETTINGS}
    environment.update(variables, DJANGO_SETTINGS_MODULE="portal.settings.base")
    return subprocess.run(
        [sys.executable, *arguments], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )


def _security_settings(**variables: str) -> dict:
    result = _run(["-c", PRINT_SECURITY_SETTINGS], **variables)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    if values["SECURE_PROXY_SSL_HEADER"] is not None:
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


@pytest.fixture(scope="module")
def production_values() -> dict:
    return _security_settings(**PRODUCTION, PROXY_SETS_X_FORWARDED_PROTO="1")


@pytest.fixture
def production(settings, production_values):
    """This process's settings as the production environment makes them."""
    for name, value in production_values.items():
        setattr(settings, name, value)
    return settings


# --- The deploy check and the environment ---------------------------------------------------------------------


def test_check_deploy_reports_nothing_with_production_values():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_warns_of_a_plain_http_site_url():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **{**PRODUCTION, "SITE_URL": "http://support.example.com"},
    )

    assert result.returncode != 0
    assert "portal.W001" in result.stderr + result.stdout and "SITE_URL" in result.stderr + result.stdout


def test_https_is_on_without_debug(production_values):
    assert production_values["SECURE_SSL_REDIRECT"] is True
    assert production_values["SESSION_COOKIE_SECURE"] is True
    assert production_values["CSRF_COOKIE_SECURE"] is True
    assert production_values["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert production_values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert _security_settings(DEBUG="0")["SECURE_SSL_REDIRECT"] is True


@pytest.mark.parametrize("variables", [{"DEBUG": "1"}, {"DEBUG": "0", "HTTPS": "0"}], ids=["make_run", "https_off"])
def test_plain_http_is_served_with_debug_or_https_off(variables):
    values = _security_settings(**variables)

    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    # The rest holds over plain HTTP too.
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"


def test_hsts_lasts_as_long_as_told():
    assert _security_settings(DEBUG="0", HSTS_SECONDS="3600")["SECURE_HSTS_SECONDS"] == 3600
    assert _security_settings(DEBUG="0", HSTS_SECONDS="0")["SECURE_HSTS_SECONDS"] == 0


def test_the_test_settings_serve_plain_http(client):
    assert settings.SECURE_SSL_REDIRECT is False

    assert client.get(reverse("account_login")).status_code == 200


# --- A real response --------------------------------------------------------------------------------------------


def test_a_page_carries_the_security_headers_over_https(production, client):
    response = client.get(reverse("account_login"), secure=True)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_signing_in_sets_secure_http_only_same_site_cookies(production, client, cast):
    form = client.get(reverse("account_login"), secure=True)
    csrf = form.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"

    response = client.post(
        reverse("account_login"),
        {"login": cast.requester.email, "password": PASSWORD},
        secure=True,
    )

    assert response.status_code == 302, response.content
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session.value
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_signed_in_pages_carry_the_policy_without_a_nonce(production, client_for, cast):
    client = client_for(cast.requester)

    for url in (
        reverse("tickets:my_requests"),
        reverse("tickets:detail", args=[cast.ticket.pk]),
        reverse("tickets:new"),
    ):
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == POLICY, url


def test_plain_http_is_redirected_to_https(production, client, cast):
    response = client.get(reverse("tickets:my_requests"))

    assert response.status_code == 301
    assert response["Location"] == "https://testserver" + reverse("tickets:my_requests")


def test_the_load_balancer_s_health_probe_is_answered_over_plain_http(production, client):
    assert client.get("/healthz").status_code != 301


def test_the_proxy_s_word_counts_only_when_the_portal_is_told_to_believe_it(production, client):
    assert client.get(reverse("account_login"), headers={"X-Forwarded-Proto": "https"}).status_code == 200

    production.SECURE_PROXY_SSL_HEADER = None
    assert client.get(reverse("account_login"), headers={"X-Forwarded-Proto": "https"}).status_code == 301


def test_error_pages_carry_the_policy_too(production, client):
    # (An attachment keeps its own sandboxing policy: the middleware never replaces one a view set, see
    # tickets/tests/test_attachment_download.py.)
    response = client.get("/no-such-page/", secure=True)

    assert response.status_code == 404
    assert response["Content-Security-Policy"] == POLICY


# --- Nothing inline ---------------------------------------------------------------------------------------------


class InlineCode(HTMLParser):
    """What in an HTML page (or a template of one) the Content-Security-Policy would refuse: a <script> without
    src (except a JSON data block, which is never run), a <style> element, a style attribute, an on… event
    handler attribute or a javascript: URL."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        where = f"line {self.getpos()[0]}: <{tag}"
        names = {name.lower(): value or "" for name, value in attrs}
        if tag == "style":
            self.found.append(f"{where}> element")
        if tag == "script":
            is_data = names.get("type", "").strip().lower() == "application/json"
            if not is_data and "src" not in names:
                self.found.append(f"{where}> without src")
            self._script = None if is_data else where
        for name, value in names.items():
            if name == "style":
                self.found.append(f'{where} style="{value}">')
            elif name.startswith("on"):
                self.found.append(f'{where} {name}="{value}">')
            elif value.strip().lower().startswith("javascript:"):
                self.found.append(f'{where} {name}="{value}">')

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None and data.strip():
            self.found.append(f"{self._script} src=…> with a body")


def _is_email(template: Path) -> bool:
    # Email bodies are no web page: mail clients need their inline styles.
    return "email" in template.relative_to(TEMPLATES).parts[:-1]


WEB_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html") if not _is_email(p))


def test_the_scan_sees_every_kind_of_inline_code():
    samples = [
        "<script>alert(1)</script>",
        '<script src="/static/js/chat.js">alert(1)</script>',
        "<style>p { color: red }</style>",
        '<p style="color: red">',
        '<button onclick="go()">',
        '<a href="javascript:go()">',
    ]
    for sample in samples:
        assert InlineCode(sample).found, sample
    assert not InlineCode('<script src="/static/js/chat.js" defer></script>').found
    assert not InlineCode('<script id="data" type="application/json">{"a": 1}</script>').found


def test_email_templates_are_the_only_ones_left_out():
    assert WEB_TEMPLATES and len(WEB_TEMPLATES) > 20
    assert TEMPLATES / "base.html" in WEB_TEMPLATES
    assert all("email" not in str(p.relative_to(TEMPLATES)) for p in WEB_TEMPLATES)


@pytest.mark.parametrize("template", WEB_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_holds_inline_script_or_style(template):
    found = InlineCode(template.read_text(encoding="utf-8")).found

    assert not found, f"{template.relative_to(TEMPLATES)}: move these to static/css or static/js: {found}"


def test_no_page_as_rendered_holds_inline_script_or_style(production, client, client_for, cast):
    chat = chats.start_chat(customer=cast.requester, first_message="Exports hang at 90%")
    anonymous = {reverse("account_login"): client.get(reverse("account_login"), secure=True)}
    pages = {}
    for person, urls in [
        (
            cast.requester,
            [
                reverse("tickets:my_requests"),
                reverse("tickets:detail", args=[cast.ticket.pk]),
                reverse("tickets:new"),
                reverse("tickets:chat", args=[chat.pk]),
                reverse("preferences"),
                reverse("account_change_password"),
            ],
        ),
        (cast.contact, [reverse("accounts:organisation_access")]),
        (cast.agent, ["/agent/", reverse("tickets:detail", args=[cast.ticket.pk]), reverse("tickets:agent_chats")]),
        (
            cast.admin,
            [
                "/admin/",
                reverse("admin:accounts_user_changelist"),
                reverse("admin:accounts_user_change", args=[cast.requester.pk]),
                reverse("admin:workflow_prioritypolicy_changelist"),
            ],
        ),
    ]:
        signed_in = client_for(person)
        pages.update({(person.email, url): signed_in.get(url, secure=True) for url in urls})

    for where, response in {**anonymous, **pages}.items():
        assert response.status_code == 200, where
        assert response["Content-Security-Policy"].startswith("default-src 'self'"), where
        assert not InlineCode(response.content.decode()).found, (where, InlineCode(response.content.decode()).found)
