"""Blob errors with stable error ids (mapped to HTTP in callcenter/http/problems.py)."""

from __future__ import annotations

from worksheet.errors import ValidationError


class AttachmentNotFound(Exception):
    """No such attachment on an order this person may see (the two are not told apart)."""

    error_id = "attachment-not-found"
    title = "No such attachment"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class AttachmentUnavailable(AttachmentNotFound):
    """Known, but its file cannot be served (not written yet, gone, or refused at migration)."""

    error_id = "attachment-unavailable"
    title = "Attachment file unavailable"


class UnknownAttachment(ValidationError):
    """An id that is no file this person may attach (unknown and forbidden are not told apart)."""

    error_id = "unknown-attachment"
    title = "Unknown attachment"


class UnsupportedFile(ValidationError):
    error_id = "unsupported-file-type"
    title = "This kind of file is not accepted"


class FileTooLarge(ValidationError):
    error_id = "file-too-large"
    title = "File too large"


class UploadQuotaExceeded(ValidationError):
    error_id = "upload-quota-exceeded"
    title = "Too much uploaded and not yet attached"
