"""Downloading a file: only through the gate, always as a download, never rendered in our origin."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.models import Attachment, Reply


def make_attachment(cast, content: bytes = b"<script>alert(1)</script>", name: str = "page.html") -> Attachment:
    reply = Reply.objects.filter(ticket=cast.ticket).first()
    return Attachment.objects.create(
        reply=reply, file=SimpleUploadedFile(name, content), name=name, size=len(content), content_type="text/html"
    )


def test_it_downloads_with_safe_headers(cast, client_for):
    attachment = make_attachment(cast)
    response = client_for(cast.colleague).get(reverse("tickets:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_file_missing_from_storage_is_not_found(cast, client_for):
    attachment = make_attachment(cast)
    attachment.file.delete(save=False)
    assert client_for(cast.requester).get(reverse("tickets:attachment", args=[attachment.pk])).status_code == 404


def test_non_ascii_file_names_survive(cast, client_for):
    attachment = make_attachment(cast, b"data", "Bericht für März.txt")
    response = client_for(cast.requester).get(reverse("tickets:attachment", args=[attachment.pk]))
    assert "filename*=utf-8''Bericht%20f%C3%BCr%20M%C3%A4rz.txt" in response["Content-Disposition"]
