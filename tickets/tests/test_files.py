"""Attachments: their type is read from their bytes, only raster images are ever shown inline, and they can live
in an S3-compatible store instead of MEDIA_ROOT (tickets.files, tickets.views.attachment_download)."""

from __future__ import annotations

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto import mock_aws

from tickets.files import DOWNLOAD, sniff
from tickets.models import Attachment
from workflow import actions

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
HTML = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (HTML, DOWNLOAD),
        (SVG, DOWNLOAD),
        (b"#!/bin/sh\nrm -rf /", DOWNLOAD),
        (b"", DOWNLOAD),
    ],
)
def test_the_type_comes_from_the_bytes(head, kind):
    assert sniff(head) == kind


def upload(cast, name: str, content: bytes, claimed: str) -> Attachment:
    reply = actions.reply(
        ticket=cast.ticket,
        author=cast.requester,
        body="See attached",
        attachments=[SimpleUploadedFile(name, content, content_type=claimed)],
    )
    return reply.attachments.get()


def download(client, attachment: Attachment, **params):
    return client.get(reverse("tickets:attachment", args=[attachment.pk]), params)


def test_a_claimed_type_is_not_believed(cast):
    assert upload(cast, "cat.png", HTML, "image/png").content_type == DOWNLOAD
    assert upload(cast, "notes.txt", PNG, "text/plain").content_type == "image/png"


def test_an_image_opens_inline_and_shows_on_the_request_page(cast, client_for):
    client = client_for(cast.colleague)
    image = upload(cast, "screenshot.png", PNG, "image/png")

    response = download(client, image, inline="1")

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    page = client.get(reverse("tickets:detail", args=[cast.ticket.pk])).content.decode()
    assert f'src="{reverse("tickets:attachment", args=[image.pk])}?inline=1"' in page
    assert download(client, image)["Content-Disposition"].startswith("attachment")  # without ?inline, a download


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("page.html", HTML, "text/html"),
        ("logo.svg", SVG, "image/svg+xml"),
        ("cat.png", HTML, "image/png"),  # a page renamed as an image
        ("run.js", b"alert(1)", "application/javascript"),
    ],
)
def test_pages_pictures_of_code_and_scripts_are_never_inline(cast, client_for, name, content, claimed):
    client = client_for(cast.colleague)
    attachment = upload(cast, name, content, claimed)

    response = download(client, attachment, inline="1")

    assert response["Content-Type"] == DOWNLOAD
    assert response["Content-Disposition"].startswith("attachment")
    page = client.get(reverse("tickets:detail", args=[cast.ticket.pk])).content.decode()
    assert f"{reverse('tickets:attachment', args=[attachment.pk])}?inline=1" not in page


def test_a_row_that_claims_an_image_is_checked_again_when_served(cast, client_for):
    # Rows written before types were sniffed hold the uploader's claim; the bytes decide at download time.
    attachment = upload(cast, "cat.png", HTML, "image/png")
    Attachment.objects.filter(pk=attachment.pk).update(content_type="image/png")

    response = download(client_for(cast.colleague), attachment, inline="1")

    assert response["Content-Type"] == DOWNLOAD and response["Content-Disposition"].startswith("attachment")


@pytest.fixture
def s3_storage(settings, monkeypatch):
    """The attachment storage switched to S3 as ATTACHMENT_STORAGE=s3 does, against moto's in-process S3."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(variable, "testing")
    with mock_aws():
        boto3.client("s3", region_name="eu-central-1").create_bucket(
            Bucket="portal-attachments", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
        )
        options = {"bucket_name": "portal-attachments", "region_name": "eu-central-1", "default_acl": "private"}
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        }
        yield boto3.client("s3", region_name="eu-central-1")


def test_attachments_can_live_in_an_s3_bucket(cast, client_for, s3_storage):
    attachment = upload(cast, "screenshot.png", PNG, "image/png")

    stored = s3_storage.get_object(Bucket="portal-attachments", Key=attachment.file.name)["Body"].read()
    assert stored == PNG
    assert attachment.file.name.startswith("attachments/") and "screenshot" not in attachment.file.name
    response = download(client_for(cast.colleague), attachment)
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"].startswith("attachment")
    assert download(client_for(cast.outsider), attachment).status_code == 404
