"""What an uploaded file is, read from its first bytes: the name and the type a browser or a mail client sent are
what the sender claims, and neither decides how the portal serves the file.

Only the raster images below may be shown inline (on the request page and when opened); every other file, HTML,
SVG, scripts and PDFs included, is served as a download of `application/octet-stream` in a sandbox. The list is
short on purpose: a type we do not recognise is simply a file to download.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile

DOWNLOAD = "application/octet-stream"

# Signature (at offset 0 unless noted) → type. Enough to tell the formats we treat differently from the rest.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
]
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def sniff(head: bytes) -> str:
    """The type the first bytes of a file show, or `application/octet-stream` when they show none we know."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return DOWNLOAD


def sniff_upload(upload: UploadedFile) -> str:
    """`sniff` for an uploaded file, leaving it readable from the start."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(16)
    upload.seek(position)
    return sniff(head)


def shows_inline(content_type: str) -> bool:
    return content_type in INLINE_IMAGES
