"""Serving stored attachments: always as a download, never rendered by the browser."""

from __future__ import annotations

from collections import ChainMap

from flask import abort, current_app, request, send_file

from helpdesk.models import Attachment
from helpdesk.services import attachments, settings
from helpdesk.services.attachments import AttachmentPolicy, Upload


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


def attachment_policy() -> AttachmentPolicy:
    """The attachment policy of the running app's settings."""
    return AttachmentPolicy.from_config(ChainMap(settings.values(), current_app.config))


def request_uploads(field: str = "attachments") -> list[Upload]:
    """The files posted in `field`, skipping the empty part a browser sends for no file."""
    files = request.files.getlist(field)
    return [Upload(f.filename or "", f.read()) for f in files if f and f.filename]
