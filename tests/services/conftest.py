"""Fixtures shared by the service tests."""

from __future__ import annotations

import pytest

from helpdesk.services.cases.attachments import AttachmentPolicy


@pytest.fixture
def policy(app, tmp_path) -> AttachmentPolicy:
    """The app's attachment policy, storing files in this test's own folder."""
    return AttachmentPolicy.from_config({**app.config, "ATTACHMENT_DIR": str(tmp_path / "files")})
