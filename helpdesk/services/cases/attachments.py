"""Files on cases: checked against the policy, stored outside static/ under random names."""

from __future__ import annotations

import hashlib
import secrets
from collections import ChainMap
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from helpdesk.extensions import db
from helpdesk.models import Attachment, Case, Message, User
from helpdesk.rules.uploads import HEAD_BYTES, content_type_for, display_name, upload_problem
from helpdesk.services import ServiceError
from helpdesk.services.core import settings


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as the client sent it, and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class AttachmentPolicy:
    directory: Path
    max_bytes: int
    extensions: frozenset[str]
    per_message: int

    @classmethod
    def from_config(cls, config) -> AttachmentPolicy:
        """The policy from the app settings."""
        allowed = {ext.strip().lower() for ext in config["ATTACHMENT_EXTENSIONS"].split(",")}
        return cls(
            directory=Path(config["ATTACHMENT_DIR"]),
            max_bytes=config["ATTACHMENT_MAX_BYTES"],
            extensions=frozenset(ext for ext in allowed if ext),
            per_message=config["ATTACHMENTS_PER_MESSAGE"],
        )


def check_uploads(uploads: list[Upload], policy: AttachmentPolicy) -> None:
    """Refuse the whole set with one message when any file is unacceptable."""
    if len(uploads) > policy.per_message:
        raise ServiceError(f"Attach at most {policy.per_message} files.", field="attachments")
    problems = [
        problem
        for upload in uploads
        if (
            problem := upload_problem(
                upload.filename,
                len(upload.data),
                policy.max_bytes,
                policy.extensions,
                head=upload.data[:HEAD_BYTES],
            )
        )
    ]
    if problems:
        raise ServiceError(" ".join(problems), field="attachments")


def store_uploads(
    uploads: list[Upload],
    policy: AttachmentPolicy,
    *,
    case: Case,
    message: Message | None,
    uploader: User,
) -> list[Path]:
    """Write the files and add their rows to the session; returns the paths written so the
    caller can remove them if the transaction fails."""
    policy.directory.mkdir(parents=True, exist_ok=True)
    written = []
    for upload in uploads:
        stored_name = secrets.token_hex(16)
        path = policy.directory / stored_name
        path.write_bytes(upload.data)
        written.append(path)
        name = display_name(upload.filename)
        db.session.add(
            Attachment(
                case_id=case.id,
                message_id=message.id if message is not None else None,
                uploader_id=uploader.id,
                original_name=name,
                stored_name=stored_name,
                content_type=content_type_for(name),
                size_bytes=len(upload.data),
                sha256=hashlib.sha256(upload.data).hexdigest(),
            )
        )
    return written


def remove_files(paths: list[Path]) -> None:
    """Delete files written for a transaction that did not commit."""
    for path in paths:
        path.unlink(missing_ok=True)


def path_of(attachment: Attachment, policy: AttachmentPolicy) -> Path:
    """Where an attachment's bytes are (the stored name is ours: no traversal possible)."""
    return policy.directory / attachment.stored_name


def current_policy() -> AttachmentPolicy:
    """The running app's policy: the administrator's settings over the configuration."""
    return AttachmentPolicy.from_config(ChainMap(settings.values(), current_app.config))
