"""Which uploaded files we accept (issue 3, PCI-minded hardening of seed 003's attachments).

Only listed extensions are accepted; markup and executables never are, whatever the
settings say, because a browser could run them if they were ever served inline.
"""

from __future__ import annotations

import re

NEVER_ALLOWED = frozenset(
    {
        "html",
        "htm",
        "xhtml",
        "svg",
        "svgz",
        "js",
        "mjs",
        "exe",
        "dll",
        "bat",
        "cmd",
        "com",
        "msi",
        "sh",
        "ps1",
        "vbs",
        "jar",
        "scr",
        "php",
        "py",
        "pl",
        "hta",
        "xml",
        "xsl",
    }
)
DEFAULT_EXTENSIONS = frozenset(
    {"txt", "log", "pdf", "png", "jpg", "jpeg", "gif", "csv", "zip", "json", "docx", "xlsx"}
)
# What we serve each accepted type as: our own mapping, never the uploader's claim.
CONTENT_TYPES = {
    "txt": "text/plain",
    "log": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def extension(filename: str) -> str:
    """The lower-case extension after the last dot ("" when there is none)."""
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def display_name(filename: str) -> str:
    """A harmless name to show and offer for download: no path, no control characters."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[:120] or "attachment"


def content_type_for(filename: str) -> str:
    """The type to serve a stored file as; unknown types download as plain bytes."""
    return CONTENT_TYPES.get(extension(filename), "application/octet-stream")


def upload_problem(
    filename: str, size: int, max_bytes: int, allowed: frozenset[str] = DEFAULT_EXTENSIONS
) -> str | None:
    """Why this file is refused, in words for the uploader; None when it is acceptable."""
    ext = extension(display_name(filename))
    if not ext or ext in NEVER_ALLOWED or ext not in allowed:
        accepted = ", ".join(sorted(allowed - NEVER_ALLOWED))
        return f"{display_name(filename)}: this type of file is not accepted (use {accepted})."
    if size > max_bytes:
        return f"{display_name(filename)} is larger than {max_bytes // (1024 * 1024)} MB."
    if size == 0:
        return f"{display_name(filename)} is empty."
    return None
