"""Environment parsing in portal/settings/base.py (STYLE §6: bad values fail at start, naming the variable).

Settings are read once, at import, so each case starts a fresh interpreter with a controlled environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

# Every variable base.py reads, so the developer's or CI's own environment cannot leak into a case.
READ_BY_SETTINGS = (
    "DATABASE_URL",
    "DATABASE_CONN_MAX_AGE",
    "REDIS_URL",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "SITE_URL",
    "LOGIN_ATTEMPTS_LIMIT",
    "MFA_REQUIRED_FOR_STAFF",
    "LOGIN_ATTEMPTS_TIMEOUT",
    "MEDIA_ROOT",
    "ATTACHMENT_MAX_BYTES",
    "ATTACHMENT_MAX_COUNT",
    "ATTACHMENT_STORAGE",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "REQUESTS_PER_PAGE",
    "LIST_COUNT_LIMIT",
    "SEARCH_COUNT_LIMIT",
    "THREAD_LATEST",
    "DATABASE_RANDOM_PAGE_COST",
    "DATABASE_PARALLEL_WORKERS",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "HTTPS",
    "HSTS_SECONDS",
    "PROXY_SETS_X_FORWARDED_PROTO",
)

PRINT_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
print(json.dumps({
    "database": settings.DATABASES["default"],
    "cache_backend": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "tasks_eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker_url": settings.CELERY_BROKER_URL,
    "mailer": settings.MAILERS["default"],
    "storage": settings.STORAGES["default"],
}, default=str))
"""


def _start(**variables: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in READ_BY_SETTINGS}
    environment.update(variables, DJANGO_SETTINGS_MODULE="portal.settings.base")
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _settings_with(**variables: str) -> dict:
    result = _start(**variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def embedded_defaults() -> dict:
    return _settings_with()


@pytest.fixture(scope="module")
def production_like() -> dict:
    return _settings_with(
        DATABASE_URL="postgres://portal:s3cret@db.example:5433/portal_prod",
        REDIS_URL="redis://cache.example:6380/2",
        EMAIL_URL="smtp://mailer:pw@mail.example:587",
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "mysql://u@h/db"),
        ("DATABASE_URL", "postgres://host"),
        ("REDIS_URL", "localhost:6379"),
        ("EMAIL_URL", "bogus://x"),
        ("EMAIL_URL", "smtp://"),
        ("SECRET_KEY", "too-short-for-a-secret"),
        ("DEBUG", "maybe"),
        ("ATTACHMENT_STORAGE", "ftp"),
        ("ATTACHMENT_STORAGE", "s3"),
        ("MFA_REQUIRED_FOR_STAFF", "sometimes"),
        ("DATABASE_RANDOM_PAGE_COST", "fast"),
        ("DATABASE_RANDOM_PAGE_COST", "0"),
        ("LOG_FORMAT", "xml"),
        ("LOG_LEVEL", "verbose"),
        ("ALLOWED_HOSTS", "a, ,b"),
        ("ALLOWED_HOSTS", "a,,b"),
        ("ALLOWED_HOSTS", " "),
        ("HTTPS", "sometimes"),
        ("HSTS_SECONDS", "a year"),
        ("HSTS_SECONDS", "-1"),
        ("PROXY_SETS_X_FORWARDED_PROTO", "nginx"),
    ],
    ids=[
        "database_url_not_a_url",
        "database_url_unsupported_mysql",
        "database_url_without_database_name",
        "redis_url_without_scheme",
        "email_url_unknown_scheme",
        "email_url_smtp_without_host",
        "secret_key_short",
        "debug_not_a_boolean",
        "attachment_storage_unknown",
        "attachment_storage_s3_without_bucket",
        "mfa_required_not_a_boolean",
        "random_page_cost_not_a_number",
        "random_page_cost_zero",
        "log_format_unknown",
        "log_level_unknown",
        "allowed_hosts_blank_entry",
        "allowed_hosts_empty_entry",
        "allowed_hosts_blank",
        "https_not_a_boolean",
        "hsts_seconds_not_a_number",
        "hsts_seconds_negative",
        "proxy_sets_x_forwarded_proto_not_a_boolean",
    ],
)
def test_it_refuses_to_start_on_malformed_value_naming_the_variable(variable, value):
    result = _start(**{variable: value})

    assert result.returncode != 0, result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    # The last line is the exception itself; the traceback above it quotes source lines naming every variable.
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert variable in last_line


def test_it_reads_postgres_database_url(production_like):
    database = production_like["database"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["NAME"] == "portal_prod"
    assert database["HOST"] == "db.example"
    assert database["PORT"] == 5433
    assert database["USER"] == "portal"
    assert database["PASSWORD"] == "s3cret"
    # Planned for memory or SSD and short queries (docs/operations.md).
    assert database["OPTIONS"]["options"] == "-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0"
    assert database["OPTIONS"]["connect_timeout"] == 3  # a host that drops packets holds nothing for long


def test_planner_settings_follow_the_environment_and_keep_options_from_the_url():
    database = _settings_with(
        DATABASE_URL="postgres://portal@db.example/portal?options=-c%20statement_timeout%3D30000&connect_timeout=10",
        DATABASE_RANDOM_PAGE_COST="4",
        DATABASE_PARALLEL_WORKERS="2",
    )["database"]

    assert database["OPTIONS"]["options"] == (
        "-c statement_timeout=30000 -c random_page_cost=4 -c max_parallel_workers_per_gather=2"
    )
    assert str(database["OPTIONS"]["connect_timeout"]) == "10"


def test_it_defaults_to_sqlite_in_var(embedded_defaults):
    database = embedded_defaults["database"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(settings.BASE_DIR / "var" / "db.sqlite3")


def test_it_uses_redis_for_cache_and_task_queue_when_redis_url_is_set(production_like):
    assert production_like["cache_backend"] == "portal.cache.ResilientRedisCache"
    assert production_like["cache_location"] == "redis://cache.example:6380/2"
    assert production_like["tasks_eager"] is False
    assert production_like["broker_url"] == "redis://cache.example:6380/2"


def test_it_runs_tasks_inline_with_local_cache_without_redis_url(embedded_defaults):
    assert embedded_defaults["tasks_eager"] is True
    assert embedded_defaults["broker_url"] == "memory://"
    assert embedded_defaults["cache_backend"] == "django.core.cache.backends.locmem.LocMemCache"


def test_it_sends_email_over_smtp_from_email_url(production_like):
    mailer = production_like["mailer"]

    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"]["host"] == "mail.example"
    assert mailer["OPTIONS"]["port"] == 587
    assert mailer["OPTIONS"]["username"] == "mailer"
    assert mailer["OPTIONS"]["password"] == "pw"


def test_it_prints_email_to_the_console_without_email_url(embedded_defaults):
    assert embedded_defaults["mailer"] == {"BACKEND": "django.core.mail.backends.console.EmailBackend"}


def test_attachments_go_to_an_s3_compatible_store_when_told():
    storage = _settings_with(
        ATTACHMENT_STORAGE="s3",
        S3_BUCKET="portal-files",
        S3_ENDPOINT_URL="https://objects.example:9000",
        S3_REGION="eu-central-1",
        S3_ACCESS_KEY_ID="key-id",
        S3_SECRET_ACCESS_KEY="key-secret",
    )["storage"]

    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "portal-files",
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
        "endpoint_url": "https://objects.example:9000",
        "region_name": "eu-central-1",
        "access_key": "key-id",
        "secret_key": "key-secret",
    }
    assert _settings_with()["storage"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
