"""Serving stored attachments: always as a download, never rendered by the browser."""

from __future__ import annotations

from flask import abort, request, send_file

from helpdesk.models import Attachment
from helpdesk.services.cases import attachments
from helpdesk.services.cases.attachments import AttachmentPolicy, Upload


def send_attachment(attachment: Attachment, policy: AttachmentPolicy):
    """The file as an attachment with nosniff and a sandboxing CSP; 404 when it is gone."""
    path = attachments.path_of(attachment, policy)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; sandbox; frame-ancestors 'none'"
    )
    return response


def request_uploads(field: str = "attachments") -> list[Upload]:
    """The files posted in `field`, skipping the empty part a browser sends for no file."""
    files = request.files.getlist(field)
    return [Upload(f.filename or "", f.read()) for f in files if f and f.filename]
