"""Which uploaded files we accept (issue 3, PCI-minded hardening of seed 003's attachments).

Only listed extensions are accepted; markup and executables never are, whatever the
settings say, because a browser could run them if they were ever served inline. The first
bytes must match the extension too (issue 17): a renamed archive or program is refused.
"""

from __future__ import annotations

import re

import filetype

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
# How many leading bytes the content check reads (what filetype itself looks at).
HEAD_BYTES = 8192
# No magic number: these are accepted when they read as text.
TEXT_EXTENSIONS = frozenset({"txt", "log", "csv", "json"})
# Office files are ZIP archives: each accepts a plain archive, and .zip accepts any of them.
_ZIP_FAMILY = frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"})
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
    filename: str,
    size: int,
    max_bytes: int,
    allowed: frozenset[str] = DEFAULT_EXTENSIONS,
    *,
    head: bytes | None = None,
) -> str | None:
    """Why this file is refused, in words for the uploader; None when it is acceptable.

    `head` is the file's first bytes (at least HEAD_BYTES when it is that long); given, the
    content must match the extension as well."""
    ext = extension(display_name(filename))
    if not ext or ext in NEVER_ALLOWED or ext not in allowed:
        accepted = ", ".join(sorted(allowed - NEVER_ALLOWED))
        return f"{display_name(filename)}: this type of file is not accepted (use {accepted})."
    if size > max_bytes:
        return f"{display_name(filename)} is larger than {max_bytes // (1024 * 1024)} MB."
    if size == 0:
        return f"{display_name(filename)} is empty."
    if head is not None:
        return content_problem(filename, head)
    return None


def content_problem(filename: str, head: bytes) -> str | None:
    """Why the file's first bytes do not match its extension; None when they do (or when the
    type has no known signature, so only the extension can say)."""
    name = display_name(filename)
    ext = extension(name)
    if ext in TEXT_EXTENSIONS:
        return None if _reads_as_text(head) else f"{name}: the content is not plain text."
    expected = filetype.get_type(ext="jpg" if ext == "jpeg" else ext)
    if expected is None:
        return None
    found = filetype.guess(head[:HEAD_BYTES])
    if found is not None and _same_kind(expected.extension, found.extension):
        return None
    looks_like = f"it looks like a .{found.extension} file" if found else "its type is unknown"
    return f"{name}: the content is not a .{ext} file ({looks_like})."


def _same_kind(expected: str, found: str) -> bool:
    if expected == found:
        return True
    if expected == "zip":
        return found in _ZIP_FAMILY
    return expected in _ZIP_FAMILY and found == "zip"


def _reads_as_text(head: bytes) -> bool:
    # UTF-8 or Latin-1: Latin-1 decodes any byte, so only a NUL tells a binary file apart.
    return b"\x00" not in head
